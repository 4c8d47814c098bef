// Panel of a building's page (core.registry.Panel): its energy signature — each month's
// consumption against the month's heating degree days (DJU) of its weather station, a
// scatter with the fitted line (consumption = slope × DJU + base), the fit in words and
// every month as a table. GET …/buildings/{id}/signature?year= (the décret's module).
/* global uPlot */
import { api, errorText, escapeHtml, formatNumber } from "/static/js/common.js";
import { localDay } from "/static/js/dates.js";
import { makeChart, numberAxis, FR_NAMES } from "/static/js/charts.js";
import { CONSUMPTION, TARGET, ensureStyles, kwh, legendLine, year } from "./figures.js";

const NBSP = "\u00a0";

/** The signature route's answer (``signature.energy_signature``) as the panel reads it. */
export function signatureOf(d) {
  const months = (d.months || []).map((m) => ({ month: m.month, dju: m.dju ?? null, kwh: m.kwh ?? null }));
  const fit = d.fit ? { slope: d.fit.slope, base: d.fit.intercept, r2: d.fit.r2 ?? null } : null;
  const dju = d.dju || {};
  return { year: d.year, months, fit, station: dju.station ? dju.station.name : null,
    method: dju.method_label || null, base: dju.base_c ?? null, message: d.message || null };
}

export function monthName(text) {
  const [y, m] = text.split("-").map(Number);
  return `${FR_NAMES.MMMM[m - 1]} ${year(y)}`;
}

function fitText(s) {
  const points = s.months.filter((m) => m.dju !== null && m.kwh !== null);
  if (s.message) return s.message;
  if (!points.length) return `Aucun mois de ${year(s.year)} avec sa consommation et ses degrés-jours : pas de signature.`;
  if (!s.fit) return `${points.length} mois mesuré(s) en ${year(s.year)} : trop peu pour ajuster une droite.`;
  return `Consommation d'un mois ≈ ${formatNumber(s.fit.slope, 1)}${NBSP}kWh par degré-jour `
    + `+ ${kwh(s.fit.base)} (part indépendante du climat), sur ${points.length} mois de `
    + `${year(s.year)}${s.fit.r2 === null ? "" : ` ; coefficient de détermination R² = ${formatNumber(s.fit.r2, 2)}`}.`;
}

function draw(box, s) {
  const points = s.months.filter((m) => m.dju !== null && m.kwh !== null)
    .sort((a, b) => a.dju - b.dju);
  if (typeof uPlot === "undefined" || !points.length) return null;
  const width = Math.max(260, box.clientWidth);
  const xs = points.map((p) => p.dju);
  const line = s.fit ? xs.map((x) => s.fit.slope * x + s.fit.base) : xs.map(() => null);
  const high = Math.max(...points.map((p) => p.kwh), ...line.filter((v) => v !== null));
  return makeChart({
    width, height: width < 500 ? 240 : 300,
    scales: { x: { time: false, range: (_u, lo, hi) => [0, Math.max(hi * 1.05, 10)] },
      y: { range: () => [0, high * 1.1] } },
    axes: [numberAxis(0, { size: 40, label: "degrés-jours unifiés (DJU)", labelSize: 20 }),
      numberAxis(0, { size: 70, label: "kWh", labelSize: 20 })],
    series: [{ label: "DJU", value: (_u, v) => formatNumber(v, 0) },
      { label: "Consommation du mois", stroke: CONSUMPTION, width: 0, paths: () => null,
        points: { show: true, size: 9, fill: CONSUMPTION }, value: (_u, v) => kwh(v) },
      { label: "Droite ajustée", stroke: TARGET, width: 2, points: { show: false },
        value: (_u, v) => kwh(v) }],
    legend: { show: false },
  }, [xs, points.map((p) => p.kwh), line], box, {
    title: `Signature énergétique de ${year(s.year)}`,
    caption: `Signature énergétique de ${year(s.year)} : consommation de chaque mois selon ses `
      + "degrés-jours, et droite ajustée",
    columns: [{ header: "Degrés-jours unifiés (DJU)", format: (v) => formatNumber(v, 1) }],
    unit: "kWh", digits: 0 });
}

function table(s) {
  return `<table><caption>Consommation et degrés-jours de chaque mois de ${year(s.year)}</caption>
    <thead><tr><th scope="col">Mois</th><th scope="col" class="number">Degrés-jours (DJU)</th>
    <th scope="col" class="number">Consommation</th></tr></thead><tbody>${s.months.map((m) => `<tr data-month="${escapeHtml(m.month)}">
      <th scope="row">${escapeHtml(monthName(m.month))}</th><td class="number">${formatNumber(m.dju, 1)}</td>
      <td class="number">${m.kwh === null ? '<span class="muted">non mesurée</span>' : kwh(m.kwh)}</td></tr>`).join("")}
    </tbody></table>`;
}

export async function render(container, ctx) {
  ensureStyles();
  container.classList.add("signature-panel");
  const thisYear = Number(localDay().slice(0, 4));
  const years = [];
  for (let y = thisYear; y >= thisYear - 9; y -= 1) years.push(y);
  container.innerHTML = `
    <div class="panel-controls"><label for="sg-year">Année</label>
      <select id="sg-year">${years.map((y) => `<option value="${y}"${y === thisYear - 1 ? " selected" : ""}>${
        year(y)}${y === thisYear ? " (en cours)" : ""}</option>`).join("")}</select></div>
    <p id="sg-status" class="visually-hidden" role="status"></p>
    <figure class="chart-figure" aria-labelledby="sg-summary">
      <div id="sg-plot" aria-hidden="true"></div>
      <ul class="legend-inline" aria-hidden="true">
        <li><svg width="12" height="12" aria-hidden="true" focusable="false"><circle cx="6" cy="6" r="5" fill="${CONSUMPTION}"/></svg>Consommation d'un mois</li>
        <li>${legendLine(TARGET)}Droite ajustée</li></ul>
      <figcaption><span id="sg-summary"></span> <span id="sg-source" class="muted"></span></figcaption>
    </figure>
    <details><summary>Tableau des mois</summary>
      <div id="sg-table" class="table-wrap" tabindex="0" role="region" aria-label="Tableau de la signature énergétique"></div></details>`;
  const $ = (id) => container.querySelector(`#${id}`);
  let chart = null;
  let current = null;

  async function load() {
    delete container.dataset.ready;
    $("sg-status").textContent = "Chargement…";
    if (chart) { chart.destroy(); chart = null; }
    try {
      current = signatureOf(await api(`/tenants/${ctx.tenant.id}/buildings/${ctx.asset.id}/signature`,
        { params: { year: $("sg-year").value } }));
    } catch (error) {
      current = null;
      $("sg-summary").textContent = `Signature indisponible : ${errorText(error)}`;
      $("sg-source").textContent = "";
      $("sg-table").innerHTML = "";
      container.dataset.ready = "true";
      return;
    }
    $("sg-summary").textContent = fitText(current);
    $("sg-source").textContent = current.station ? `Degrés-jours de la station ${current.station}${
      current.method ? `, méthode ${current.method}` : ""}${current.base !== null
      ? `, base ${formatNumber(current.base, 1)}${NBSP}°C` : ""}.` : "";
    $("sg-table").innerHTML = table(current);
    chart = draw($("sg-plot"), current);
    $("sg-status").textContent = `Signature de ${year(current.year)} affichée.`;
    container.dataset.ready = "true";
  }

  $("sg-year").addEventListener("change", () => { load(); });
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (!chart || !current || Math.abs(window.innerWidth - width) < 20) return;
    width = window.innerWidth;
    chart.destroy();
    chart = draw($("sg-plot"), current);
  });
  await load();
}
