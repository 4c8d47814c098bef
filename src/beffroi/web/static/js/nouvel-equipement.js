// « Nouvel équipement »: one asset created from a form — its kind (by domain), reference,
// name, commune, position (a point: fields, or a click on the map) and the properties its
// kind declares — then its page. A kind placed by another geometry only (a polygon…) is
// created by import. One POST …/assets; the API's refusals beside their fields.
/* global L */
import {
  api, ApiError, canWrite, clearFieldErrors, escapeHtml, formatNumber, renderHeader, roleIn,
  session, showError, whileSending,
} from "/static/js/common.js";
import {
  geometryLabel, identityHtml, positionHtml, propertiesHtml, readPoint, readProperties,
  setPoint, showErrors, takesPoint,
} from "/static/js/asset-form.js";
import { boundaryLayers, territoryMap } from "/static/js/territory-map.js";

const $ = (id) => document.getElementById(id);
let base = "", kinds = {}, communes = [], config = {};
let map = null, marker = null;

function kindOptions(domains) {
  const groups = domains.filter((d) => d.asset_kinds.length).map((d) => `<optgroup label="${
    escapeHtml(d.label)}">${d.asset_kinds.map((k) => `<option value="${escapeHtml(k.key)}">${
    escapeHtml(k.label)}</option>`).join("")}</optgroup>`);
  return `<option value="">— choisir —</option>${groups.join("")}`;
}

/** The map of the territory (its basemap when there is one, the communes' outlines); a
 * click places the point and fills the fields. */
function showMap() {
  if (map) {
    map.invalidateSize();
    return;
  }
  map = territoryMap("create-map", config, { scrollWheelZoom: false });
  const outlines = Object.values(boundaryLayers(communes));
  for (const layer of outlines) layer.addTo(map);
  const bounds = outlines.length ? L.featureGroup(outlines).getBounds() : null;
  if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
  else map.setView([46.6, 2.4], 5);
  map.on("click", (event) => {
    const { lat, lng } = event.latlng;
    setPoint(lng, lat);
    placeMarker();
    $("create-status").textContent = "Point placé sur la carte : "
      + `longitude ${formatNumber(lng, 6)}, latitude ${formatNumber(lat, 6)}.`;
  });
}

/** The point typed in the fields, on the map when it reads as one. */
function placeMarker() {
  let point;
  try {
    point = readPoint();
  } catch {
    return;
  }
  const [lon, lat] = point ? point.coordinates : [];
  if (typeof lon !== "number" || typeof lat !== "number" || Math.abs(lon) > 180
      || Math.abs(lat) > 90) {
    return;
  }
  if (!marker) {
    marker = L.circleMarker([lat, lon], { radius: 9, color: "#000091", weight: 3,
      fillColor: "#6a6af4", fillOpacity: 0.8, interactive: false, className: "placed-point" })
      .addTo(map);
  } else {
    marker.setLatLng([lat, lon]);
  }
  if (!map.getBounds().contains([lat, lon])) map.panTo([lat, lon]);
}

/** The form for the chosen kind: its position and properties, or why it is created by
 * import. What was typed in the name, commune and reference stays. */
function showKind() {
  const kind = kinds[$("asset-kind").value] || null;
  const note = $("kind-note");
  const byImport = Boolean(kind) && kind.geometry_required && !takesPoint(kind);
  note.hidden = !byImport;
  note.innerHTML = byImport ? `<p>« ${escapeHtml(kind.label)} » : géométrie de type ${
    escapeHtml(kind.geometry_types.map(geometryLabel).join(" ou "))} obligatoire, à créer par
    import (page Administration, « Import de l'inventaire ») ou par l'API.</p>` : "";
  const usable = Boolean(kind) && !byImport;
  $("identity-fields").hidden = byImport;
  $("position-part").hidden = !usable;
  $("properties-part").hidden = !usable;
  $("create-submit").hidden = !usable;
  if (!usable) return;
  const typed = $("asset-lon") ? [$("asset-lon").value, $("asset-lat").value] : null;
  $("create-position").innerHTML = positionHtml(kind, null, { mapHint: true, creating: true });
  $("create-properties").innerHTML = propertiesHtml(kind, {});
  $("create-map").hidden = !takesPoint(kind);
  if (takesPoint(kind)) {
    if (typed) [$("asset-lon").value, $("asset-lat").value] = typed;
    for (const id of ["asset-lon", "asset-lat"]) $(id).addEventListener("input", placeMarker);
    showMap();
  }
}

async function create() {
  const form = $("create-form");
  const summary = $("create-errors");
  clearFieldErrors(form, summary);
  $("create-status").textContent = "";
  const kind = kinds[$("asset-kind").value] || null;
  const body = { kind: $("asset-kind").value, ref: $("asset-ref").value.trim(),
    name: $("asset-name").value.trim(), commune: $("asset-commune").value || null };
  if (!body.name) delete body.name;  // (the reference then)
  try {
    const point = readPoint();
    if (point) body.geometry = point;
  } catch (error) {
    showErrors(form, summary, error);
    return;
  }
  if (kind) body.properties = readProperties(kind);
  let created;
  try {
    created = await api(`${base}/assets`, { method: "POST", body });
  } catch (error) {
    showErrors(form, summary, error, { conflictField: "ref" });
    return;
  }
  location.assign(`/equipements/${created.id}`);
}

async function main() {
  const ctx = await session();
  renderHeader("carte", ctx);
  const { tenant, me } = ctx;
  if (!tenant) {
    showError(new ApiError(0, { detail: "Aucun territoire n'est rattaché à votre compte." }));
    return;
  }
  if (!canWrite(roleIn(me, tenant.id))) {
    $("read-only").hidden = false;
    return;
  }
  base = `/tenants/${tenant.id}`;
  let domains;
  [domains, communes, config] = await Promise.all([
    api("/domains"), api(`${base}/communes`), api("/map/config").catch(() => ({})),
  ]);
  kinds = Object.fromEntries(domains.flatMap((d) => d.asset_kinds.map((k) => [k.key, k])));
  $("asset-kind").innerHTML = kindOptions(domains);
  $("create-identity").innerHTML = identityHtml({ communes });
  $("asset-kind").addEventListener("change", showKind);
  const form = $("create-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    whileSending($("create-submit"), create);
  });
  $("creation").hidden = false;
  document.body.dataset.ready = "1";
}

main().catch((error) => showError(error));
