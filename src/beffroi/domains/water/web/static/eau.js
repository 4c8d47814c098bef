// Water dashboard: sectors on a map coloured by leak status or by the ILP class of their
// service, the open leaks of each sector (several may be open at once: their number, total
// extra flow, water lost and its cost since their onsets, then each leak), the leaks repaired
// in the period with the water their early detection saved, and the RPQS indicators of each
// service with the décret 2012-97 verdict, for a year or the last 12 months, for the
// territory or one commune.
// GET …/water/sectors/status, …/water/sectors/open-leaks, …/water/indicators (with its
// `repaired_leaks`, as GET …/water/repaired-leaks gives them), …/assets?kind=water.sector.
/* global L */
import {
  api, escapeHtml, formatNumber, renderHeader, roleIn, session, showError,
} from "/static/js/common.js";
import {
  backNote, CATEGORIES, eur, GRADES, m3, m3h, pct, perKmDay, verdict,
} from "/static/domains/water/water.js";
import { longDate } from "/static/js/dates.js";

const state = await session();
renderHeader("/eau", state);
const tenant = state.tenant;
const communeSelect = document.getElementById("commune");
const periodSelect = document.getElementById("period");

// Leak status of a sector on the map: colour, border width and pattern, words.
const LEAK_CLASSES = {
  leak: { label: "Fuite probable en cours", colour: "#ce0500", weight: 5, dash: null, fill: 0.35 },
  ok: { label: "Aucune fuite détectée", colour: "#18753c", weight: 2, dash: null, fill: 0.12 },
  unmetered: { label: "Débit entrant non mesuré", colour: "#666666", weight: 2, dash: "6 6", fill: 0.05 },
};

let status = null;  // GET …/water/sectors/status, each sector with its `open` leaks
let features = [];  // the sectors' GeoJSON features
let indicators = null;  // GET …/water/indicators for the chosen period
let map = null;
let communeNames = new Map();  // INSEE code -> name
const layers = new Map();  // sector id -> Leaflet layer

const plural = (n, one, many) => `${formatNumber(n, 0)} ${n > 1 ? many : one}`;
const NO_LEAK = { count: 0, extra_flow_m3h: 0, lost_m3: 0, lost_eur: 0, leaks: [] };
const total = (sectors, key) => sectors.reduce((sum, s) => sum + (s.open[key] || 0), 0);
const shown = (list) => (communeSelect.value
  ? list.filter((s) => s.commune === communeSelect.value) : list);

function figure(key, label, value, text, detail = "") {
  return `<div data-figure="${key}"><dt>${label}</dt><dd data-value="${value ?? ""}">${text}${
    detail ? `<span class="detail">${detail}</span>` : ""}</dd></div>`;
}

function showFigures() {
  const sectors = shown(status.sectors);
  const leaking = sectors.filter((s) => s.open.count);
  const count = total(leaking, "count");
  const lost = total(leaking, "lost_m3");
  const cost = total(leaking, "lost_eur");
  const extra = total(leaking, "extra_flow_m3h");
  const services = indicators.services;
  const computed = services.filter((s) => s.indicators);
  const below = computed.filter((s) => s.indicators.decree.compliant === false);
  const price = leaking.flatMap((s) => s.open.leaks).find((l) => l.price_eur_m3)?.price_eur_m3;
  document.getElementById("figures").innerHTML = [
    figure("leaks", "Fuites probables en cours", count, formatNumber(count, 0),
      `${count ? `dans ${plural(leaking.length, "secteur", "secteurs")} sur ${formatNumber(sectors.length, 0)}`
        : `sur ${plural(sectors.length, "secteur", "secteurs")}`} (${formatNumber(
        sectors.filter((s) => s.metered).length, 0)} au débit entrant mesuré)`),
    figure("extra_flow", "Débit de fuite", extra, `${count ? "+" : ""}${m3h(extra, 1)}`,
      "débit de nuit en plus de la référence, toutes fuites"),
    figure("lost_m3", "Eau perdue depuis le début des fuites", lost, m3(lost),
      count ? `soit ${eur(cost)}${price ? ` à ${formatNumber(price, 2)} €/m³` : ""}` : ""),
    figure("below_decree", "Services sous le seuil du décret", below.length,
      `${formatNumber(below.length, 0)} sur ${formatNumber(computed.length, 0)}`,
      `${escapeHtml(indicators.period.label)}${services.length > computed.length
        ? ` ; ${plural(services.length - computed.length, "service", "services")} sans indicateurs`
        : ""}`),
  ].join("");
}

// -- the map ----------------------------------------------------------------------------------
function serviceIndicators(sector) {
  if (!sector || !sector.service) return null;
  const service = indicators.services.find((s) => s.service_id === sector.service.id);
  return service ? service.indicators : null;
}

function leakClass(sector) {
  if (sector.open.count) return "leak";
  return sector.metered ? "ok" : "unmetered";
}

function gradeOf(sector) {
  const ind = serviceIndicators(sector);
  return ind && ind.rating ? ind.rating.grade : "none";
}

/** What the map says of a sector in words (tooltip, popup, table). */
function leakText(sector) {
  const o = sector.open;
  if (o.count > 1) {
    return `${formatNumber(o.count, 0)} fuites probables en cours : +${m3h(o.extra_flow_m3h, 1)} au total`;
  }
  return o.count ? `${LEAK_CLASSES.leak.label} : +${m3h(o.extra_flow_m3h, 1)} depuis le ${longDate(o.leaks[0].onset)}`
    : LEAK_CLASSES[leakClass(sector)].label;
}
function ilpText(sector) {
  const ind = serviceIndicators(sector);
  if (!ind || ind.ilp_m3_km_day === null) return "ILP non calculé";
  return `ILP ${perKmDay(ind.ilp_m3_km_day)} — ${ind.rating ? ind.rating.label : "non noté"}`;
}

function styleOf(sector, mode) {
  const c = mode === "ilp" ? { ...GRADES[gradeOf(sector)], weight: 4, fill: 0.3 }
    : LEAK_CLASSES[leakClass(sector)];
  return { color: c.colour, weight: c.weight, dashArray: c.dash, fillColor: c.colour,
    fillOpacity: c.fill, opacity: 1 };
}

function lineSample(c) {
  return `<svg width="36" height="16" aria-hidden="true" focusable="false"><rect x="2" y="2" width="32" height="12"
    fill="${c.colour}" fill-opacity="${c.fill ?? 0.3}" stroke="${c.colour}" stroke-width="${Math.min(c.weight ?? 4, 4)}"
    ${c.dash ? `stroke-dasharray="${c.dash}"` : ""}/></svg>`;
}

function popupHtml(sector) {
  return `<div class="sector-popup"><p><strong>${escapeHtml(sector.name)}</strong> (${escapeHtml(sector.ref)})</p>
    <p>${escapeHtml(sector.commune_name || "")}</p>
    <p>${escapeHtml(leakText(sector))}</p>
    ${sector.open.count ? `<p>Perdu : ${m3(sector.open.lost_m3)} (${eur(sector.open.lost_eur)})</p>` : ""}
    <p>${escapeHtml(ilpText(sector))}</p>
    <p><a href="/equipements/${sector.id}">Ouvrir la fiche du secteur</a></p></div>`;
}

function mode() {
  return document.querySelector('input[name="colouring"]:checked').value;
}

async function setupMap() {
  const config = await api("/map/config").catch(() => ({}));
  map = L.map("sector-map", { zoomControl: false, minZoom: 3, maxZoom: 19, zoomSnap: 0.25 });
  L.control.zoom({ zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière" }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 19 }).addTo(map);
  }
  map.on("popupopen", (event) => {
    const close = event.popup.getElement()?.querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", "Fermer"); close.title = "Fermer"; }
  });
  const byId = new Map(status.sectors.map((s) => [s.id, s]));
  for (const feature of features) {
    const sector = byId.get(feature.id);
    if (!sector || !feature.geometry) continue;
    const layer = L.geoJSON(feature.geometry, { style: styleOf(sector, "leak") });
    layer.bindPopup(() => popupHtml(sector));
    layer.bindTooltip(() => `${escapeHtml(sector.name)} — ${escapeHtml(
      mode() === "ilp" ? ilpText(sector) : leakText(sector))}`, { sticky: true });
    layers.set(sector.id, layer);
  }
  for (const layer of layers.values()) layer.addTo(map);
  fitMap();
}

function fitMap() {
  const bounds = L.latLngBounds([]);
  for (const sector of shown(status.sectors)) {
    const layer = layers.get(sector.id);
    if (layer) bounds.extend(layer.getBounds());
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 15, animate: false });
  else map.setView([46.6, 2.4], 6);
}

function paintMap() {
  const m = mode();
  const sectors = shown(status.sectors);
  const visible = new Set(sectors.map((s) => s.id));
  for (const sector of status.sectors) {
    const layer = layers.get(sector.id);
    if (!layer) continue;
    if (!visible.has(sector.id)) { map.removeLayer(layer); continue; }
    if (!map.hasLayer(layer)) layer.addTo(map);
    layer.setStyle(styleOf(sector, m));
  }
  const counts = {};
  for (const s of sectors) {
    const key = m === "ilp" ? gradeOf(s) : leakClass(s);
    counts[key] = (counts[key] || 0) + 1;
  }
  const classes = m === "ilp" ? Object.entries(GRADES).map(([k, c]) => [k, { ...c, weight: 4, fill: 0.3 }])
    : Object.entries(LEAK_CLASSES);
  document.getElementById("legend").innerHTML = classes.map(([key, c]) => `
    <li data-class="${key}">${lineSample(c)}<span>${escapeHtml(c.label)}
      <span class="muted">(${formatNumber(counts[key] || 0, 0)})</span></span></li>`).join("");
  document.getElementById("grid").hidden = m !== "ilp";
  document.body.dataset.colouring = m;
}

function showGrid() {
  const g = indicators.grid.values;
  const cell = (v) => formatNumber(v, 1);
  const rows = Object.entries(CATEGORIES).map(([key, label]) => {
    const r = g[key];
    const scope = key === "rural" ? `ILC < ${cell(r.ilc_below)}`
      : key === "intermediate" ? `ILC < ${cell(r.ilc_below)}` : "au-delà";
    return `<tr><th scope="row">${label} <span class="muted">(${scope})</span></th>
      <td class="number">&lt; ${cell(r.good)}</td><td class="number">&lt; ${cell(r.acceptable)}</td>
      <td class="number">&lt; ${cell(r.mediocre)}</td><td class="number">≥ ${cell(r.mediocre)}</td></tr>`;
  }).join("");
  document.getElementById("grid").innerHTML = `<div class="table-wrap" tabindex="0" role="region"
    aria-label="Grille de notation de l'ILP"><table class="grid-table"><caption>Grille de notation de
    l'ILP (m³/km/j)</caption><thead><tr><th scope="col">Réseau</th><th scope="col" class="number">Bon</th>
    <th scope="col" class="number">Acceptable</th><th scope="col" class="number">Médiocre</th>
    <th scope="col" class="number">Mauvais</th></tr></thead><tbody>${rows}</tbody></table></div>
    <p class="muted small">${escapeHtml(indicators.grid.source)}</p>`;
}

function showSectorsTable() {
  const sectors = shown(status.sectors);
  document.getElementById("sectors-table").innerHTML = sectors.length ? `<table class="stack">
    <caption>Secteurs de distribution : état de fuite et ILP du service (${escapeHtml(indicators.period.label)})</caption>
    <thead><tr><th scope="col">Secteur</th><th scope="col">Commune</th><th scope="col">État de fuite</th>
    <th scope="col">ILP du service</th></tr></thead><tbody>${sectors.map((s) => `
    <tr data-sector="${escapeHtml(s.ref)}"><th scope="row"><a href="/equipements/${s.id}">${escapeHtml(s.name)}</a>
      <span class="muted block">${escapeHtml(s.ref)}</span></th>
      <td data-label="Commune">${escapeHtml(s.commune_name || "—")}</td><td data-label="État de fuite">${escapeHtml(leakText(s))}</td>
      <td data-label="ILP du service">${escapeHtml(ilpText(s))}</td></tr>`).join("")}</tbody></table>`
    : '<p class="muted">Aucun secteur de distribution.</p>';
}

// -- open leaks --------------------------------------------------------------------------------
/** Each open leak of a sector in words, with the link to its alert. */
function leakItem(l) {
  return `<li data-alert="${l.alert_id}" data-extra="${l.extra_flow_m3h ?? ""}" data-lost="${l.lost_m3 ?? ""}"
    data-onset="${escapeHtml(l.onset || "")}">Début estimé le ${longDate(l.onset)}${
    l.days_since_onset !== null && l.days_since_onset !== undefined
      ? ` (il y a ${formatNumber(l.days_since_onset, 0)} j)` : ""} : +${m3h(l.extra_flow_m3h, 2)}, ${
    m3(l.lost_m3)} perdus — <a href="/alertes?alerte=${l.alert_id}">voir l'alerte</a>
    <span class="muted">(${l.status === "acknowledged" ? "prise en compte" : "ouverte"})</span>${backNote(l)}</li>`;
}

function showLeaks() {
  const leaking = shown(status.sectors).filter((s) => s.open.count);
  const box = document.getElementById("leaks");
  if (!leaking.length) {
    box.innerHTML = '<p class="muted" id="no-leak">Aucune fuite probable en cours.</p>';
    return;
  }
  leaking.sort((a, b) => b.open.lost_m3 - a.open.lost_m3);
  box.innerHTML = `<div class="table-wrap" tabindex="0" role="region" aria-label="Tableau des fuites en cours">
    <table class="leaks-table stack"><caption>Fuites probables détectées par le débit minimum de nuit, par
    secteur, du plus coûteux au moins coûteux</caption><thead><tr>
    <th scope="col">Secteur</th><th scope="col">Commune</th><th scope="col" class="number">Fuites en cours</th>
    <th scope="col" class="number">Débit en plus</th><th scope="col" class="number">Eau perdue</th>
    <th scope="col" class="number">Coût</th><th scope="col">Chaque fuite</th></tr></thead><tbody>${leaking.map((s) => {
    const o = s.open;
    return `<tr data-sector="${escapeHtml(s.ref)}">
      <th scope="row"><a href="/equipements/${s.id}">${escapeHtml(s.name)}</a></th>
      <td data-label="Commune">${escapeHtml(s.commune_name || "—")}</td>
      <td class="number" data-label="Fuites en cours" data-value="${o.count}">${formatNumber(o.count, 0)}</td>
      <td class="number" data-label="Débit en plus" data-value="${o.extra_flow_m3h}">+${m3h(o.extra_flow_m3h, 1)}${
        o.count > 1 ? '<span class="muted block">au total</span>' : ""}</td>
      <td class="number" data-label="Eau perdue" data-value="${o.lost_m3}">${m3(o.lost_m3)}</td>
      <td class="number" data-label="Coût" data-value="${o.lost_eur}">${eur(o.lost_eur)}</td>
      <td data-label="Chaque fuite"><ul class="sector-leaks">${o.leaks.map(leakItem).join("")}</ul></td>
    </tr>`;
  }).join("")}</tbody></table></div>
    <p class="muted">Volumes et coûts calculés par le détecteur jusqu'à la dernière nuit mesurée ;
      le début est estimé à un jour ou deux près. Plusieurs fuites d'un même secteur s'additionnent.</p>`;
}

// -- repaired leaks ---------------------------------------------------------------------------
// The API's words for each confirmation, with a symbol and a colour that only add to them.
const CONFIRMATION_STYLES = {
  confirmed: ["✓ ", "ok"], refuted: ["⚠ ", "below"], pending: ["", "unknown"],
  resolved_by_hand: ["", "unknown"], ended_before_repair: ["", "unknown"],
};
// People who may read the tenant's alerts, hence their repairs (not the public).
const READERS = ["operator_admin", "tenant_admin", "agent", "viewer"];

/** "en 2025", or "sur les 12 mois glissants du … au …". */
function repairedPeriod() {
  const p = indicators.period;
  return p.year ? `en ${p.year}` : `sur les ${p.label}`;
}

/** "48,00430° N, 6,60120° E". */
function position(p) {
  if (!p || typeof p.lat !== "number" || typeof p.lon !== "number") return "";
  return `${formatNumber(Math.abs(p.lat), 5)}° ${p.lat < 0 ? "S" : "N"}, ${
    formatNumber(Math.abs(p.lon), 5)}° ${p.lon < 0 ? "O" : "E"}`;
}

function repairedRow(i) {
  const [symbol, style] = CONFIRMATION_STYLES[i.confirmation] || ["", "unknown"];
  const sector = i.sector.id ? `<a href="/equipements/${i.sector.id}">${escapeHtml(i.sector.name || i.sector.ref)}</a>`
    : escapeHtml(i.sector.name || "—");
  const pipe = [i.pipe_material_label, i.diameter_mm ? `Ø ${formatNumber(i.diameter_mm, 0)} mm` : ""]
    .filter(Boolean).join(", ");
  return `<tr data-alert="${i.alert_id}" data-sector="${escapeHtml(i.sector.ref || "")}"
      data-repaired-on="${escapeHtml(i.repaired_on)}">
    <th scope="row">${longDate(i.repaired_on)}<span class="block small"><a href="/alertes?alerte=${i.alert_id}"
      aria-label="Voir l'alerte de la fuite réparée le ${longDate(i.repaired_on)}">voir l'alerte</a></span></th>
    <td data-label="Secteur">${sector}${i.commune && communeNames.get(i.commune)
      ? `<span class="muted block">${escapeHtml(communeNames.get(i.commune))}</span>` : ""}</td>
    <td data-label="Emplacement" data-value="${escapeHtml(i.located_on || "")}">${
      i.located_on_label ? escapeHtml(i.located_on_label) : '<span class="muted">non renseigné</span>'}${
      position(i.position) ? `<span class="muted block position">${position(i.position)}</span>` : ""}${
      pipe ? `<span class="muted block">${escapeHtml(pipe)}</span>` : ""}</td>
    <td class="number" data-label="Eau perdue" data-value="${i.lost_m3 ?? ""}">${m3(i.lost_m3)}</td>
    <td class="number" data-label="Coût" data-value="${i.cost_eur ?? ""}">${
      i.cost_eur === null ? '<span class="muted">non saisi</span>' : eur(i.cost_eur)}</td>
    <td data-label="Confirmation" data-confirmation="${escapeHtml(i.confirmation)}"><span
      class="verdict verdict-${style}">${symbol}${escapeHtml(i.confirmation_label)}</span></td>
    <td class="number" data-label="Eau économisée" data-value="${i.saved_m3 ?? ""}">${
      i.saved_m3 === null ? '<span class="muted">non calculée (début inconnu)</span>' : m3(i.saved_m3)}${
      i.duration_days !== null ? `<span class="muted block">fuite de ${formatNumber(i.duration_days, 1)} j</span>` : ""}</td>
  </tr>`;
}

function showRepaired() {
  const section = document.getElementById("repaired-section");
  const data = indicators.repaired_leaks;
  // Alerts are never public: without them (or without the right to read them) no section.
  section.hidden = !data || !READERS.includes(roleIn(state.me, tenant.id));
  if (section.hidden) return;
  const when = repairedPeriod();
  document.getElementById("repaired-title").textContent = `Fuites réparées ${when}`;
  const box = document.getElementById("repaired");
  const t = data.totals;
  const explain = `<p class="small" id="repaired-explain">Eau économisée par la détection précoce : durée
    habituelle d'une fuite non détectée (${formatNumber(data.usual_leak_duration_days, 1)} jours, réglage du service)
    moins la durée réelle, × le débit de fuite.</p>`;
  if (!data.items.length) {
    box.innerHTML = `<p class="muted" id="no-repaired">Aucune fuite réparée enregistrée ${when}.</p>`;
    return;
  }
  const fuites = (n) => plural(n, "fuite", "fuites");
  box.innerHTML = `<div class="table-wrap" tabindex="0" role="region" aria-label="Tableau des fuites réparées ${when}">
    <table class="repaired-table stack"><caption>Fuites réparées ${when}, par date de réparation : eau perdue,
    coût, confirmation par les nuits suivantes et eau économisée par la détection précoce</caption><thead><tr>
    <th scope="col">Date de réparation</th><th scope="col">Secteur</th><th scope="col">Emplacement</th>
    <th scope="col" class="number">Eau perdue</th><th scope="col" class="number">Coût</th>
    <th scope="col">Confirmation</th><th scope="col" class="number">Eau économisée</th>
    </tr></thead><tbody>${data.items.map(repairedRow).join("")}</tbody>
    <tfoot><tr class="totals" data-count="${t.count}">
      <th scope="row" colspan="3">Total : ${fuites(t.count)}</th>
      <td class="number" data-label="Eau perdue" data-value="${t.lost_m3}">${m3(t.lost_m3)}</td>
      <td class="number" data-label="Coût" data-value="${t.cost_eur}">${eur(t.cost_eur)}${
        t.cost_unknown ? `<span class="muted block">${plural(t.cost_unknown, "coût", "coûts")} non saisi${
          t.cost_unknown > 1 ? "s" : ""}</span>` : ""}</td>
      <td data-label="Confirmation" data-value="${t.confirmed}">${formatNumber(t.confirmed, 0)} confirmée${
        t.confirmed > 1 ? "s" : ""} sur ${formatNumber(t.count, 0)}</td>
      <td class="number" data-label="Eau économisée" data-value="${t.saved_m3}">${m3(t.saved_m3)}<span
        class="muted block" data-value="${t.saved_eur}">soit ${eur(t.saved_eur)}</span></td>
    </tr></tfoot></table></div>
    <p id="repaired-summary">${fuites(t.count)} réparée${t.count > 1 ? "s" : ""} ${when} : ${m3(t.lost_m3)} perdus,
      ${eur(t.cost_eur)} de réparations${t.cost_unknown ? ` (${plural(t.cost_unknown, "coût", "coûts")} non saisi${
      t.cost_unknown > 1 ? "s" : ""})` : ""} ; la détection précoce a économisé
      environ ${m3(t.saved_m3)}, soit ${eur(t.saved_eur)} à ${formatNumber(data.price_eur_m3, 2)} €/m³${
      t.saved_unknown ? ` (${fuites(t.saved_unknown)} sans début estimé, non comptée${t.saved_unknown > 1 ? "s" : ""})` : ""}.</p>
    ${explain}`;
}

// -- RPQS indicators ---------------------------------------------------------------------------
function showIndicators() {
  const services = indicators.services;
  document.getElementById("period-label").textContent = `Période : ${indicators.period.label}.`;
  const year = indicators.period.year;
  const box = document.getElementById("indicators");
  if (!services.length) {
    box.innerHTML = '<p class="muted">Aucun service d\'eau potable.</p>';
    document.getElementById("indicator-notes").innerHTML = "";
    return;
  }
  box.innerHTML = `<table class="indicators-table stack"><caption>Indicateurs de performance du réseau par
    service — ${escapeHtml(indicators.period.label)}</caption><thead><tr>
    <th scope="col">Service</th><th scope="col" class="number">Rendement</th>
    <th scope="col" class="number">ILP</th><th scope="col" class="number">ILVNC</th>
    <th scope="col" class="number">ILC</th><th scope="col">Décret 2012-97</th></tr></thead><tbody>${
    services.map((s) => {
      const ind = s.indicators;
      const v = verdict(ind);
      const enter = `/eau/volumes?service=${s.service_id}${year ? `&annee=${year}` : ""}`;
      return `<tr data-service="${escapeHtml(s.ref)}">
        <th scope="row">${escapeHtml(s.name)}<span class="muted block">${escapeHtml(s.commune_name || "")}
          — <a href="${enter}">volumes saisis</a></span></th>
        <td class="number" data-label="Rendement" data-value="${ind ? ind.rendement_pct ?? "" : ""}">${ind ? pct(ind.rendement_pct) : "—"}${
          ind && ind.decree.threshold_pct !== null ? `<span class="muted block">seuil ${pct(ind.decree.threshold_pct)}</span>` : ""}</td>
        <td class="number" data-label="ILP" data-value="${ind ? ind.ilp_m3_km_day ?? "" : ""}">${ind ? perKmDay(ind.ilp_m3_km_day) : "—"}${
          ind && ind.rating ? `<span class="muted block">${escapeHtml(ind.rating.label)}</span>` : ""}</td>
        <td class="number" data-label="ILVNC">${ind ? perKmDay(ind.ilvnc_m3_km_day) : "—"}</td>
        <td class="number" data-label="ILC">${ind ? perKmDay(ind.ilc_m3_km_day) : "—"}</td>
        <td data-label="Décret 2012-97" data-verdict="${v.key}"><span class="verdict verdict-${v.key}">${v.key === "ok" ? "✓ " : v.key === "below" ? "⚠ " : ""}${
          escapeHtml(v.text)}</span>${ind ? `<span class="block small">${escapeHtml(ind.decree.message)}</span>`
          : s.missing.length ? `<span class="block small">Manque : ${escapeHtml(s.missing.join(", "))}.</span>` : ""}</td>
      </tr>`;
    }).join("")}</tbody></table>`;
  const notes = [...indicators.notes, ...services.flatMap((s) => s.notes.map((n) => `${s.name} : ${n}`))];
  document.getElementById("indicator-notes").innerHTML = notes.length
    ? `<details class="notes"><summary>Remarques sur les volumes (${formatNumber(notes.length, 0)})</summary>
      <ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul></details>` : "";
}

// -- loading ------------------------------------------------------------------------------------
function periodParams() {
  const v = periodSelect.value;
  return { ...(v === "12m" ? { rolling: "12m" } : { year: v }), commune: communeSelect.value };
}

async function loadIndicators() {
  indicators = await api(`/tenants/${tenant.id}/water/indicators`, { params: periodParams() });
}

function render() {
  showFigures();
  showGrid();
  paintMap();
  showSectorsTable();
  showLeaks();
  showRepaired();
  showIndicators();
  document.getElementById("status").textContent = `Tableau de bord affiché : ${indicators.period.label}.`;
  document.body.dataset.ready = `${periodSelect.value}-${communeSelect.value}`;
}

async function main() {
  if (!tenant) {
    showError(null);
    document.getElementById("message").textContent = "Aucun territoire ne vous est encore ouvert.";
    return;
  }
  document.title = `Eau potable — ${tenant.name} — Beffroi`;
  document.getElementById("title").textContent = `Eau potable — ${tenant.name}`;
  const params = new URLSearchParams(location.search);
  const [communes, overview, open, collection] = await Promise.all([
    api(`/tenants/${tenant.id}/communes`, { params: { boundaries: false } }),
    api(`/tenants/${tenant.id}/water/sectors/status`),
    api(`/tenants/${tenant.id}/water/sectors/open-leaks`),
    api(`/tenants/${tenant.id}/assets`, { params: { kind: "water.sector", limit: 10000 } }),
  ]);
  const openBySector = new Map(open.sectors.map((s) => [s.sector_id, s]));
  status = overview;
  for (const s of status.sectors) s.open = openBySector.get(s.id) || NO_LEAK;
  features = collection.features;
  communeNames = new Map(communes.map((c) => [c.insee, c.name]));
  communeSelect.insertAdjacentHTML("beforeend", communes.map((c) =>
    `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  const last = status.year;
  periodSelect.innerHTML = [0, 1, 2, 3, 4].map((k) => `<option value="${last - k}">Année ${last - k}${
    k === 0 ? " (dernière année complète)" : ""}</option>`).join("")
    + '<option value="12m">12 mois glissants</option>';
  if (communes.some((c) => c.insee === params.get("commune"))) communeSelect.value = params.get("commune");
  const wanted = params.get("periode");
  if (wanted && [...periodSelect.options].some((o) => o.value === wanted)) periodSelect.value = wanted;
  if (params.get("couleur") === "ilp") document.getElementById("colour-ilp").checked = true;
  await loadIndicators();
  await setupMap();
  render();
  communeSelect.disabled = periodSelect.disabled = false;

  const remember = () => {
    const url = new URL(location.href);
    url.searchParams.set("periode", periodSelect.value);
    if (communeSelect.value) url.searchParams.set("commune", communeSelect.value);
    else url.searchParams.delete("commune");
    if (mode() === "ilp") url.searchParams.set("couleur", "ilp");
    else url.searchParams.delete("couleur");
    history.replaceState(null, "", url);
  };
  for (const select of [communeSelect, periodSelect]) {
    select.addEventListener("change", async () => {
      remember();
      try {
        await loadIndicators();
        render();
        if (select === communeSelect) fitMap();
      } catch (error) { showError(error); }
    });
  }
  for (const radio of document.querySelectorAll('input[name="colouring"]')) {
    radio.addEventListener("change", () => { remember(); paintMap(); });
  }
}

main().catch((error) => { console.error(error); showError(error); });
