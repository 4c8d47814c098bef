// What the map page (carte.js) and the home page (accueil.js) draw alike: a Leaflet map
// with French controls and the basemap when one is configured, the commune boundaries,
// assets coloured by status and their clusters. Leaflet (global L) is loaded by the page.
import { escapeHtml } from "/static/js/common.js";

export const STATUS_LABELS = {
  alert: "En alerte", silent: "Capteur silencieux", ok: "Normal", unknown: "État inconnu",
};
// Same colours as the --critical, --silent, --ok and --unknown variables of beffroi.css.
export const STATUS_COLOURS = { alert: "#ce0500", silent: "#666666", ok: "#18753c", unknown: "#8585f6" };

/** A map in element `id`, zoom buttons in French, the basemap of GET /map/config if any.
 * maxZoom is needed by the clusters when there is no tile layer to give one. */
export function territoryMap(id, config, options = {}) {
  const map = L.map(id, { zoomControl: false, minZoom: 3, maxZoom: 19, ...options });
  L.control.zoom({ zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière" }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (config && config.tile_url) {
    L.tileLayer(config.tile_url, { attribution: config.tile_attribution, maxZoom: 19 }).addTo(map);
  }
  map.on("popupopen", frenchPopup);
  return map;
}

/** French names for the controls Leaflet draws in English. */
export function frenchPopup(event) {
  const close = event.popup.getElement()?.querySelector(".leaflet-popup-close-button");
  if (close) {
    close.setAttribute("aria-label", "Fermer la fenêtre de l'équipement");
    close.title = "Fermer";
  }
}

/** Commune boundaries (INSEE code -> layer), under everything, not clickable; with
 * `labels`, each commune's name written on it (a map without basemap needs them). */
export function boundaryLayers(communes, { labels = false } = {}) {
  const layers = {};
  for (const commune of communes) {
    if (!commune.boundary) continue;
    const layer = L.geoJSON(commune.boundary, {
      interactive: false,
      style: { color: "#000091", weight: 2, dashArray: "6 4", fillColor: "#000091",
               fillOpacity: 0.03 },
    });
    if (labels) {
      layer.bindTooltip(escapeHtml(commune.name), {
        permanent: true, direction: "center", className: "commune-label", interactive: false });
    }
    layers[commune.insee] = layer;
  }
  return layers;
}

/** One marker icon per status. */
export function statusIcons() {
  const icons = {};
  for (const status of Object.keys(STATUS_LABELS)) {
    icons[status] = L.divIcon({
      className: `asset-marker status-${status}`, iconSize: [16, 16], html: "" });
  }
  return icons;
}

/** A cluster's icon: its size, and a red border when one of its assets is in alert. */
export function clusterIcon(cluster) {
  const children = cluster.getAllChildMarkers();
  const alert = children.some((marker) => marker.options.status === "alert");
  const n = children.length;
  const size = n < 10 ? 32 : n < 100 ? 38 : n < 1000 ? 44 : 50;
  return L.divIcon({
    className: `asset-cluster${alert ? " has-alert" : ""}`, iconSize: [size, size],
    html: `<span aria-hidden="true">${n}</span><span class="visually-hidden">Groupe de ${n}
      équipements${alert ? ", dont au moins un en alerte" : ""} : agrandir</span>`,
  });
}

/** Query parameters shared by the home page, the map and the domain pages: the commune
 * (`commune`) and the period (`periode`) chosen on the home page. */
export function withFilters(href, { commune = "", periode = "" } = {}) {
  if (!href || !href.startsWith("/")) return href;
  const url = new URL(href, location.origin);
  if (commune && !url.searchParams.has("commune")) url.searchParams.set("commune", commune);
  if (periode && !url.searchParams.has("periode")) url.searchParams.set("periode", periode);
  return url.pathname + url.search + url.hash;
}

/** Hide the commune names that would overlap a name already shown (Leaflet places permanent
 * tooltips without looking at each other), again after each zoom or move. */
export function declutterLabels(map) {
  const tidy = () => {
    const kept = [];
    for (const label of map.getContainer().querySelectorAll(".commune-label")) {
      label.classList.remove("label-hidden");
      const box = label.getBoundingClientRect();
      const overlaps = kept.some((k) => box.left < k.right && k.left < box.right
        && box.top < k.bottom && k.top < box.bottom);
      if (overlaps) label.classList.add("label-hidden");
      else kept.push(box);
    }
  };
  map.on("zoomend moveend", tidy);
  tidy();
}
