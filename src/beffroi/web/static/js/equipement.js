// Asset page: properties, position, latest values, one chart per stream over a chosen
// period, its alerts, its commands (followed while pending) and the actions it allows.
/* global L, uPlot */
import {
  api, canWrite, clearFieldErrors, errorText, escapeHtml, formatNumber, newestOnly, renderHeader,
  roleIn, session, SEVERITY_LABELS, showError, STALE,
  TIME_ZONE, unitSymbol, whileSending,
} from "/static/js/common.js";
import { formatDate, formatDateTime, localDay, numericDate } from "/static/js/dates.js";
import { makeChart, numberAxis, timeAxis, timeOptions, timeSeries } from "/static/js/charts.js";
import {
  identityHtml, positionHtml, propertiesHtml, readPoint, readProperties, setPoint, showErrors,
  takesPoint,
} from "/static/js/asset-form.js";
import { boundaryLayers, territoryMap } from "/static/js/territory-map.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const POLL_MS = 2000;
const PERIODS = {  // duration, step, French label of the step
  day: { ms: DAY, step: "1h" },
  week: { ms: 7 * DAY, step: "1h" },
  month: { ms: 30 * DAY, step: "1d" },
  year: { ms: 365 * DAY, step: "1d" },
};
const STEP_LABELS = { "1h": "par heure", "1d": "par jour" };
const STEP_MS = { "1h": HOUR, "1d": DAY };
// Codes of enumerations the schema gives without labels (``x-enum-labels``): the
// parameters of lighting commands.
const CHOICES = { on: "allumé", off: "éteint" };
const COMMAND_BADGES = { scheduled: "pending", requested: "pending", sent: "pending",
  acknowledged: "ok", failed: "critical", expired: "warning", cancelled: "neutral" };
const PENDING = ["scheduled", "requested", "sent"];
const CANCELLABLE = ["scheduled", "requested"];  // a sent one can no longer be recalled
const ALERT_STATUS = { open: "ouverte", acknowledged: "prise en compte", resolved: "résolue" };
// What the position of an asset that is not a point is, in French (GeoJSON's types).
const GEOMETRY_NAMES = { MultiPoint: "Plusieurs points", LineString: "Tracé (ligne)",
  MultiLineString: "Tracé en plusieurs lignes", Polygon: "Surface (polygone)",
  MultiPolygon: "Surface en plusieurs parties" };

const unit = unitSymbol;
const withUnit = (value, code, digits = 2) => {
  const u = unit(code);
  return formatNumber(value, digits) + (u && value !== null && value !== undefined ? ` ${u}` : "");
};
/** The French label of an enumeration's code: the schema's ``x-enum-labels``, else the
 * fallback table, else the code itself. */
const choice = (value, spec) => (spec && spec["x-enum-labels"] && spec["x-enum-labels"][value])
  || CHOICES[value] || value;

const assetId = Number(location.pathname.split("/").filter(Boolean)[1]);
const state = await session();
renderHeader("carte", state);
const tenant = state.tenant;
const role = tenant ? roleIn(state.me, tenant.id) : null;
const base = tenant ? `/tenants/${tenant.id}` : "";
let asset, kind, metrics = {}, streams = [], charts = [], communes = [];
let map = null, marker = null;  // the position's map, and the asset's point on it
let mapConfig = {};  // the basemap, when one is configured (GET /map/config)

function propertyValue(value, spec) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? "Oui" : "Non";
  if (spec && spec.format === "date") return formatDate(value);
  // A year is written as such (1910), never grouped like a quantity (1 910).
  if (spec && spec["x-display"] === "year" && typeof value === "number") return String(value);
  if (typeof value === "number") return withUnit(value, spec && spec["x-unit"], 3);
  if (spec && spec.enum) return choice(value, spec);
  if (Array.isArray(value)) return value.map((v) => propertyValue(v)).join(", ");
  return String(value);
}

/** A number in a table cell (its unit is in the header): a year as such. */
const numberText = (value, spec) => (spec && spec["x-display"] === "year" ? String(value)
  : formatNumber(value, 3));

/** A property as HTML: objects become a table (entries declared with their fields: one
 * column per entry, one row per field with its label and unit) or a list, never JSON. */
function propertyHtml(name, value, spec) {
  const items = spec && spec.items && spec.items.properties;
  if (Array.isArray(value) && items && value.length
      && value.every((v) => v && typeof v === "object" && !Array.isArray(v))) {
    return entriesTable(name, value, spec, items);
  }
  if (Array.isArray(value) && value.some((v) => v && typeof v === "object")) {
    return `<ul class="property-list">${value.map((v) => `<li>${propertyHtml(name, v)}</li>`).join("")}</ul>`;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return escapeHtml(propertyValue(value, spec));
  }
  const entries = Object.entries(value);
  if (!entries.length) return "—";
  const fields = spec && spec.additionalProperties && spec.additionalProperties.properties;
  if (fields && entries.every(([, v]) => v && typeof v === "object" && !Array.isArray(v))) {
    const keys = entries.map(([k]) => k).sort();
    const used = Object.keys(fields).filter((f) => keys.some((k) => value[k][f] !== undefined));
    const extra = [...new Set(keys.flatMap((k) => Object.keys(value[k])))].filter((f) => !(f in fields));
    const label = (f) => (fields[f] ? `${fields[f].title}${fields[f]["x-unit"]
      ? ` (${unit(fields[f]["x-unit"])})` : ""}` : f);
    const cell = (f, v) => (typeof v === "number" ? numberText(v, fields[f])
      : escapeHtml(propertyValue(v, fields[f])));
    return `<div class="table-wrap" tabindex="0" role="region" aria-label="${escapeHtml(spec.title || name)}">
      <table class="property-table" data-property="${escapeHtml(name)}"><thead><tr>
      <th scope="col">${escapeHtml(spec.additionalProperties.title || "")}</th>${keys.map((k) =>
        `<th scope="col" class="number">${escapeHtml(k)}</th>`).join("")}</tr></thead><tbody>${
      [...used, ...extra].map((f) => `<tr><th scope="row">${escapeHtml(label(f))}</th>${keys.map((k) =>
        `<td${typeof value[k][f] === "number" ? ' class="number"' : ""}>${
          value[k][f] === undefined ? "—" : cell(f, value[k][f])}</td>`).join("")}</tr>`).join("")}
      </tbody></table></div>`;
  }
  return `<ul class="property-list">${entries.map(([k, v]) =>
    `<li>${escapeHtml(k)} : ${propertyHtml(k, v)}</li>`).join("")}</ul>`;
}

/** A list of entries declared with their fields: one row per entry, one column per field
 * used, with its label and unit. */
function entriesTable(name, value, spec, fields) {
  const used = Object.keys(fields).filter((f) => value.some((v) => v[f] !== undefined && v[f] !== null));
  const label = (f) => `${fields[f].title}${fields[f]["x-unit"] ? ` (${unit(fields[f]["x-unit"])})` : ""}`;
  return `<div class="table-wrap" tabindex="0" role="region" aria-label="${escapeHtml(spec.title || name)}">
    <table class="property-table" data-property="${escapeHtml(name)}"><thead><tr>${used.map((f) =>
      `<th scope="col"${fields[f].type === "number" ? ' class="number"' : ""}>${escapeHtml(label(f))}</th>`).join("")}
    </tr></thead><tbody>${value.map((v) => `<tr>${used.map((f) => (typeof v[f] === "number"
      ? `<td class="number">${numberText(v[f], fields[f])}</td>`
      : `<td>${escapeHtml(propertyValue(v[f], fields[f]))}</td>`)).join("")}</tr>`).join("")}
    </tbody></table></div>`;
}

function showProperties(communes) {
  const specs = (kind && kind.schema.properties) || {};
  const commune = communes.find((c) => c.insee === asset.commune);
  const rows = [
    ["Référence", escapeHtml(asset.ref)],
    ["Type", escapeHtml(kind ? kind.label : asset.kind)],
    ["Commune", escapeHtml(commune ? `${commune.name} (${commune.insee})` : asset.commune || "—")],
  ];
  // A value whose own form is a code (an opening-hours rule, a programme): its French reading.
  const texts = asset.property_texts || {};
  for (const [name, spec] of Object.entries(specs)) {
    if (name in asset.properties) {
      rows.push([spec.title, name in texts ? escapeHtml(texts[name])
        : propertyHtml(name, asset.properties[name], spec)]);
    }
  }
  for (const [name, value] of Object.entries(asset.properties)) {
    if (!(name in specs)) rows.push([name, propertyHtml(name, value)]);
  }
  document.getElementById("properties").innerHTML = rows.map(([k, v]) =>
    `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join("");
}

function showMap() {
  const box = document.getElementById("asset-map");
  const text = document.getElementById("position-text");
  if (map) {  // drawn again after a change
    map.remove();
    map = marker = null;
  }
  if (!asset.geometry) {
    box.hidden = true;
    text.textContent = "Position non renseignée.";
    return;
  }
  box.hidden = false;
  // (with the basemap, when there is one: a point is placed by a click where it stands)
  map = territoryMap(box, mapConfig, { scrollWheelZoom: false });
  box.setAttribute("aria-label", "Carte de la position de l'équipement");
  box.setAttribute("role", "region");
  const layer = L.geoJSON(asset.geometry, {
    pointToLayer: (_, latlng) => L.circleMarker(latlng, {
      radius: 9, color: "#000091", weight: 3, fillColor: "#6a6af4", fillOpacity: 0.8 }),
    style: { color: "#000091", weight: 3 },
  }).addTo(map);
  if (asset.geometry.type === "Point") {
    const [lon, lat] = asset.geometry.coordinates;
    map.setView([lat, lon], 16);
    marker = layer.getLayers()[0];
    text.textContent = `Latitude ${formatNumber(lat, 5)}, longitude ${formatNumber(lon, 5)}.`;
  } else {
    map.fitBounds(layer.getBounds(), { padding: [16, 16] });
    text.textContent = `${GEOMETRY_NAMES[asset.geometry.type] || "Forme"}.`;
  }
  map.on("click", pickPoint);
}

/** While the form is open, a click on the map places the point: the fields say where, and
 * take it (keyboard users type it there). */
function pickPoint(event) {
  if (!editing || !document.getElementById("asset-lon")) return;
  const { lat, lng } = event.latlng;
  setPoint(lng, lat);
  previewPoint();
  document.getElementById("edit-status").textContent = "Point placé sur la carte : "
    + `longitude ${formatNumber(lng, 6)}, latitude ${formatNumber(lat, 6)} (à enregistrer).`;
}

/** An asset without a position, of a kind placed by a point: while the form is open, the
 * map of the territory (its communes' outlines) to click where the asset stands. */
async function showPickingMap() {
  const box = document.getElementById("asset-map");
  box.hidden = false;
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", "Carte du territoire : un clic place l'équipement");
  map = territoryMap(box, mapConfig, { scrollWheelZoom: false });
  map.setView([46.6, 2.4], 5);
  map.on("click", pickPoint);
  const withBoundaries = await api(`${base}/communes`).catch(() => []);
  const outlines = Object.values(boundaryLayers(withBoundaries));
  if (!map || !outlines.length) return;
  for (const layer of outlines) layer.addTo(map);
  map.fitBounds(L.featureGroup(outlines).getBounds(), { padding: [8, 8] });
}

function metricOf(stream) {
  return metrics[stream.metric] || { label: stream.label || stream.metric, unit: stream.unit,
    kind: stream.kind, default_agg: "mean" };
}

function stateLabel(metric, value) {
  if (metric.states && value !== null && String(value) in metric.states) {
    return metric.states[String(value)];
  }
  return null;
}

async function showLatest() {
  const latest = await api(`${base}/assets/${assetId}/latest`);
  const box = document.getElementById("latest");
  if (!latest.length) {
    box.innerHTML = '<p class="muted">Aucune mesure pour cet équipement.</p>';
    return;
  }
  box.innerHTML = `<ul class="latest-list">${latest.map((l) => {
    const metric = metrics[l.metric] || { label: l.metric };
    const value = stateLabel(metric, l.value) || withUnit(l.value, l.unit, 3);
    return `<li class="card"><span class="muted">${escapeHtml(metric.label)}</span>
      <span class="latest-value">${escapeHtml(value)}</span>
      <span class="muted">${l.time ? `le ${formatDateTime(l.time)}` : "jamais reçue"}</span></li>`;
  }).join("")}</ul>`;
}

// -- periods and charts ------------------------------------------------------------------
/** Epoch ms of midnight, Paris time, on the date "YYYY-MM-DD". */
function parisMidnight(text) {
  const [y, m, d] = text.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d);
  let result = guess;
  for (let i = 0; i < 2; i++) {  // twice: the offset may change across the guess
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
      timeZone: TIME_ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(result))
      .map((p) => [p.type, p.value]));
    const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute);
    result = guess - (shown - result);
  }
  return result;
}


/** A custom period refused: its French message and the ids of the date fields at fault. */
class PeriodError extends Error {
  constructor(message, fields) {
    super(message);
    this.fields = fields;
  }
}

function chosenPeriod() {
  const value = document.querySelector('input[name="period"]:checked').value;
  if (value !== "custom") {
    const end = Date.now();
    return { key: value, start: end - PERIODS[value].ms, end, step: PERIODS[value].step };
  }
  const from = document.getElementById("from").value;
  const to = document.getElementById("to").value;
  if (!from || !to) {
    throw new PeriodError("Choisissez les deux dates de la période.",
      [!from && "from", !to && "to"].filter(Boolean));
  }
  const outside = ["from", "to"].filter((id) => {
    const { validity } = document.getElementById(id);
    return validity.rangeUnderflow || validity.rangeOverflow;
  });
  if (outside.length) {  // (a year mistyped: « 20260 » gives 0260 in some pickers)
    const { min, max } = document.getElementById(outside[0]);
    throw new PeriodError(`Date hors des limites : entre le ${numericDate(min)} et le `
      + `${numericDate(max)}.`, outside);
  }
  const start = parisMidnight(from);
  const end = parisMidnight(to) + DAY + 2 * HOUR;  // past the end of the day, even on DST days
  const endDay = parisMidnight(new Date(end).toISOString().slice(0, 10));
  if (endDay <= start) {
    throw new PeriodError("La date de fin doit suivre la date de début.", ["from", "to"]);
  }
  return { key: "custom", start, end: endDay, step: endDay - start <= 14 * DAY ? "1h" : "1d" };
}

/** The custom period's error beside its date fields (described by it), the fields at fault
 * marked and the first of them focused; `null` clears it. */
function showPeriodError(error) {
  const box = document.getElementById("period-error");
  for (const id of ["from", "to"]) document.getElementById(id).removeAttribute("aria-invalid");
  box.textContent = error ? error.message : "";
  if (!error) return;
  for (const id of error.fields) document.getElementById(id).setAttribute("aria-invalid", "true");
  document.getElementById(error.fields[0]).focus();
}

const iso = (ms) => new Date(ms).toISOString();

/** Points [seconds, value] for one stream; counters become consumption per step. */
async function loadSeries(stream, period) {
  const metric = metricOf(stream);
  const counter = metric.kind === "counter";
  const start = counter ? period.start - STEP_MS[period.step] : period.start;
  const data = await api(`${base}/streams/${stream.id}/series`, { params: {
    step: period.step, agg: counter ? "last" : metric.default_agg || "mean",
    start: iso(start), end: iso(period.end) } });
  const points = data.points.map(([t, v]) => [Date.parse(t), v]);
  if (!counter) return points.filter(([t]) => t >= period.start);
  const out = [];
  for (let i = 1; i < points.length; i++) {
    const [t, v] = points[i];
    const previous = points[i - 1][1];
    const delta = v === null || previous === null ? null : v - previous;
    out.push([t, delta !== null && delta >= 0 ? delta : null]);  // a reset is no consumption
  }
  return out.filter(([t]) => t >= period.start);
}

function summary(stream, points, period) {
  const metric = metricOf(stream);
  const u = stream.unit;
  const values = points.map(([, v]) => v).filter((v) => v !== null && Number.isFinite(v));
  const span = `du ${formatDateTime(period.start)} au ${formatDateTime(period.end)}`;
  if (!values.length) return `Aucune donnée ${span}.`;
  const min = Math.min(...values), max = Math.max(...values);
  const total = values.reduce((a, b) => a + b, 0);
  const mean = total / values.length;
  const step = STEP_LABELS[period.step];
  if (metric.kind === "counter") {
    return `Consommation totale ${span} : ${withUnit(total, u, 1)}. Consommation ${step} : `
      + `minimum ${withUnit(min, u)}, moyenne ${withUnit(mean, u)}, maximum ${withUnit(max, u)} `
      + `(${formatNumber(values.length, 0)} valeurs).`;
  }
  return `Valeurs ${step} ${span} : minimum ${withUnit(min, u)}, moyenne ${withUnit(mean, u)}, `
    + `maximum ${withUnit(max, u)} (${formatNumber(values.length, 0)} valeurs).`;
}

function plot(container, stream, points, period, title) {
  const metric = metricOf(stream);
  const counter = metric.kind === "counter";
  const u = unit(stream.unit);
  const name = counter ? `Consommation ${STEP_LABELS[period.step]}` : metric.label;
  const width = Math.max(260, container.clientWidth);
  const series = {
    label: u ? `${name} (${u})` : name, stroke: "#000091", width: 2,
    fill: counter ? "rgba(0, 0, 145, 0.35)" : undefined,
    value: (_, v) => (v === null || v === undefined ? "—" : withUnit(v, stream.unit)),
  };
  if (counter && uPlot.paths && uPlot.paths.bars) series.paths = uPlot.paths.bars({ size: [0.8, 40] });
  const opts = {
    width, height: width < 500 ? 220 : 280,
    ...timeOptions(),
    scales: { x: { time: true }, y: counter ? { range: (_, min, max) => [0, max > 0 ? max * 1.1 : 1] } : {} },
    axes: [timeAxis(), numberAxis(2)],
    series: [timeSeries(period.step === "1d" ? "Jour" : "Date et heure",
      { byDay: period.step === "1d" }), series],
    legend: { live: true },
  };
  const data = [points.map(([t]) => t / 1000), points.map(([, v]) => v)];
  return makeChart(opts, data, container, {
    caption: `${title}, du ${formatDateTime(period.start)} au ${formatDateTime(period.end)}`,
    digits: 2 });  // (the unit is in the column's header)
}

async function showCharts() {
  const box = document.getElementById("charts");
  const status = document.getElementById("charts-status");
  let period;
  try {
    period = chosenPeriod();
  } catch (error) {
    if (!(error instanceof PeriodError)) throw error;
    showPeriodError(error);
    return;
  }
  showPeriodError(null);
  if (!streams.length) {
    box.innerHTML = '<p class="muted">Aucun flux de mesures pour cet équipement.</p>';
    return;
  }
  status.textContent = "Chargement des courbes…";
  box.setAttribute("aria-busy", "true");
  const loaded = await Promise.all(streams.map((s) => loadSeries(s, period).then(
    (points) => ({ stream: s, points }), (error) => ({ stream: s, error }))));
  charts.forEach((c) => c.destroy());
  charts = [];
  box.innerHTML = "";
  for (const { stream, points, error } of loaded) {
    const metric = metricOf(stream);
    const section = document.createElement("section");
    section.className = "chart";
    section.dataset.streamId = stream.id;
    const title = metric.kind === "counter"
      ? `${metric.label} — consommation ${STEP_LABELS[period.step]}` : metric.label;
    section.innerHTML = `<h3 id="chart-title-${stream.id}">${escapeHtml(title)}</h3>
      <figure aria-labelledby="chart-title-${stream.id}">
        <div class="chart-plot" aria-hidden="true"></div>
        <figcaption class="chart-summary"></figcaption>
      </figure>`;
    box.append(section);
    const caption = section.querySelector("figcaption");
    if (error) {
      caption.textContent = `Courbe indisponible : ${errorText(error)}`;
      continue;
    }
    caption.textContent = summary(stream, points, period);
    charts.push(plot(section.querySelector(".chart-plot"), stream, points, period, title));
  }
  box.removeAttribute("aria-busy");
  box.dataset.period = period.key;
  status.textContent = "Courbes mises à jour.";
  document.body.dataset.chartReady = "1";
}

function setupPeriods() {
  const form = document.getElementById("period-form");
  const custom = document.getElementById("custom-dates");
  const today = localDay();
  const weekAgo = localDay(Date.now() - 7 * DAY);
  document.getElementById("from").value = weekAgo;
  document.getElementById("to").value = today;
  document.getElementById("from").max = today;
  document.getElementById("to").max = today;
  form.addEventListener("change", (event) => {
    if (event.target.name !== "period") return;
    custom.hidden = event.target.value !== "custom";
    if (event.target.value !== "custom") showCharts().catch((e) => showError(e));
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    showCharts().catch((e) => showError(e));
  });
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (Math.abs(window.innerWidth - width) < 20) return;
    width = window.innerWidth;
    for (const chart of charts) {
      const w = Math.max(260, chart.root.parentElement.clientWidth);
      chart.setSize({ width: w, height: w < 500 ? 220 : 280 });
    }
  });
}

// -- alerts -------------------------------------------------------------------------------
async function showAlerts() {
  const alerts = await api(`${base}/alerts`, { params: { asset_id: assetId, limit: 50 } });
  const box = document.getElementById("alerts");
  if (!alerts.length) {
    box.innerHTML = '<p class="muted">Aucune alerte pour cet équipement.</p>';
    return;
  }
  box.innerHTML = `<ul class="simple-list">${alerts.map((a) => `
    <li><span class="badge ${a.severity}">${SEVERITY_LABELS[a.severity]}</span>
      <a href="/alertes?alerte=${a.id}">${escapeHtml(a.title)}</a>
      <span class="muted">— ${escapeHtml(ALERT_STATUS[a.status] || a.status_label)},
      ouverte le ${formatDateTime(a.opened_at)}</span>
      ${(a.details_display || []).length ? `<ul class="alert-details">${a.details_display.map((d) =>
        `<li data-detail="${escapeHtml(d.key)}">${escapeHtml(d.label)} : ${escapeHtml(d.text)}</li>`).join("")}</ul>` : ""}</li>`).join("")}</ul>`;
}

// -- commands -----------------------------------------------------------------------------
let actions = [], pollTimer = null;
// (read on the first load, after a command sent or cancelled, by a poll, on live events)
const readCommands = newestOnly();

function paramsText(action, params) {
  const props = (action && action.params.properties) || {};
  const parts = Object.entries(params || {}).map(([name, value]) => {
    const spec = props[name] || {};
    const shown = typeof value === "boolean" ? (value ? "oui" : "non")
      : typeof value === "number" ? withUnit(value, spec["x-unit"]) : choice(value, spec);
    return `${spec.title || name} : ${shown}`;
  });
  return parts.join(", ");
}

async function showCommands() {
  const list = await readCommands(
    api(`${base}/commands`, { params: { asset_id: assetId, limit: 20 } }));
  if (list === STALE) return;
  const box = document.getElementById("commands");
  if (!list.length) {
    box.innerHTML = '<p class="muted">Aucune commande envoyée à cet équipement.</p>';
  } else {
    const byKey = Object.fromEntries(actions.map((a) => [a.key, a]));
    box.innerHTML = `<h3>Commandes récentes</h3><ul class="simple-list" id="command-list">${list.map((c) => `
      <li data-command-id="${c.id}" data-status="${c.status}">
        <span class="badge ${COMMAND_BADGES[c.status] || "neutral"} command-status">${escapeHtml(c.status_label)}</span>
        <strong>${escapeHtml(c.action_label || c.action)}</strong>
        <span>${escapeHtml(paramsText(byKey[c.action], c.params))}</span>
        <span class="muted">— demandée le ${formatDateTime(c.created_at)}${
          c.sent_at ? `, transmise le ${formatDateTime(c.sent_at)}` : ""}${
          c.acknowledged_at ? `, acquittée le ${formatDateTime(c.acknowledged_at)}` : ""}</span>
        ${c.error ? `<div class="muted">${escapeHtml(c.error)}</div>` : ""}
        ${canWrite(role) && CANCELLABLE.includes(c.status) ? `<button type="button"
          class="button secondary cancel-command" data-command-id="${c.id}">Annuler la
          commande</button>` : ""}</li>`).join("")}</ul>`;
  }
  const pending = list.some((c) => PENDING.includes(c.status));
  clearTimeout(pollTimer);
  if (pending) pollTimer = setTimeout(() => showCommands().catch((e) => showError(e)), POLL_MS);
  return list;
}

// Cancelling a pending command: confirmed, then the list shows its new state.
document.getElementById("commands").addEventListener("click", async (event) => {
  const button = event.target.closest(".cancel-command");
  if (!button) return;
  if (!window.confirm("Annuler cette commande ? Elle ne sera pas transmise à l'équipement.")) {
    return;
  }
  button.disabled = true;
  try {
    await api(`${base}/commands/${button.dataset.commandId}/cancel`, { method: "POST", body: {} });
    await showCommands();
  } catch (error) {
    showError(error);
    button.disabled = false;
  }
});

function fieldFor(action, name, spec, required) {
  const id = `p-${action.key.replace(/\W/g, "-")}-${name}`;
  const label = escapeHtml(spec.title || name) + (spec["x-unit"] ? ` (${escapeHtml(unit(spec["x-unit"]))})` : "");
  const req = required ? " required" : "";
  if (spec.type === "boolean") {
    return `<div class="check"><input type="checkbox" id="${id}" name="${name}"><label for="${id}">${label}</label></div>`;
  }
  let input;
  if (spec.enum) {
    input = `<select id="${id}" name="${name}"${req}>${required ? "" : '<option value="">—</option>'}${
      spec.enum.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(choice(v, spec))}</option>`).join("")}</select>`;
  } else if (spec.type === "integer" || spec.type === "number") {
    const bounds = [spec.minimum !== undefined ? ` min="${spec.minimum}"` : "",
      spec.maximum !== undefined ? ` max="${spec.maximum}"` : ""].join("");
    input = `<input type="number" id="${id}" name="${name}" step="${spec.type === "integer" ? 1 : "any"}"${bounds}${req}>`;
  } else if (spec.format === "date") {
    input = `<input type="date" id="${id}" name="${name}"${req}>`;
  } else {
    input = `<input type="text" id="${id}" name="${name}"${req}>`;
  }
  const hint = spec.minimum !== undefined && spec.maximum !== undefined
    ? `<span class="muted" id="${id}-hint">De ${formatNumber(spec.minimum)} à ${formatNumber(spec.maximum)}</span>` : "";
  if (hint) input = input.replace(`id="${id}"`, `id="${id}" aria-describedby="${id}-hint"`);
  return `<div class="field"><label for="${id}">${label}${required ? " (obligatoire)" : ""}</label>${input}${hint}</div>`;
}

function readForm(form, action) {
  const params = {};
  for (const [name, spec] of Object.entries(action.params.properties)) {
    const input = form.elements[name];
    if (spec.type === "boolean") params[name] = input.checked;
    else if (input.value === "") continue;
    else if (spec.type === "integer") params[name] = parseInt(input.value, 10);
    else if (spec.type === "number") params[name] = Number(input.value);
    else params[name] = input.value;
  }
  return params;
}

/** Ask for confirmation in the <dialog>; resolves true or false, focus given back. */
function confirmCommand(text, opener) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  return new Promise((resolve) => {
    const ok = document.getElementById("confirm-ok");
    const cancel = document.getElementById("confirm-cancel");
    const done = (answer) => {
      ok.removeEventListener("click", onOk);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      opener.focus();
      resolve(answer);
    };
    const onOk = () => done(true);
    const onCancel = () => done(false);
    const onClose = () => done(false);  // Escape
    ok.addEventListener("click", onOk);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    cancel.focus();
  });
}

/** The actions of this asset (GET …/commands/available): forms for those it can receive
 * now, the reason for the others (no device attached…), before anyone confirms anything. */
function showActions(offer) {
  const box = document.getElementById("actions");
  const byKey = Object.fromEntries(actions.map((a) => [a.key, a]));
  const allowed = offer.filter((o) => o.available && byKey[o.action]).map((o) => byKey[o.action]);
  const refused = offer.filter((o) => !o.available);
  if (!offer.length) {
    box.innerHTML = "";
    return;
  }
  if (!canWrite(role)) {
    box.innerHTML = '<p class="muted">Votre rôle permet de consulter les commandes, pas d\'en envoyer.</p>';
    return;
  }
  // Several actions refused for the same reason: said once.
  const reasons = [...new Set(refused.map((o) => o.reason))];
  const why = refused.length ? `<div class="notice info" id="actions-unavailable">
    <p><strong>${allowed.length ? "Commandes indisponibles" : "Aucune commande ne peut être envoyée à cet équipement"}</strong>${
      allowed.length ? ` : ${escapeHtml(refused.map((o) => o.label).join(", "))}` : ""}.</p>
    ${reasons.map((r) => `<p>${escapeHtml(r)}</p>`).join("")}</div>` : "";
  if (!allowed.length) {
    box.innerHTML = `<h3>Envoyer une commande</h3>${why}`;
    return;
  }
  box.innerHTML = `<h3>Envoyer une commande</h3>${why}<div class="actions-grid">${allowed.map((a) => {
    const required = a.params.required || [];
    return `<form class="card action-form" data-action="${escapeHtml(a.key)}" novalidate>
      <fieldset><legend>${escapeHtml(a.label)}</legend>
      ${Object.entries(a.params.properties).map(([n, s]) => fieldFor(a, n, s, required.includes(n))).join("")}
      </fieldset>
      <div role="alert" class="form-error muted"></div>
      <button type="submit" class="button">${escapeHtml(a.label)}…</button></form>`;
  }).join("")}</div>`;
  for (const form of box.querySelectorAll("form")) {
    const action = allowed.find((a) => a.key === form.dataset.action);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = form.querySelector(".form-error");
      error.textContent = "";
      if (!form.checkValidity()) {
        const bad = form.querySelector(":invalid");
        const label = form.querySelector(`label[for="${bad.id}"]`);
        error.textContent = `Valeur à corriger : ${label ? label.textContent : bad.name}`
          + (bad.validationMessage ? ` (${bad.validationMessage})` : "") + ".";
        bad.focus();
        return;
      }
      const params = readForm(form, action);
      const text = `${action.label} sur « ${asset.name} »`
        + (Object.keys(params).length ? ` — ${paramsText(action, params)}` : "") + " ?";
      const button = form.querySelector('button[type="submit"]');
      if (!(await confirmCommand(text, button))) return;
      button.disabled = true;
      try {
        const command = await api(`${base}/commands`, { method: "POST",
          body: { asset_id: assetId, action: action.key, params } });
        document.getElementById("command-status").textContent =
          `Commande « ${action.label} » ${command.status_label}.`;
        await showCommands();
      } catch (e) {
        const detail = e.problem && e.problem.errors
          ? " " + e.problem.errors.map((x) => x.message).join(" ; ") : "";
        error.textContent = errorText(e) + detail;
      } finally {
        button.disabled = false;
      }
    });
  }
}

// -- panels of the domains (core.registry.Panel) ---------------------------------------------
/** Each panel declared for this kind: a section with its title, filled by its module. */
async function showPanels() {
  const box = document.getElementById("panels");
  const panels = ((state.ui && state.ui.panels) || []).filter((p) => p.asset_kinds.includes(asset.kind));
  const refresh = () => Promise.all([showCommands(), showAlerts()]).catch((e) => showError(e));
  await Promise.all(panels.map(async (panel, i) => {
    const section = document.createElement("section");
    section.className = "domain-panel";
    section.setAttribute("aria-labelledby", `panel-title-${i}`);
    section.innerHTML = `<h2 id="panel-title-${i}">${escapeHtml(panel.title)}</h2>
      <div class="panel-body"></div>`;
    box.append(section);
    const body = section.querySelector(".panel-body");
    try {
      const module = await import(panel.module);
      await module.render(body, { tenant, asset, kind, role, canWrite: canWrite(role), refresh });
    } catch (error) {
      console.error(error);
      body.innerHTML = `<p class="notice">Ce bloc n'a pas pu être affiché : ${
        escapeHtml(errorText(error, "réessayez en rechargeant la page"))}.</p>`;
    }
  }));
}

// -- changing and deleting the asset (agents and administrators) ------------------------------
let editing = false;
const $ = (id) => document.getElementById(id);

/** A property the form does not change, as the page shows it. */
function readOnlyHtml(name, value, spec) {
  const texts = asset.property_texts || {};
  return name in texts ? escapeHtml(texts[name]) : propertyHtml(name, value, spec);
}

/** The point typed in the fields, on the map (as a preview) when it reads as one. */
function previewPoint() {
  if (!map) return;
  let point;
  try {
    point = readPoint();
  } catch {
    return;
  }
  if (!point) return;
  const [lon, lat] = point.coordinates;
  if (typeof lon === "number" && typeof lat === "number" && Math.abs(lon) <= 180
      && Math.abs(lat) <= 90) {
    if (marker) marker.setLatLng([lat, lon]);
    else {
      marker = L.circleMarker([lat, lon], { radius: 9, color: "#000091", weight: 3,
        fillColor: "#6a6af4", fillOpacity: 0.8 }).addTo(map);
    }
    if (!map.getBounds().contains([lat, lon])) map.panTo([lat, lon]);
  }
}

function openEdit() {
  const form = $("edit-form");
  $("edit-identity").innerHTML = identityHtml({ name: asset.name, commune: asset.commune, communes });
  const picking = !asset.geometry && takesPoint(kind);  // (no map yet: one to click on)
  $("edit-position").innerHTML = positionHtml(kind, asset.geometry,
    { mapHint: Boolean(marker) || picking });
  $("edit-properties").innerHTML = propertiesHtml(kind, asset.properties, { readOnly: readOnlyHtml });
  clearFieldErrors(form, $("edit-errors"));
  $("edit-status").textContent = "";
  $("edit-section").hidden = false;
  $("edit-open").setAttribute("aria-expanded", "true");
  $("asset-map").classList.add("picking");
  editing = true;
  for (const id of ["asset-lon", "asset-lat"]) {
    const input = $(id);
    if (input) input.addEventListener("input", previewPoint);
  }
  $("asset-name").focus();
  if (picking) showPickingMap().catch((error) => showError(error));
}

function closeEdit() {
  editing = false;
  $("edit-section").hidden = true;
  $("edit-open").setAttribute("aria-expanded", "false");
  $("asset-map").classList.remove("picking");
  if (!asset.geometry) {
    showMap();  // (the territory's map, shown to place the point, goes)
  } else if (marker && asset.geometry.type === "Point") {
    const [lon, lat] = asset.geometry.coordinates;
    marker.setLatLng([lat, lon]);
  }
  $("edit-open").focus();
}

/** Whether the point of the fields is the asset's (as the fields showed it: to the 7th
 * decimal), so that an untouched position is never sent. */
const samePoint = (point, geometry) => (point === null ? !geometry
  : Boolean(geometry) && geometry.type === "Point" && [0, 1].every(
    (i) => point.coordinates[i] === Number(geometry.coordinates[i].toFixed(7))));

const CHANGE_LABELS = { name: "nom", commune: "commune", geometry: "position" };

/** Send what changed (one PATCH); the API's refusals beside their fields, or the new values
 * on the page (title, characteristics, map). */
async function saveEdit() {
  const form = $("edit-form");
  const summary = $("edit-errors");
  clearFieldErrors(form, summary);
  $("edit-status").textContent = "";
  const changes = {};
  const name = $("asset-name").value.trim();
  if (name !== asset.name) changes.name = name;
  const commune = $("asset-commune").value || null;
  if (commune !== (asset.commune || null)) changes.commune = commune;
  let point;
  try {
    point = readPoint();
  } catch (error) {
    showErrors(form, summary, error);
    return;
  }
  if (point !== undefined && !samePoint(point, asset.geometry)) changes.geometry = point;
  const properties = readProperties(kind, asset.properties);
  if (Object.keys(properties).length) changes.properties = properties;
  if (!Object.keys(changes).length) {
    $("edit-status").textContent = "Aucune modification à enregistrer.";
    return;
  }
  let updated;
  try {
    updated = await api(`${base}/assets/${assetId}`, { method: "PATCH", body: changes });
  } catch (error) {
    showErrors(form, summary, error);
    return;
  }
  asset = updated;
  showIdentity();
  showProperties(communes);
  showMap();
  closeEdit();
  const done = Object.keys(changes).filter((k) => k !== "properties").map((k) => CHANGE_LABELS[k]);
  const count = Object.keys(properties).length;
  if (count) done.push(count === 1 ? "1 caractéristique" : `${count} caractéristiques`);
  $("edit-status").textContent = `Modifications enregistrées (${done.join(", ")}).`;
}

/** What goes with the asset, said before it is deleted (core.assets.delete_asset): its
 * streams and their measurements; its devices stay, detached; its alerts and commands stay
 * in the history. */
function deleteText() {
  const labels = streams.map((s) => metricOf(s).label);
  const measures = streams.length
    ? `Ses mesures seront supprimées : ${streams.length === 1 ? "sa série" : `ses ${streams.length} séries`}
      (${escapeHtml(labels.join(", "))}) et toutes leurs valeurs.`
    : "Il n'a aucune série de mesures.";
  return `<p>« ${escapeHtml(asset.name)} » (${escapeHtml(asset.ref)}) sera supprimé
    définitivement.</p><ul><li>${measures}</li>
    <li>Les capteurs qui lui sont associés restent enregistrés, sans équipement.</li>
    <li>Ses alertes et commandes passées restent dans l'historique.</li></ul>`;
}

function askDelete() {
  const dialog = $("delete-dialog");
  $("delete-text").innerHTML = deleteText();
  $("delete-error").hidden = true;
  dialog.showModal();
  $("delete-cancel").focus();
}

function setupEditing() {
  if (!canWrite(role) || !asset) return;
  $("asset-tools").hidden = false;
  $("edit-open").addEventListener("click", () => (editing ? closeEdit() : openEdit()));
  $("edit-cancel").addEventListener("click", closeEdit);
  const form = $("edit-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    whileSending(form.querySelector('button[type="submit"]'), saveEdit);
  });
  const dialog = $("delete-dialog");
  $("delete-open").addEventListener("click", askDelete);
  $("delete-cancel").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (!dialog.dataset.deleted) $("delete-open").focus();
  });
  $("delete-ok").addEventListener("click", () => whileSending($("delete-ok"), async () => {
    try {
      await api(`${base}/assets/${assetId}`, { method: "DELETE" });
    } catch (error) {
      $("delete-error").textContent = errorText(error);
      $("delete-error").hidden = false;
      return;
    }
    dialog.dataset.deleted = "1";
    location.assign("/carte");
  }));
}

function showIdentity() {
  document.title = `${asset.name} — Beffroi`;
  document.getElementById("title").textContent = asset.name;
  document.getElementById("crumb").textContent = asset.name;
  document.getElementById("subtitle").textContent = kind ? kind.label : asset.kind;
}

// -- start ----------------------------------------------------------------------------------
async function main() {
  const sections = document.getElementById("asset");
  if (!tenant || !Number.isInteger(assetId)) {
    sections.hidden = true;
    showError(new Error());
    return;
  }
  const [a, domains, communeList, streamList, actionList, offer, config] = await Promise.all([
    api(`${base}/assets/${assetId}`), api("/domains"),
    api(`${base}/communes`, { params: { boundaries: false } }).catch(() => []),
    api(`${base}/streams`, { params: { asset_id: assetId } }),
    api("/commands/actions").catch(() => []),
    api(`${base}/assets/${assetId}/commands/available`).catch(() => []),
    api("/map/config").catch(() => ({})),
  ]).catch((error) => {
    sections.hidden = true;  // (its empty sections would say nothing but their titles)
    throw error;
  });
  mapConfig = config;
  asset = a;
  communes = communeList;
  streams = streamList;
  actions = actionList;
  for (const d of domains) {
    for (const k of d.asset_kinds) if (k.key === asset.kind) kind = k;
    for (const m of d.metrics) if (!metrics[m.key]) metrics[m.key] = m;
  }
  showIdentity();
  showProperties(communes);
  showMap();
  setupEditing();
  setupPeriods();
  showActions(offer);
  await Promise.all([
    showLatest().catch((e) => showError(e)),
    showCharts().catch((e) => showError(e)),
    showAlerts().catch((e) => showError(e)),
    showCommands().catch((e) => showError(e)),
    showPanels().catch((e) => showError(e)),
  ]);
  document.body.dataset.ready = "1";  // everything above the forms is in place
}

main().catch((error) => showError(error));
