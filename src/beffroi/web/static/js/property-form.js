// One field of a form from a declared property (a territory's setting, an asset's property):
// its control, how what is typed is read back, and how two values compare. A field is
// {key, type, label, unit, minimum, maximum, choices: [{value, label, group}], fields,
// required}; the types are those of the properties (string, number, integer, boolean,
// date, enum), ``time`` (HH:MM), ``list`` (a set of ticked choices) and ``object`` (fixed
// fields). Used by the settings page and the asset's edit and creation forms.
import { escapeHtml, parseNumber, unitSymbol } from "/static/js/common.js";

// Digits grouped from 10 000 only (a year stays « 2019 »), decimal comma.
export const shown = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 10, useGrouping: "min2" });
const typed = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 20, useGrouping: false });

/** The id of a field's control (``prefix`` keeps two forms of one page apart). */
export const fieldId = (key, prefix = "p-") => prefix + key.replace(/[^A-Za-z0-9_-]/g, "-");
export const withUnit = (text, unit) => (unitSymbol(unit) ? `${text}\u00a0${unitSymbol(unit)}` : text);
const choiceLabel = (field, value) =>
  (field.choices.find((c) => c.value === value) || { label: String(value) }).label;

/** A value as text: « 0,25 €/kWh », « oui », « lundi, mardi », « aucune ». */
export function valueText(field, value) {
  if (value === null || value === undefined) return field.empty || "aucune";
  switch (field.type) {
    case "number": case "integer":
      return typeof value === "number" ? withUnit(shown.format(value), field.unit) : String(value);
    case "boolean": return value ? "oui" : "non";
    case "enum": return choiceLabel(field, value);
    case "list":
      if (!Array.isArray(value)) return String(value);
      return value.length ? value.map((v) => choiceLabel(field, v)).join(", ") : "aucun";
    case "object":
      if (field.fields.length) {
        return field.fields.map((f) => `${f.label} : ${valueText(f, value[f.key])}`).join(" ; ");
      }
      return JSON.stringify(value);
    default: return String(value);
  }
}

/** What is typed in a text field: a number when it reads as one (« 0,25 », « 1 440 »), the
 * text itself otherwise (the API refuses it with its own message), null when empty. */
export function parsed(field, text) {
  const raw = text.trim();
  if (raw === "") return null;
  if (field.type !== "number" && field.type !== "integer") return raw;
  return parseNumber(raw);
}

/** « De 0 à 2 000 W. », « Au moins 1 min. », "" without bounds. */
export function boundsText(field) {
  const [min, max] = [field.minimum, field.maximum].map(
    (v) => (v === null || v === undefined ? null : shown.format(v)));
  if (min !== null && max !== null) return `De ${min} à ${withUnit(max, field.unit)}.`;
  if (min !== null) return `Au moins ${withUnit(min, field.unit)}.`;
  if (max !== null) return `Au plus ${withUnit(max, field.unit)}.`;
  return "";
}

/** The control of a field (recursively for an object with fixed fields), with its label.
 * ``describedBy``: the ids of the texts that describe it, its error slot among them (the
 * caller places them); without it the control is followed by its own error slot. */
export function controlHtml(field, value, { prefix = "p-", describedBy = null } = {}) {
  const id = fieldId(field.key, prefix);
  const own = describedBy === null;
  const describedByAttr = `aria-describedby="${own ? `${id}-error` : describedBy}"`;
  const data = `data-field="${escapeHtml(field.key)}"`;
  const error = own ? `<p class="field-error" id="${id}-error"></p>` : "";
  const required = field.required ? ' aria-required="true"' : "";
  const mark = field.required ? " (obligatoire)" : "";
  if (field.type === "boolean") {
    return `<div class="setting-check"><input type="checkbox" id="${id}" ${data} ${describedByAttr}
      ${value ? "checked" : ""}><label for="${id}">${escapeHtml(field.label)}</label></div>${error}`;
  }
  if (field.type === "list") {
    const chosen = new Set(Array.isArray(value) ? value : []);
    const box = (c, n) => `<label class="setting-choice"><input type="checkbox"
      name="${id}" value="${escapeHtml(String(c.value))}" data-index="${n}"
      ${chosen.has(c.value) ? "checked" : ""}> ${escapeHtml(c.label)}</label>`;
    const sets = [];
    field.choices.forEach((c, n) => {
      const last = sets[sets.length - 1];
      if (last && last.group === (c.group || null)) last.items.push(box(c, n));
      else sets.push({ group: c.group || null, items: [box(c, n)] });
    });
    const boxes = sets.map((s) => (s.group ? `<fieldset class="choice-group">
      <legend>${escapeHtml(s.group)}</legend><div class="checkbox-list">${s.items.join("")}</div>
      </fieldset>` : `<div class="checkbox-list">${s.items.join("")}</div>`)).join("");
    return `<fieldset id="${id}" class="setting-set" ${data} ${describedByAttr}>
      <legend>${escapeHtml(field.label)}</legend>${boxes || '<p class="muted">Aucun choix.</p>'}
      </fieldset>${error}`;
  }
  if (field.type === "object") {
    return `<fieldset id="${id}" class="setting-set" ${data} ${describedByAttr}>
      <legend>${escapeHtml(field.label)}</legend>
      <div class="setting-fields">${field.fields.map((f) => `<div class="setting-sub">${controlHtml(
        { ...f, key: `${field.key}.${f.key}` }, (value || {})[f.key], { prefix })}</div>`).join("")}</div>
      </fieldset>${error}`;
  }
  const label = `<label for="${id}">${escapeHtml(field.label)}${field.unit && unitSymbol(field.unit)
    ? ` <span class="muted">(${escapeHtml(unitSymbol(field.unit))})</span>` : ""}${mark}</label>`;
  if (field.type === "enum") {
    const options = field.choices.map((c) => `<option value="${escapeHtml(c.value)}"${
      c.value === value ? " selected" : ""}>${escapeHtml(c.label)}</option>`);
    if (value === null || value === undefined) options.unshift('<option value="" selected>—</option>');
    else if (field.required === false) options.unshift('<option value="">—</option>');  // (to empty it)
    return `${label}<select id="${id}" ${data} ${describedByAttr}${required}>${options.join("")}</select>${error}`;
  }
  if (field.type === "time" || field.type === "date") {
    return `${label}<input type="${field.type}" id="${id}" ${data} ${describedByAttr}${required}
      value="${escapeHtml(value || "")}">${error}`;
  }
  const numeric = field.type === "number" || field.type === "integer";
  const text = value === null || value === undefined ? ""
    : numeric && typeof value === "number" ? typed.format(value) : String(value);
  return `${label}<input type="text" id="${id}" ${data} ${describedByAttr}${required} autocomplete="off"
    ${numeric ? `inputmode="${field.type === "integer" ? "numeric" : "decimal"}"` : ""}
    value="${escapeHtml(text)}">${error}`;
}

/** What a field's control holds now, as the API takes it (null: nothing). */
export function readField(field, { prefix = "p-", key = field.key } = {}) {
  const el = document.getElementById(fieldId(key, prefix));
  if (field.type === "boolean") return el.checked;
  if (field.type === "list") {
    const boxes = [...el.querySelectorAll('input[type="checkbox"]')];
    return boxes.filter((b) => b.checked).map((b) => field.choices[Number(b.dataset.index)].value);
  }
  if (field.type === "object") {
    return Object.fromEntries(field.fields.map((f) => [f.key,
      readField(f, { prefix, key: `${key}.${f.key}` })]));
  }
  if (["enum", "time", "date"].includes(field.type)) return el.value === "" ? null : el.value;
  return parsed(field, el.value);
}

/** A value in a stable form to compare: keys sorted, a set of choices in their order. */
function canonical(field, value) {
  if (value === null || value === undefined) return null;
  if (field.type === "list" && Array.isArray(value)) {
    const order = field.choices.map((c) => c.value);
    return [...value].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  }
  if (field.type === "object" && field.fields.length && typeof value === "object") {
    return Object.fromEntries(field.fields.map((f) => [f.key, canonical(f, value[f.key])]));
  }
  return value;
}

/** Whether two values of a field are the same (to send only what changed). */
export const same = (field, a, b) =>
  JSON.stringify(canonical(field, a)) === JSON.stringify(canonical(field, b));

/** The field of a property as its kind's JSON Schema declares it (GET /domains:
 * ``title``, ``x-unit``, ``x-enum-labels``, ``format: date``…); ``editable`` is false for
 * a value of complex type (an array, an object), which the form does not change. */
export function fieldFromSchema(key, spec, required = false) {
  const labels = spec["x-enum-labels"] || {};
  const type = spec.enum && spec.type === "string" ? "enum"
    : spec.format === "date" ? "date" : spec.type;
  return {
    key, type, label: spec.title || key, unit: spec["x-unit"] || null,
    minimum: spec.minimum ?? null, maximum: spec.maximum ?? null,
    choices: (spec.enum || []).map((v) => ({ value: v, label: labels[v] || v })),
    fields: [], required, display: spec["x-display"] || null,
    pattern: spec.pattern || null, hint: spec["x-pattern-hint"] || null,
    editable: ["string", "number", "integer", "boolean", "enum", "date"].includes(type),
  };
}
