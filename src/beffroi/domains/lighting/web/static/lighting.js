// Shared by the lighting pages and the cabinet panel: French labels of the inventory's
// fields, sun events and levels, and value formatting.
import { errorText, formatNumber, unitSymbol } from "/static/js/common.js";

const LAMPS = { led: "LED", sodium_hp: "sodium haute pression", sodium_lp: "sodium basse pression",
  metal_halide: "iodures métalliques", mercury: "vapeur de mercure", fluorescent: "fluorescente" };
export const lampLabel = (value) => LAMPS[value] || value || "—";

/** "4 000 K", "23:30", "interdite": numbers grouped the French way, with their unit. */
export function valueWithUnit(value, unit) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value !== "number") return String(value);
  const u = unitSymbol(unit);
  return formatNumber(value, 2) + (u ? ` ${u}` : "");
}

export const SUN_EVENTS = {
  sunset: "coucher du soleil", sunrise: "lever du soleil",
  civil_dusk: "fin du crépuscule civil", civil_dawn: "début de l'aube civile",
  nautical_dusk: "fin du crépuscule nautique", nautical_dawn: "début de l'aube nautique",
};

/** "extinction", "pleine puissance", "abaissement à 50 %". */
export function levelText(level) {
  if (level === 0) return "extinction";
  if (level === 100) return "pleine puissance";
  return `abaissement à ${level} %`;
}

/** "coucher du soleil −10 min", "23:00". */
export function momentText(step) {
  const base = SUN_EVENTS[step.at] || step.at;
  if (!step.offset_min) return base;
  return `${base} ${step.offset_min > 0 ? "+" : "−"}${Math.abs(step.offset_min)} min`;
}

export const MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
  "septembre", "octobre", "novembre", "décembre"];
export const MONTHS_SHORT = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
  "sept.", "oct.", "nov.", "déc."];

/** 12 345 (kWh: no decimals above 100), where the unit is written elsewhere (a header). */
export function kwhNumber(value) {
  if (value === null || value === undefined) return "—";
  return formatNumber(value, Math.abs(value) >= 100 ? 0 : 1);
}

/** 12 345 kWh (no decimals above 100). */
export function kwh(value) {
  if (value === null || value === undefined) return "—";
  return `${kwhNumber(value)} kWh`;
}

/** "+12,5 %" / "−3 %": a change the API computed (null: not comparable, shown "—"). */
export function signedPercent(pct) {
  if (pct === null || pct === undefined) return "—";
  return `${pct > 0 ? "+" : pct < 0 ? "−" : ""}${formatNumber(Math.abs(pct), 1)} %`;
}

/** "01/12" for a "YYYY-MM-DD" date (no time zone involved). */
export function dayMonth(iso) {
  const [, m, d] = String(iso).split("-");
  return `${d}/${m}`;
}

/** "0 jour relevé", "1 jour relevé", "12 jours relevés". */
export function daysMeasured(n) {
  return `${formatNumber(n, 0)} ${n > 1 ? "jours relevés" : "jour relevé"}`;
}

/** The comparison with the year before, in words: « +3,2 % par rapport aux mêmes jours de
 * 2025 (280 jours relevés sur les deux périodes, du 01/01 au 07/10) », or « comparaison
 * impossible : 4 jours relevés sur les deux périodes ». */
export function comparisonText(c) {
  if (!c) return "";
  if (c.change_pct === null || c.change_pct === undefined) {
    return `comparaison impossible : ${daysMeasured(c.days)} sur les deux périodes`;
  }
  return `${signedPercent(c.change_pct)} par rapport aux mêmes jours de ${c.year} (${
    daysMeasured(c.days)} sur les deux périodes, du ${dayMonth(c.from)} au ${dayMonth(c.to)})`;
}

/** What a year's coverage allows to say: « année entière », « du 06/12 au 31/12, 26 jours
 * relevés », « aucune mesure ». */
export function coverageText(c) {
  if (!c || !c.days) return "aucune mesure";
  if (c.complete && c.days === c.period_days && c.period_days >= 365) return "année entière";
  return `du ${dayMonth(c.from)} au ${dayMonth(c.to)}, ${daysMeasured(c.days)}`;
}

// -- forms ---------------------------------------------------------------------------------
/** Put the API's French message next to each field in error; the rest in `general`. */
export function showErrors(form, error, general, fieldOf) {
  const problems = (error.problem && error.problem.errors) || [];
  const rest = [];
  let first = null;
  for (const p of problems) {
    const input = form.querySelector(`[data-field="${CSS.escape(fieldOf(p.field))}"]`);
    const slot = input && document.getElementById(`${input.id}-err`);
    if (!slot) { rest.push(`${p.field} : ${p.message}`); continue; }
    slot.textContent = slot.textContent ? `${slot.textContent} ; ${p.message}` : p.message;
    if (input.matches("input, select, textarea")) input.setAttribute("aria-invalid", "true");
    first ||= input;
  }
  general.textContent = errorText(error) + (rest.length ? ` ${rest.join(" ; ")}.` : "")
    + (problems.length - rest.length ? " Voir les champs signalés." : "");
  if (first) first.focus();
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
}
