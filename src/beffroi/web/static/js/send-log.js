// The send log (« Envois ») of the administration page: the e-mails and webhook deliveries
// of GET /tenants/{t}/notifications, newest first, filtered by state, older ones added
// with the API's before_id.
import {
  api, escapeHtml, formatNumber, newestOnly, showError, STALE,
} from "/static/js/common.js";
import { formatDateTime } from "/static/js/dates.js";

const PAGE = 25;
const STATUS_LABELS = { sent: "Envoyé", pending: "En attente", failed: "Échec" };
const FILTER_LABELS = { sent: "envoyés", pending: "en attente", failed: "en échec" };
const CHANNEL_LABELS = { email: "Courriel", webhook: "Webhook" };
const KIND_LABELS = {
  alert: "Alerte", oncall: "Astreinte", escalation: "Escalade",
  digest: "Récapitulatif quotidien", test: "Essai de webhook",
};
const $ = (id) => document.getElementById(id);

let tenantPath = "";
let timeZone = "Europe/Paris";
let status = "";      // the filter shown: "", "sent", "pending" or "failed"
let oldest = null;    // id of the oldest notification shown
let shown = 0;
const read = newestOnly();  // (a filter changed while the previous list was read)

function zoneText() {
  return timeZone === "Europe/Paris" ? "heure de Paris" : `heure locale, ${timeZone}`;
}

function statusCell(n) {
  if (n.status === "failed") {
    return `<span class="badge critical"><span aria-hidden="true">✕ </span>${
      STATUS_LABELS.failed}</span>`;
  }
  if (n.status === "sent") {
    return `<span class="badge ok">${STATUS_LABELS.sent}</span>${n.sent_at
      ? `<br><span class="muted">le ${formatDateTime(n.sent_at, timeZone)}</span>` : ""}`;
  }
  const label = STATUS_LABELS[n.status] || escapeHtml(n.status);
  return `<span class="badge info">${label}</span>${n.attempts && n.next_attempt_at
    ? `<br><span class="muted">nouvel essai le ${formatDateTime(n.next_attempt_at, timeZone)}</span>`
    : ""}`;
}

function subjectCell(n) {
  const kind = KIND_LABELS[n.kind] || n.kind;
  const alert = n.alert_id == null ? ""
    : ` — <a href="/alertes?alerte=${n.alert_id}">alerte n° ${n.alert_id}</a>`;
  return `${escapeHtml(n.subject || "—")}<br><span class="muted">${escapeHtml(kind)}</span>${alert}`;
}

function rowHtml(n) {
  return `<tr data-id="${n.id}" data-status="${escapeHtml(n.status)}"${
    n.status === "failed" ? ' class="failed"' : ""}>
    <td>${formatDateTime(n.created_at, timeZone)}</td>
    <td>${escapeHtml(CHANNEL_LABELS[n.channel] || n.channel)}</td>
    <td class="target">${escapeHtml(n.target)}</td>
    <td>${subjectCell(n)}</td>
    <td>${statusCell(n)}</td>
    <td class="number">${formatNumber(n.attempts, 0)}</td>
    <td class="error">${n.error ? escapeHtml(n.error) : "—"}</td></tr>`;
}

function tableHtml(rows) {
  return `<table class="sendlog-table"><caption class="visually-hidden">Journal des envois${
    status ? ` ${FILTER_LABELS[status]}` : ""}, les plus récents d'abord (${zoneText()})</caption>
    <thead><tr><th scope="col">Date <span class="muted">(${zoneText()})</span></th><th scope="col">Canal</th>
      <th scope="col">Destinataire</th><th scope="col">Objet</th><th scope="col">État</th>
      <th scope="col" class="number">Tentatives</th><th scope="col">Erreur</th></tr></thead>
    <tbody>${rows.map(rowHtml).join("")}</tbody></table>`;
}

function countText(more) {
  const what = status ? ` ${FILTER_LABELS[status]}` : "";
  if (!shown) return `Aucun envoi${what}.`;
  return `${formatNumber(shown, 0)} envoi${shown > 1 ? "s" : ""}${what} affiché${
    shown > 1 ? "s" : ""}${more ? " ; d'autres, plus anciens, restent à afficher" : ""}.`;
}

/** The newest notifications (`older`: false), or the page after those shown. */
async function load(older = false) {
  $("sendlog-errors").hidden = true;
  const rows = await read(api(`${tenantPath}/notifications`, { params: {
    status: status || undefined, before_id: older ? oldest : undefined, limit: PAGE + 1 } }));
  if (rows === STALE) return;
  const more = rows.length > PAGE;
  const page = rows.slice(0, PAGE);
  if (older) {
    $("sendlog").querySelector("tbody").insertAdjacentHTML("beforeend",
      page.map(rowHtml).join(""));
    shown += page.length;
  } else {
    shown = page.length;
    $("sendlog").innerHTML = shown ? tableHtml(page)
      : `<p class="muted">Aucun envoi${status ? ` ${FILTER_LABELS[status]}` : ""}.</p>`;
  }
  if (page.length) oldest = page[page.length - 1].id;
  $("sendlog-more").hidden = !more;
  $("sendlog-status").textContent = older
    ? `${formatNumber(page.length, 0)} envoi${page.length > 1 ? "s" : ""} plus ancien${
      page.length > 1 ? "s" : ""} ajouté${page.length > 1 ? "s" : ""} ; ${countText(more)}`
    : countText(more);
}

async function run(work) {
  try {
    await work();
  } catch (error) {
    showError(error, $("sendlog-errors"));
  }
}

/** Show the send log of the page's tenant (`ctx` from `session()`); admins only. */
export async function initSendLog({ tenant }) {
  tenantPath = `/tenants/${tenant.id}`;
  timeZone = tenant.settings.timezone || timeZone;
  $("sendlog-form").addEventListener("submit", (event) => {
    event.preventDefault();
    status = $("sendlog-status-filter").value;
    run(() => load());
  });
  const more = $("sendlog-more");
  more.addEventListener("click", async () => {
    if (more.disabled) return;
    more.disabled = true;
    try {
      await run(() => load(true));
    } finally {
      more.disabled = false;
      // Focus, lost by the disabled button: back on it, or on the table once all is shown.
      const lost = document.activeElement === document.body || document.activeElement === more;
      if (lost) (more.hidden ? $("sendlog") : more).focus();
    }
  });
  // A test delivery asked in the webhooks section (webhooks.js): queued, then tried.
  document.addEventListener("beffroi:notifications", () => run(() => load()));
  await load();
}
