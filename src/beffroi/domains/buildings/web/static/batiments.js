// Buildings page: the buildings ranked by electricity per m² over a year or by the money at
// stake each week in their open anomalies (GET …/buildings/overview?year=&commune=: a
// table whose column buttons change the order), the anomalies themselves, the décret
// tertiaire trajectory of each subject building (GET …/buildings/decret, then
// …/buildings/{id}/trajectory: a small chart and its table) and the rooms above 1,500 ppm
// of CO2 today. A year and a commune, in the address (?annee=2025&commune=88383), narrow it.
import {
  api, errorText, escapeHtml, formatNumber, renderHeader, session, SEVERITY_LABELS,
  showError,
} from "/static/js/common.js";
import { formatDateTime, localDay } from "/static/js/dates.js";
import {
  drawTrajectory, euros, kwh, kwhM2, m2, ppm, trajectoryLegend, trajectoryOf, trajectorySummary,
  trajectoryTable, year,
} from "./figures.js";

const state = await session();
renderHeader("/batiments", state);
const tenant = state.tenant;
const yearSelect = document.getElementById("year");
const communeSelect = document.getElementById("commune");
const $ = (id) => document.getElementById(id);
let overview = null;
let order = "kwh_per_m2";
const charts = [];

// Column -> [header, how to read, French order announced]. Highest first for both figures.
const ORDERS = {
  kwh_per_m2: "de la plus forte consommation par m² à la plus faible",
  eur_per_week: "du plus fort enjeu en euros par semaine au plus faible",
};

function sorted(buildings) {
  const list = [...buildings];
  list.sort((a, b) => {
    const x = a[order];
    const y = b[order];
    if (x === null && y === null) return a.name.localeCompare(b.name, "fr");
    if (x === null) return 1;
    if (y === null) return -1;
    return y - x || a.name.localeCompare(b.name, "fr");
  });
  return list;
}

function sortHeader(key, label) {
  const active = order === key;
  return `<th scope="col" class="number"${active ? ' aria-sort="descending"' : ""}>
    <button type="button" class="sort" data-sort="${key}">${label}${active
      ? ' <span aria-hidden="true">▼</span>' : ""}</button></th>`;
}

const SOURCES = { saisi: "saisie", "mesuré": "mesurée" };

/** Where the year's figure comes from, energy by energy: « électricité mesurée », « gaz
 * naturel saisi(e) », or « … relevée sur 50 % de l'année » when it does not cover it. */
function coverage(b) {
  if (!b.energies.length) return '<span class="muted">aucune donnée</span>';
  const parts = b.energies.map((e) => (e.source
    ? `${escapeHtml(e.label)} ${SOURCES[e.source] || escapeHtml(e.source)}`
    : `${escapeHtml(e.label)} relevée sur ${formatNumber(e.coverage * 100, 0)}\u00a0% de l'année`));
  return `${b.complete ? "" : '<strong>Incomplet :</strong> '}${parts.join(", ")}`;
}

function showRanking() {
  const d = overview;
  const box = $("ranking");
  if (!d.buildings.length) {
    box.innerHTML = '<p class="muted">Aucun bâtiment public dans ce périmètre.</p>';
    return;
  }
  const list = sorted(d.buildings);
  box.innerHTML = `<div class="table-wrap" tabindex="0" role="region" aria-labelledby="ranking-caption">
    <table id="ranking-table"><caption id="ranking-caption">Bâtiments en ${year(d.year)}${
      d.partial_year ? " (année en cours)" : ""}, ${ORDERS[order]}</caption>
    <thead><tr><th scope="col">Bâtiment</th><th scope="col">Usage</th>
      <th scope="col" class="number">Surface</th><th scope="col" class="number">Consommation</th>
      ${sortHeader("kwh_per_m2", "kWh/m²/an")}<th scope="col">Données</th>
      <th scope="col" class="number">Anomalies</th><th scope="col" class="number">kWh perdus par semaine</th>
      ${sortHeader("eur_per_week", "€ en jeu par semaine")}
      <th scope="col" class="number">Pièces au-delà de ${ppm(d.co2_limit_ppm)}</th></tr></thead>
    <tbody>${list.map((b) => `<tr data-id="${b.id}">
      <th scope="row"><a href="/equipements/${b.id}">${escapeHtml(b.name)}</a></th>
      <td>${escapeHtml(b.usage_label || "—")}</td>
      <td class="number">${m2(b.area_m2)}</td><td class="number">${kwh(b.kwh)}</td>
      <td class="number">${kwhM2(b.kwh_per_m2)}</td><td class="coverage">${coverage(b)}</td>
      <td class="number">${formatNumber(b.anomalies, 0)}</td>
      <td class="number">${kwh(b.kwh_per_week)}</td><td class="number">${euros(b.eur_per_week)}</td>
      <td class="number">${formatNumber(b.rooms_over_limit, 0)}</td></tr>`).join("")}</tbody>
    </table></div>`;
  box.querySelectorAll("button.sort").forEach((button) => button.addEventListener("click", () => {
    order = button.dataset.sort;
    showRanking();
    box.querySelector(`button.sort[data-sort="${order}"]`).focus();
    $("status").textContent = `Bâtiments classés ${ORDERS[order]}.`;
  }));
}

function showAnomalies() {
  const box = $("anomalies");
  const list = overview.anomalies;
  if (!list.length) {
    box.innerHTML = '<p class="muted">Aucune anomalie de consommation en cours.</p>';
    return;
  }
  box.innerHTML = `<div class="table-wrap" tabindex="0" role="region" aria-labelledby="anomalies-caption">
    <table><caption id="anomalies-caption">Anomalies en cours, de la plus coûteuse à la moins coûteuse</caption>
    <thead><tr><th scope="col">Anomalie</th><th scope="col">Bâtiment</th><th scope="col">Gravité</th>
      <th scope="col" class="number">kWh par semaine</th><th scope="col" class="number">€ par semaine</th>
      <th scope="col">Depuis le</th></tr></thead>
    <tbody>${list.map((a) => `<tr><th scope="row"><a href="/alertes?alerte=${a.alert_id}">${escapeHtml(a.title)}</a></th>
      <td><a href="/equipements/${a.building_id}">${escapeHtml(a.building_name)}</a></td>
      <td><span class="badge ${escapeHtml(a.severity)}">${SEVERITY_LABELS[a.severity] || escapeHtml(a.severity)}</span></td>
      <td class="number">${kwh(a.kwh_per_week)}</td><td class="number">${euros(a.eur_per_week)}</td>
      <td>${formatDateTime(a.opened_at)}</td></tr>`).join("")}</tbody></table></div>`;
}

function showRooms() {
  const box = $("rooms");
  const d = overview;
  $("rooms-title").textContent = `Pièces au-delà de ${ppm(d.co2_limit_ppm)} de CO2 aujourd'hui`;
  const measured = d.rooms_measured_today;
  if (!d.rooms_over_limit.length) {
    box.innerHTML = `<p class="muted">Aucune pièce au-delà de ${ppm(d.co2_limit_ppm)} aujourd'hui${
      measured ? ` (${formatNumber(measured, 0)} pièce${measured > 1 ? "s" : ""} mesurée${measured > 1 ? "s" : ""})`
        : " : aucune mesure de CO2 aujourd'hui"}.</p>`;
    return;
  }
  box.innerHTML = `<div class="table-wrap" tabindex="0" role="region" aria-labelledby="rooms-caption">
    <table><caption id="rooms-caption">${formatNumber(d.rooms_over_limit.length, 0)} pièce(s) sur
      ${formatNumber(measured, 0)} mesurée(s) aujourd'hui, du CO2 le plus élevé au moins élevé</caption>
    <thead><tr><th scope="col">Pièce</th><th scope="col">Bâtiment</th>
      <th scope="col" class="number">CO2 le plus élevé du jour</th></tr></thead>
    <tbody>${d.rooms_over_limit.map((r) => `<tr><th scope="row"><a href="/equipements/${r.room_id}">${escapeHtml(r.name)}</a></th>
      <td><a href="/equipements/${r.building_id}">${escapeHtml(r.building_name)}</a></td>
      <td class="number">${ppm(r.max_ppm)}</td></tr>`).join("")}</tbody></table></div>`;
}

/** The subject buildings (GET …/buildings/decret), then each one's trajectory (a chart and
 * its table); the commune chosen narrows them. */
async function showDecret() {
  const box = $("decret");
  while (charts.length) charts.pop().destroy();
  let list;
  try {
    list = await api(`/tenants/${tenant.id}/buildings/decret`);
  } catch (error) {
    box.innerHTML = `<p class="muted">Trajectoires indisponibles : ${escapeHtml(errorText(error))}</p>`;
    return;
  }
  const commune = communeSelect.value;
  const subjects = (list.buildings || []).filter((b) => b.subject && (!commune || b.commune === commune));
  if (!subjects.length) {
    box.innerHTML = '<p class="muted">Aucun bâtiment assujetti au décret tertiaire dans ce périmètre.</p>';
    return;
  }
  const trajectories = await Promise.all(subjects.map((b) => api(
    `/tenants/${tenant.id}/buildings/${b.building_id}/trajectory`).then(trajectoryOf).catch(() => null)));
  box.innerHTML = `<div class="trajectories">${subjects.map((b, i) => {
    const t = trajectories[i];
    const id = b.building_id;
    return `<article class="trajectory" aria-labelledby="traj-${id}">
      <h3 id="traj-${id}"><a href="/equipements/${id}">${escapeHtml(b.name)}</a></h3>
      <p class="muted">${escapeHtml(b.reason || "")}</p>
      ${t ? `<figure class="chart-figure" aria-labelledby="traj-${id}">
        <div class="traj-plot" data-index="${i}" aria-hidden="true"></div>
        <ul class="legend-inline" aria-hidden="true">${trajectoryLegend(t)}</ul>
        <figcaption>${escapeHtml(trajectorySummary(t))}${t.notes.map((n) => ` ${escapeHtml(n)}`).join("")}</figcaption></figure>
      <details><summary>Tableau de la trajectoire</summary><div class="table-wrap" tabindex="0"
        role="region" aria-label="Trajectoire de ${escapeHtml(b.name)}">${trajectoryTable(t,
          `Consommation de ${b.name} par année et objectifs`)}</div></details>`
        : '<p class="muted">Trajectoire indisponible.</p>'}</article>`;
  }).join("")}</div>`;
  box.querySelectorAll(".traj-plot").forEach((plot) => {
    const i = Number(plot.dataset.index);
    const chart = drawTrajectory(plot, trajectories[i], { small: true,
      caption: `Trajectoire de ${subjects[i].name} : consommation, corrigée du climat, et objectif` });
    if (chart) charts.push(chart);
  });
}

function remember() {
  const url = new URL(location.href);
  url.searchParams.set("annee", yearSelect.value);
  if (communeSelect.value) url.searchParams.set("commune", communeSelect.value);
  else url.searchParams.delete("commune");
  history.replaceState(null, "", url);
}

async function refresh() {
  delete document.body.dataset.ready;
  $("status").textContent = "Chargement…";
  overview = await api(`/tenants/${tenant.id}/buildings/overview`, {
    params: { year: yearSelect.value, commune: communeSelect.value || undefined } });
  showRanking();
  showAnomalies();
  showRooms();
  await showDecret();
  $("status").textContent = `Bâtiments de ${year(overview.year)} affichés.`;
  document.body.dataset.ready = "true";
}

async function start() {
  if (!tenant) {
    $("ranking").innerHTML = '<p class="muted">Aucun territoire ne vous est encore ouvert.</p>';
    return;
  }
  const communes = await api(`/tenants/${tenant.id}/communes`, { params: { boundaries: false } });
  communeSelect.insertAdjacentHTML("beforeend", communes.map((c) =>
    `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  const params = new URLSearchParams(location.search);
  const wanted = params.get("commune");
  if (wanted && communes.some((c) => c.insee === wanted)) communeSelect.value = wanted;
  const thisYear = Number(localDay().slice(0, 4));
  const years = [];
  for (let y = thisYear; y >= thisYear - 9; y -= 1) years.push(y);
  yearSelect.innerHTML = years.map((y) => `<option value="${y}">${year(y)}${
    y === thisYear ? " (en cours)" : ""}</option>`).join("");
  const asked = Number(params.get("annee"));
  yearSelect.value = String(years.includes(asked) ? asked : thisYear - 1);
  yearSelect.disabled = false;
  communeSelect.disabled = false;
  for (const select of [yearSelect, communeSelect]) {
    select.addEventListener("change", () => {
      remember();
      refresh().catch((error) => showError(error));
    });
  }
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (Math.abs(window.innerWidth - width) < 20) return;
    width = window.innerWidth;
    showDecret().catch((error) => showError(error));
  });
  await refresh();
}

start().catch((error) => showError(error));
