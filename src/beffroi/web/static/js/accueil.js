// Home, the territory's control tower: one tile per domain (status, key figures with their
// comparisons, GET …/dashboard), the open alerts with what is new since the person's last
// visit (GET/PUT /me/visits/{t}), the map of the communes and of the assets that need
// attention (GET …/assets/attention: in alert or with a silent device; the others are on
// the full map, which keeps a 10,000-asset territory fast here), the silent sensors per
// domain. A commune and a period, in the address (?commune=88383&periode=mois), carry over
// to the domain pages and the map through every link.
//
// Live: an EventSource on GET …/events. `alert` events add, update or remove the alert in
// the list at once (announced politely to screen readers, focus left where it is);
// `dashboard` events refetch the tiles, `asset_status` events the map, each debounced.
// The browser reconnects by itself; the page says when the connection is lost and back,
// then reloads what it may have missed.
//
// For tests and the benchmark: window.beffroiHome.ready (performance.now() once the tiles,
// the alerts and the map are shown) and body[data-home-ready], body[data-live] ("open",
// "lost"), and the "beffroi:home-ready" event.
import {
  api, chooseTenant, csrfToken, escapeHtml, formatNumber,
  newestOnly, renderHeader, session, SEVERITY_LABELS, showError, STALE, unitSymbol,
} from "/static/js/common.js";
import { formatDate, formatDateTime } from "/static/js/dates.js";
import {
  boundaryLayers, clusterIcon, declutterLabels, STATUS_COLOURS, STATUS_LABELS, statusIcons,
  territoryMap, withFilters,
} from "/static/js/territory-map.js";

const STATUS_WORDS = { ok: "normal", info: "information", warning: "avertissement",
  critical: "critique" };
const KPI_STATUS = { ok: "normal", warning: "à surveiller", critical: "critique" };
const ALERT_STATUS = { open: "ouverte", acknowledged: "prise en compte", resolved: "résolue" };
const ACTIVE = ["open", "acknowledged"];
const MAX_KPIS = 4;
const MAX_ALERTS = 20;
const MAX_SILENT_LISTED = 5;
const REFRESH_DELAY_MS = 1000;
const VISIT_AFTER_MS = 15_000;

const view = { ready: null, events: 0 };
window.beffroiHome = view;

const state = await session();
renderHeader("accueil", state);
const tenant = state.tenant;

const plural = (n, one, many) => `${formatNumber(n, 0)} ${n > 1 ? many : one}`;
const share = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 0,
  signDisplay: "exceptZero" });

// -- invitations -----------------------------------------------------------------------------
const readInvitations = newestOnly();

/** Invitations to tenants waiting for the person's answer (accept opens the tenant). */
async function showInvitations() {
  const invitations = await readInvitations(api("/me/invitations"));
  if (invitations === STALE) return;
  const box = document.getElementById("invitations-box");
  box.hidden = !invitations.length;
  document.getElementById("invitations").innerHTML = invitations.map((i) => {
    const where = i.communes ? ` — communes : ${i.communes.map((c) => escapeHtml(c.name)).join(", ")}` : "";
    return `<li class="notice info">
      <p><strong>${escapeHtml(i.tenant_name)}</strong> vous invite comme
        ${escapeHtml(i.role_label)}${where}. <span class="muted">Valable jusqu'au
        ${formatDate(i.expires_at)}.</span></p>
      <button type="button" class="button" data-accept="${i.id}" data-tenant="${i.tenant_id}"
        data-name="${escapeHtml(i.tenant_name)}">Accepter<span class="visually-hidden">
        l'invitation de ${escapeHtml(i.tenant_name)}</span></button>
      <button type="button" class="button secondary" data-decline="${i.id}"
        data-name="${escapeHtml(i.tenant_name)}">Refuser<span class="visually-hidden">
        l'invitation de ${escapeHtml(i.tenant_name)}</span></button></li>`;
  }).join("");
  for (const button of box.querySelectorAll("button[data-accept]")) {
    button.addEventListener("click", async () => {
      try {
        await api(`/me/invitations/${button.dataset.accept}/accept`, { method: "POST" });
        chooseTenant(button.dataset.tenant);  // reloads the page on the new tenant
      } catch (error) {
        showError(error);
      }
    });
  }
  for (const button of box.querySelectorAll("button[data-decline]")) {
    button.addEventListener("click", async () => {
      try {
        await api(`/me/invitations/${button.dataset.decline}/decline`, { method: "POST" });
        await showInvitations();
        document.getElementById("invitations-status").textContent =
          `Invitation de ${button.dataset.name} refusée.`;
      } catch (error) {
        showError(error);
      }
    });
  }
}

showInvitations().catch((error) => showError(error));

// -- filters ---------------------------------------------------------------------------------
const communeSelect = document.getElementById("commune");
const periodSelect = document.getElementById("periode");
const filters = () => ({ commune: communeSelect.value, periode: periodSelect.value });
const link = (href) => withFilters(href, filters());

/** Re-render `box` with `render()` and give the keyboard focus back to the same link or
 * button if it was inside: a live update never takes the focus away. */
function keepFocus(box, render) {
  const active = document.activeElement;
  const key = active && box.contains(active) && active !== box
    ? [active.tagName, active.getAttribute("href"), active.textContent.trim()] : null;
  render();
  if (!key) return;
  const again = [...box.querySelectorAll(key[0])].find((el) =>
    el.getAttribute("href") === key[1] && el.textContent.trim() === key[2]);
  if (again) again.focus({ preventScroll: true });
}

// -- tiles -----------------------------------------------------------------------------------
const unitText = unitSymbol;

/** A value and its unit in French ("1 234 kWh", "12 %"); "indisponible" without a value. */
function valueText(value, unit) {
  if (value === null || value === undefined) return "indisponible";
  const size = Math.abs(value);
  const text = formatNumber(value, size >= 100 ? 0 : size >= 10 ? 1 : 2);
  const u = unitText(unit);
  return u ? `${text} ${u}` : text;
}

/** A tile's status from the contract's `status`, else from its active alerts. */
function tileStatus(card) {
  if (card.status && STATUS_WORDS[card.status]) return card.status;
  const alerts = card.alerts || {};
  return ["critical", "warning", "info"].find((s) => alerts[s]) || "ok";
}

/** The domain's main page: the contract's `link`, else its first page in the menu. */
function domainLink(card) {
  if (card.link) return card.link;
  const page = ((state.ui && state.ui.nav) || []).find((p) => p.domain === card.domain);
  return page ? page.path : null;
}

function kpiHtml(kpi) {
  const status = kpi.status && KPI_STATUS[kpi.status]
    ? ` <span class="badge ${kpi.status}">${KPI_STATUS[kpi.status]}</span>` : "";
  const comparisons = (kpi.comparisons || []).map((c) => {
    const delta = c.delta_share === null || c.delta_share === undefined ? ""
      : ` (écart : ${share.format(c.delta_share)})`;
    return `<li>${escapeHtml(c.label)} : ${valueText(c.value, c.unit ?? kpi.unit)}${delta}</li>`;
  }).join("");
  const label = kpi.link
    ? `<a href="${escapeHtml(link(kpi.link))}">${escapeHtml(kpi.label)}</a>` : escapeHtml(kpi.label);
  return `<div class="kpi" data-kpi="${escapeHtml(kpi.key)}"><dt>${label}</dt>
    <dd><span class="kpi-value" data-value="${kpi.value ?? ""}">${valueText(kpi.value, kpi.unit)}</span>${status}
      ${comparisons ? `<ul class="comparisons">${comparisons}</ul>` : ""}
      ${kpi.note ? `<span class="kpi-note">${escapeHtml(kpi.note)}</span>` : ""}</dd></div>`;
}

function tileHtml(card) {
  const status = tileStatus(card);
  const alerts = ["critical", "warning", "info"].filter((s) => card.alerts[s]).map((s) => {
    const word = SEVERITY_LABELS[s].toLowerCase();
    return `<span class="badge ${s}">${plural(card.alerts[s], word, `${word}s`)}</span>`;
  }).join(" ") || '<span class="badge ok">aucune alerte</span>';
  const kpis = (card.kpis || []).slice(0, MAX_KPIS).map(kpiHtml).join("");
  const page = domainLink(card);
  const kinds = card.kinds.slice(0, 3).map((k) =>
    `${escapeHtml(k.label)} : ${formatNumber(k.count, 0)}`).join(" ; ");
  return `<article class="card tile tile-${status}" aria-labelledby="card-${card.domain}"
      data-domain="${escapeHtml(card.domain)}" data-status="${status}">
    <h3 id="card-${card.domain}">${escapeHtml(card.label)}</h3>
    <p class="tile-status ${status}">État : ${STATUS_WORDS[status]}</p>
    ${kpis ? `<dl class="kpis">${kpis}</dl>` : ""}
    <p><strong>${plural(card.assets, "équipement", "équipements")}</strong>
      ${kinds ? `<span class="muted">(${kinds})</span>` : ""}</p>
    <p>${alerts}</p>
    ${card.silent_devices ? `<p>${plural(card.silent_devices, "capteur silencieux",
      "capteurs silencieux")}</p>` : ""}
    <p class="tile-links">${page ? `<a href="${escapeHtml(link(page))}">Voir le détail<span
      class="visually-hidden"> : ${escapeHtml(card.label)}</span></a>` : ""}
      <a href="${escapeHtml(link(`/carte?domaine=${encodeURIComponent(card.domain)}`))}">Voir sur la carte<span
      class="visually-hidden"> : ${escapeHtml(card.label)}</span></a></p>
  </article>`;
}

let cards = [];

async function showCards() {
  const params = communeSelect.value ? { commune: communeSelect.value } : undefined;
  cards = await api(`/tenants/${tenant.id}/dashboard`, { params });
  const box = document.getElementById("cards");
  keepFocus(box, () => {
    box.innerHTML = cards.length ? cards.map(tileHtml).join("")
      : '<p class="muted">Aucun équipement n\'est encore inventorié.</p>';
  });
}

// -- alerts and what is new since the last visit --------------------------------------------
let visit = null;  // GET /me/visits/{t}
let shownCursor = 0;  // the last alert event shown: recorded as seen when the page is left
const newIds = new Set();
let alerts = [];  // the active alerts shown, newest first

async function loadVisit() {
  visit = await api(`/me/visits/${tenant.id}`).catch(() => null);
  if (!visit) return;
  shownCursor = Math.max(shownCursor, visit.cursor);
  for (const id of visit.new_alerts) newIds.add(id);
}

function alertItem(a) {
  const fresh = newIds.has(a.id);
  return `<li data-alert="${a.id}"${fresh ? ' class="is-new"' : ""}>
    ${fresh ? '<span class="badge new">Nouveau</span>' : ""}
    <span class="badge ${a.severity}">${SEVERITY_LABELS[a.severity]}</span>
    <a href="/alertes?alerte=${a.id}">${escapeHtml(a.title)}</a>
    <span class="muted">— ${escapeHtml(a.status_label || ALERT_STATUS[a.status] || a.status)}, depuis le
      ${formatDateTime(a.opened_at)}</span></li>`;
}

function renderAlerts() {
  const box = document.getElementById("alerts");
  const shown = alerts.slice(0, MAX_ALERTS);
  keepFocus(box, () => {
    box.innerHTML = (shown.length ? `<ul class="alert-list">${shown.map(alertItem).join("")}</ul>`
      : '<p class="muted">Aucune alerte en cours.</p>')
      + `<p>${alerts.length > MAX_ALERTS ? `${plural(alerts.length - MAX_ALERTS, "autre alerte",
        "autres alertes")} en cours. ` : ""}<a href="/alertes">Toutes les alertes</a></p>`;
  });
  const fresh = alerts.filter((a) => newIds.has(a.id)).length;
  const since = visit && visit.last_seen_at ? `votre dernière visite, le ${formatDateTime(visit.last_seen_at)}`
    : null;
  document.getElementById("new-summary").innerHTML = !since
    ? (fresh ? `<strong>${plural(fresh, "nouvelle alerte", "nouvelles alertes")}</strong> depuis l'ouverture de la page.` : "")
    : `<strong>${fresh ? plural(fresh, "nouvelle alerte", "nouvelles alertes") : "Aucune nouvelle alerte"}</strong>
       depuis ${since}.`;
}

async function showAlerts() {
  alerts = await api(`/tenants/${tenant.id}/alerts`, { params: {
    status: "active", limit: 200, commune: communeSelect.value } });
  renderAlerts();
}

/** What the list becomes with an `alert` event: added, updated or removed. */
function applyAlert(data) {
  const index = alerts.findIndex((a) => a.id === data.id);
  const wanted = !communeSelect.value || data.commune === communeSelect.value;  // as the API
  if (!ACTIVE.includes(data.status) || !wanted) {
    if (index >= 0) alerts.splice(index, 1);
    return index >= 0 ? `Alerte ${ALERT_STATUS[data.status] || "retirée"} : ${data.title}.` : null;
  }
  const item = { ...(index >= 0 ? alerts[index] : {}), ...data, status_label: ALERT_STATUS[data.status] };
  if (data.change === "opened" || data.change === "reopened") newIds.add(data.id);
  if (index >= 0) {
    alerts[index] = item;
    return data.change === "acknowledged" ? `Alerte prise en compte : ${data.title}.` : null;
  }
  alerts.push(item);
  alerts.sort((x, y) => y.id - x.id);
  return `Nouvelle alerte, ${SEVERITY_LABELS[data.severity].toLowerCase()} : ${data.title}.`;
}

// Screen readers hear the live changes once, gathered, without the focus moving.
let pending = [];
let announceTimer = null;
function announce(text) {
  if (!text) return;
  pending.push(text);
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    document.getElementById("announce").textContent = pending.join(" ");
    pending = [];
  }, 400);
}

// -- the map ---------------------------------------------------------------------------------
let map = null;
let cluster = null;
let shapes = null;
let communeBoundaries = {};
let attention = [];  // GET …/assets/attention features
let icons = null;
const communes = [];

function popupHtml(f) {
  const p = f.properties;
  const commune = communes.find((c) => c.insee === p.commune);
  return `<div class="asset-popup"><p class="asset-popup-name"><strong>${escapeHtml(p.name)}</strong></p>
    ${commune ? `<p>${escapeHtml(commune.name)}</p>` : ""}
    <p>État : <span class="status-text status-${p.status}">${STATUS_LABELS[p.status]}</span></p>
    <p><a href="/equipements/${f.id}">Ouvrir la fiche</a></p></div>`;
}

function drawAttention() {
  if (!map) return;
  cluster.clearLayers();
  shapes.clearLayers();
  const commune = communeSelect.value;
  const shown = attention.filter((f) => f.geometry && (!commune || f.properties.commune === commune));
  const points = [];
  for (const f of shown) {
    const p = f.properties;
    let layer;
    if (f.geometry.type === "Point") {
      const [lon, lat] = f.geometry.coordinates;
      layer = L.marker([lat, lon], { icon: icons[p.status], status: p.status, keyboard: true,
        title: `${p.name} — ${STATUS_LABELS[p.status]}`, alt: p.name });
      points.push(layer);
    } else {
      const colour = STATUS_COLOURS[p.status];
      layer = L.geoJSON(f.geometry, { style: { color: colour, weight: 4, fillColor: colour,
        fillOpacity: 0.2 } });
      shapes.addLayer(layer);
    }
    layer.bindPopup(() => popupHtml(f));
  }
  cluster.addLayers(points);
  const inAlert = shown.filter((f) => f.properties.status === "alert").length;
  const silent = shown.length - inAlert;
  const total = cards.reduce((sum, c) => sum + c.assets, 0);
  const parts = [inAlert ? plural(inAlert, "équipement en alerte", "équipements en alerte") : "",
    silent ? plural(silent, "équipement au capteur silencieux", "équipements au capteur silencieux")
      : ""].filter(Boolean);
  const others = total - shown.length;
  document.getElementById("map-summary").innerHTML = `${parts.length
    ? `Sur la carte : ${parts.join(" et ")}${others > 1 ? ` ; les ${formatNumber(others, 0)} autres équipements sont sur la carte complète`
      : others === 1 ? " ; l'autre équipement est sur la carte complète" : ""}.`
    : "Aucun équipement en alerte ni de capteur silencieux."}
    <a href="${escapeHtml(link("/carte"))}">Ouvrir la carte complète</a>`;
}

function fitMap(animate = false) {
  const chosen = communeBoundaries[communeSelect.value];
  const bounds = L.latLngBounds([]);
  if (chosen) bounds.extend(chosen.getBounds());
  else {
    for (const layer of Object.values(communeBoundaries)) bounds.extend(layer.getBounds());
    if (!bounds.isValid()) {
      for (const f of attention) {
        if (f.geometry) bounds.extend(L.geoJSON(f.geometry).getBounds());
      }
    }
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 15, animate });
  else map.setView([46.6, 2.4], 5);
}

async function loadAttention() {
  attention = (await api(`/tenants/${tenant.id}/assets/attention`)).features;
}

async function setupMap(config) {
  map = territoryMap("home-map", config, { scrollWheelZoom: false });
  icons = statusIcons();
  communeBoundaries = boundaryLayers(communes, { labels: true });
  cluster = L.markerClusterGroup({ showCoverageOnHover: false, spiderfyOnMaxZoom: true,
    iconCreateFunction: clusterIcon });
  shapes = L.featureGroup();
  fitMap();
  for (const layer of Object.values(communeBoundaries)) layer.addTo(map);
  shapes.addTo(map);
  cluster.addTo(map);
  declutterLabels(map);
  drawAttention();
}

// -- data freshness --------------------------------------------------------------------------
function showFreshness() {
  const box = document.getElementById("freshness");
  const commune = communeSelect.value;
  const silentAssets = attention.filter((f) => f.properties.silent
    && (!commune || f.properties.commune === commune));
  const rows = cards.map((card) => {
    const mine = silentAssets.filter((f) => f.properties.domain === card.domain);
    const count = card.silent_devices || 0;
    const listed = mine.slice(0, MAX_SILENT_LISTED).map((f) =>
      `<li><a href="/equipements/${f.id}">${escapeHtml(f.properties.name)}</a></li>`).join("");
    return `<li data-domain="${escapeHtml(card.domain)}"><strong>${escapeHtml(card.label)}</strong> :
      ${count ? plural(count, "capteur silencieux", "capteurs silencieux") : "aucun capteur silencieux"}
      ${count ? ` — <a href="${escapeHtml(link(`/carte?domaine=${encodeURIComponent(card.domain)}`))}">voir sur la carte<span
        class="visually-hidden"> : ${escapeHtml(card.label)}</span></a>` : ""}
      ${listed ? `<ul aria-label="Équipements au capteur silencieux : ${escapeHtml(card.label)}">${listed}${
        mine.length > MAX_SILENT_LISTED ? `<li>et ${plural(mine.length - MAX_SILENT_LISTED, "autre", "autres")}</li>` : ""}</ul>` : ""}</li>`;
  }).join("");
  keepFocus(box, () => {
    box.innerHTML = rows ? `<p class="muted">Un capteur est silencieux quand il n'a rien envoyé
      depuis trois fois son intervalle attendu.</p><ul class="freshness-list">${rows}</ul>`
      : '<p class="muted">Aucun capteur inventorié.</p>';
  });
}

// -- live ------------------------------------------------------------------------------------
/** Run `task` once, `REFRESH_DELAY_MS` after the first call of a burst; never twice at once. */
function debounced(task) {
  let timer = null;
  let busy = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (busy) { again = true; return; }
    busy = true;
    try { await task(); } catch (error) { console.error(error); } finally {
      busy = false;
      if (again) { again = false; schedule(); }
    }
  };
  const schedule = () => { if (!timer) timer = setTimeout(run, REFRESH_DELAY_MS); };
  return schedule;
}

const refreshCards = debounced(async () => { await showCards(); showFreshness(); drawAttention(); });
const refreshMap = debounced(async () => { await loadAttention(); drawAttention(); showFreshness(); });

function setLive(mode, text) {
  const line = document.getElementById("live-status");
  line.className = `live-status ${mode}`;
  line.textContent = text;
  document.body.dataset.live = mode;
}

function listen() {
  let lost = false;
  let calm = null;
  const source = new EventSource(`/api/v1/tenants/${tenant.id}/events${
    visit ? `?since=${shownCursor}` : ""}`);
  const seen = (event) => {
    view.events += 1;
    const id = Number(event.lastEventId);
    if (Number.isFinite(id)) shownCursor = Math.max(shownCursor, id);
  };
  source.addEventListener("open", () => {
    if (lost) {
      setLive("open", "Connexion rétablie : mises à jour en direct.");
      clearTimeout(calm);
      calm = setTimeout(() => setLive("open", "Mises à jour en direct."), 5000);
      lost = false;
      reloadAll().catch((error) => showError(error));  // what happened meanwhile
    } else setLive("open", "Mises à jour en direct.");
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      setLive("lost", "Mises à jour en direct indisponibles : rechargez la page.");
    } else if (!lost) {
      lost = true;
      setLive("lost", "Connexion perdue : nouvelle tentative en cours…");
    }
  });
  source.addEventListener("alert", (event) => {
    seen(event);
    const text = applyAlert(JSON.parse(event.data));
    renderAlerts();
    announce(text);
  });
  source.addEventListener("asset_status", (event) => { seen(event); refreshMap(); });
  source.addEventListener("dashboard", (event) => { seen(event); refreshCards(); });
  return source;
}

// -- the visit -------------------------------------------------------------------------------
let csrf = null;
/** The home page has been seen up to the last alert event shown (kept even as the page is
 * left: fetch keepalive). */
function recordVisit() {
  if (!visit) return;
  fetch(`/api/v1/me/visits/${tenant.id}`, {
    method: "PUT", keepalive: true, credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json",
      ...(csrf ? { "X-CSRF-Token": csrf } : {}) },
    body: JSON.stringify({ cursor: shownCursor }),
  }).catch(() => {});
}

// -- the page --------------------------------------------------------------------------------
async function reloadAll() {
  await Promise.all([showCards(), showAlerts(), loadAttention()]);
  drawAttention();
  showFreshness();
}

function rememberFilters() {
  const url = new URL(location.href);
  for (const [key, value] of Object.entries(filters())) {
    if (value && !(key === "periode" && value === "mois")) url.searchParams.set(key, value);
    else url.searchParams.delete(key);
  }
  history.replaceState(null, "", url);
}

async function main() {
  document.title = `Tableau de bord — ${tenant.name} — Beffroi`;
  document.getElementById("title").textContent = `Tableau de bord — ${tenant.name}`;
  const [found, config] = await Promise.all([
    api(`/tenants/${tenant.id}/communes`), api("/map/config").catch(() => ({})), loadVisit(),
    csrfToken().then((token) => { csrf = token; }),
  ]);
  communes.push(...found);
  communeSelect.insertAdjacentHTML("beforeend", communes.map((c) =>
    `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  const params = new URLSearchParams(location.search);
  if (communes.some((c) => c.insee === params.get("commune"))) communeSelect.value = params.get("commune");
  if ([...periodSelect.options].some((o) => o.value === params.get("periode"))) {
    periodSelect.value = params.get("periode");
  }
  document.getElementById("filters").hidden = false;
  await Promise.all([showCards(), showAlerts(), loadAttention()]);
  await setupMap(config);
  showFreshness();
  listen();
  for (const select of [communeSelect, periodSelect]) {
    select.addEventListener("change", () => {
      rememberFilters();
      if (select === communeSelect) {
        reloadAll().then(() => fitMap(true)).catch((error) => showError(error));
      } else {
        showCards().then(showFreshness).catch((error) => showError(error));
      }
    });
  }
  setTimeout(recordVisit, VISIT_AFTER_MS);
  addEventListener("pagehide", recordVisit);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") recordVisit();
  });
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  view.ready = performance.now();
  document.body.dataset.homeReady = "";
  document.dispatchEvent(new CustomEvent("beffroi:home-ready"));
}

if (!tenant) {
  document.getElementById("cards").innerHTML =
    '<p class="muted">Aucun territoire ne vous est encore ouvert.</p>';
} else {
  main().catch((error) => { console.error(error); showError(error); });
}
