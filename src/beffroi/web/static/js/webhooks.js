// The webhooks (« Webhooks ») of the administration page: the territory's outgoing webhooks
// (GET/POST /tenants/{t}/webhooks, PATCH/DELETE …/webhooks/{id}), created and edited in one
// form whose refusals the API gives field by field; the signing secret shown once, at
// creation; a test delivery (POST …/webhooks/{id}/test) queued in the notifications outbox
// like an alert's, whose result is read back from the send log (…/notifications).
import {
  api, ApiError, clearFieldErrors, copyField, errorText, escapeHtml, SEVERITY_LABELS, TIME_ZONE,
  whileSending,
} from "/static/js/common.js";
import { longDate } from "/static/js/dates.js";

const FIELDS = {  // API field -> the form's input (or fieldset)
  name: "webhook-name", url: "webhook-url", min_severity: "webhook-severity",
  domains: "webhook-domains", enabled: "webhook-enabled",
};
const FIELD_LABELS = {
  name: "Nom", url: "Adresse du récepteur", min_severity: "Gravité", domains: "Domaines",
  enabled: "Actif",
};
const TEST_POLL_MS = 2000;  // how often the result of a test delivery is read back
const TEST_POLL_TIMES = 30;  // (a minute: the sending job runs every 5 seconds)
const $ = (id) => document.getElementById(id);

let tenantPath = "";
let timeZone = TIME_ZONE;  // the territory's
const domainLabels = {};
let webhooks = [];
let editing = null;  // the webhook being edited, or null for a new one

const nameOf = (w) => `« ${w.name} »`;

function domainsText(domains) {
  if (!domains) return "tous";
  return domains.map((key) => domainLabels[key] || key)
    .sort((a, b) => a.localeCompare(b, "fr")).join(", ");
}

function itemHtml(w) {
  const what = ` le webhook ${escapeHtml(nameOf(w))}`;
  const facts = [
    ["Adresse", `<span class="webhook-url">${escapeHtml(w.url)}</span>`],
    ["À partir de la gravité", escapeHtml(SEVERITY_LABELS[w.min_severity] || w.min_severity)],
    ["Domaines", escapeHtml(domainsText(w.domains))],
    ["État", w.enabled ? '<span class="badge ok">Actif</span>'
      : '<span class="badge silent">Désactivé</span>'],
    ["Créé le", escapeHtml(longDate(w.created_at, timeZone))],
  ];
  return `<li data-id="${w.id}"${w.enabled ? "" : ' class="disabled"'}>
    <h3>${escapeHtml(w.name)}</h3>
    <dl>${facts.map(([term, text]) => `<dt>${term}</dt><dd>${text}</dd>`).join("")}</dl>
    <div class="buttons">
      <button type="button" class="button secondary" data-action="edit">Modifier<span
        class="visually-hidden">${what}</span></button>
      <button type="button" class="button secondary" data-action="toggle">${
        w.enabled ? "Désactiver" : "Activer"}<span class="visually-hidden">${what}</span></button>
      ${w.enabled ? `<button type="button" class="button secondary" data-action="test">Envoyer
        un essai<span class="visually-hidden"> au webhook ${escapeHtml(nameOf(w))}</span></button>`
        : ""}
      <button type="button" class="button secondary" data-action="delete">Supprimer<span
        class="visually-hidden">${what}</span></button>
    </div></li>`;
}

function render() {
  $("webhooks").innerHTML = webhooks.length
    ? `<ul class="webhook-list" aria-label="Webhooks du territoire">${
      webhooks.map(itemHtml).join("")}</ul>`
    : '<p class="muted">Aucun webhook : les alertes ne sont envoyées à aucun autre système.</p>';
}

async function load() {
  webhooks = await api(`${tenantPath}/webhooks`);
  render();
}

const button = (id, action) => $("webhooks").querySelector(
  `li[data-id="${id}"] button[data-action="${action}"]`);

// -- the form: a new webhook, or the one being edited -----------------------------------
const form = () => $("webhook-form");

function clearErrors() {
  clearFieldErrors(form(), $("webhook-errors"));
}

/** The API's refusal: each message under its field (aria-invalid, the message named by the
 * field's aria-describedby), a summary in the alert, focus on the first field at fault;
 * what was typed stays. */
function showErrors(error, fallback) {
  clearErrors();
  const errors = (error instanceof ApiError && error.problem.errors) || [];
  const lines = [];
  let first = null;
  for (const { field, message } of errors) {
    const target = FIELDS[field] && $(FIELDS[field]);
    if (target) {
      $(`${target.id}-error`).textContent = message;
      if (target.tagName === "FIELDSET") {
        first ||= target.querySelector("input");
      } else {
        target.setAttribute("aria-invalid", "true");
        first ||= target;
      }
    }
    lines.push(`<li>${escapeHtml(FIELD_LABELS[field] || field)} : ${escapeHtml(message)}</li>`);
  }
  const box = $("webhook-errors");
  box.innerHTML = `<p>${escapeHtml(errorText(error, fallback))}</p>${
    lines.length ? `<ul>${lines.join("")}</ul>` : ""}`;
  box.hidden = false;
  if (first) first.focus();
}

/** The form back to a new webhook, or filled with `w` to edit it. */
function fillForm(w) {
  editing = w || null;
  clearErrors();
  const f = form();
  f.elements.name.value = w ? w.name : "";
  f.elements.url.value = w ? w.url : "";
  f.elements.min_severity.value = w ? w.min_severity : "warning";
  f.elements.enabled.checked = w ? w.enabled : true;
  for (const box of f.querySelectorAll('input[name="domains"]')) {
    box.checked = Boolean(w && w.domains && w.domains.includes(box.value));
  }
  $("webhook-form-title").textContent = w ? `Modifier le webhook ${nameOf(w)}` : "Nouveau webhook";
  $("webhook-submit").textContent = w ? "Enregistrer les modifications" : "Créer le webhook";
  $("webhook-cancel").hidden = !w;
}

function formBody() {
  const f = form();
  const domains = [...f.querySelectorAll('input[name="domains"]:checked')].map((i) => i.value);
  const body = {
    url: f.elements.url.value.trim(), min_severity: f.elements.min_severity.value,
    domains: domains.length ? domains : null, enabled: f.elements.enabled.checked,
  };
  const name = f.elements.name.value.trim();
  // A new webhook without a name is named after its address's host; an edited one keeps
  // the field as typed (emptied, the API says a name is needed).
  if (name || editing) body.name = name;
  return body;
}

async function submit(event) {
  event.preventDefault();
  $("webhooks-status").textContent = "";
  $("webhooks-errors").hidden = true;
  const wasEditing = editing;
  await whileSending($("webhook-submit"), async () => {
    let saved;
    try {
      saved = await api(wasEditing ? `${tenantPath}/webhooks/${wasEditing.id}`
        : `${tenantPath}/webhooks`, { method: wasEditing ? "PATCH" : "POST", body: formBody() });
    } catch (error) {
      showErrors(error, "Le webhook n'a pas été enregistré : réessayez.");
      return;
    }
    fillForm(null);
    await load().catch(() => {});
    if (wasEditing) {
      $("webhooks-status").textContent = `Webhook ${nameOf(saved)} modifié.`;
      $("webhooks-title").focus();
    } else {
      showSecret(saved);
    }
  });
}

// -- the secret, shown once -------------------------------------------------------------
function showSecret(created) {
  $("webhook-secret-title").textContent = `Secret du webhook ${nameOf(created)}`;
  $("webhook-copy-status").textContent = "";
  const value = $("webhook-secret-value");
  value.value = created.secret;
  $("webhook-secret").hidden = false;
  $("webhooks-status").textContent = `Webhook ${nameOf(created)} créé. Copiez son secret `
    + "maintenant : il ne sera plus affiché.";
  value.focus();
  value.select();
}

function hideSecret() {
  $("webhook-secret-value").value = "";
  $("webhook-copy-status").textContent = "";
  $("webhook-secret").hidden = true;
}

async function copySecret() {
  const copied = await copyField($("webhook-secret-value"));
  $("webhook-copy-status").textContent = copied ? "Secret copié dans le presse-papiers."
    : "Copie impossible : sélectionnez le secret et copiez-le (Ctrl+C).";
}

// -- each webhook's buttons -------------------------------------------------------------
function listError(error, fallback) {
  const box = $("webhooks-errors");
  box.textContent = errorText(error, fallback);
  box.hidden = false;
}

function edit(w) {
  $("webhooks-status").textContent = "";
  fillForm(w);
  $("webhook-form-title").focus();
}

async function toggle(w) {
  const enabled = !w.enabled;
  try {
    await api(`${tenantPath}/webhooks/${w.id}`, { method: "PATCH", body: { enabled } });
  } catch (error) {
    listError(error, "Le changement n'a pas abouti : réessayez.");
    return;
  }
  await load().catch(() => {});
  if (editing && editing.id === w.id) {  // (the form, open on it, follows)
    editing = webhooks.find((x) => x.id === w.id) || null;
    form().elements.enabled.checked = enabled;
  }
  $("webhooks-status").textContent = enabled
    ? `Webhook ${nameOf(w)} activé : les alertes lui sont de nouveau envoyées.`
    : `Webhook ${nameOf(w)} désactivé : plus rien ne lui est envoyé.`;
  (button(w.id, "toggle") || $("webhooks-title")).focus();
}

async function remove(w) {
  if (!window.confirm(`Supprimer le webhook ${nameOf(w)} ? Plus aucune alerte ne lui sera `
    + "envoyée, et son secret ne servira plus.")) return;
  try {
    await api(`${tenantPath}/webhooks/${w.id}`, { method: "DELETE" });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) {  // (deleted meanwhile)
      listError(error, "La suppression n'a pas abouti : réessayez.");
      return;
    }
  }
  if (editing && editing.id === w.id) fillForm(null);
  await load().catch(() => {});
  $("webhooks-status").textContent = `Webhook ${nameOf(w)} supprimé.`;
  $("webhooks-title").focus();  // (the button is gone with the webhook)
}

/** The notification `id` as the send log gives it (null once purged). */
async function notification(id) {
  const [row] = await api(`${tenantPath}/notifications`, { params: { before_id: id + 1, limit: 1 } });
  return row && row.id === id ? row : null;
}

const pause = (ms) => new Promise((done) => { setTimeout(done, ms); });

/** Ask for a test delivery to `w`; its result is then read back (not awaited: the button
 * is free again once the test is queued). */
async function sendTest(w) {
  let queued;
  try {
    queued = await api(`${tenantPath}/webhooks/${w.id}/test`, { method: "POST" });
  } catch (error) {
    listError(error, "L'essai n'a pas pu être demandé : réessayez.");
    return;
  }
  $("webhooks-status").textContent = `Essai pour le webhook ${nameOf(w)} en attente d'envoi `
    + `(envoi n° ${queued.id}) : son résultat s'affichera ici et dans la section « Envois ».`;
  document.dispatchEvent(new CustomEvent("beffroi:notifications"));  // (send-log.js)
  followTest(w, queued.id);
}

/** Say how the test delivery `id` went, once the sending job has tried it. */
async function followTest(w, id) {
  for (let i = 0; i < TEST_POLL_TIMES; i += 1) {
    await pause(TEST_POLL_MS);
    let row;
    try {
      row = await notification(id);
    } catch {
      return;  // (the network is down: the send log will tell)
    }
    if (!row || (row.status === "pending" && !row.error)) continue;
    $("webhooks-status").textContent = row.status === "sent"
      ? `Essai envoyé au webhook ${nameOf(w)} : le récepteur l'a accepté.`
      : `Essai pour le webhook ${nameOf(w)} en échec : ${row.error}${row.status === "pending"
        ? " Il sera retenté automatiquement." : ""}`;
    document.dispatchEvent(new CustomEvent("beffroi:notifications"));
    return;
  }
}

function onClick(event) {
  const target = event.target.closest("button[data-action]");
  if (!target) return;
  const w = webhooks.find((x) => String(x.id) === target.closest("li").dataset.id);
  if (!w) return;
  $("webhooks-errors").hidden = true;
  const action = target.dataset.action;
  if (action === "edit") edit(w);
  else if (action === "toggle") whileSending(target, () => toggle(w));
  else if (action === "test") whileSending(target, () => sendTest(w));
  else if (action === "delete") whileSending(target, () => remove(w));
}

/** Show the webhooks of the page's tenant (`ctx` from `session()`); admins only. */
export async function initWebhooks({ tenant }) {
  tenantPath = `/tenants/${tenant.id}`;
  timeZone = tenant.settings.timezone || TIME_ZONE;
  $("webhook-form").addEventListener("submit", submit);
  $("webhook-cancel").addEventListener("click", () => {
    fillForm(null);
    $("webhook-form-title").focus();
  });
  $("webhooks").addEventListener("click", onClick);
  $("copy-webhook-secret").addEventListener("click", copySecret);
  $("hide-webhook-secret").addEventListener("click", () => {
    hideSecret();
    $("webhooks-title").focus();
  });
  const domains = await api("/domains");
  for (const d of domains) domainLabels[d.key] = d.label;
  $("webhook-domain-list").innerHTML = domains
    .map((d) => [d.key, d.label]).sort((a, b) => a[1].localeCompare(b[1], "fr"))
    .map(([key, label]) => `<label><input type="checkbox" name="domains"
      value="${escapeHtml(key)}"> ${escapeHtml(label)}</label>`).join("");
  await load();
}
