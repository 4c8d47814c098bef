// « Mon compte »: the signed-in person's password (POST /me/password), personal API tokens
// (/me/tokens) and e-mail alert subscriptions in the current territory
// (/tenants/{t}/subscriptions).
import {
  api, ApiError, clearFieldErrors, copyField, errorText, escapeHtml, renderHeader, session,
  SEVERITY_LABELS, whileSending,
} from "/static/js/common.js";
import { formatDate, formatDateTime } from "/static/js/dates.js";

const $ = (id) => document.getElementById(id);
const MIN_LENGTH = 8;
const MAX_DAYS = 365;

const state = await session();
renderHeader("compte", state);
const { me, tenant } = state;
$("identity").textContent = me.name && me.name !== me.email ? `${me.name} — ${me.email}` : me.email;

// -- a form's errors ---------------------------------------------------------------------

/** The errors of `form`: a summary in its alert (`summary`, role="alert"); each message next
 * to its field (`fields`: API field name -> id of the input or fieldset), the input marked
 * (aria-invalid) and described by the message (its aria-describedby, in the page, names the
 * `<id>-error` paragraph), focus on the first field at fault (RGAA 11.10). */
function formErrors(form, summary, fields) {
  function clear() {
    clearFieldErrors(form, summary);
  }
  /** `faults`: [[field, message]]; a fault of no field of the form goes in the summary. */
  function show(text, faults = []) {
    clear();
    const elsewhere = [];
    let first = null;
    for (const [field, message] of faults) {
      const target = fields[field] && $(fields[field]);
      if (!target) {
        elsewhere.push(message);
        continue;
      }
      $(`${target.id}-error`).textContent = message;
      if (target.tagName === "FIELDSET") {
        first ||= target.querySelector("input");
      } else {
        target.setAttribute("aria-invalid", "true");
        first ||= target;
      }
    }
    summary.textContent = [text, ...elsewhere].join(" ");
    summary.hidden = false;
    if (first) first.focus();
  }
  /** An API error: its detail in the summary, each field's message by its field. */
  function showApi(error, fallback) {
    const errors = (error instanceof ApiError && error.problem.errors) || [];
    show(errorText(error, fallback), errors.map(({ field, message }) => [field, message]));
  }
  return { clear, show, showApi };
}

// -- password -----------------------------------------------------------------------------

const NOT_CHANGED = "Le mot de passe n'a pas été changé.";
const passwordForm = $("password-form");
const passwordErrors = formErrors(passwordForm, $("password-errors"), {
  current_password: "current-password", new_password: "new-password",
  confirmation: "confirmation" });

/** What the form itself can tell before sending: [field, message] or null. */
function passwordFault(current, next, confirmation) {
  if (!current) return ["current_password", "Saisissez votre mot de passe actuel."];
  if (next.length < MIN_LENGTH) {
    return ["new_password", `Mot de passe trop court : ${MIN_LENGTH} caractères au moins.`];
  }
  if (next === current) {
    return ["new_password", "Le nouveau mot de passe doit être différent du mot de passe actuel."];
  }
  if (next !== confirmation) {
    return ["confirmation", "Les deux mots de passe ne sont pas identiques."];
  }
  return null;
}

passwordForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  $("password-status").textContent = "";
  const current = passwordForm.current_password.value;
  const next = passwordForm.new_password.value;
  const fault = passwordFault(current, next, passwordForm.confirmation.value);
  if (fault) {
    passwordErrors.show(NOT_CHANGED, [fault]);
    return;
  }
  passwordErrors.clear();
  await whileSending(passwordForm.querySelector('button[type="submit"]'), async () => {
    try {
      const answer = await api("/me/password", { method: "POST",
        body: { current_password: current, new_password: next } });
      passwordForm.reset();
      $("password-status").textContent = answer.detail;
    } catch (error) {
      // A field at fault: the API's sentence next to it (« Mot de passe actuel incorrect. »),
      // the alert saying only that nothing changed (not the same words twice); otherwise
      // (too many attempts, network) the API's sentence in the alert.
      const errors = (error instanceof ApiError && error.problem.errors) || [];
      const text = errorText(error, `${NOT_CHANGED} Réessayez.`);
      if (errors.length === 1) passwordErrors.show(NOT_CHANGED, [[errors[0].field, text]]);
      else passwordErrors.show(text, errors.map(({ field, message }) => [field, message]));
    }
  });
});

// -- personal API tokens ------------------------------------------------------------------

const tokenForm = $("token-form");
const tokenErrors = formErrors(tokenForm, $("tokens-errors"), {
  name: "token-name", expires_in_days: "token-days" });

function tokenRow(t) {
  const name = escapeHtml(t.name || "sans nom");
  return `<tr${t.expired ? ' class="expired"' : ""}>
    <td>${name}</td>
    <td>${formatDate(t.created_at)}</td>
    <td>${t.expired ? `expiré le ${formatDate(t.expires_at)}` : formatDate(t.expires_at)}</td>
    <td>${t.last_used_at ? formatDateTime(t.last_used_at) : "jamais"}</td>
    <td class="actions"><button type="button" class="button secondary" data-revoke="${t.id}"
      data-name="${name}">Révoquer<span class="visually-hidden"> le jeton ${name}</span></button></td>
  </tr>`;
}

async function loadTokens() {
  const tokens = await api("/me/tokens");
  $("tokens").innerHTML = tokens.length ? `<table>
      <caption class="visually-hidden">Vos jetons d'accès personnels</caption>
      <thead><tr><th scope="col">Nom</th><th scope="col">Créé le</th>
        <th scope="col">Expire le</th><th scope="col">Dernière utilisation</th>
        <th scope="col">Action</th></tr></thead>
      <tbody>${tokens.map(tokenRow).join("")}</tbody></table>`
    : '<p class="muted">Aucun jeton pour l\'instant.</p>';
  for (const button of $("tokens").querySelectorAll("button[data-revoke]")) {
    button.addEventListener("click", () => revokeToken(button));
  }
}

async function revokeToken(button) {
  const name = button.dataset.name;
  if (!window.confirm(`Révoquer le jeton « ${name} » ? Les scripts qui l'utilisent n'auront `
    + "plus accès à l'API.")) return;
  $("tokens-status").textContent = "";
  try {
    await api(`/me/tokens/${button.dataset.revoke}`, { method: "DELETE" });
    await loadTokens();  // the table first, then the announcement
    $("tokens-status").textContent = `Le jeton « ${name} » est révoqué.`;
  } catch (error) {
    tokenErrors.showApi(error, "La révocation n'a pas abouti : réessayez.");
  }
  $("tokens-title").focus();  // (the button is gone with the table)
}

/** [field, message] of what the form itself refuses, or null. */
function tokenFault(name, days) {
  if (!name) return ["name", "Nom du jeton obligatoire."];
  const n = Number(days);
  if (!/^\d+$/.test(days) || n < 1 || n > MAX_DAYS) {
    return ["expires_in_days", "Durée de validité invalide : un nombre entier de jours entre 1 "
      + `et ${MAX_DAYS} est attendu.`];
  }
  return null;
}

tokenForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  $("tokens-status").textContent = "";
  const name = tokenForm.elements.name.value.trim();
  const days = tokenForm.expires_in_days.value.trim();
  const fault = tokenFault(name, days);
  if (fault) {
    tokenErrors.show(fault[1], [fault]);
    return;
  }
  tokenErrors.clear();
  await whileSending(tokenForm.querySelector('button[type="submit"]'), async () => {
    let created;
    try {
      created = await api("/me/tokens", { method: "POST",
        body: { name, expires_in_days: Number(days) } });
    } catch (error) {
      tokenErrors.showApi(error, "Le jeton n'a pas été créé : réessayez.");
      return;
    }
    tokenForm.reset();
    showNewToken(created);
    await loadTokens().catch(() => {});
  });
});

function showNewToken(created) {
  $("new-token-title").textContent = `Votre nouveau jeton « ${created.name} »`;
  $("copy-status").textContent = "";
  const value = $("new-token-value");
  value.value = created.token;
  $("new-token").hidden = false;
  $("tokens-status").textContent = `Jeton « ${created.name} » créé ; il expire le `
    + `${formatDate(created.expires_at)}. Copiez-le maintenant : il ne sera plus affiché.`;
  value.focus();
  value.select();
}

$("copy-token").addEventListener("click", async () => {
  const copied = await copyField($("new-token-value"));
  $("copy-status").textContent = copied ? "Jeton copié dans le presse-papiers."
    : "Copie impossible : sélectionnez le jeton et copiez-le (Ctrl+C).";
});

$("hide-token").addEventListener("click", () => {
  $("new-token-value").value = "";
  $("copy-status").textContent = "";
  $("new-token").hidden = true;
  $("tokens-title").focus();
});

// -- e-mail alert subscriptions of the current territory -----------------------------------

const subscriptionForm = $("subscription-form");
const subscriptionErrors = formErrors(subscriptionForm, $("subscriptions-errors"), {
  domains: "subscription-domains", communes: "subscription-communes",
  min_severity: "subscription-severity", digest: "subscription-digest" });
const membership = tenant && (me.memberships || []).find((m) => m.tenant_id === tenant.id);
const restricted = Boolean(membership && membership.communes);
const base = tenant ? `/tenants/${tenant.id}` : "";
const domainLabels = {};
const communeNames = {};
let subscriptions = [];
let editing = null;  // the subscription being edited, or null for a new one

/** Names of codes, in French alphabetical order. */
const listText = (codes, names) => codes.map((code) => names[code] || code)
  .sort((a, b) => a.localeCompare(b, "fr")).join(", ");

function subscriptionItem(s, index) {
  const number = index + 1;
  const facts = [
    ["Domaines", s.domains ? listText(s.domains, domainLabels) : "tous les domaines"],
    ["Communes", s.communes ? listText(s.communes, communeNames)
      : restricted ? "toutes vos communes" : "toutes les communes"],
    ["À partir de", (SEVERITY_LABELS[s.min_severity] || s.min_severity).toLowerCase()],
    ["Envoi", s.digest ? "récapitulatif quotidien (les alertes critiques sur le moment)"
      : "immédiat"],
  ];
  return `<li>
    <h3 class="visually-hidden">Abonnement n° ${number}</h3>
    <dl>${facts.map(([term, text]) =>
      `<dt>${term}</dt><dd>${escapeHtml(text)}</dd>`).join("")}</dl>
    <div class="buttons">
      <button type="button" class="button secondary" data-edit="${s.id}">Modifier<span
        class="visually-hidden"> l'abonnement n° ${number}</span></button>
      <button type="button" class="button secondary" data-delete="${s.id}"
        data-number="${number}">Supprimer<span class="visually-hidden"> l'abonnement
        n° ${number}</span></button>
    </div></li>`;
}

async function loadSubscriptions() {
  // One's own only (a territory's administrator would otherwise get everyone's).
  subscriptions = (await api(`${base}/subscriptions`, { params: { user_id: me.id } }))
    .filter((s) => s.user_id === me.id);
  $("subscriptions").innerHTML = subscriptions.length
    ? `<ul class="subscription-list">${subscriptions.map(subscriptionItem).join("")}</ul>`
    : "<p class=\"muted\">Vous ne recevez aucune alerte par courriel dans ce territoire.</p>";
  for (const button of $("subscriptions").querySelectorAll("button[data-edit]")) {
    button.addEventListener("click", () => edit(Number(button.dataset.edit)));
  }
  for (const button of $("subscriptions").querySelectorAll("button[data-delete]")) {
    button.addEventListener("click", () => remove(button));
  }
}

function checkboxes(name, entries) {
  return entries.map(([value, label]) => `<label><input type="checkbox" name="${name}"
    value="${escapeHtml(value)}"> ${escapeHtml(label)}</label>`).join("");
}

const checked = (name) => [...subscriptionForm.querySelectorAll(
  `input[name="${name}"]:checked`)].map((input) => input.value);

/** The form back to a new subscription (or filled with `s`, to edit it). */
function fillForm(s) {
  editing = s || null;
  subscriptionErrors.clear();
  for (const input of subscriptionForm.querySelectorAll('input[type="checkbox"]')) {
    const wanted = s && (input.name === "domains" ? s.domains : s.communes);
    input.checked = Boolean(wanted && wanted.includes(input.value));
  }
  subscriptionForm.min_severity.value = s ? s.min_severity : "warning";
  for (const radio of subscriptionForm.querySelectorAll('input[name="digest"]')) {
    radio.checked = radio.value === String(Boolean(s && s.digest));
  }
  const number = s ? subscriptions.indexOf(s) + 1 : null;
  $("subscription-form-title").textContent = s ? `Modifier l'abonnement n° ${number}`
    : "Nouvel abonnement";
  $("subscription-submit").textContent = s ? "Enregistrer les modifications"
    : "Ajouter l'abonnement";
  $("subscription-cancel").hidden = !s;
}

function edit(id) {
  const s = subscriptions.find((x) => x.id === id);
  if (!s) return;
  $("subscriptions-status").textContent = "";
  fillForm(s);
  $("subscription-form-title").focus();
}

async function remove(button) {
  const number = button.dataset.number;
  if (!window.confirm(`Supprimer l'abonnement n° ${number} ? Vous ne recevrez plus ces `
    + "alertes par courriel.")) return;
  const id = Number(button.dataset.delete);
  $("subscriptions-status").textContent = "";
  try {
    await api(`${base}/subscriptions/${id}`, { method: "DELETE" });
    if (editing && editing.id === id) fillForm(null);
    await loadSubscriptions();
    $("subscriptions-status").textContent = `L'abonnement n° ${number} est supprimé.`;
  } catch (error) {
    subscriptionErrors.showApi(error, "La suppression n'a pas abouti : réessayez.");
  }
  $("subscriptions-title").focus();  // (the button is gone with the list)
}

subscriptionForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  $("subscriptions-status").textContent = "";
  subscriptionErrors.clear();
  const domains = checked("domains");
  const communes = checked("communes");
  const body = {
    domains: domains.length ? domains : null, communes: communes.length ? communes : null,
    min_severity: subscriptionForm.min_severity.value,
    digest: subscriptionForm.querySelector('input[name="digest"]:checked').value === "true",
  };
  const wasEditing = editing;
  await whileSending($("subscription-submit"), async () => {
    try {
      await api(wasEditing ? `${base}/subscriptions/${wasEditing.id}` : `${base}/subscriptions`,
        { method: wasEditing ? "PATCH" : "POST", body });
    } catch (error) {
      subscriptionErrors.showApi(error, "L'abonnement n'a pas été enregistré : réessayez.");
      return;
    }
    fillForm(null);
    await loadSubscriptions().catch(() => {});
    $("subscriptions-status").textContent = wasEditing ? "Abonnement modifié."
      : "Abonnement ajouté : vous recevrez ces alertes par courriel.";
  });
});

$("subscription-cancel").addEventListener("click", () => {
  fillForm(null);
  $("subscription-form-title").focus();
});

async function startSubscriptions() {
  const intro = $("subscriptions-intro");
  if (!tenant) {
    intro.textContent = "Aucun territoire n'est rattaché à votre compte : pas d'abonnement "
      + "possible.";
    return;
  }
  if (!membership) {
    intro.textContent = `Les abonnements aux alertes sont réservés aux membres du territoire : `
      + `vous n'êtes pas membre de ${tenant.name}.`;
    return;
  }
  intro.textContent = `Choisissez les alertes de ${tenant.name} que vous recevez par courriel.`
    + (state.tenants.length > 1 ? " Pour un autre territoire, choisissez-le dans l'en-tête." : "")
    + (restricted ? " Votre accès est limité à certaines communes : seules celles-ci vous sont "
      + "proposées, et vous n'êtes jamais prévenu(e) des alertes des autres." : "");
  const [domains, communes] = await Promise.all([
    api("/domains"), api(`${base}/communes`, { params: { boundaries: false } })]);
  for (const d of domains) domainLabels[d.key] = d.label;
  const allowed = communes.filter((c) => !restricted || membership.communes.includes(c.insee));
  for (const c of communes) communeNames[c.insee] = c.name;
  $("subscription-domain-list").innerHTML = checkboxes("domains", domains
    .map((d) => [d.key, d.label]).sort((a, b) => a[1].localeCompare(b[1], "fr")));
  $("subscription-commune-list").innerHTML = checkboxes("communes",
    allowed.map((c) => [c.insee, `${c.name} (${c.insee})`]));
  if (restricted) {
    $("subscription-communes-legend").textContent = "Communes (aucune cochée : toutes vos communes)";
  }
  await loadSubscriptions();
  $("subscriptions-body").hidden = false;
}

const failed = (where) => (error) => {
  where.textContent = errorText(error);
  where.hidden = false;
};
loadTokens().catch(failed($("tokens-errors")));
startSubscriptions().catch(failed($("subscriptions-errors")));
