// Panel of a building's page (core.registry.Panel): its meters (buildings.meter children)
// with the energy they count in French, their number and the last value of each of their
// streams with its unit as written in French (kWh, m³) and when it was read; a gas index in
// m³ also in kWh when the meter has its conversion coefficient.
// GET …/buildings/{id}/meters.
import { api, escapeHtml, formatNumber } from "/static/js/common.js";
import { formatDateTime } from "/static/js/dates.js";
import { ensureStyles, kwh } from "./figures.js";

const NBSP = "\u00a0";

function value(r) {
  if (r.value === null || r.value === undefined) return '<span class="muted">aucun relevé</span>';
  const text = `${formatNumber(r.value, 3)}${r.unit_symbol ? NBSP + escapeHtml(r.unit_symbol) : ""}`;
  return r.kwh !== undefined ? `${text} <span class="muted block">soit ${kwh(r.kwh)}</span>` : text;
}

export async function render(container, ctx) {
  ensureStyles();
  container.classList.add("meters-panel");
  const d = await api(`/tenants/${ctx.tenant.id}/buildings/${ctx.asset.id}/meters`);
  if (!d.meters.length) {
    container.innerHTML = '<p class="muted">Aucun compteur rattaché à ce bâtiment.</p>';
    container.dataset.ready = "true";
    return;
  }
  const rows = d.meters.flatMap((m) => {
    const readings = m.readings.length ? m.readings : [null];
    return readings.map((r, i) => `<tr>${i === 0 ? `<th scope="row" rowspan="${readings.length}">
        <a href="/equipements/${m.id}">${escapeHtml(m.name)}</a>${m.meter_number
          ? `<span class="muted block">n° ${escapeHtml(m.meter_number)}</span>` : ""}</th>
        <td rowspan="${readings.length}">${escapeHtml(m.energy_label || "—")}</td>` : ""}
      <td>${r ? escapeHtml(r.label) : "—"}</td>
      <td class="number">${r ? value(r) : '<span class="muted">aucun flux</span>'}</td>
      <td>${r ? formatDateTime(r.time) : "—"}</td></tr>`);
  });
  container.innerHTML = `<div class="table-wrap" tabindex="0" role="region" aria-labelledby="mt-caption">
    <table id="mt-table"><caption id="mt-caption">${formatNumber(d.meters.length, 0)} compteur${
      d.meters.length > 1 ? "s" : ""} et leur dernier relevé</caption>
    <thead><tr><th scope="col">Compteur</th><th scope="col">Énergie</th><th scope="col">Mesure</th>
      <th scope="col" class="number">Dernière valeur</th><th scope="col">Relevée le</th></tr></thead>
    <tbody>${rows.join("")}</tbody></table></div>`;
  container.dataset.ready = "true";
}
