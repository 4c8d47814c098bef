// Dates and times written for people, the one place where the pages write them: French
// words, the territory's time zone, and the first day of a month written « 1er » (« 1er
// décembre 2026 », « 1er déc. 2026, 14:05 »), as the server's texts write it
// (core/french_format.py; a test compares both).
//
// Every function takes either an instant (ISO text, epoch ms or Date), written in
// `timeZone` (Paris unless a territory's zone is given), or a calendar day "YYYY-MM-DD",
// which has no time zone and is written as that day. Nothing (null, "") is written "—".

import { TIME_ZONE } from "/static/js/common.js";

const CALENDAR_DAY = /^\d{4}-\d{2}-\d{2}$/;
const formatters = new Map();  // options as JSON -> Intl.DateTimeFormat
const calendars = new Map();  // time zone -> its YYYY-MM-DD formatter

function write(value, options, timeZone) {
  if (!value) return "—";
  const day = typeof value === "string" && CALENDAR_DAY.test(value);
  const zone = day ? "UTC" : timeZone;
  const key = JSON.stringify([options, zone]);
  if (!formatters.has(key)) {
    formatters.set(key, new Intl.DateTimeFormat("fr-FR", { ...options, timeZone: zone }));
  }
  const date = day ? new Date(`${value}T00:00:00Z`) : new Date(value);
  return formatters.get(key).formatToParts(date)
    .map((p) => (p.type === "day" && p.value === "1" ? "1er" : p.value)).join("");
}

/** « 1er déc. 2026, 14:05 », « 23 nov. 2026, 08:00 »: an instant to the minute. */
export const formatDateTime = (value, timeZone = TIME_ZONE) => write(value,
  { dateStyle: "medium", timeStyle: "short" }, timeZone);

/** « 1er déc. 2026 », « 23 nov. 2026 »: a day, short (tables, legends). */
export const formatDate = (value, timeZone = TIME_ZONE) => write(value,
  { dateStyle: "medium" }, timeZone);

/** « 1er décembre 2026 », « 23 novembre 2026 »: a day, in full (sentences). */
export const longDate = (value, timeZone = TIME_ZONE) => write(value,
  { day: "numeric", month: "long", year: "numeric" }, timeZone);

/** « 1er décembre », « 23 novembre »: a day whose year goes without saying. */
export const dayMonth = (value, timeZone = TIME_ZONE) => write(value,
  { day: "numeric", month: "long" }, timeZone);

/** « 1er », « 23 »: the day of the month alone (« du 1er au 7 mars 2026 »). */
export const dayNumber = (value, timeZone = TIME_ZONE) => write(value,
  { day: "numeric" }, timeZone);

/** « 01/12/2026 »: a day in figures, as a date field shows it (the server's local_date). */
export const numericDate = (value, timeZone = TIME_ZONE) => write(value,
  { day: "2-digit", month: "2-digit", year: "numeric" }, timeZone);

/** « mar. 1er déc. », « lun. 23 nov. »: a day of the coming or past week, short. */
export const shortWeekday = (value, timeZone = TIME_ZONE) => write(value,
  { weekday: "short", day: "numeric", month: "short" }, timeZone);

/** « mardi 1er décembre », « lundi 23 novembre »: a day of the coming week, in full. */
export const longWeekday = (value, timeZone = TIME_ZONE) => write(value,
  { weekday: "long", day: "numeric", month: "long" }, timeZone);

/** The calendar day "YYYY-MM-DD" of an instant (now unless given) in `timeZone`: the day
 * the territory is living, for date fields and queries (not written for people). */
export function localDay(instant = Date.now(), timeZone = TIME_ZONE) {
  if (!calendars.has(timeZone)) {
    calendars.set(timeZone, new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric",
      month: "2-digit", day: "2-digit" }));
  }
  return calendars.get(timeZone).format(new Date(instant));
}
