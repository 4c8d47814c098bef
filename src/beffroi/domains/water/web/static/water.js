// Shared by the water pages and panels: French formatting of volumes, flows and costs,
// the décret verdict and the ILP grades in words (never colour alone), and the form's
// error display.
import { formatNumber, loadStylesheet, parseNumber } from "/static/js/common.js";
import { longDate } from "/static/js/dates.js";

export const STYLESHEET = "/static/domains/water/eau.css";

/** Load the water stylesheet once (panels are shown on core's asset page). */
export const ensureStyles = () => loadStylesheet(STYLESHEET);

const dash = (v) => v === null || v === undefined || Number.isNaN(v);

/** "12 345 m³" (no decimals from 100 on). */
export const m3 = (v) => (dash(v) ? "—" : `${formatNumber(v, Math.abs(v) >= 100 ? 0 : 1)} m³`);
/** "2,35 m³/h". */
export const m3h = (v, digits = 2) => (dash(v) ? "—" : `${formatNumber(v, digits)} m³/h`);
/** "1 234 €". */
export const eur = (v) => (dash(v) ? "—" : `${formatNumber(v, 0)} €`);
/** "78,4 %". */
export const pct = (v) => (dash(v) ? "—" : `${formatNumber(v, 1)} %`);
/** "1,85 m³/km/j". */
export const perKmDay = (v) => (dash(v) ? "—" : `${formatNumber(v, 2)} m³/km/j`);


// indicators.GRADE_LABELS, with colours of 3:1 at least on the map's background and a
// line pattern each, so that the grade reads without the colour.
/** An open leak whose night flow is back near its reference, nothing recorded: the question
 * put to the operator (empty otherwise). */
export function backNote(l) {
  if (!l.back_near_reference_since) return "";
  return `<span class="block back-note">À confirmer : débit de nuit revenu près de la référence de cette fuite
    depuis le ${longDate(l.back_near_reference_since)}, sans réparation consignée. Si une fuite du secteur a été
    réparée, consignez-le sur son alerte ; sinon, « aucune fuite trouvée ».</span>`;
}

export const GRADES = {
  good: { label: "Bon", colour: "#18753c", dash: null },
  acceptable: { label: "Acceptable", colour: "#716100", dash: "10 4" },
  mediocre: { label: "Médiocre", colour: "#b34000", dash: "4 4" },
  poor: { label: "Mauvais", colour: "#ce0500", dash: "1 5" },
  none: { label: "Non calculé", colour: "#666666", dash: "2 8" },
};
export const CATEGORIES = { rural: "Rural", intermediate: "Intermédiaire", urban: "Urbain" };

/** The décret 2012-97 verdict in a few words: {key, text}. */
export function verdict(indicators) {
  if (!indicators) return { key: "none", text: "Non calculé (volumes manquants)" };
  const compliant = indicators.decree.compliant;
  if (compliant === true) return { key: "ok", text: "Conforme" };
  if (compliant === false) return { key: "below", text: "Sous le seuil : plan d'actions obligatoire" };
  return { key: "unknown", text: "Indéterminé" };
}

/** Number typed in a form, the French way ("120 000", "1 234,5") -> number; the text as
 * it is when it does not read as a number (the API answers with a French error); null when
 * empty. */
export function parseFrench(text) {
  const raw = String(text ?? "").trim();
  return raw ? parseNumber(raw) : null;
}

/** A stored number as typed back in a field: "120000" -> "120 000", "38.5" -> "38,5". */
export function typed(value) {
  if (value === null || value === undefined) return "";
  if (typeof value !== "number") return String(value);
  return new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 3 }).format(value)
    .replace(/\u202f/g, " ");
}
