// Map of the current tenant: commune boundaries, every asset coloured by status, points
// clustered (Leaflet.markercluster, chunked loading), a layer per domain, a commune
// filter and a search that gives keyboard access to every asset. Domains may add colouring
// modes (core.registry.MapStyle, from /interface.json): assets of their kinds are then
// drawn by the class of one property, or of the latest value of one metric (GET
// …/latest?kind=…), with a shape and a label as well as a colour; ?couleur=<style key>
// opens the map in that mode. ?domaine=<key>[,<key>…] shows only those domains' layers and
// ?commune=<INSEE> opens on that commune (the home page's links); both follow the filters.
//
// For tests and the benchmark, window.beffroiMap exposes the map, `count` (assets shown),
// `total`, `boundaries` (communes drawn) and `ready` (performance.now() when the map is
// interactive: every asset loaded into its layer, then two frames painted); the
// "beffroi:map-ready" event is dispatched on document at that moment.
import {
  api, canWrite, escapeHtml, formatNumber, renderHeader, roleIn, session,
  showError,
} from "/static/js/common.js";
import { formatDateTime } from "/static/js/dates.js";
import {
  boundaryLayers as communeLayers, clusterIcon, STATUS_COLOURS, STATUS_LABELS, statusIcons,
  territoryMap,
} from "/static/js/territory-map.js";
const MAX_RESULTS = 20;
const PAGE_SIZE = 10000;  // the largest page the API allows

const view = { count: 0, total: 0, boundaries: 0, ready: null, map: null };
window.beffroiMap = view;

const state = await session();
renderHeader("carte", state);
// Agents and administrators create an asset from here (« Nouvel équipement »).
document.getElementById("new-asset").hidden = !(state.tenant
  && canWrite(roleIn(state.me, state.tenant.id)));

/** Lower-case, accents removed: "Échelle" and "echelle" match. */
const fold = (text) => String(text ?? "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
  .toLowerCase();

/** Every asset of the tenant, following the `next` links of the GeoJSON pages. */
async function allAssets(tenantId) {
  let page = await api(`/tenants/${tenantId}/assets`, { params: { limit: PAGE_SIZE } });
  const features = [...page.features];
  for (;;) {
    const next = (page.links || []).find((link) => link.rel === "next");
    if (!next) return features;
    const url = new URL(next.href, location.href);
    page = await api(url.pathname + url.search);
    features.push(...page.features);
  }
}

// -- colouring modes declared by the domains ---------------------------------------------
const OTHER = { label: "Autre équipement (non concerné)", colour: "#666666", shape: "dot" };
const SHAPES = {  // 18 × 18 SVG: white halo, dark outline, so the shape reads on any map
  circle: '<circle cx="9" cy="9" r="7"/>',
  square: '<rect x="2.5" y="2.5" width="13" height="13"/>',
  triangle: '<polygon points="9,1.5 17,16 1,16"/>',
  diamond: '<polygon points="9,1 17,9 9,17 1,9"/>',
  dot: '<circle cx="9" cy="9" r="4"/>',
};

function shapeSvg(shape, colour) {
  return `<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true" focusable="false">
    <g fill="${colour}" stroke="#161616" stroke-width="1.5" paint-order="stroke">${SHAPES[shape]}</g></svg>`;
}

/** The class of a value in a style: {label, colour, shape}; missing when there is none. */
function classOf(style, value) {
  const missing = { label: style.missing, colour: "#666666", shape: "diamond", missing: true };
  if (value === null || value === undefined || value === "") return missing;
  for (const c of style.classes) {
    if (c.values && c.values.length) {
      if (c.values.includes(String(value))) return c;
      continue;
    }
    const n = Number(value);
    if (!Number.isFinite(n)) return missing;
    if (c.maximum === null || c.maximum === undefined || n <= c.maximum) return c;
  }
  return missing;
}

function styleIcon(cls) {
  return L.divIcon({ className: "asset-shape", iconSize: [18, 18],
    html: shapeSvg(cls.shape, cls.colour) });
}

function popupHtml(asset) {
  return `<div class="asset-popup">
    <p class="asset-popup-name"><strong>${escapeHtml(asset.name)}</strong></p>
    <p>${escapeHtml(asset.kindLabel)}${asset.communeName ? ` — ${escapeHtml(asset.communeName)}` : ""}</p>
    <p>État : <span class="status-text status-${asset.status}">${STATUS_LABELS[asset.status]}</span></p>
    ${asset.styled ? `<p>${escapeHtml(asset.styled.style.label)} : ${escapeHtml(asset.styled.value)}${
      asset.styled.cls.missing ? "" : ` — ${escapeHtml(asset.styled.cls.label)}`}</p>` : ""}
    <p><a href="/equipements/${asset.id}">Ouvrir la fiche</a></p>
  </div>`;
}

async function main(tenant) {
  const [communes, domains, statuses, config, features] = await Promise.all([
    api(`/tenants/${tenant.id}/communes`),
    api("/domains"),
    api(`/tenants/${tenant.id}/assets/status`),
    api("/map/config"),
    allAssets(tenant.id),
  ]);
  const kindLabels = {};
  const domainLabels = {};
  for (const domain of domains) {
    domainLabels[domain.key] = domain.label;
    for (const kind of domain.asset_kinds) kindLabels[kind.key] = kind.label;
  }
  const communeNames = Object.fromEntries(communes.map((c) => [c.insee, c.name]));

  const map = territoryMap("map", config);
  view.map = map;

  // Commune boundaries, under everything, not clickable.
  const boundaryLayers = communeLayers(communes);
  view.boundaries = Object.keys(boundaryLayers).length;

  // One object per asset; points become markers, lines and polygons GeoJSON layers.
  const icons = statusIcons();
  const assets = [];
  const byId = new Map();
  for (const feature of features) {
    if (!feature.geometry) continue;
    const p = feature.properties;
    const status = statuses[feature.id] || "unknown";
    const asset = {
      id: feature.id, name: p.name, ref: p.ref, kind: p.kind, commune: p.commune,
      domain: p.kind.split(".")[0], status,
      kindLabel: kindLabels[p.kind] || p.kind, communeName: communeNames[p.commune] || "",
      key: fold(`${p.name} ${p.ref}`), point: feature.geometry.type === "Point",
      props: p.properties || {}, styled: null,
    };
    if (asset.point) {
      const [lon, lat] = feature.geometry.coordinates;
      asset.layer = L.marker([lat, lon], {
        icon: icons[status], status, keyboard: true,
        title: `${p.name} — ${STATUS_LABELS[status]}`, alt: p.name,
      });
    } else {
      const colour = STATUS_COLOURS[status];
      asset.layer = L.geoJSON(feature.geometry, {
        style: { color: colour, weight: 4, fillColor: colour, fillOpacity: 0.2 },
      });
    }
    asset.layer.bindPopup(() => popupHtml(asset));
    assets.push(asset);
    byId.set(asset.id, asset);
  }
  view.total = assets.length;

  const cluster = L.markerClusterGroup({
    chunkedLoading: true, chunkInterval: 100, chunkDelay: 10,
    showCoverageOnHover: false, spiderfyOnMaxZoom: true, iconCreateFunction: clusterIcon,
  });
  const shapes = L.featureGroup();

  // The initial view: the territory's communes, else its assets, else France.
  const bounds = L.latLngBounds([]);
  for (const layer of Object.values(boundaryLayers)) bounds.extend(layer.getBounds());
  if (!bounds.isValid()) {
    for (const asset of assets) {
      bounds.extend(asset.point ? asset.layer.getLatLng() : asset.layer.getBounds());
    }
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], animate: false });
  else map.setView([46.6, 2.4], 6);
  // Layers go on the map once it has a view.
  for (const layer of Object.values(boundaryLayers)) layer.addTo(map);
  shapes.addTo(map);
  cluster.addTo(map);

  // Domain checkboxes, commune select, search.
  const presentDomains = [...new Set(assets.map((a) => a.domain))].sort((a, b) =>
    (domainLabels[a] || a).localeCompare(domainLabels[b] || b, "fr"));
  const counts = {};
  for (const asset of assets) counts[asset.domain] = (counts[asset.domain] || 0) + 1;
  const layersBox = document.getElementById("layers");
  layersBox.innerHTML = presentDomains.length ? presentDomains.map((d) => `
    <div class="check"><input type="checkbox" id="domain-${escapeHtml(d)}" value="${escapeHtml(d)}" checked>
      <label for="domain-${escapeHtml(d)}">${escapeHtml(domainLabels[d] || d)}
        <span class="muted">(${counts[d]})</span></label></div>`).join("")
    : '<p class="muted">Aucun équipement dans ce territoire.</p>';
  const communeSelect = document.getElementById("commune");
  communeSelect.insertAdjacentHTML("beforeend", communes.map((c) =>
    `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  communeSelect.disabled = false;
  // The filters of the links that open the map (the home page's): ?domaine=, ?commune=.
  const params = new URLSearchParams(location.search);
  const onlyDomains = (params.get("domaine") || "").split(",").filter((d) => counts[d]);
  if (onlyDomains.length) {
    for (const input of layersBox.querySelectorAll("input")) {
      input.checked = onlyDomains.includes(input.value);
    }
  }
  if (communes.some((c) => c.insee === params.get("commune"))) {
    communeSelect.value = params.get("commune");
  }
  const search = document.getElementById("search");
  search.disabled = false;

  let visible = [];
  function shownDomains() {
    return new Set([...layersBox.querySelectorAll("input:checked")].map((i) => i.value));
  }

  /** Put into the layers the assets of the checked domains and the chosen commune. */
  function refresh(onLoaded) {
    const wanted = shownDomains();
    const commune = communeSelect.value;
    visible = assets.filter((a) => wanted.has(a.domain) && (!commune || a.commune === commune));
    cluster.clearLayers();
    shapes.clearLayers();
    const points = [];
    for (const asset of visible) {
      if (asset.point) points.push(asset.layer);
      else shapes.addLayer(asset.layer);
    }
    view.count = visible.length;
    const summary = document.getElementById("summary");
    summary.textContent = `${visible.length} équipement${visible.length > 1 ? "s" : ""} affiché${
      visible.length > 1 ? "s" : ""} sur ${assets.length}.`;
    const done = () => onLoaded && onLoaded();
    if (!points.length) { done(); return; }
    // chunkProgress is called after each chunk; processed === total after the last one.
    cluster.options.chunkProgress = (processed, total) => { if (processed === total) done(); };
    cluster.addLayers(points, true);  // no "layeradd" event per marker
    if (search.value.trim()) showResults();
  }

  const results = document.getElementById("results");
  const searchStatus = document.getElementById("search-status");
  function showResults() {
    const words = fold(search.value).split(/\s+/).filter(Boolean);
    if (!words.length) {
      results.innerHTML = "";
      searchStatus.textContent = "";
      return;
    }
    const found = visible.filter((a) => words.every((w) => a.key.includes(w)));
    found.sort((a, b) => a.name.localeCompare(b.name, "fr"));
    results.innerHTML = found.slice(0, MAX_RESULTS).map((a) => `
      <li><button type="button" class="result" data-id="${a.id}">
        <span class="result-name">${escapeHtml(a.name)}</span>
        <span class="muted">${escapeHtml(a.ref)} · ${escapeHtml(a.kindLabel)} · ${STATUS_LABELS[a.status]}${
          a.styled ? ` · ${escapeHtml(a.styled.cls.label)}` : ""}</span>
      </button></li>`).join("");
    searchStatus.textContent = !found.length ? "Aucun équipement trouvé."
      : found.length > MAX_RESULTS ? `${found.length} équipements trouvés, les ${MAX_RESULTS} premiers sont listés.`
        : `${found.length} équipement${found.length > 1 ? "s" : ""} trouvé${found.length > 1 ? "s" : ""}.`;
  }

  /** Zoom to an asset, open its popup and put the keyboard focus on its link. */
  function open(id) {
    const asset = byId.get(Number(id));
    if (!asset) return;
    const focusLink = () => {
      const link = asset.layer.getPopup()?.getElement()?.querySelector("a[href^='/equipements/']");
      if (link) link.focus();
    };
    if (asset.point) {
      cluster.zoomToShowLayer(asset.layer, () => { asset.layer.openPopup(); focusLink(); });
    } else {
      map.fitBounds(asset.layer.getBounds(), { padding: [24, 24], maxZoom: 17, animate: false });
      asset.layer.openPopup(asset.layer.getBounds().getCenter());
      focusLink();
    }
  }
  view.open = open;

  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(showResults, 120);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      showResults();
      results.querySelector("button")?.focus();
    }
  });
  results.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-id]");
    if (button) open(button.dataset.id);
  });
  /** Zoom to the chosen commune: its boundary, else its assets shown. */
  function fitCommune(animate = true) {
    const boundary = boundaryLayers[communeSelect.value];
    if (boundary) map.fitBounds(boundary.getBounds(), { padding: [16, 16], animate });
    else if (communeSelect.value && visible.length) {
      const b = L.latLngBounds([]);
      for (const a of visible) b.extend(a.point ? a.layer.getLatLng() : a.layer.getBounds());
      map.fitBounds(b, { padding: [24, 24], maxZoom: 16, animate });
    }
  }

  /** The filters in the address, so that it can be shared or bookmarked as it is. */
  function rememberFilters() {
    const url = new URL(location.href);
    const checked = [...shownDomains()];
    if (checked.length && checked.length < presentDomains.length) {
      url.searchParams.set("domaine", checked.join(","));
    } else url.searchParams.delete("domaine");
    if (communeSelect.value) url.searchParams.set("commune", communeSelect.value);
    else url.searchParams.delete("commune");
    history.replaceState(null, "", url);
  }

  layersBox.addEventListener("change", () => { refresh(); rememberFilters(); });
  communeSelect.addEventListener("change", () => {
    refresh();
    fitCommune();
    rememberFilters();
  });

  await setupColourings(tenant.id, assets, cluster, icons,
    (state.ui && state.ui.map_styles) || []);

  await new Promise((resolve) => refresh(resolve));
  if (communeSelect.value) fitCommune(false);
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  view.ready = performance.now();
  document.body.dataset.mapReady = "";
  document.dispatchEvent(new CustomEvent("beffroi:map-ready"));
}

/** Latest value of a metric style's stream for each asset of its kinds: asset id ->
 * {value, time}; values older than the style's max_age_s are left out (shown as missing). */
async function latestValues(tenantId, style, kinds) {
  const wanted = style.asset_kinds.filter((k) => kinds.has(k));
  const lists = await Promise.all(wanted.map((kind) =>
    api(`/tenants/${tenantId}/latest`, { params: { kind } })));
  const oldest = style.max_age_s ? Date.now() - style.max_age_s * 1000 : null;
  const out = new Map();
  for (const item of lists.flat()) {
    if (item.metric !== style.metric || item.value === null || item.time === null) continue;
    if (oldest !== null && Date.parse(item.time) < oldest) continue;
    out.set(item.asset_id, item);
  }
  return out;
}

/** Radio buttons "État" and one per style of a kind present; redraws the markers, the
 * legend (with the count of each class) and the popups' text. */
async function setupColourings(tenantId, assets, cluster, icons, styles) {
  const kinds = new Set(assets.map((a) => a.kind));
  const offered = styles.filter((s) => s.asset_kinds.some((k) => kinds.has(k)));
  if (!offered.length) return;
  const latest = new Map(await Promise.all(offered.filter((s) => s.metric).map(
    async (s) => [s.key, await latestValues(tenantId, s, kinds)])));
  const box = document.getElementById("colourings");
  box.innerHTML = [{ key: "", label: "État (alertes, capteurs)" }, ...offered].map((s, i) => `
    <div class="check"><input type="radio" name="colouring" id="colouring-${i}" value="${escapeHtml(s.key)}"
      ${i === 0 ? "checked" : ""}><label for="colouring-${i}">${escapeHtml(s.label)}</label></div>`).join("");
  document.getElementById("colouring-box").hidden = false;
  const legend = document.getElementById("legend-style");
  const statusLegend = document.getElementById("legend-status");

  function apply(key) {
    const style = offered.find((s) => s.key === key) || null;
    const counts = new Map();
    const other = styleIcon(OTHER);
    const iconOf = new Map();
    for (const asset of assets) {
      let icon, title, colour;
      asset.styled = null;
      if (!style) {
        icon = icons[asset.status];
        title = `${asset.name} — ${STATUS_LABELS[asset.status]}`;
        colour = STATUS_COLOURS[asset.status];
      } else if (style.asset_kinds.includes(asset.kind)) {
        const reading = style.metric ? latest.get(style.key).get(asset.id) : null;
        const raw = style.metric ? reading?.value : asset.props[style.property];
        const cls = classOf(style, raw);
        counts.set(cls.label, (counts.get(cls.label) || 0) + 1);
        const value = cls.missing ? (style.metric ? "pas de mesure récente" : "non renseignée")
          : typeof raw === "number" ? `${formatNumber(raw, 1)}${style.unit ? ` ${style.unit}` : ""}${
            reading ? ` (mesure du ${formatDateTime(reading.time)})` : ""}` : String(raw);
        asset.styled = { style, cls, value };
        if (!iconOf.has(cls.label)) iconOf.set(cls.label, styleIcon(cls));
        icon = iconOf.get(cls.label);
        title = `${asset.name} — ${style.label} : ${cls.missing ? cls.label : `${value}, ${cls.label}`}`;
        colour = cls.colour;
      } else {
        icon = other;
        title = `${asset.name} — ${OTHER.label}`;
        colour = OTHER.colour;
      }
      if (asset.point) {
        asset.layer.options.title = title;
        asset.layer.setIcon(icon);
      } else {
        asset.layer.setStyle({ color: colour, fillColor: colour });
      }
    }
    cluster.refreshClusters();
    statusLegend.hidden = Boolean(style);
    legend.hidden = !style;
    document.body.dataset.colouring = key;
    if (!style) return;
    const missing = { label: style.missing, colour: "#666666", shape: "diamond" };
    legend.innerHTML = [...style.classes, missing, OTHER].map((c) => `
      <li data-class="${escapeHtml(c.label)}">${shapeSvg(c.shape, c.colour)}<span>${escapeHtml(c.label)}${
        c === OTHER ? "" : ` <span class="muted">(${formatNumber(counts.get(c.label) || 0, 0)})</span>`}</span></li>`).join("");
  }

  box.addEventListener("change", (event) => {
    if (event.target.name !== "colouring") return;
    apply(event.target.value);
    const url = new URL(location.href);
    if (event.target.value) url.searchParams.set("couleur", event.target.value);
    else url.searchParams.delete("couleur");
    history.replaceState(null, "", url);
  });
  const wanted = new URLSearchParams(location.search).get("couleur");
  const radio = [...box.querySelectorAll("input")].find((i) => wanted && i.value === wanted);
  if (radio) {
    radio.checked = true;
    apply(wanted);
  }
}

// On a phone the panel starts folded above the map; on a desktop it stays open.
const panel = document.getElementById("panel");
if (window.matchMedia("(max-width: 48em)").matches) panel.open = false;

if (!state.tenant) {
  showError(null);
  document.getElementById("message").textContent = "Aucun territoire ne vous est encore ouvert.";
} else {
  document.title = `Carte — ${state.tenant.name} — Beffroi`;
  main(state.tenant).catch((error) => { console.error(error); showError(error); });
}
