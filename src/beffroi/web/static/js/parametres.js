// Paramètres du territoire: every setting of the territory, one form per group (core's, then
// each domain's), generated from GET …/settings/schema — a domain that declares a setting
// gets its field here with no change to this page. Each form sends only its changed keys in
// one PATCH …/tenants/{t} (all or nothing); the API's errors are shown beside their fields.
import {
  api, ApiError, clearFieldErrors, errorText, escapeHtml, renderHeader, session, showError,
  unitSymbol, whileSending,
} from "/static/js/common.js";
import {
  boundsText, controlHtml, fieldId, readField, same, shown, valueText,
} from "/static/js/property-form.js";

const $ = (id) => document.getElementById(id);
let tenantPath = "";
let groups = [];  // the schema's groups, as the server last answered
let canEdit = false;

/** An object or list without a fixed shape, read-only: nested definition lists. */
function structureHtml(value) {
  if (Array.isArray(value)) {
    return value.length ? `<ul class="setting-structure">${value.map(
      (v) => `<li>${structureHtml(v)}</li>`).join("")}</ul>` : "aucun";
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    return entries.length ? `<dl class="setting-structure">${entries.map(([k, v]) =>
      `<dt>${escapeHtml(k)}</dt><dd>${structureHtml(v)}</dd>`).join("")}</dl>` : "aucune entrée";
  }
  if (typeof value === "number") return escapeHtml(shown.format(value));
  return escapeHtml(value === null ? "—" : String(value));
}

/** Entries declared field by field (a list of them, or one per key), read-only: a table
 * with the fields' labels and units. */
function entriesHtml(setting, value) {
  const fields = setting.entry_fields;
  const cell = (f, v) => `<td>${escapeHtml(v === null || v === undefined ? "—"
    : valueText({ ...f, unit: null }, v))}</td>`;
  const head = fields.map((f) => `<th scope="col">${escapeHtml(f.label)}${
    unitSymbol(f.unit) ? ` (${escapeHtml(unitSymbol(f.unit))})` : ""}</th>`);
  let rows;
  if (Array.isArray(value)) {
    rows = value.map((e) => `<tr>${fields.map((f) => cell(f, (e || {})[f.key])).join("")}</tr>`);
  } else {
    head.unshift(`<th scope="col">${escapeHtml(setting.entry_label || "Clé")}</th>`);
    rows = Object.entries(value || {}).map(([key, e]) => `<tr><th scope="row">${
      escapeHtml((setting.key_labels || {})[key] || key)}</th>${fields.map((f) => cell(f, (e || {})[f.key])).join("")}</tr>`);
  }
  if (!rows.length) return "aucune entrée";
  return `<table><caption class="visually-hidden">${escapeHtml(setting.label)}</caption>
    <thead><tr>${head.join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** A value the form cannot edit, read-only. */
function readOnlyHtml(setting, value) {
  return setting.entry_fields.length && value && typeof value === "object"
    ? entriesHtml(setting, value) : structureHtml(value);
}

// -- one field ---------------------------------------------------------------------------
function defaultHtml(setting) {
  let value;
  if (setting.editable || setting.default === null || typeof setting.default !== "object") {
    value = escapeHtml(valueText(setting, setting.default));
  } else {
    value = setting.own ? `<code>${escapeHtml(JSON.stringify(setting.default))}</code>`
      : "celle affichée";
  }
  let text = `Valeur par défaut : ${value}`;
  if (setting.source) text += ` — source : ${escapeHtml(setting.source.replace(/\.$/, ""))}`;
  if (!setting.verified) text += ' ; <em class="to-check">à vérifier</em>';
  return text + ".";
}

/** The texts that describe a field (its aria-describedby): help, bounds, format, what an
 * empty field means, the default and its source, whether the value is the territory's. */
function hintHtml(setting, textInput) {
  const id = fieldId(setting.key);
  const lines = [setting.help, boundsText(setting),
    setting.pattern_hint ? `Format : ${setting.pattern_hint}.` : "",
    textInput && setting.empty ? `Laisser vide : ${setting.empty}.` : ""]
    .filter(Boolean).map((t) => escapeHtml(t));
  lines.push(defaultHtml(setting));
  const origin = setting.own
    ? '<span class="badge info">Valeur du territoire</span>'
    : '<span class="badge silent">Valeur par défaut</span>';
  return `<p class="setting-hint" id="${id}-hint">${lines.join(" ")}</p>
    <p class="setting-origin" id="${id}-origin">${origin}</p>`;
}

function described(id) {
  return `aria-describedby="${id}-hint ${id}-origin ${id}-error"`;
}

function resetButton(setting) {
  if (!setting.declared || !setting.own) return "";
  return `<button type="button" class="button secondary setting-reset"
    data-reset="${escapeHtml(setting.key)}">Revenir à la valeur par défaut<span
    class="visually-hidden"> : ${escapeHtml(setting.label)}</span></button>`;
}

/** One setting of a form: its control, texts, error slot and « Revenir à la valeur par
 * défaut »; an object the form cannot edit is shown with how to change it (the API). */
function settingHtml(setting) {
  const id = fieldId(setting.key);
  const textInput = ["number", "integer", "string"].includes(setting.type);
  const body = setting.editable
    ? controlHtml(setting, setting.value, { describedBy: `${id}-hint ${id}-origin ${id}-error` })
    : `<p class="setting-label" id="${id}-label">${escapeHtml(setting.label)}</p>
      <div class="setting-readonly" role="group" tabindex="0" aria-labelledby="${id}-label"
        ${described(id)} data-field="${escapeHtml(setting.key)}">${readOnlyHtml(setting, setting.value)}</div>
      <p class="muted">Modifiable par l'API : <code>PATCH /api/v1${escapeHtml(tenantPath)}</code>
        avec <code>{"settings": {"${escapeHtml(setting.key)}": …}}</code>.</p>`;
  return `<div class="setting" id="${id}-box" data-key="${escapeHtml(setting.key)}">${body}
    <p class="field-error" id="${id}-error"></p>
    ${hintHtml(setting, textInput && setting.editable)}
    ${resetButton(setting)}</div>`;
}

// -- a group's form ----------------------------------------------------------------------
function groupOf(key) {
  return groups.find((g) => g.key === key);
}

function groupHtml(group) {
  const id = `g-${fieldId(group.key)}`;
  if (!canEdit) {
    return `<section class="settings-group" aria-labelledby="${id}-title">
      <h2 id="${id}-title">${escapeHtml(group.label)}</h2>
      <dl class="props settings-values">${group.settings.map((s) => `
        <dt>${escapeHtml(s.label)}</dt>
        <dd>${s.editable ? escapeHtml(valueText(s, s.value))
          : `<div class="setting-readonly" role="group" tabindex="0" aria-label="${
            escapeHtml(s.label)}">${readOnlyHtml(s, s.value)}</div>`}
          <span class="badge ${s.own ? "info" : "silent"}">${s.own ? "valeur du territoire"
            : "valeur par défaut"}</span></dd>`).join("")}</dl></section>`;
  }
  return `<form class="settings-group" id="${id}" data-group="${escapeHtml(group.key)}" novalidate>
    <fieldset><legend><h2 id="${id}-title">${escapeHtml(group.label)}</h2></legend>
      <div id="${id}-errors" role="alert" class="notice" tabindex="-1" hidden></div>
      <div class="settings-list" id="${id}-fields">${group.settings.map(settingHtml).join("")}</div>
    </fieldset>
    <div id="${id}-status" role="status" class="status-line"></div>
    <button type="submit" class="button">Enregistrer<span class="visually-hidden"> :
      ${escapeHtml(group.label)}</span></button>
  </form>`;
}

function clearErrors(form) {
  clearFieldErrors(form, form.querySelector('[role="alert"]'));
}

/** The element of an error's field: its own (« working_hours.end »), else that of the
 * setting it is inside (« impact.trips_by_action.lighting.switch »). */
function fieldOf(form, name) {
  for (let key = name; key; key = key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "") {
    const el = form.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (el) return el;
  }
  return null;
}

/** The name of a field as its label or legend says it (« Début », « Prix de l'eau »). */
function labelOf(where) {
  const named = where.matches("input, select") ? document.querySelector(`label[for="${where.id}"]`)
    : where.matches("fieldset") ? where.querySelector("legend")
      : $(`${fieldId(where.dataset.field)}-label`);
  return named ? named.textContent.replace(/\s+/g, " ").trim() : "";
}

/** The API's refusal: its message in the form's alert, each field's message beside it
 * (aria-invalid), the focus on the first field at fault; what was typed stays. */
function showErrors(form, error) {
  const box = form.querySelector('[role="alert"]');
  const errors = (error instanceof ApiError && error.problem.errors) || [];
  const items = [];
  let first = null;
  for (const { field, message } of errors) {
    const where = fieldOf(form, field);
    const label = where ? labelOf(where) : "";
    items.push(`<li>${escapeHtml(label && !message.startsWith(label)
      ? `${label} : ${message}` : message)}</li>`);
    if (!where) continue;
    const slot = $(`${where.id}-error`) || $(`${fieldId(where.dataset.field)}-error`);
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent} ; ${message}` : message;
    const inputs = where.matches("input, select") ? [where]
      : [...where.querySelectorAll("input, select")];
    for (const input of inputs) input.setAttribute("aria-invalid", "true");
    first ||= inputs[0] || null;
  }
  // (a network failure says itself that nothing was saved)
  const nothing = error instanceof ApiError && error.status === 0 ? ""
    : " Rien n'a été enregistré dans ce groupe.";
  box.innerHTML = `<p>${escapeHtml(errorText(error, "L'enregistrement n'a pas abouti."))}${
    nothing}</p>${items.length ? `<ul>${items.join("")}</ul>` : ""}`;
  box.hidden = false;
  (first || box).focus();
}

async function reload() {
  const schema = await api(`${tenantPath}/settings/schema`);
  groups = schema.groups;
}

function renderFields(group) {
  $(`g-${fieldId(group.key)}-fields`).innerHTML = group.settings.map(settingHtml).join("");
}

async function save(form) {
  const group = groupOf(form.dataset.group);
  const status = form.querySelector('[role="status"]');
  clearErrors(form);
  status.textContent = "";
  const changes = {};
  for (const setting of group.settings.filter((s) => s.editable)) {
    const value = readField(setting);
    if (!same(setting, value, setting.value)) changes[setting.key] = value;
  }
  const keys = Object.keys(changes);
  if (!keys.length) {
    status.textContent = "Aucune modification à enregistrer dans ce groupe.";
    return;
  }
  try {
    await api(tenantPath, { method: "PATCH", body: { settings: changes } });
  } catch (error) {
    showErrors(form, error);
    return;
  }
  try {
    await reload();
  } catch (error) {
    showError(error);
    return;
  }
  const fresh = groupOf(group.key);
  renderFields(fresh);
  const done = keys.map((key) => {
    const setting = fresh.settings.find((s) => s.key === key);
    return `${setting.label} : ${valueText(setting, setting.value)}`;
  });
  status.textContent = `Enregistré (${keys.length === 1 ? "1 paramètre"
    : `${keys.length} paramètres`}) — ${done.join(" ; ")}.`;
}

async function resetToDefault(button) {
  const form = button.closest("form");
  const key = button.dataset.reset;
  const status = form.querySelector('[role="status"]');
  clearErrors(form);
  status.textContent = "";
  try {
    await api(tenantPath, { method: "PATCH", body: { settings: { [key]: null } } });
    await reload();
  } catch (error) {
    showErrors(form, error);
    return;
  }
  const setting = groupOf(form.dataset.group).settings.find((s) => s.key === key);
  const box = $(`${fieldId(key)}-box`);
  box.outerHTML = settingHtml(setting);
  const target = $(`${fieldId(key)}-box`).querySelector("input, select, [role='group']");
  if (target) target.focus();
  status.textContent = `${setting.label} : revenu à la valeur par défaut (${
    valueText(setting, setting.default)}).`;
}

// -- page --------------------------------------------------------------------------------
function render() {
  $("toc").innerHTML = groups.map((g) => `<li><a href="#g-${fieldId(g.key)}-title">${
    escapeHtml(g.label)}</a></li>`).join("");
  $("groups").innerHTML = groups.map(groupHtml).join("");
  $("read-only").hidden = canEdit;
  $("intro").hidden = !canEdit;
  for (const form of $("groups").querySelectorAll("form")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      whileSending(form.querySelector('button[type="submit"]'), () => save(form));
    });
    form.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-reset]");
      if (button) whileSending(button, () => resetToDefault(button));
    });
  }
}

async function main() {
  const ctx = await session();
  renderHeader("parametres", ctx);
  const { tenant } = ctx;
  if (!tenant) {
    showError(new ApiError(0, { detail: "Aucun territoire n'est rattaché à votre compte." }));
    return;
  }
  tenantPath = `/tenants/${tenant.id}`;
  $("title").textContent = `Paramètres du territoire — ${tenant.name}`;
  document.title = `Paramètres du territoire — ${tenant.name} — Beffroi`;
  let schema;
  try {
    schema = await api(`${tenantPath}/settings/schema`);
  } catch (error) {
    showError(error);
    return;
  }
  groups = schema.groups;
  canEdit = schema.can_edit;
  render();
  $("settings").hidden = false;
}

main();
