// Shared by the buildings page and the building page's panels: French figures (kWh, m²,
// years without a thousands separator, €), the stylesheet, and the décret tertiaire
// trajectory figure (a small chart of each year's consumption against the targets, with
// its table: the chart's text alternative).
/* global uPlot */
import { escapeHtml, formatNumber, loadStylesheet } from "/static/js/common.js";
import { makeChart, numberAxis } from "/static/js/charts.js";

const STYLESHEET = "/static/domains/buildings/batiments.css";
const NBSP = "\u00a0";

/** Load the buildings' stylesheet once (a panel on the asset page needs it). */
export const ensureStyles = () => loadStylesheet(STYLESHEET);

const missing = (v) => v === null || v === undefined || Number.isNaN(v);
/** A year as written: « 2030 », never « 2 030 ». */
export const year = (v) => (missing(v) ? "—" : String(Math.round(v)));
export const kwh = (v, digits = 0) => (missing(v) ? "—" : `${formatNumber(v, digits)}${NBSP}kWh`);
export const kwhM2 = (v) => (missing(v) ? "—" : `${formatNumber(v, 1)}${NBSP}kWh/m²`);
export const m2 = (v) => (missing(v) ? "—" : `${formatNumber(v, 0)}${NBSP}m²`);
export const euros = (v) => (missing(v) ? "—" : `${formatNumber(v, 0)}${NBSP}€`);
export const ppm = (v) => (missing(v) ? "—" : `${formatNumber(v, 0)}${NBSP}ppm`);
export const percent = (v, digits = 1) => (missing(v) ? "—"
  : `${v > 0 ? "+" : v < 0 ? "−" : ""}${formatNumber(Math.abs(v), digits)}${NBSP}%`);

/** uPlot axis of whole years: « 2020 », no separator, no half years. */
export function yearAxis(extra = {}) {
  return { values: (_u, ticks) => ticks.map((v) => (Number.isInteger(v) ? String(v) : "")),
    space: 40, incrs: [1, 2, 5, 10], ...extra };
}

/** A line of a chart's legend as a small SVG (its colour and dash), hidden to screen readers. */
export function legendLine(colour, dash = "", marker = false) {
  const mark = marker ? `<circle cx="14" cy="6" r="4" fill="${colour}"/>` : "";
  return `<svg width="28" height="12" aria-hidden="true" focusable="false"><line x1="0" y1="6" x2="28" y2="6" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>${mark}</svg>`;
}

export const CONSUMPTION = "#000091";
export const CORRECTED = "#6a6af4";
export const TARGET = "#b34000";

/** The trajectory of the décret route (GET …/buildings/{id}/trajectory, ``decret.trajectory``)
 * as the figure reads it: the reference year and its consumption, one entry per year from
 * the reference (consumption, climate-corrected, the décret's change and « on track »
 * against its compared basis), the milestones (relative or absolute targets). */
export function trajectoryOf(d) {
  const ref = d.reference || null;
  const years = [];
  if (ref) {
    years.push({ year: ref.year, kwh: ref.kwh ?? null, corrected: ref.corrected_kwh ?? null,
      change: null, onTrack: null, compared: null });
  }
  for (const y of d.years || []) {
    years.push({ year: y.year, kwh: y.kwh ?? null, corrected: y.corrected_kwh ?? null,
      change: y.change_pct ?? null, onTrack: y.on_track ?? null, compared: y.compared || null });
  }
  const milestones = (d.targets || []).map((t) => ({
    year: t.year, kwh: t.kwh ?? null, reduction: t.reduction_pct ?? null,
    kind: t.kind === "absolue" ? "cabs" : t.kind,
  }));
  return { reference: ref ? ref.year : null, referenceKwh: ref ? ref.kwh ?? null : null,
    years, milestones, subject: d.status ? d.status.subject ?? null : null,
    notes: d.message ? [d.message] : [] };
}

/** The target of a year: linear between the reference and each milestone, as the décret's
 * trajectory is drawn; null before the reference year or without milestones. */
export function targetAt(t, y) {
  if (t.reference === null || t.referenceKwh === null || y < t.reference) return null;
  let from = [t.reference, t.referenceKwh];
  for (const m of [...t.milestones].sort((a, b) => a.year - b.year)) {
    if (m.kwh === null) continue;
    if (y <= m.year) return from[1] + (m.kwh - from[1]) * (y - from[0]) / (m.year - from[0]);
    from = [m.year, m.kwh];
  }
  return null;
}

function trajectoryData(t) {
  const measured = t.years.filter((y) => y.kwh !== null || y.corrected !== null);
  const first = t.reference ?? (measured.length ? measured[0].year : null);
  if (first === null) return null;
  const lastMeasured = measured.length ? measured[measured.length - 1].year : first;
  const firstMilestone = t.milestones.length ? Math.min(...t.milestones.map((m) => m.year)) : lastMeasured;
  const last = Math.max(lastMeasured, firstMilestone);
  const xs = [];
  for (let y = first; y <= last; y += 1) xs.push(y);
  const by = new Map(t.years.map((y) => [y.year, y]));
  return [xs, xs.map((y) => by.get(y)?.kwh ?? (y === t.reference ? t.referenceKwh : null)),
    xs.map((y) => by.get(y)?.corrected ?? null), xs.map((y) => targetAt(t, y))];
}

/** Draw the trajectory chart into ``box`` (null when nothing to draw); ``caption``: the
 * title of its table of values, ``title``: the chart's name said with it (by default its
 * figure's). */
export function drawTrajectory(box, t, { small = false, caption = "Trajectoire du décret tertiaire",
  title = "" } = {}) {
  const data = trajectoryData(t);
  if (typeof uPlot === "undefined" || !data || !data[1].some((v) => v !== null)) return null;
  const width = Math.max(260, box.clientWidth);
  const values = data.slice(1).flat().filter((v) => v !== null);
  const high = Math.max(...values);
  return makeChart({
    width, height: small ? 200 : (width < 500 ? 240 : 300),
    scales: { x: { time: false, range: (_u, lo, hi) => [lo - 0.5, hi + 0.5] },
      y: { range: () => [0, high * 1.1] } },
    axes: [yearAxis(), numberAxis(0, { size: 70, label: "kWh", labelSize: 20 })],
    series: [{ label: "Année", value: (_u, v) => year(v) },
      { label: "Consommation", stroke: CONSUMPTION, width: 2, value: (_u, v) => kwh(v),
        points: { show: true, size: 7, fill: CONSUMPTION } },
      { label: "Corrigée du climat", stroke: CORRECTED, width: 2, dash: [4, 4],
        value: (_u, v) => kwh(v), points: { show: true, size: 5 } },
      { label: "Objectif", stroke: TARGET, width: 2, dash: [8, 4], value: (_u, v) => kwh(v),
        points: { show: false }, spanGaps: true }],
    legend: { show: false },
  }, data, box, { caption: `${caption}, de ${year(data[0][0])} à ${year(data[0][data[0].length - 1])}`,
    title, unit: "kWh", digits: 0 });
}

export function trajectoryLegend(t) {
  const corrected = t.years.some((y) => y.corrected !== null);
  return [`<li>${legendLine(CONSUMPTION, "", true)}Consommation</li>`,
    corrected ? `<li>${legendLine(CORRECTED, "4 4")}Corrigée du climat</li>` : "",
    `<li>${legendLine(TARGET, "8 4")}Objectif (trajectoire)</li>`].join("");
}

/** One sentence saying where the building stands against its next target. */
export function trajectorySummary(t) {
  if (t.reference === null) return "Année de référence non renseignée : pas de trajectoire.";
  const known = t.years.filter((y) => y.kwh !== null && y.year > t.reference);
  const parts = [`Référence ${year(t.reference)} : ${kwh(t.referenceKwh)}.`];
  if (known.length) {
    const last = known[known.length - 1];
    const corrected = last.compared === "corrigée";
    const value = corrected ? last.corrected : last.kwh;
    parts.push(`${year(last.year)} : ${kwh(value)}${corrected ? " corrigés du climat" : ""}`
      + `${last.change === null ? "" : `, soit ${percent(last.change)} par rapport à la référence`}`
      + `${last.onTrack === true ? ", sur la trajectoire" : last.onTrack === false
        ? ", au-dessus de la trajectoire" : ""}.`);
  } else {
    parts.push("Aucune année connue depuis la référence.");
  }
  const next = t.milestones.filter((m) => m.kwh !== null).sort((a, b) => a.year - b.year)[0];
  if (next) {
    parts.push(`Objectif ${year(next.year)} : ${kwh(next.kwh)}${next.reduction !== null
      ? ` (−${formatNumber(next.reduction, 0)}${NBSP}%)` : ""}.`);
  }
  return parts.join(" ");
}

const onTrack = (v) => (v === true ? "oui" : v === false ? "non" : "—");

/** The trajectory as a table: each year's consumption, corrected, the target path, the
 * change against the reference (on the décret's compared basis) and whether it is on track;
 * then the milestones. */
export function trajectoryTable(t, caption) {
  const rows = t.years.map((y) => `<tr><th scope="row">${year(y.year)}${
    y.year === t.reference ? " (référence)" : ""}</th>
      <td class="number">${kwh(y.kwh)}</td><td class="number">${kwh(y.corrected)}</td>
      <td class="number">${kwh(targetAt(t, y.year))}</td>
      <td class="number">${y.year === t.reference ? "—" : `${percent(y.change)}${
        y.compared ? ` <span class="muted">(${escapeHtml(y.compared)})</span>` : ""}`}</td>
      <td>${y.year === t.reference ? "—" : onTrack(y.onTrack)}</td></tr>`);
  const milestones = t.milestones.map((m) => `<tr><th scope="row">${year(m.year)} (objectif${
    m.kind === "cabs" ? " en valeur absolue" : ""})</th><td class="number">—</td>
      <td class="number">—</td><td class="number">${kwh(m.kwh)}</td>
      <td class="number">${m.kind === "cabs" || m.reduction === null ? "—" : percent(-m.reduction, 0)}</td>
      <td>—</td></tr>`);
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>
    <th scope="col">Année</th><th scope="col" class="number">Consommation</th>
    <th scope="col" class="number">Corrigée du climat</th><th scope="col" class="number">Objectif (trajectoire)</th>
    <th scope="col" class="number">Écart à la référence</th><th scope="col">Sur la trajectoire</th></tr></thead>
    <tbody>${rows.join("")}${milestones.join("")}</tbody></table>`;
}
