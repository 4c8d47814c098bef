// The form of one asset — name, commune, position (a point), the properties its kind
// declares — to change an asset (its page, « Modifier ») and to create one (« Nouvel
// équipement »). Each property's field comes from property-form.js, built from the kind's
// JSON Schema (GET /domains); a value of complex type (a list of entries, an object) is
// shown read-only, changed by import or the API, and never sent. The API's refusals are
// shown beside their fields (aria-invalid, aria-describedby), what was typed stays.
import {
  ApiError, clearFieldErrors, errorText, escapeHtml, parseNumber,
} from "/static/js/common.js";
import {
  boundsText, controlHtml, fieldFromSchema, fieldId, readField, same,
} from "/static/js/property-form.js";

const PREFIX = "prop-";
const GEOMETRY_LABELS = { Point: "point", MultiPoint: "multipoint", LineString: "ligne",
  MultiLineString: "multiligne", Polygon: "polygone", MultiPolygon: "multipolygone" };
// Coordinates as typed: decimal comma, no grouping, to the 7th decimal (~1 cm).
const coordinate = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 7, useGrouping: false });
export const coordinateText = (value) => coordinate.format(value);

/** The fields of a kind's properties, in their declared order. */
export function kindFields(kind) {
  const schema = (kind && kind.schema) || { properties: {}, required: [] };
  return Object.entries(schema.properties || {}).map(([name, spec]) =>
    fieldFromSchema(name, spec, (schema.required || []).includes(name)));
}

/** Whether the kind's assets may be placed by a point (its position fields). */
export const takesPoint = (kind) => Boolean(kind) && kind.geometry_types.includes("Point");

export const geometryLabel = (type) => GEOMETRY_LABELS[type] || type;

/** One field's box: a slot for its API errors, found by the API's name of the field. */
function box(apiField, inner, extra = "") {
  return `<div class="field asset-field${extra}" data-api-field="${escapeHtml(apiField)}">${inner}</div>`;
}

const hint = (id, text) => (text ? `<p class="field-hint" id="${id}-hint">${escapeHtml(text)}</p>` : "");
const errorSlot = (id) => `<p class="field-error" id="${id}-error"></p>`;
const describedBy = (id, text) => (text ? `${id}-hint ${id}-error` : `${id}-error`);

/** Name and commune (a select of the territory's communes; « — » when none is set). */
export function identityHtml({ name = "", commune = null, communes = [] }) {
  const options = communes.map((c) => `<option value="${escapeHtml(c.insee)}"${
    c.insee === commune ? " selected" : ""}>${escapeHtml(c.name)} (${escapeHtml(c.insee)})</option>`);
  options.unshift(`<option value=""${commune ? "" : " selected"}>—</option>`);
  return box("name", `<label for="asset-name">Nom</label>
      <input type="text" id="asset-name" autocomplete="off" value="${escapeHtml(name)}"
        aria-describedby="asset-name-error">${errorSlot("asset-name")}`)
    + box("commune", `<label for="asset-commune">Commune</label>
      <select id="asset-commune" aria-describedby="asset-commune-error">${options.join("")}</select>
      ${errorSlot("asset-commune")}`);
}

/** The position: longitude and latitude fields for a kind placed by a point (``mapHint``:
 * the map next to it takes a click too); another geometry is left to import or the API. */
export function positionHtml(kind, geometry, { mapHint = true, creating = false } = {}) {
  if (!kind) return "";
  if (geometry && geometry.type !== "Point") {
    return box("geometry", `<p class="field-label">Position</p>
      <p class="muted">Géométrie de type ${escapeHtml(geometryLabel(geometry.type))} : modifiable
        par import ou par l'API.</p>${errorSlot("asset-position")}`);
  }
  if (!takesPoint(kind)) {
    const types = kind.geometry_types.map(geometryLabel).join(" ou ");
    return box("geometry", `<p class="field-label">Position</p>
      <p class="muted">Géométrie de type ${escapeHtml(types)} : à ajouter par import ou par
        l'API${kind.geometry_required ? "" : " (facultative)"}.</p>${errorSlot("asset-position")}`);
  }
  const [lon, lat] = geometry ? geometry.coordinates : [null, null];
  const text = (v) => (v === null || v === undefined ? "" : coordinateText(v));
  const help = `En degrés décimaux (WGS84), par exemple 6,591 et 48,017${
    mapHint ? " ; un clic sur la carte place le point" : ""}.${
    kind.geometry_required ? "" : creating ? " Facultative : laissée vide, l'équipement n'a pas "
      + "de position." : " Vider les deux champs retire la position."}`;
  return box("geometry", `<fieldset class="position-fields" id="asset-position"
      aria-describedby="asset-position-hint asset-position-error">
      <legend>Position${kind.geometry_required ? " (obligatoire)" : ""}</legend>
      <p class="field-hint" id="asset-position-hint">${escapeHtml(help)}</p>
      <div class="position-pair">
        <div class="field"><label for="asset-lon">Longitude</label>
          <input type="text" id="asset-lon" inputmode="decimal" autocomplete="off"
            value="${escapeHtml(text(lon))}" aria-describedby="asset-position-error"></div>
        <div class="field"><label for="asset-lat">Latitude</label>
          <input type="text" id="asset-lat" inputmode="decimal" autocomplete="off"
            value="${escapeHtml(text(lat))}" aria-describedby="asset-position-error"></div>
      </div>${errorSlot("asset-position")}</fieldset>`);
}

/** The properties of a kind, each with its field (values from ``properties``); a value the
 * form does not change is shown by ``readOnly(name, value, spec)`` (the asset page's own
 * rendering), or said to come by import when there is none. */
export function propertiesHtml(kind, properties = {}, { readOnly = null } = {}) {
  const specs = (kind && kind.schema.properties) || {};
  const html = kindFields(kind).map((field) => {
    const id = fieldId(field.key, PREFIX);
    const api = `properties.${field.key}`;
    if (!field.editable) {
      const value = properties[field.key];
      const shown = value === undefined || value === null ? '<p class="muted">Non renseigné.</p>'
        : `<div class="readonly-value">${readOnly ? readOnly(field.key, value, specs[field.key])
          : escapeHtml(JSON.stringify(value))}</div>`;
      return box(api, `<p class="field-label" id="${id}-label">${escapeHtml(field.label)}</p>
        ${shown}<p class="muted">Modifiable par import ou par l'API.</p>${errorSlot(id)}`,
      " readonly-property");
    }
    const text = [boundsText(field), field.pattern && field.type === "string"
      ? `Format : ${field.hint || "voir la documentation du type d'équipement"}.` : ""]
      .filter(Boolean).join(" ");
    return box(api, controlHtml(field, properties[field.key],
      { prefix: PREFIX, describedBy: describedBy(id, text) }) + hint(id, text) + errorSlot(id),
    field.type === "boolean" ? " check-field" : "");
  });
  // Properties the kind does not declare (kept as they came, by import or the API).
  const extra = Object.entries(properties).filter(([name]) => !(name in specs));
  if (extra.length) {
    html.push(`<div class="field readonly-property"><p class="field-label">Autres propriétés</p>
      <ul class="property-list">${extra.map(([name, value]) => `<li>${escapeHtml(name)} : ${
        readOnly ? readOnly(name, value) : escapeHtml(JSON.stringify(value))}</li>`).join("")}</ul>
      <p class="muted">Modifiables par import ou par l'API.</p></div>`);
  }
  return html.join("") || '<p class="muted">Ce type d\'équipement ne déclare aucune propriété.</p>';
}

/** What the property fields hold, as the API takes them: every changed value (``null``
 * for a field emptied, which removes the property) when ``before`` is given, else every
 * value filled in. An unticked box on a property never set stays unset. */
export function readProperties(kind, before = null) {
  const out = {};
  for (const field of kindFields(kind).filter((f) => f.editable)) {
    const value = readField(field, { prefix: PREFIX });
    if (before === null) {
      if (value !== null && !(field.type === "boolean" && value === false)) out[field.key] = value;
      continue;
    }
    const old = before[field.key] ?? null;
    if (field.type === "boolean" && value === false && old === null) continue;
    if (!same(field, value, old)) out[field.key] = value;
  }
  return out;
}

/** A position refused before sending, with its French reason. */
export class PositionError extends Error {}

/** The point typed in the position fields: a GeoJSON point, ``null`` when both are empty,
 * ``undefined`` when the form has no position fields. What is not a number goes as typed,
 * for the API to say what it expects. */
export function readPoint() {
  const lon = document.getElementById("asset-lon");
  const lat = document.getElementById("asset-lat");
  if (!lon || !lat) return undefined;
  const [x, y] = [lon.value.trim(), lat.value.trim()];
  if (!x && !y) return null;
  if (!x || !y) {
    throw new PositionError(`Renseignez aussi la ${x ? "latitude" : "longitude"}, ou videz `
      + "les deux champs pour ne pas donner de position.");
  }
  return { type: "Point", coordinates: [parseNumber(x), parseNumber(y)] };
}

/** Put a point in the position fields (a click on the map). */
export function setPoint(lon, lat) {
  document.getElementById("asset-lon").value = coordinateText(Number(lon.toFixed(6)));
  document.getElementById("asset-lat").value = coordinateText(Number(lat.toFixed(6)));
}

/** The box of an API error's field: « properties.floor_area_m2 », « properties.x[2].end »
 * → that property's; « geometry », « name »… → theirs. */
function boxOf(form, name) {
  const property = /^properties\.([^.[]+)/.exec(name);
  const keys = property ? [`properties.${property[1]}`] : [name.split(/[.[]/)[0]];
  for (const key of keys) {
    const found = form.querySelector(`[data-api-field="${CSS.escape(key)}"]`);
    if (found) return found;
  }
  return null;
}

/** The API's refusal (or a `PositionError`): each message beside its field, the field
 * marked (aria-invalid) and the first of the form focused; the others, and the summary, in the form's
 * alert ``summary``. ``conflictField``: where a 409 (a reference already used) goes. */
export function showErrors(form, summary, error, { conflictField = null } = {}) {
  clearFieldErrors(form, summary);
  let errors = (error instanceof ApiError && error.problem.errors) || [];
  if (error instanceof PositionError) errors = [{ field: "geometry", message: error.message }];
  if (error instanceof ApiError && error.status === 409 && conflictField && !errors.length) {
    errors = [{ field: conflictField, message: error.message }];
  }
  const loose = [];
  for (const { field, message } of errors) {
    const where = boxOf(form, field);
    const slot = where && where.querySelector(".field-error");
    if (!slot) {
      loose.push(message);
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent} ; ${message}` : message;
    const controls = [...where.querySelectorAll("input, select")];
    for (const control of controls) control.setAttribute("aria-invalid", "true");
  }
  const first = form.querySelector('[aria-invalid="true"]');  // the first in the form's order
  const head = error instanceof PositionError ? "Position incomplète : rien n'a été envoyé."
    : `${errorText(error, "L'enregistrement n'a pas abouti.")}${
      error instanceof ApiError && error.status === 0 ? "" : " Rien n'a été enregistré."}`;
  summary.innerHTML = `<p>${escapeHtml(head)}${errors.length - loose.length
    ? " Les champs à corriger sont signalés." : ""}</p>${loose.length
    ? `<ul>${loose.map((m) => `<li>${escapeHtml(m)}</li>`).join("")}</ul>` : ""}`;
  summary.hidden = false;
  (first || summary).focus();
}
