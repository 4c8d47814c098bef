// Risks page: the river stations against their vigilance thresholds (GET …/risks/stations:
// grouped by river, the most alarming first, upstream first along a river, with the trend
// over three hours), the heat-wave indicators of each weather station (GET …/risks/heatwave:
// IBMn/IBMx against the department's thresholds, the running episode) and its forest-fire
// weather (GET …/risks/fire-weather: today's FWI and danger class); where forecasts are
// imported, the heat level and fire danger of the coming days (GET …/risks/outlook), with the
// forecast's issue time and source; and the open risk alerts
// (GET …/alerts?domain=risks&status=active). A commune, in the address (?commune=88383),
// narrows everything; the home page's links carry it here.
import {
  api, escapeHtml, formatNumber, renderHeader, session, SEVERITY_LABELS,
  showError,
} from "/static/js/common.js";
import { formatDateTime, longDate, shortWeekday } from "/static/js/dates.js";

const state = await session();
renderHeader("/risques", state);
const tenant = state.tenant;
const communeSelect = document.getElementById("commune");
const metres = (v) => (v === null || v === undefined ? "—" : `${formatNumber(v, 2)}\u00a0m`);
const COLOURS = ["jaune", "orange", "rouge"];

function vigilanceBadge(colour) {
  const name = colour || "vert";
  const words = colour ? `vigilance ${colour}` : "sous le seuil jaune";
  return `<span class="vigilance ${name}">${escapeHtml(words)}</span>`;
}

function trendText(station) {
  if (!station.trend) return "—";
  const rate = `${station.trend_m_per_h > 0 ? "+" : ""}${formatNumber(station.trend_m_per_h * 100, 0)}\u00a0cm/h`;
  const cls = station.trend === "en hausse" ? ' class="trend-up"' : "";
  return `<span${cls}>${escapeHtml(station.trend)}</span> <span class="muted">(${rate})</span>`;
}

function thresholdsText(station) {
  const parts = COLOURS.filter((c) => station.thresholds[c] !== undefined)
    .map((c) => `${c}\u00a0: ${metres(station.thresholds[c])}`);
  return parts.length ? parts.join(" ; ") : '<span class="muted">non renseignés</span>';
}

function showRivers(data) {
  const box = document.getElementById("rivers");
  if (!data.rivers.length) {
    box.innerHTML = '<p class="muted">Aucune station de mesure des cours d\'eau.</p>';
    return;
  }
  box.innerHTML = data.rivers.map((river, i) => `
    <div class="river">
      <h3 id="river-${i}">${escapeHtml(river.river || "Cours d'eau non renseigné")}
        ${vigilanceBadge(river.vigilance)}</h3>
      <div class="table-wrap"><table aria-labelledby="river-${i}">
        <thead><tr><th scope="col">Station (amont d'abord)</th>
          <th scope="col" class="number">Hauteur</th><th scope="col">Vigilance</th>
          <th scope="col">Tendance (3 h)</th><th scope="col">Seuils</th>
          <th scope="col">Mesurée le</th></tr></thead>
        <tbody>${river.stations.map((s) => `<tr>
          <th scope="row"><a href="/equipements/${s.asset_id}">${escapeHtml(s.name)}</a></th>
          <td class="number">${metres(s.level_m)}</td>
          <td>${s.level_m === null ? '<span class="muted">pas de mesure depuis 6 h</span>'
            : vigilanceBadge(s.vigilance)}${s.next_threshold ? `<span class="muted block">
            seuil ${escapeHtml(s.next_threshold.vigilance)} à ${metres(s.next_threshold.level_m)}
            </span>` : ""}</td>
          <td>${trendText(s)}</td>
          <td>${thresholdsText(s)}</td>
          <td>${formatDateTime(s.at)}</td></tr>`).join("")}</tbody>
      </table></div>
    </div>`).join("")
    + (data.silent ? `<p>${formatNumber(data.silent, 0)} station(s) sans mesure depuis
      six heures.</p>` : "");
}

const degrees = (v) => (v === null || v === undefined ? "—" : `${formatNumber(v, 1)}\u00a0°C`);

const dayText = (iso, today) => (iso === today ? "aujourd'hui" : shortWeekday(iso));
const HEAT_WORDS = { canicule: "canicule", normal: "sous les seuils" };

function heatCell(day) {
  if (!day) return '<span class="muted">—</span>';
  return `<span class="level heat-${escapeHtml(day.level)}">${escapeHtml(HEAT_WORDS[day.level])}</span>
    <span class="muted block">IBMn ${degrees(day.ibmn)}, IBMx ${degrees(day.ibmx)}${
  day.forecast ? " · prévision" : " · mesuré"}</span>`;
}

function fireCell(day) {
  if (!day) return '<span class="muted">—</span>';
  return `<span class="level fire-${escapeHtml(day.class)}">${escapeHtml(day.class_label)}</span>
    <span class="muted block">IFM ${formatNumber(day.fwi, 1)}${
  day.forecast ? " · prévision" : " · mesuré"}</span>`;
}

// The coming days of a station with imported forecasts: one row a day, its heat level
// (IBM against the thresholds) and its forest-fire danger class, each marked « prévision »
// or « mesuré ».
function outlookTable(station, outlook, index) {
  const heatBy = new Map(station.heat.days.map((d) => [d.date, d]));
  const fireBy = new Map(station.fire.days.map((d) => [d.date, d]));
  const dates = [...new Set([...heatBy.keys(), ...fireBy.keys()])].sort();
  const issues = station.forecast.issues.map((i) => `émise le ${formatDateTime(i.issued_at)}${
    i.source ? ` (${escapeHtml(i.source)})` : ""}`).join(" ; ");
  const rows = dates.map((date) => `<tr><th scope="row">${escapeHtml(dayText(date, outlook.today))}</th>
    <td>${heatCell(heatBy.get(date))}</td><td>${fireCell(fireBy.get(date))}</td></tr>`).join("");
  return `<div class="table-wrap"><table class="outlook" id="outlook-${index}">
    <caption>Prochains jours — prévision ${issues}</caption>
    <thead><tr><th scope="col">Jour</th><th scope="col">Chaleur</th>
      <th scope="col">Feux de forêt</th></tr></thead>
    <tbody>${rows || '<tr><td colspan="3" class="muted">Pas de jour à venir calculable.</td></tr>'}</tbody>
  </table></div>`;
}

function forecastEpisode(station) {
  const coming = station?.heat.episodes.find((e) => e.forecast);
  if (!coming) return "";
  const from = longDate(coming.start);
  return `<p><span class="badge warning">Canicule prévue</span> à partir du ${escapeHtml(from)}
    (pic IBMx ${degrees(coming.peak_ibmx)}, prévision)</p>`;
}

function showWeather(heat, fire, outlook, commune) {
  const box = document.getElementById("weather");
  const mine = (list) => list.filter((s) => !commune || s.commune === commune);
  const heatBy = new Map(mine(heat.stations).map((s) => [s.id, s]));
  const fireBy = new Map(mine(fire.stations).map((s) => [s.id, s]));
  const stations = mine(outlook.stations);
  if (!stations.length) {
    box.innerHTML = '<p class="muted">Aucune station météo dans ce périmètre.</p>';
    return;
  }
  const limits = heat.thresholds;
  const limitsNote = `seuils du département${limits.department ? ` ${escapeHtml(limits.department)}` : ""}
    : IBMn ${degrees(limits.ibmn)}, IBMx ${degrees(limits.ibmx)}${limits.verified === false
    ? " (à vérifier)" : ""}`;
  box.innerHTML = `<div class="levels">${stations.map((o, index) => {
    const s = heatBy.get(o.id);
    const fw = fireBy.get(o.id)?.current;
    const episode = s?.running ? `<p><span class="badge critical">Canicule en cours</span>
      depuis le ${escapeHtml(longDate(s.running.start))} (pic IBMx ${degrees(s.running.peak_ibmx)})</p>`
      : forecastEpisode(o.forecast ? o : null)
        || (s ? '<p><span class="badge ok">Pas d\'épisode de canicule</span></p>' : "");
    const today = s ? `<p>Indicateurs canicule du ${escapeHtml(s.current?.date ? longDate(s.current.date) : "—")} : IBMn
        <strong>${degrees(s.current?.ibmn)}</strong>, IBMx <strong>${degrees(s.current?.ibmx)}</strong>
        <span class="muted block">${limitsNote}</span></p>`
      : '<p class="muted">Pas de mesure de température.</p>';
    const forest = `<p>Météo des forêts : ${fw ? `<strong>${escapeHtml(fw.class_label)}</strong>
        (IFM ${formatNumber(fw.fwi, 1)}, le ${escapeHtml(longDate(fw.date))})`
      : '<span class="muted">non calculée sur les mesures (température, humidité, vent et '
        + "pluie nécessaires)</span>"}</p>`;
    return `<div class="station-levels${o.forecast ? " with-outlook" : ""}">
      <h3>${escapeHtml(o.name)}</h3>${today}${episode}${forest}
      ${o.forecast ? outlookTable(o, outlook, index) : ""}</div>`;
  }).join("")}</div>`;
}

function showAlerts(alerts) {
  const box = document.getElementById("alerts");
  if (!alerts.length) {
    box.innerHTML = '<p class="muted">Aucune alerte de risque en cours.</p>';
    return;
  }
  box.innerHTML = `<ul class="alert-list">${alerts.map((a) => `
    <li><span class="badge ${a.severity}">${SEVERITY_LABELS[a.severity]}</span>
      <a href="/alertes?alerte=${a.id}">${escapeHtml(a.title)}</a>
      <span class="muted">— ${escapeHtml(a.status_label)}, depuis le
      ${formatDateTime(a.opened_at)}</span></li>`).join("")}</ul>`;
}

async function refresh() {
  const commune = communeSelect.value || undefined;
  const [rivers, heat, fire, outlook, alerts] = await Promise.all([
    api(`/tenants/${tenant.id}/risks/stations`, { params: { commune } }),
    api(`/tenants/${tenant.id}/risks/heatwave`, { params: { days: 7 } }),
    api(`/tenants/${tenant.id}/risks/fire-weather`, { params: { days: 7 } }),
    api(`/tenants/${tenant.id}/risks/outlook`, { params: { days: 8 } }),
    api(`/tenants/${tenant.id}/alerts`,
      { params: { domain: "risks", status: "active", commune, limit: 50 } }),
  ]);
  showRivers(rivers);
  showAlerts(alerts);
  showWeather(heat, fire, outlook, communeSelect.value);
  document.getElementById("status").textContent = "Données des risques à jour.";
}

async function start() {
  if (!tenant) {
    document.getElementById("rivers").innerHTML =
      '<p class="muted">Aucun territoire ne vous est encore ouvert.</p>';
    return;
  }
  const communes = await api(`/tenants/${tenant.id}/communes`, { params: { boundaries: false } });
  communeSelect.insertAdjacentHTML("beforeend", communes.map((c) =>
    `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  const wanted = new URLSearchParams(location.search).get("commune");
  if (wanted && communes.some((c) => c.insee === wanted)) communeSelect.value = wanted;
  communeSelect.disabled = false;
  const entry = document.getElementById("crisis-entry");
  entry.innerHTML = '<a class="button danger" href="/risques/crise">Mode crise</a> '
    + '<a class="button secondary" href="/risques/appels">Liste d\'appels du registre des '
    + 'personnes vulnérables</a> <a class="button secondary" href="/risques/registre">'
    + "Registre des personnes vulnérables</a>";
  entry.hidden = false;
  communeSelect.addEventListener("change", () => {
    const url = new URL(location.href);
    if (communeSelect.value) url.searchParams.set("commune", communeSelect.value);
    else url.searchParams.delete("commune");
    history.replaceState(null, "", url);
    refresh().catch((error) => showError(error));
  });
  await refresh();
}

start().catch((error) => showError(error));
