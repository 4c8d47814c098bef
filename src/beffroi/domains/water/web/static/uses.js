// The planned exceptional night uses of a sector (pool filled, mains flushed, reservoir
// filled, fire exercise…), in the sector panel: the list with a delete button each and, for
// those who may edit assets, the form that declares one. The nights they cover are left out
// by the leak detector; those of a seasonal use (« chaque année »: garden watering every
// summer) come back every year and are watched with caution instead.
// GET/POST …/water/sectors/{id}/exceptional-uses, DELETE …/{use id}.
// Each error goes next to its field and is announced; nothing is stored when one is refused.
import {
  api, ApiError, errorText, escapeHtml, formatNumber, whileSending,
} from "/static/js/common.js";
import { dayMonth, longDate } from "/static/js/dates.js";
import { m3h, parseFrench } from "/static/domains/water/water.js";

// The days a use may lie on (as the API: from 2000, two years ahead at most): the date
// pickers offer those only; a year mistyped (« 20260 ») is refused by the API all the same.
const EARLIEST_DAY = "2000-01-01";
const AHEAD_DAYS = 2 * 365 + 1;
const latestDay = () => new Date(Date.now() + AHEAD_DAYS * 86_400_000).toISOString().slice(0, 10);
const dayBounds = () => `min="${EARLIEST_DAY}" max="${latestDay()}"`;

const FIELDS = [  // name, label, input attributes
  ["start", "Premier jour", () => `type="date" required ${dayBounds()}`],
  ["end", "Dernier jour (inclus)", () => `type="date" required ${dayBounds()}`],
  ["label", "Motif", 'type="text" required maxlength="200" autocomplete="off"'],
  ["flow_m3h", "Débit prévu (m³/h, facultatif)", 'type="text" inputmode="decimal" autocomplete="off"'],
];

const nights = (u) => Math.round((Date.parse(`${u.end}T12:00:00Z`) - Date.parse(`${u.start}T12:00:00Z`)) / 86_400_000) + 1;

/** "du 14 juin 2025 au 16 juin 2025 (3 nuits)", "le 2 mars 2025 (1 nuit)"; a seasonal use:
 * "chaque année du 1er juin au 30 septembre (122 nuits, surveillées avec prudence)". */
export function periodText(u) {
  const n = nights(u);
  if (u.yearly) {
    return `chaque année du ${dayMonth(u.start)} au ${dayMonth(u.end)} (${formatNumber(n, 0)} nuits, surveillées avec prudence)`;
  }
  return `${u.start === u.end ? `le ${longDate(u.start)}` : `du ${longDate(u.start)} au ${longDate(u.end)}`} (${
    formatNumber(n, 0)} nuit${n > 1 ? "s" : ""})`;
}

/** The periods ([first, last] ISO days) of use `u` that meet the days from `from` to `to`:
 * its own, or a seasonal use's on every year (as ``exceptional_uses.seasonal_ranges``). */
export function usePeriods(u, from, to) {
  if (!u.yearly) return u.end >= from && u.start <= to ? [[u.start, u.end]] : [];
  const base = Number(u.start.slice(0, 4));
  const moved = (iso, year) => `${Number(iso.slice(0, 4)) + year - base}${iso.slice(4)}`;
  const out = [];
  for (let y = Number(from.slice(0, 4)) - 1; y <= Number(to.slice(0, 4)); y += 1) {  // (across New Year)
    const period = [moved(u.start, y), moved(u.end, y)];
    if (period[1] >= from && period[0] <= to) out.push(period);
  }
  return out;
}

/** The use whose days hold `date` (ISO day), if any. */
export const useOn = (uses, date) => uses.find((u) => usePeriods(u, date, date).length > 0);

/**
 * Draw the section in `container`; `onChange(uses)` is called with the uses once loaded and
 * after each change (the panel marks their nights). Resolves to the uses first loaded.
 */
export async function usesSection(container, { tenant, sectorId, canWrite, onChange = () => {} }) {
  const url = `/tenants/${tenant.id}/water/sectors/${sectorId}/exceptional-uses`;
  const id = (name) => `wu-${name}`;
  container.innerHTML = `
    <p class="muted">Remplissage de piscine, purge de canalisations, remplissage de réservoir,
      exercice incendie… : les nuits d'un usage déclaré sont ignorées par le détecteur de fuites,
      qui ne prend pas ce débit pour une fuite. Un usage saisonnier (arrosage des jardins la nuit
      chaque été…) revient chaque année aux mêmes dates : ses nuits restent surveillées, avec
      prudence — une hausse n'y est une fuite que si elle dure au-delà des pauses de l'usage.</p>
    <div id="${id("list")}"></div>
    <p id="${id("status")}" role="status" class="visually-hidden"></p>
    ${canWrite ? `<form class="uses-form" id="${id("form")}" novalidate>
      <fieldset><legend>Déclarer un usage exceptionnel ou saisonnier</legend>
      <div class="fields">${FIELDS.map(([name, label, attrs]) => `
        <div class="field${name === "label" ? " wide" : ""}"><label for="${id(name)}">${label}</label>
          <input id="${id(name)}" name="${name}" data-field="${name}" ${typeof attrs === "function" ? attrs() : attrs}
            aria-describedby="${id(name)}-err${name === "end" ? ` ${id("end-hint")}` : ""}">
          ${name === "end" ? `<span class="muted small block" id="${id("end-hint")}">92 jours au plus (184 pour un usage saisonnier).</span>` : ""}
          <span class="field-error" id="${id(name)}-err"></span></div>`).join("")}
        <div class="field wide"><div class="check"><input type="checkbox" id="${id("yearly")}" name="yearly"
            data-field="yearly" aria-describedby="${id("yearly-hint")} ${id("yearly")}-err">
          <label for="${id("yearly")}">Chaque année (usage saisonnier)</label></div>
          <span class="muted small block" id="${id("yearly-hint")}">Aux mêmes dates tous les ans ; ses nuits
            restent surveillées avec prudence au lieu d'être ignorées.</span>
          <span class="field-error" id="${id("yearly")}-err"></span></div>
      </div></fieldset>
      <div class="form-buttons"><button type="submit" class="button" id="${id("add")}">Déclarer l'usage</button></div>
      <p id="${id("error")}" class="notice" role="alert" hidden></p>
    </form>` : '<p class="notice info">Lecture seule : votre rôle ne permet pas de déclarer un usage exceptionnel.</p>'}`;
  const $ = (name) => container.querySelector(`#${id(name)}`);
  let uses = [];

  function showList() {
    $("list").innerHTML = uses.length ? `<ul class="uses-list">${uses.map((u) => `
      <li data-use="${escapeHtml(u.id)}"><span><strong>${escapeHtml(u.label)}</strong> —
        ${periodText(u)}${u.flow_m3h !== null && u.flow_m3h !== undefined
          ? `, ${m3h(u.flow_m3h, 1)} prévus` : ""}</span>
        ${canWrite ? `<button type="button" class="button secondary delete-use" data-use="${escapeHtml(u.id)}"
          aria-label="Supprimer l'usage « ${escapeHtml(u.label)} » ${escapeHtml(periodText(u))}">Supprimer</button>` : ""}</li>`).join("")}</ul>`
      : `<p class="muted" id="${id("none")}">Aucun usage exceptionnel déclaré.</p>`;
    container.dataset.uses = String(uses.length);
    onChange(uses);
  }

  function clearErrors() {
    for (const el of container.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    for (const el of container.querySelectorAll(".field-error")) el.textContent = "";
    const error = $("error");
    if (error) { error.hidden = true; error.textContent = ""; }
  }

  /** Each error next to its field; the others in the form's alert. First bad field focused. */
  function showErrors(error) {
    const problems = error instanceof ApiError && error.problem && error.problem.errors
      ? error.problem.errors : [];
    const rest = [];
    let first = null;
    for (const p of problems) {
      const input = container.querySelector(`[data-field="${CSS.escape(p.field)}"]`);
      if (!input) { rest.push(p.field ? `${p.field} : ${p.message}` : p.message); continue; }
      const slot = $(`${p.field}-err`);
      slot.textContent = slot.textContent ? `${slot.textContent} ; ${p.message}` : p.message;
      input.setAttribute("aria-invalid", "true");
      first ||= input;
    }
    const named = problems.length - rest.length;
    $("error").textContent = `${errorText(error)}${
      rest.length ? ` ${rest.join(" ; ")}.` : ""}${
      named ? ` ${named > 1 ? `${named} champs à corriger` : "Un champ à corriger"}, signalé${named > 1 ? "s" : ""} ci-dessus.` : ""}`;
    $("error").hidden = false;
    if (first) first.focus();
  }

  const form = $("form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors();
      const body = {
        start: $("start").value || null, end: $("end").value || null,
        label: $("label").value.trim() || null, flow_m3h: parseFrench($("flow_m3h").value),
        yearly: $("yearly").checked,
      };
      await whileSending($("add"), async () => {
        try {
          const answer = await api(url, { method: "POST", body });
          uses = answer.uses;
          form.reset();
          showList();
          $("status").textContent = answer.message;
          form.dataset.saved = answer.use.id;
        } catch (error) {
          showErrors(error);
          form.dataset.saved = "error";
        }
      });
    });
  }

  container.addEventListener("click", async (event) => {
    const button = event.target.closest(".delete-use");
    if (!button) return;
    const use = uses.find((u) => u.id === button.dataset.use);
    if (!use || !window.confirm(`Supprimer l'usage « ${use.label} » ${periodText(use)} ? `
      + (use.yearly ? "Ses nuits ne seront plus surveillées avec prudence."
        : "Ses nuits seront de nouveau surveillées par le détecteur de fuites."))) return;
    button.disabled = true;
    try {
      const answer = await api(`${url}/${encodeURIComponent(use.id)}`, { method: "DELETE" });
      const index = uses.findIndex((u) => u.id === use.id);
      uses = answer.uses;
      showList();
      $("status").textContent = answer.message;
      // Focus goes to the next delete button, else the previous one, else the form.
      const buttons = container.querySelectorAll(".delete-use");
      const next = buttons[Math.min(index, buttons.length - 1)] || $("start");
      if (next) next.focus();
    } catch (error) {
      button.disabled = false;
      if (form) showErrors(error);
      else $("status").textContent = errorText(error, "L'usage n'a pas été supprimé : réessayez.");
    }
  });

  uses = (await api(url)).uses;
  showList();
  return uses;
}
