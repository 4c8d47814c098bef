// Lighting dashboard: energy of the year month by month against last year and against
// what the programmes should use, savings, open failures and non-compliances, for the
// territory or one commune. GET /tenants/{t}/lighting/summary?year=&commune=.
/* global uPlot */
import {
  api, escapeHtml, formatNumber, renderHeader, session,
  SEVERITY_LABELS, showError,
} from "/static/js/common.js";
import { formatDate, formatDateTime } from "/static/js/dates.js";
import {
  comparisonText, coverageText, daysMeasured, kwh, kwhNumber, MONTHS, MONTHS_SHORT, signedPercent,
} from "/static/domains/lighting/lighting.js";
import { makeChart, numberAxis } from "/static/js/charts.js";

const state = await session();
renderHeader("/eclairage", state);
const tenant = state.tenant;
const communeSelect = document.getElementById("commune");
const yearSelect = document.getElementById("year");
const THIS_YEAR = "#000091";
const LAST_YEAR = "#b34000";
const EXPECTED = "#18753c";
let chart = null;

const monthName = (m) => MONTHS[Number(m.month.slice(5)) - 1];
const plural = (n, one, many) => `${formatNumber(n, 0)} ${n > 1 ? many : one}`;

/** One figure of the key figures: its value (data-value: the API's number) and a line. */
function figure(key, label, value, shown, detail = "") {
  return `<div data-figure="${key}"><dt>${label}</dt><dd data-value="${value ?? ""}">${shown}${
    detail ? `<span class="detail">${detail}</span>` : ""}</dd></div>`;
}

/** The last month of the year with measurements, to compare with the same month before. */
function lastMonth(months) {
  return [...months].reverse().find((m) => m.kwh !== null) || null;
}

/** A month's comparison with the same days of the year before, as the API made it. */
function monthComparison(m, year) {
  return m.change_pct === null
    ? `comparaison impossible : ${daysMeasured(m.compared_days)} sur les deux périodes`
    : `${signedPercent(m.change_pct)} par rapport aux mêmes jours de ${year - 1} (${
      daysMeasured(m.compared_days)} sur les deux périodes)`;
}

function showFigures(s) {
  const e = s.energy;
  const month = lastMonth(e.months);
  const commune = communeSelect.value;
  const covered = e.coverage.year;
  const v = s.savings;
  const savingsLabel = v.estimated && v.measured_share === 0 ? "Économies estimées" : "Économies";
  const items = [
    figure("year_kwh", `Consommation ${s.year}`, e.year_kwh, kwh(e.year_kwh),
      covered.days ? `mesurée ${coverageText(covered)} ; ${comparisonText(e.comparison)}`
        : "aucune mesure"),
    month ? figure("month_kwh", `Consommation de ${monthName(month)} ${s.year}`, month.kwh,
      kwh(month.kwh), `${daysMeasured(month.measured_days)} ; ${monthName(month)} ${s.year - 1} : ${
        month.previous_kwh === null ? "aucune mesure" : `${kwh(month.previous_kwh)} (${
          daysMeasured(month.previous_measured_days)})`} ; ${monthComparison(month, s.year)}`) : "",
    figure("previous_year_kwh", `Consommation ${s.year - 1}`, e.previous_year_kwh,
      kwh(e.previous_year_kwh), coverageText(e.coverage.previous_year)),
    figure("expected_kwh", "Attendu d'après les programmes", e.expected_kwh, kwh(e.expected_kwh),
      `pour les jours mesurés de ${s.year}`),
    figure("savings_kwh", savingsLabel, v.kwh, kwh(v.kwh),
      v.eur === null ? escapeHtml(v.note || "") : `${formatNumber(v.eur, 0)} € ; ${
        formatNumber(v.kg_co2e, 0)} kg CO₂e${v.kwh < 0
        ? " (négatif : surconsommation par rapport à la référence)" : ""}${
        v.note ? ` — ${escapeHtml(v.note)}` : ""}`),
    figure("failures", "Pannes en cours", s.failures.open, formatNumber(s.failures.open, 0),
      '<a href="#failures-title">voir la liste</a>'),
    figure("non_compliances", "Points lumineux non conformes", s.non_compliances.luminaires,
      formatNumber(s.non_compliances.luminaires, 0),
      `<a href="/eclairage/conformite${commune ? `?commune=${encodeURIComponent(commune)}` : ""}">rapport de conformité</a> (${
        plural(s.non_compliances.findings, "constat", "constats")})`),
    figure("inventory", "Parc", s.luminaires, plural(s.luminaires, "point lumineux", "points lumineux"),
      `${plural(s.cabinets, "armoire", "armoires")}, dont ${formatNumber(e.metered_cabinets ?? 0, 0)} avec compteur`),
  ];
  document.getElementById("figures").innerHTML = items.join("");
}

function showMonths(s) {
  const months = s.energy.months;
  const y = s.year;
  const cell = (value, days) => (value === null ? "—"
    : `${kwh(value)}<span class="muted block">${daysMeasured(days)}</span>`);
  document.getElementById("months-table").innerHTML = `<table><caption>Consommation mensuelle
    (kWh) — ${y} et ${y - 1} ; l'évolution ne compare que les jours relevés les deux années</caption>
    <thead><tr><th scope="col">Mois</th><th scope="col" class="number">${y}</th>
    <th scope="col" class="number">${y - 1}</th><th scope="col" class="number">Évolution (mêmes jours)</th>
    <th scope="col" class="number">Attendu ${y}</th></tr></thead><tbody>${months.map((m) => `
    <tr data-month="${m.month}"><th scope="row">${monthName(m)}</th><td class="number">${cell(m.kwh, m.measured_days)}</td>
      <td class="number">${cell(m.previous_kwh, m.previous_measured_days)}</td>
      <td class="number" data-value="${m.change_pct ?? ""}">${m.change_pct === null
        ? (m.kwh !== null && m.previous_kwh !== null
          ? `<span class="small">comparaison impossible : ${daysMeasured(m.compared_days)} sur les deux périodes</span>` : "—")
        : `${signedPercent(m.change_pct)}<span class="muted block">sur ${daysMeasured(m.compared_days)}</span>`}</td>
      <td class="number">${kwh(m.expected_kwh)}</td></tr>`).join("")}</tbody></table>`;
  const measured = months.filter((m) => m.kwh !== null);
  const top = measured.reduce((a, m) => (a && a.kwh >= m.kwh ? a : m), null);
  document.getElementById("months-summary").textContent = measured.length
    ? `${y} : ${kwh(s.energy.year_kwh)} mesurés ${coverageText(s.energy.coverage.year)}, `
      + `le plus élevé en ${monthName(top)} (${kwh(top.kwh)}) ; ${y - 1} : ${kwh(s.energy.previous_year_kwh)}`
      + ` (${coverageText(s.energy.coverage.previous_year)}) ; ${comparisonText(s.energy.comparison)}. `
      + "Le tableau ci-dessous donne chaque mois."
    : `Aucune consommation mesurée en ${y}.`;

  if (chart) chart.destroy();
  const box = document.getElementById("months-plot");
  if (typeof uPlot === "undefined") return;
  const width = Math.max(280, box.clientWidth);
  const bars = (align) => (uPlot.paths && uPlot.paths.bars
    ? uPlot.paths.bars({ size: [0.4, 40], align }) : undefined);
  chart = makeChart({
    width, height: width < 500 ? 220 : 300,
    scales: { x: { time: false, range: [-0.6, 11.6] },
      y: { range: (_, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { values: (u, ticks) => ticks.map((t) => (!Number.isInteger(t) || !MONTHS_SHORT[t] ? ""
        : u.width < 600 ? MONTHS_SHORT[t][0].toUpperCase() : MONTHS_SHORT[t])),
        splits: () => [...Array(12).keys()] },
      numberAxis(0, { size: 64 }),
    ],
    series: [
      { label: "Mois", value: (_, i) => (i === null ? "—" : MONTHS[i] || "") },
      { label: `${y - 1} (kWh)`, stroke: LAST_YEAR, fill: "rgba(179, 64, 0, 0.45)", width: 1, paths: bars(-1),
        points: { show: false }, value: (_, v) => kwh(v) },
      { label: `${y} (kWh)`, stroke: THIS_YEAR, fill: "rgba(0, 0, 145, 0.6)", width: 1, paths: bars(1),
        points: { show: false }, value: (_, v) => kwh(v) },
      { label: "Attendu (kWh)", stroke: EXPECTED, width: 2, dash: [6, 4], value: (_, v) => kwh(v) },
    ],
  }, [[...Array(12).keys()], months.map((m) => m.previous_kwh), months.map((m) => m.kwh),
    months.map((m) => m.expected_kwh)], box, {
    caption: `Consommation mois par mois${communeSelect.value
      ? ` de ${communeSelect.selectedOptions[0].textContent}` : ""}, ${y - 1} et ${y}`,
    format: kwhNumber });  // (the unit is in the headers)
}

function showSavings(s) {
  const v = s.savings;
  const rows = [
    ["Référence", escapeHtml(v.baseline_label)],
    ["Consommation de référence", kwh(v.baseline_kwh)],
    ["Consommation", kwh(v.actual_kwh)],
    ["Énergie économisée", kwh(v.kwh)],
    ["Dépense évitée", v.eur === null ? "—" : `${formatNumber(v.eur, 0)} € (à ${formatNumber(v.tariff_eur_kwh, 4)} €/kWh)`],
    ["Émissions évitées", v.kg_co2e === null ? "—" : `${formatNumber(v.kg_co2e, 0)} kg CO₂e (${formatNumber(v.co2_kg_per_kwh, 4)} kg/kWh)`],
    ["Heures de nuit noire rendues", `${formatNumber(v.darkness_hours_restored ?? 0, 0)} h`],
    ["Corridors de nuit noire", formatNumber(v.dark_corridors ?? 0, 0)],
  ];
  document.getElementById("savings").innerHTML = `<dl class="props">${rows.map(([k, val]) =>
    `<dt>${k}</dt><dd>${val}</dd>`).join("")}</dl>
    ${v.from ? `<p class="muted">Du ${formatDate(v.from)} au ${formatDate(v.to)}.</p>` : ""}
    ${v.note ? `<p class="muted">${escapeHtml(v.note)}</p>` : ""}`;
}

function showFailures(s) {
  const f = s.failures;
  const box = document.getElementById("failures");
  if (!f.open) {
    box.innerHTML = '<p class="muted">Aucune panne en cours.</p>';
    return;
  }
  box.innerHTML = `<ul class="simple-list">${f.alerts.map((a) => `<li>
    <span class="badge ${a.severity}">${SEVERITY_LABELS[a.severity] || a.severity}</span>
    ${a.asset_id ? `<a href="/equipements/${a.asset_id}">${escapeHtml(a.ref || a.title)}</a>` : ""}
    ${escapeHtml(a.title)} <span class="muted">— depuis le ${formatDateTime(a.opened_at)}</span>
    <a href="/alertes?alerte=${a.id}">voir l'alerte</a></li>`).join("")}</ul>
    ${f.open > f.alerts.length ? `<p><a href="/alertes">Les ${formatNumber(f.open, 0)} alertes</a></p>` : ""}`;
}

async function load() {
  const status = document.getElementById("status");
  status.textContent = "Chargement…";
  const s = await api(`/tenants/${tenant.id}/lighting/summary`, {
    params: { year: yearSelect.value, commune: communeSelect.value } });
  showFigures(s);
  showMonths(s);
  showSavings(s);
  showFailures(s);
  status.textContent = `Tableau de bord ${s.year} affiché.`;
  document.body.dataset.ready = `${s.year}-${communeSelect.value}`;
}

async function main() {
  if (!tenant) {
    showError(null);
    document.getElementById("message").textContent = "Aucun territoire ne vous est encore ouvert.";
    return;
  }
  document.title = `Éclairage public — ${tenant.name} — Beffroi`;
  document.getElementById("title").textContent = `Éclairage public — ${tenant.name}`;
  const communes = await api(`/tenants/${tenant.id}/communes`, { params: { boundaries: false } });
  communeSelect.insertAdjacentHTML("beforeend", communes.map((c) =>
    `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  const now = new Date().getFullYear();
  yearSelect.innerHTML = [0, 1, 2, 3].map((k) => `<option>${now - k}</option>`).join("");
  const params = new URLSearchParams(location.search);
  if (communes.some((c) => c.insee === params.get("commune"))) communeSelect.value = params.get("commune");
  if (params.get("annee") && [...yearSelect.options].some((o) => o.value === params.get("annee"))) {
    yearSelect.value = params.get("annee");
  }
  communeSelect.disabled = yearSelect.disabled = false;
  for (const select of [communeSelect, yearSelect]) {
    select.addEventListener("change", () => {
      const url = new URL(location.href);
      url.searchParams.set("annee", yearSelect.value);
      if (communeSelect.value) url.searchParams.set("commune", communeSelect.value);
      else url.searchParams.delete("commune");
      history.replaceState(null, "", url);
      load().catch((e) => showError(e));
    });
  }
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (!chart || Math.abs(window.innerWidth - width) < 20) return;
    width = window.innerWidth;
    const w = Math.max(280, document.getElementById("months-plot").clientWidth);
    chart.setSize({ width: w, height: w < 500 ? 220 : 300 });
  });
  await load();
}

main().catch((error) => showError(error));
