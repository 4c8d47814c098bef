// Page /batiments/aeration?batiment=ID&annee=2025-2026: the yearly ventilation evaluation
// report of a school (GET …/buildings/{id}/ventilation-report), printable, with its PDF.
// Empty fields of the action plan show as lines to fill in by hand once printed.
import {
  api, escapeHtml, formatNumber, renderHeader, session, showError,
} from "/static/js/common.js";
import { numericDate } from "/static/js/dates.js";

const state = await session();
renderHeader("/batiments/aeration", state);
const tenant = state.tenant;
const PLAN = [
  ["evaluator", "Évaluation réalisée par"], ["evaluated_on", "Date de l'évaluation"],
  ["findings", "Constats"], ["action_plan", "Plan d'actions"],
  ["responsible", "Responsable du plan d'actions"], ["due_date", "Échéance"],
];

const fill = (text) => (text ? escapeHtml(text) : '<span class="to-fill"><span class="visually-hidden">à compléter</span></span>');
const yesNo = (value) => (value === true ? "oui" : value === false ? "non" : "à vérifier");
const ppm = (value) => (value === null ? "—" : `${formatNumber(value, 0)} ppm`);

function roomRow(room) {
  const kind = room.room_type_label ? `<br><span class="muted">${escapeHtml(room.room_type_label)}${room.capacity ? `, ${room.capacity} occupants` : ""}</span>` : "";
  const icone = room.icone === null ? "—" : `${room.icone} (${escapeHtml(room.icone_label)})`;
  const css = room.co2_class === "urgent" ? ' class="air-class-urgent"' : "";
  return `<tr data-room="${room.id}"><th scope="row">${escapeHtml(room.name)}${kind}</th>
    <td>${escapeHtml(room.ventilation_label || "non renseignée")}</td>
    <td class="num">${room.readings}</td><td>${icone}</td>
    <td class="num">${ppm(room.max_ppm)}</td><td class="num">${ppm(room.mean_ppm)}</td>
    <td${css}>${escapeHtml(room.co2_class_label || "pas de mesure")}</td></tr>`;
}

function checkRow(room) {
  const e = room.evaluation;
  return `<tr><th scope="row"><a href="/equipements/${room.id}">${escapeHtml(room.name)}</a></th>
    <td>${yesNo(e.openings_ok)}</td><td>${yesNo(e.vents_ok)}</td>
    <td>${fill(e.findings)}</td><td>${fill(e.actions)}</td></tr>`;
}

function render(r) {
  const b = r.building;
  document.title = `Aération — ${b.name} — ${r.school_year} — Beffroi`;
  document.getElementById("title").textContent = `Évaluation annuelle des moyens d'aération — ${b.name}`;
  document.getElementById("identity").innerHTML = `${escapeHtml(b.name)} (${escapeHtml(b.ref)})${b.commune_name ? `, ${escapeHtml(b.commune_name)}` : ""}${b.usage ? ` — ${escapeHtml(b.usage)}` : ""}<br>
    Année scolaire ${escapeHtml(r.school_year)} · mesures du ${numericDate(r.period.from)} au ${numericDate(r.period.to)}<br>
    Référent qualité de l'air : ${escapeHtml(b.air_referent || "non renseigné")}`;
  const o = r.occupancy;
  document.getElementById("method").textContent = `Mesures de CO2 prises pendant l'occupation (${o.opening_hours_label}${o.closed_school_holidays ? `, hors vacances scolaires de la zone ${o.school_zone}` : ""}${o.closed_public_holidays ? ", hors jours fériés" : ""}). Classes de l'arrêté du 27 décembre 2022 : satisfaisant jusqu'à ${formatNumber(r.thresholds.action_ppm, 0)} ppm, actions correctives au-delà, agir au plus vite au-delà de ${formatNumber(r.thresholds.urgent_ppm, 0)} ppm (valeur la plus haute de la période). Indice ICONE (CSTB, de 0 à 5) : part des mesures de ${formatNumber(r.icone_bands.low_ppm, 0)} à ${formatNumber(r.icone_bands.high_ppm, 0)} ppm et au-delà.`;
  document.querySelector("#rooms tbody").innerHTML = r.rooms.length
    ? r.rooms.map(roomRow).join("")
    : '<tr><td colspan="7">Aucune pièce suivie dans ce bâtiment.</td></tr>';
  document.getElementById("findings").innerHTML = (r.findings.length ? r.findings : ["Aucun constat."])
    .map((f) => `<li>${escapeHtml(f)}</li>`).join("");
  document.querySelector("#checks tbody").innerHTML = r.rooms.map(checkRow).join("");
  document.querySelector("#plan tbody").innerHTML = PLAN.map(([key, label]) => {
    const value = key.endsWith("_on") || key === "due_date" ? (r.evaluation[key] && numericDate(r.evaluation[key])) : r.evaluation[key];
    return `<tr><th scope="row">${label}</th><td>${fill(value)}</td></tr>`;
  }).join("");
  const pdf = new URL(`/api/v1/tenants/${tenant.id}/buildings/${b.id}/ventilation-report.pdf`, location.origin);
  pdf.searchParams.set("year", r.school_year);
  document.getElementById("pdf").href = pdf.pathname + pdf.search;
  document.getElementById("edit").href = `/equipements/${b.id}`;
  document.getElementById("report").hidden = false;
}

async function load() {
  delete document.body.dataset.ready;
  const params = new URLSearchParams(location.search);
  const id = params.get("batiment");
  const message = document.getElementById("message");
  message.hidden = true;
  if (!id) {
    document.getElementById("report").hidden = true;
    document.body.dataset.ready = "choice";
    return;
  }
  try {
    const r = await api(`/tenants/${tenant.id}/buildings/${encodeURIComponent(id)}/ventilation-report`,
      { params: { year: params.get("annee") } });
    render(r);
    document.body.dataset.ready = String(r.rooms.length);
  } catch (error) {
    document.getElementById("report").hidden = true;
    showError(error, message);
    const details = (error.problem && error.problem.errors) || [];
    if (details.length) message.textContent += ` ${details.map((e) => e.message).join(" ; ")}.`;
    document.body.dataset.ready = "error";
  }
}

async function main() {
  if (!tenant) {
    const message = document.getElementById("message");
    message.textContent = "Aucun territoire ne vous est encore ouvert.";
    message.hidden = false;
    return;
  }
  const params = new URLSearchParams(location.search);
  const buildings = await api(`/tenants/${tenant.id}/assets`, { params: { kind: "buildings.building" } });
  const select = document.getElementById("building");
  select.innerHTML = '<option value="">Choisir un bâtiment</option>' + buildings.features
    .map((f) => `<option value="${f.id}">${escapeHtml(f.properties.name)}</option>`).join("");
  select.value = params.get("batiment") || "";
  document.getElementById("year").value = params.get("annee") || "";
  document.getElementById("choice").addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (select.value) next.set("batiment", select.value);
    const year = document.getElementById("year").value.trim();
    if (year) next.set("annee", year);
    history.pushState(null, "", `${location.pathname}?${next}`);
    load();
  });
  document.getElementById("print").addEventListener("click", () => window.print());
  window.addEventListener("popstate", load);
  await load();
}

main().catch((error) => showError(error));
