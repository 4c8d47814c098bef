// Panel of a building's page (core.registry.Panel): the CO2 of its rooms by hour of the week
// (GET …/buildings/{id}/co2-week, the indoor-air module), as a heat map: one room at a time
// (a menu), days in rows, hours in columns, each cell coloured by its CO2 class
// (satisfaisant up to 800 ppm, action corrective above, agir au plus vite above 1,500 ppm:
// arrêté of 27 December 2022) and holding its value, so that the map is its own table and
// the colour is never the only way to read it; a legend, and a sentence per room.
import { api, errorText, escapeHtml, formatNumber } from "/static/js/common.js";
import { formatDate } from "/static/js/dates.js";
import { ensureStyles, ppm } from "./figures.js";

const DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const NBSP = "\u00a0";

/** The co2-week route's answer (``air_data.co2_week``: per room 168 mean values, Monday
 * 00:00 local first) and the tenant's thresholds (from …/air) as the panel reads them: per
 * room a 7 × 24 matrix of values (ppm) or null. */
export function co2WeekOf(d, thresholds) {
  const rooms = (d.rooms || []).map((r) => {
    const values = r.mean_ppm || [];
    const grid = DAYS.map((_, day) => Array.from({ length: 24 }, (_h, hour) => values[day * 24 + hour] ?? null));
    return { id: r.id, name: r.name, grid };
  });
  return { action: thresholds?.action_ppm ?? 800, urgent: thresholds?.urgent_ppm ?? 1500,
    rooms, statistic: "mean", period: d.period || null };
}

export function co2Class(value, action, urgent) {
  if (value === null || value === undefined) return ["co2-none", "pas de mesure"];
  if (value > urgent) return ["co2-urgent", "agir au plus vite"];
  if (value > action) return ["co2-action", "action corrective"];
  return ["co2-ok", "satisfaisant"];
}

function legend(w) {
  const item = (cls, text) => `<li><span class="co2-swatch ${cls}" aria-hidden="true"></span>${text}</li>`;
  return `<ul class="co2-legend" id="co2-legend">
    ${item("co2-ok", `jusqu'à ${ppm(w.action)} : satisfaisant`)}
    ${item("co2-action", `au-delà de ${ppm(w.action)} : action corrective`)}
    ${item("co2-urgent", `au-delà de ${ppm(w.urgent)} : agir au plus vite`)}
    ${item("co2-none", "— : pas de mesure")}</ul>`;
}

function summary(room, w) {
  const values = room.grid.flat().filter((v) => v !== null);
  if (!values.length) return `${room.name} : aucune mesure de CO2 sur la période.`;
  const urgent = values.filter((v) => v > w.urgent).length;
  const action = values.filter((v) => v > w.action && v <= w.urgent).length;
  const s = (n) => (n > 1 ? "s" : "");
  return `${room.name} : ${urgent} heure${s(urgent)} de la semaine au-delà de ${formatNumber(w.urgent, 0)}${NBSP}ppm, `
    + `${action} heure${s(action)} entre ${formatNumber(w.action, 0)} et ${formatNumber(w.urgent, 0)}${NBSP}ppm ; `
    + `au plus ${ppm(Math.max(...values))}.`;
}

function heatmap(room, w) {
  const word = w.statistic === "max" ? "le plus élevé" : "moyen";
  const hours = Array.from({ length: 24 }, (_, h) => `<th scope="col">${h}${NBSP}h</th>`).join("");
  const rows = room.grid.map((values, d) => `<tr><th scope="row">${DAYS[d]}</th>${values.map((v, h) => {
    const [cls, label] = co2Class(v, w.action, w.urgent);
    return `<td class="${cls}" title="${DAYS[d]} ${h}${NBSP}h : ${v === null ? "pas de mesure"
      : `${formatNumber(v, 0)}${NBSP}ppm, ${label}`}">${v === null ? "—" : formatNumber(v, 0)}</td>`;
  }).join("")}</tr>`).join("");
  return `<table class="heatmap" id="co2-heatmap"><caption>CO2 ${word} (ppm) de ${escapeHtml(room.name)}
    par jour et par heure de début, heure locale</caption>
    <thead><tr><th scope="col">Jour</th>${hours}</tr></thead><tbody>${rows}</tbody></table>`;
}

export async function render(container, ctx) {
  ensureStyles();
  container.classList.add("co2-week-panel");
  const base = `/tenants/${ctx.tenant.id}/buildings/${ctx.asset.id}`;
  let w;
  try {
    // The thresholds are the territory's (…/air gives them); the defaults if it cannot answer.
    const [week, air] = await Promise.all([api(`${base}/co2-week`), api(`${base}/air`).catch(() => null)]);
    w = co2WeekOf(week, air && air.thresholds);
  } catch (error) {
    container.innerHTML = `<p class="muted">CO2 par heure indisponible : ${escapeHtml(errorText(error))}</p>`;
    container.dataset.ready = "true";
    return;
  }
  if (!w.rooms.length) {
    container.innerHTML = '<p class="muted">Aucune pièce de ce bâtiment ne mesure le CO2.</p>';
    container.dataset.ready = "true";
    return;
  }
  container.innerHTML = `
    ${w.period ? `<p class="muted">Moyenne de chaque heure de la semaine, du ${escapeHtml(formatDate(w.period.from))}
      au ${escapeHtml(formatDate(w.period.to))}.</p>` : ""}
    <ul id="co2-summaries">${w.rooms.map((r) => `<li>${escapeHtml(summary(r, w))}</li>`).join("")}</ul>
    <div class="panel-controls"><label for="co2-room">Pièce</label>
      <select id="co2-room">${w.rooms.map((r, i) => `<option value="${i}">${escapeHtml(r.name)}</option>`).join("")}</select></div>
    ${legend(w)}
    <p id="co2-status" class="visually-hidden" role="status"></p>
    <div id="co2-map" class="table-wrap" tabindex="0" role="region" aria-label="Carte de chaleur du CO2 par heure de la semaine"></div>`;
  const select = container.querySelector("#co2-room");
  const show = () => {
    const room = w.rooms[Number(select.value)];
    container.querySelector("#co2-map").innerHTML = heatmap(room, w);
    container.querySelector("#co2-status").textContent = `CO2 de ${room.name} affiché.`;
  };
  select.addEventListener("change", show);
  show();
  container.dataset.ready = "true";
}
