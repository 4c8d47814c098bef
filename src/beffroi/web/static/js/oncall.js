// The on-call roster (astreinte) of the administration page: the current week and the next
// ones, each with its primary and secondary, saved or cleared one week at a time through
// GET/PUT/DELETE /tenants/{t}/oncall. Weeks start on a Monday of the territory's time zone
// (the API's ``week_start``); who may be on call, and every refusal, is the API's say.
import { api, ApiError, errorText, escapeHtml, formatNumber, whileSending } from "/static/js/common.js";
import { dayMonth, dayNumber, localDay, longDate } from "/static/js/dates.js";

const WEEKS = 12;  // the current week and the next 11
const DAY_MS = 86_400_000;
const ONCALL_ROLES = ["agent", "tenant_admin"];  // notifications/oncall.py's ONCALL_ROLES
const WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];
const FIELDS = { primary_user_id: "primary", secondary_user_id: "secondary" };
const FIELD_LABELS = { primary: "Personne d'astreinte", secondary: "Suppléant" };
const $ = (id) => document.getElementById(id);

let tenantPath = "";
let weeks = [];        // [{start, end, number, current}]
let members = [];      // the tenant's members, as GET /members gives them
const rota = new Map();  // week_start -> the API's week (primary, secondary)

// -- calendar dates (YYYY-MM-DD, no time zone: days of the territory's calendar) ---------
const asDate = (iso) => new Date(`${iso}T00:00:00Z`);

function addDays(iso, days) {
  return new Date(asDate(iso).getTime() + days * DAY_MS).toISOString().slice(0, 10);
}

export function mondayOf(iso) {
  return addDays(iso, -((asDate(iso).getUTCDay() + 6) % 7));
}

/** ISO 8601 week number of the week starting on the Monday `monday`. */
function isoWeekNumber(monday) {
  const thursday = asDate(addDays(monday, 3));
  return 1 + Math.floor((thursday - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / (7 * DAY_MS));
}

/** The roster's weeks: the one holding `now` in the territory's time zone, then the next. */
export function rosterWeeks(timeZone, now = Date.now(), count = WEEKS) {
  const first = mondayOf(localDay(now, timeZone));
  return Array.from({ length: count }, (_, i) => {
    const start = addDays(first, 7 * i);
    return { start, end: addDays(start, 6), number: isoWeekNumber(start), current: i === 0 };
  });
}

/** « du 16 au 22 mars 2026 », « du 30 mars au 5 avril 2026 », « du 28 décembre 2026 au 3
 * janvier 2027 », « du 1er au 7 juin 2026 » */
function span(week) {
  let from = dayMonth(week.start);
  if (week.start.slice(0, 4) !== week.end.slice(0, 4)) from = longDate(week.start);
  else if (week.start.slice(0, 7) === week.end.slice(0, 7)) from = dayNumber(week.start);
  return `du ${from} au ${longDate(week.end)}`;
}

// -- when paging happens: the tenant's working hours and escalation delay -----------------
/** « 8 h », « 7 h 30 » */
function clockText(text) {
  const [hours, minutes] = text.split(":").map(Number);
  return minutes ? `${hours} h ${String(minutes).padStart(2, "0")}` : `${hours} h`;
}

/** ISO weekdays (1 = lundi) in French: « du lundi au vendredi », « le lundi, le mercredi et
 * le vendredi », « tous les jours ». */
export function daysText(days) {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  if (sorted.length === 7) return "tous les jours";
  const runs = [];
  for (const day of sorted) {
    const run = runs[runs.length - 1];
    if (run && day === run[1] + 1) run[1] = day;
    else runs.push([day, day]);
  }
  const parts = runs.flatMap(([first, last]) => (last - first >= 2
    ? [`du ${WEEKDAYS[first - 1]} au ${WEEKDAYS[last - 1]}`]
    : Array.from({ length: last - first + 1 }, (_, i) => `le ${WEEKDAYS[first + i - 1]}`)));
  return parts.length > 1 ? `${parts.slice(0, -1).join(", ")} et ${parts[parts.length - 1]}`
    : parts[0];
}

export function pagingSentence(settings) {
  const hours = settings.working_hours;
  const delay = settings.escalation_delay_min;
  const zone = settings.timezone;
  const where = zone === "Europe/Paris" ? "heure de Paris" : `heure locale, ${zone}`;
  const paging = "une alerte critique est envoyée par courriel à la personne d'astreinte de "
    + "la semaine, puis à son suppléant si elle ne l'a pas prise en compte au bout de "
    + `${formatNumber(delay, 0)} minute${delay > 1 ? "s" : ""}`;
  if (!hours.days.length) {
    return `Aucun jour n'est déclaré ouvré : à toute heure (${where}), ${paging}.`;
  }
  return `En dehors des heures ouvrées (${daysText(hours.days)}, de ${clockText(hours.start)} `
    + `à ${clockText(hours.end)}, ${where}), ${paging}.`;
}

// -- the roster -------------------------------------------------------------------------
/** The members the API accepts on call: agents and tenant admins of the whole territory,
 * whose account is active (notifications/oncall.py's _eligible). */
const eligible = (m) => m.active && ONCALL_ROLES.includes(m.role) && !m.communes;

function personName(person) {
  return person.name || person.email || `utilisateur ${person.id}`;
}

function options(chosen, emptyLabel) {
  const offered = members.filter(eligible);
  const names = offered.map((m) => m.name);
  const label = (m) => (names.filter((n) => n === m.name).length > 1
    ? `${m.name} (${m.email})` : m.name);
  const items = [`<option value="">${emptyLabel}</option>`];
  if (chosen && !offered.some((m) => m.id === chosen.id)) {
    // Saved earlier, but no longer allowed (role changed, restricted, deactivated).
    items.push(`<option value="${chosen.id}" selected>${
      escapeHtml(personName(chosen))} (ne peut plus être d'astreinte)</option>`);
  }
  for (const m of offered) {
    items.push(`<option value="${m.id}"${chosen && chosen.id === m.id ? " selected" : ""}>${
      escapeHtml(label(m))}</option>`);
  }
  return items.join("");
}

/** What is wrong with a week, or "": nobody on call, or someone who may no longer be. */
function weekRisk(saved) {
  if (!saved || !saved.primary) return "Personne d'astreinte manquante";
  if (!members.some((m) => m.id === saved.primary.id && eligible(m))) {
    return `Personne d'astreinte à remplacer : ${personName(saved.primary)} ne peut plus être `
      + "d'astreinte";
  }
  return "";
}

const fieldId = (week, field) => `oncall-${week.start}-${field}`;

function selectCell(week, field, chosen, emptyLabel) {
  const id = fieldId(week, field);
  return `<td><label class="visually-hidden" for="${id}">${FIELD_LABELS[field]}, semaine du ${
    longDate(week.start)}</label>
    <select id="${id}" data-field="${field}" aria-describedby="${id}-error">${
      options(chosen, emptyLabel)}</select>
    <p class="field-error" id="${id}-error"></p></td>`;
}

function rowHtml(week) {
  const saved = rota.get(week.start);
  const risk = weekRisk(saved);
  const what = `la semaine du ${longDate(week.start)}`;
  return `<tr data-week="${week.start}" class="${risk ? "uncovered" : ""}">
    <th scope="row"><span class="week-number">Semaine ${week.number}</span>${
      week.current ? ' <span class="badge info">en cours</span>' : ""}
      <br><span class="week-span">${span(week)}</span>${risk ? `
      <br><strong class="week-risk"><span aria-hidden="true">⚠ </span>${escapeHtml(risk)}</strong>`
      : ""}</th>
    ${selectCell(week, "primary", saved && saved.primary, "— À désigner —")}
    ${selectCell(week, "secondary", saved && saved.secondary, "— Aucun —")}
    <td class="actions"><button type="button" class="button" data-save="${week.start}">Enregistrer<span
      class="visually-hidden"> ${what}</span></button>${saved ? `
      <button type="button" class="button secondary" data-clear="${week.start}">Vider<span
      class="visually-hidden"> ${what}</span></button>` : ""}</td></tr>`;
}

function renderSummary() {
  const uncovered = weeks.filter((w) => weekRisk(rota.get(w.start)));
  const box = $("oncall-summary");
  box.className = uncovered.length ? "oncall-summary notice" : "oncall-summary notice info";
  box.innerHTML = uncovered.length
    ? `<p><strong><span aria-hidden="true">⚠ </span>${formatNumber(uncovered.length, 0)} semaine${
      uncovered.length > 1 ? "s" : ""} sur ${weeks.length} sans personne d'astreinte valable</strong> :
      les alertes critiques hors des heures ouvrées n'y seront envoyées à personne.</p>`
    : `<p>Les ${weeks.length} semaines à venir ont une personne d'astreinte.</p>`;
}

/** The whole table; choices not saved yet are kept (the members changed meanwhile). */
function render() {
  const unsaved = new Map([...$("oncall").querySelectorAll("select[data-field]")]
    .map((s) => [s.id, s.value]));
  $("oncall").innerHTML = `
    <table class="oncall-table"><caption class="visually-hidden">Tableau d'astreinte : la
      semaine en cours et les ${weeks.length - 1} suivantes, avec la personne d'astreinte et son
      suppléant</caption>
      <thead><tr><th scope="col">Semaine</th><th scope="col">Personne d'astreinte</th>
        <th scope="col">Suppléant</th>
        <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${weeks.map(rowHtml).join("")}</tbody></table>`;
  for (const [id, value] of unsaved) {
    const select = $(id);
    if (select && [...select.options].some((o) => o.value === value)) select.value = value;
  }
  renderSummary();
}

function renderRow(week) {
  $("oncall").querySelector(`tr[data-week="${week.start}"]`).outerHTML = rowHtml(week);
  renderSummary();
}

function clearErrors(week) {
  for (const field of Object.values(FIELDS)) {
    $(fieldId(week, field)).removeAttribute("aria-invalid");
    $(`${fieldId(week, field)}-error`).textContent = "";
  }
  $("oncall-errors").hidden = true;
}

function showErrors(week, error) {
  const errors = (error instanceof ApiError && error.problem.errors) || [];
  const lines = [];
  let first = null;
  for (const { field, message } of errors) {
    const key = FIELDS[field];
    if (key) {
      const select = $(fieldId(week, key));
      select.setAttribute("aria-invalid", "true");
      $(`${fieldId(week, key)}-error`).textContent = message;
      first = first || select;
    }
    lines.push(`<li>${escapeHtml(FIELD_LABELS[key] || field)} : ${escapeHtml(message)}</li>`);
  }
  const box = $("oncall-errors");
  box.innerHTML = `<p>Semaine du ${longDate(week.start)} : ${escapeHtml(errorText(error,
    "l'enregistrement n'a pas abouti : réessayez."))}</p>${lines.length ? `<ul>${lines.join("")}</ul>` : ""}`;
  box.hidden = false;
  if (first) first.focus();
}

async function save(week) {
  clearErrors(week);
  const primary = $(fieldId(week, "primary")).value;
  const secondary = $(fieldId(week, "secondary")).value;
  const body = { secondary_user_id: secondary ? Number(secondary) : null };
  if (primary) body.primary_user_id = Number(primary);  // none: the API says it is needed
  try {
    const saved = await api(`${tenantPath}/oncall/${week.start}`, { method: "PUT", body });
    rota.set(week.start, saved);
    renderRow(week);
    $("oncall").querySelector(`button[data-save="${week.start}"]`).focus();
    $("oncall-status").textContent = `Semaine du ${longDate(week.start)} enregistrée : ${
      personName(saved.primary)} d'astreinte, ${saved.secondary
      ? `${personName(saved.secondary)} suppléant(e)` : "sans suppléant"}.`;
  } catch (error) {
    showErrors(week, error);  // (focus on the first field at fault, else back on the button)
  }
}

async function clear(week) {
  if (!window.confirm(`Vider l'astreinte de la semaine du ${longDate(week.start)} ? Plus `
    + "personne ne recevra les alertes critiques hors des heures ouvrées de cette semaine.")) {
    return;
  }
  clearErrors(week);
  try {
    await api(`${tenantPath}/oncall/${week.start}`, { method: "DELETE" });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) {  // (cleared meanwhile)
      showErrors(week, error);
      return;
    }
  }
  rota.delete(week.start);
  renderRow(week);
  $(fieldId(week, "primary")).focus();
  $("oncall-status").textContent =
    `Semaine du ${longDate(week.start)} vidée : plus personne d'astreinte.`;
}

function onClick(event) {
  const button = event.target.closest("button[data-save], button[data-clear]");
  if (!button) return;
  const week = weeks.find((w) => w.start === (button.dataset.save || button.dataset.clear));
  if (button.dataset.save) whileSending(button, () => save(week));
  else whileSending(button, () => clear(week));
}

/** Show the roster of the page's tenant (`ctx` from `session()`); admins only. */
export async function initOncall({ tenant }) {
  tenantPath = `/tenants/${tenant.id}`;
  weeks = rosterWeeks(tenant.settings.timezone);
  $("oncall-rules").textContent = pagingSentence(tenant.settings);
  $("oncall").addEventListener("click", onClick);
  // The members section tells when its list changed (a removal, an invitation accepted) or
  // a member did (a role): the roster offers, and flags, from the new list.
  const shown = () => $("oncall").querySelector("table") !== null;
  document.addEventListener("beffroi:members", (event) => {
    members = event.detail;
    if (shown()) render();
  });
  document.addEventListener("beffroi:member", (event) => {
    members = members.map((m) => (m.id === event.detail.id ? event.detail : m));
    if (shown()) render();
  });
  const [list, saved] = await Promise.all([
    api(`${tenantPath}/members`),
    api(`${tenantPath}/oncall`, { params: { from: weeks[0].start, limit: WEEKS } })]);
  members = list;
  for (const week of saved) rota.set(week.week_start, week);
  render();
}
