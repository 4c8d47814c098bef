// Alerts inbox: filtered list sorted by severity then time; the selected alert's details,
// follow-up (when its detector declares steps), history and the actions people with write
// access can take.
import {
  api, ApiError, canWrite, escapeHtml, formatNumber, renderHeader, roleIn,
  session, newestOnly, SEVERITY_LABELS, showError, STALE,
} from "/static/js/common.js";
import { formatDateTime } from "/static/js/dates.js";
import { followUpSteps, renderFollowUp } from "/static/js/follow-up.js";

const RANK = { critical: 0, warning: 1, info: 2 };
const STATUS_LABELS = { open: "Ouverte", acknowledged: "Prise en compte", resolved: "Résolue" };
const STATUS_BADGES = { open: "critical", acknowledged: "warning", resolved: "ok" };
const EVENT_LABELS = {
  opened: "Ouverture", acknowledged: "Prise en compte", resolved: "Résolution",
  commented: "Commentaire", triggered: "Gravité relevée", changed: "Mise à jour",
  escalated: "Escalade",
  notified: "Notification", reopened: "Réouverture", intervention: "Suivi",
};

const state = await session();
renderHeader("alertes", state);
const tenant = state.tenant;
const role = tenant ? roleIn(state.me, tenant.id) : null;
const writer = canWrite(role);
const base = tenant ? `/tenants/${tenant.id}` : "";
const communes = {};
let alerts = [];
let selected = Number(new URLSearchParams(location.search).get("alerte")) || null;

// Alerts carry their asset's name (asset_name); an asset since deleted has none.
function assetName(a) {
  if (a.asset_id === null || a.asset_id === undefined) return null;
  return a.asset_name || `Équipement n° ${a.asset_id}`;
}

function filters() {
  const form = document.getElementById("filters");
  return { status: form.elements.status.value, severity: form.elements.severity.value,
    commune: form.elements.commune.value };
}

function communeName(insee) {
  return insee ? communes[insee] || insee : "—";
}

const readList = newestOnly();  // (filters changed meanwhile: the older answer is not shown)

async function loadList() {
  const list = await readList(api(`${base}/alerts`, { params: { ...filters(), limit: 200 } }));
  if (list === STALE) return;
  list.sort((a, b) => RANK[a.severity] - RANK[b.severity]
    || Date.parse(b.opened_at) - Date.parse(a.opened_at));
  list.forEach((a) => { a.asset_name = assetName(a); });
  alerts = list;
  renderList();
}

function renderList() {
  const box = document.getElementById("list");
  document.getElementById("count").textContent = `(${formatNumber(alerts.length, 0)})`;
  document.getElementById("list-status").textContent =
    `${formatNumber(alerts.length, 0)} alerte${alerts.length > 1 ? "s" : ""}`;
  if (!alerts.length) {
    box.innerHTML = '<p class="muted">Aucune alerte ne correspond à ces filtres.</p>';
    return;
  }
  box.innerHTML = `<ul class="alert-items">${alerts.map((a) => `
    <li data-alert-id="${a.id}"${a.id === selected ? ' class="selected"' : ""}>
      <span class="badge ${a.severity}">${SEVERITY_LABELS[a.severity]}</span>
      <a class="alert-select" href="/alertes?alerte=${a.id}"${a.id === selected ? ' aria-current="true"' : ""}>${escapeHtml(a.title)}</a>
      <span class="meta"><span class="status-tag">${STATUS_LABELS[a.status]}</span>
        — depuis le ${formatDateTime(a.opened_at)} — ${escapeHtml(communeName(a.commune))}</span>
      ${a.asset_id ? `<span class="meta">Équipement : <a href="/equipements/${a.asset_id}">${escapeHtml(a.asset_name)}</a></span>` : ""}
    </li>`).join("")}</ul>`;
}

function historyItem(event, stepLabels = {}) {
  const who = event.user_email ? ` par ${escapeHtml(event.user_email)}`
    : event.kind === "resolved" || event.kind === "opened" ? " (automatique)" : "";
  let label = EVENT_LABELS[event.kind] || event.kind;
  if (event.kind === "intervention") {
    label += ` : ${stepLabels[event.details.step] || event.details.step}`;
  }
  return `<li><strong>${escapeHtml(label)}</strong>${who}
    <span class="muted">— ${formatDateTime(event.at)}</span>
    ${event.comment ? `<span class="comment">« ${escapeHtml(event.comment)} »</span>` : ""}</li>`;
}

async function showDetail({ focus = false } = {}) {
  const box = document.getElementById("detail");
  const title = document.getElementById("detail-title");
  if (!selected) {
    title.textContent = "Détail";
    box.innerHTML = '<p class="muted">Choisissez une alerte dans la liste.</p>';
    return;
  }
  const a = await api(`${base}/alerts/${selected}`);
  const steps = await followUpSteps(a.detector);
  const stepLabels = Object.fromEntries(steps.map((s) => [s.key, s.label]));
  const name = assetName(a);
  title.textContent = a.title;
  const facts = [
    ["Gravité", `<span class="badge ${a.severity}">${SEVERITY_LABELS[a.severity]}</span>`],
    ["État", `<span class="badge ${STATUS_BADGES[a.status]}">${STATUS_LABELS[a.status]}</span>`],
    ["Ouverte le", formatDateTime(a.opened_at)],
    ["Dernier déclenchement", `${formatDateTime(a.last_triggered_at)} (${formatNumber(a.trigger_count, 0)} fois)`],
    ["Équipement", a.asset_id ? `<a href="/equipements/${a.asset_id}">${escapeHtml(name)}</a>` : "—"],
    ["Commune", escapeHtml(communeName(a.commune))],
  ];
  if (a.acknowledged_at) facts.push(["Prise en compte le", formatDateTime(a.acknowledged_at)]);
  if (a.resolved_at) {
    facts.push(["Résolue le", formatDateTime(a.resolved_at)
      + (a.resolved_automatically ? " (automatiquement)" : "")]);
  }
  // Details as the API writes them: French labels, units, local times (raw key otherwise).
  for (const d of a.details_display || []) {
    facts.push([`<span data-detail="${escapeHtml(d.key)}">${escapeHtml(d.label)}</span>`, escapeHtml(d.text)]);
  }
  const hint = a.status !== "resolved" ? resolveHint(a, steps) : "";
  const actions = !writer ? "" : `
    <form class="alert-actions" id="alert-actions" novalidate>
      <h3>Agir</h3>
      <div class="field">
        <label for="comment">Commentaire <span class="muted">(facultatif pour prendre en compte ou résoudre)</span></label>
        <textarea id="comment" name="comment" maxlength="2000"></textarea>
      </div>
      <div id="action-error" role="alert" class="notice" hidden></div>
      <div class="buttons">
        ${a.status === "open" ? '<button type="button" class="button" data-do="acknowledge">Prendre en compte</button>' : ""}
        ${a.status !== "resolved" ? `<button type="button" class="button secondary" data-do="resolve"${hint ? ' aria-describedby="resolve-hint"' : ""}>Résoudre</button>` : ""}
        <button type="button" class="button secondary" data-do="comment">Commenter</button>
      </div>
      ${hint ? `<p id="resolve-hint" class="muted">${hint}</p>` : ""}
      <p id="action-done" role="status" class="muted"></p>
    </form>`;
  box.innerHTML = `
    <dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>
    ${steps.length ? '<section class="follow-up" id="follow-up" aria-labelledby="follow-up-title"></section>' : ""}
    <h3>Historique</h3>
    <ol class="history" id="history">${a.history.map((e) => historyItem(e, stepLabels)).join("")}</ol>
    ${actions}`;
  if (steps.length) {
    const position = writer ? await assetPoint(a) : null;
    renderFollowUp(document.getElementById("follow-up"), {
      base, alert: a, steps, writer, position,
      onRecorded: async (message) => {
        await Promise.all([loadList(), showDetail()]);
        document.getElementById("follow-up-done").textContent = message;
        document.getElementById("follow-up-title").focus();
      },
    });
  }
  if (writer) {
    for (const button of box.querySelectorAll("[data-do]")) {
      button.addEventListener("click", () => act(button.dataset.do, a.id));
    }
  }
  if (focus) {
    title.focus();
    if (window.matchMedia("(max-width: 48em)").matches) title.scrollIntoView();
  }
}

/** What resolving by hand does: the rule or the detector that raised the alert opens it
 * again while what it saw lasts; an alert with a follow-up is settled by its steps. */
function resolveHint(a, steps) {
  if (!a.detector && a.rule_id === null) return "";
  const source = a.detector ? "le détecteur qui l'a levée la rouvrira à son prochain passage"
    : "la règle qui l'a levée la rouvrira au prochain relevé";
  const followUp = steps.length ? " Cette alerte a un suivi : consignez-y plutôt l'étape qui la "
    + "clôt (ci-dessus)." : "";
  return `Résoudre ferme l'alerte ; si la situation persiste, ${source}.${followUp}`;
}

/** [lon, lat] of the alert's asset when it is a point (prefills a position), else null. */
async function assetPoint(a) {
  if (a.asset_id === null || a.asset_id === undefined) return null;
  const asset = await api(`${base}/assets/${a.asset_id}`).catch(() => null);
  const geometry = asset && asset.geometry;
  return geometry && geometry.type === "Point" ? geometry.coordinates.slice(0, 2) : null;
}

const DONE = { acknowledge: "Alerte prise en compte.", resolve: "Alerte résolue.",
  comment: "Commentaire ajouté." };

async function act(what, id) {
  const error = document.getElementById("action-error");
  const field = document.getElementById("comment");
  const comment = field.value.trim();
  error.hidden = true;
  field.removeAttribute("aria-invalid");
  field.removeAttribute("aria-describedby");
  const path = what === "comment" ? "comments" : what;
  const buttons = document.querySelectorAll("#alert-actions button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await api(`${base}/alerts/${id}/${path}`, { method: "POST",
      body: comment || what === "comment" ? { comment } : {} });
  } catch (e) {
    buttons.forEach((b) => { b.disabled = false; });
    showError(e, error);
    // The comment refused (« Commentaire vide. »): marked and described by the message.
    if (e instanceof ApiError && (e.problem.errors || []).some((x) => x.field === "comment")) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", "action-error");
    }
    field.focus();
    return;
  }
  await Promise.all([loadList(), showDetail()]);
  const done = document.getElementById("action-done");
  if (done) done.textContent = DONE[what];
  const title = document.getElementById("detail-title");
  title.focus();
}

function select(id, { push = true, focus = true } = {}) {
  selected = id;
  if (push) history.pushState({ alerte: id }, "", `/alertes?alerte=${id}`);
  renderList();
  showDetail({ focus }).catch((e) => showError(e));
}

async function main() {
  if (!tenant) {
    document.getElementById("list").innerHTML =
      '<p class="muted">Aucun territoire ne vous est encore ouvert.</p>';
    return;
  }
  const list = await api(`${base}/communes`, { params: { boundaries: false } }).catch(() => []);
  const select_ = document.getElementById("f-commune");
  for (const c of list) {
    communes[c.insee] = c.name;
    select_.insertAdjacentHTML("beforeend",
      `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`);
  }
  document.getElementById("filters").addEventListener("change", () => {
    loadList().catch((e) => showError(e));
  });
  document.getElementById("filters").addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("list").addEventListener("click", (event) => {
    const link = event.target.closest("a.alert-select");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    select(Number(link.closest("li").dataset.alertId));
  });
  window.addEventListener("popstate", () => {
    selected = Number(new URLSearchParams(location.search).get("alerte")) || null;
    renderList();
    showDetail().catch((e) => showError(e));
  });
  await loadList();
  if (selected) await showDetail();
  document.body.dataset.ready = "1";
}

main().catch((error) => showError(error));
