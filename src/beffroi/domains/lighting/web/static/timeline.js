// The nights of a programme (preview API: [{date, changes: [{at, level}]}]) drawn as an SVG
// timeline, 16:00 to 10:00 Paris time, one row per night, and told as text.
import { escapeHtml, formatNumber, TIME_ZONE } from "/static/js/common.js";
import { shortWeekday } from "/static/js/dates.js";
import { levelText } from "/static/domains/lighting/lighting.js";

const START = 16 * 60;  // the axis starts at 16:00 on the night's date...
const SPAN = 18 * 60;  // ...and ends at 10:00 the next morning
const FULL = "#000091";
const DIMMED = "#6a6af4";
const OFF = "#3a3a3a";
const PARTS = new Intl.DateTimeFormat("en-GB", { timeZone: TIME_ZONE, hourCycle: "h23",
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });

/** {date: "YYYY-MM-DD", minutes since local midnight} of an instant, Paris time. */
export function parisParts(ms) {
  const p = Object.fromEntries(PARTS.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute) };
}

/** "23:00", Paris time. */
export function hhmm(iso) {
  const { minutes } = parisParts(Date.parse(iso));
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}


function position(iso, night) {
  const { date, minutes } = parisParts(Date.parse(iso));
  const m = date === night ? minutes - START : minutes + 1440 - START;
  return Math.min(SPAN, Math.max(0, m));
}

/** Segments [from ISO, to ISO, level] between the night's changes. */
function segments(night) {
  const out = [];
  for (let i = 0; i + 1 < night.changes.length; i++) {
    out.push([night.changes[i].at, night.changes[i + 1].at, night.changes[i].level]);
  }
  return out;
}

export function drawTimeline(box, nights) {
  const width = Math.max(280, box.clientWidth || 600);
  const narrow = width < 500;
  const left = narrow ? 76 : 112, right = 16, top = 20, row = 24, gap = 8;
  const height = top + nights.length * (row + gap);
  const x = (m) => left + (m / SPAN) * (width - left - right);
  const parts = [];
  for (let h = 0; h <= 18; h += narrow ? 4 : 2) {
    const hour = (16 + h) % 24;
    parts.push(`<line class="grid" x1="${x(h * 60)}" x2="${x(h * 60)}" y1="${top - 4}" y2="${height}"/>
      <text x="${x(h * 60)}" y="12" text-anchor="middle">${hour} h</text>`);
  }
  nights.forEach((night, i) => {
    const y = top + i * (row + gap);
    parts.push(`<text x="0" y="${y + row / 2 + 4}">${escapeHtml(shortWeekday(night.date))}</text>`);
    for (const [from, to, level] of segments(night)) {
      const x0 = x(position(from, night.date)), x1 = x(position(to, night.date));
      const data = `data-night="${night.date}" data-from="${hhmm(from)}" data-to="${hhmm(to)}" data-level="${level}"`;
      if (level === 0) {
        parts.push(`<line class="off" ${data} x1="${x0}" x2="${x1}" y1="${y + row / 2}" y2="${y + row / 2}"
          stroke="${OFF}" stroke-width="2" stroke-dasharray="4 3"/>`);
      } else {
        parts.push(`<rect class="lit" ${data} x="${x0}" y="${y}" width="${Math.max(1, x1 - x0)}"
          height="${row}" fill="${level === 100 ? FULL : DIMMED}"/>`);
      }
    }
  });
  box.innerHTML = `<svg class="timeline" width="${width}" height="${height}"
    viewBox="0 0 ${width} ${height}" focusable="false">${parts.join("")}</svg>`;
}

/** A sentence for screen readers (tonight, then the hours over the nights) and one row
 * of text per night. */
export function nightsSummary(nights) {
  const rows = nights.map((n) => [shortWeekday(n.date),
    n.changes.map((c) => `${hhmm(c.at)} : ${levelText(c.level)}`).join(" ; ")]);
  let full = 0, dimmed = 0, off = 0;
  for (const night of nights) {
    for (const [from, to, level] of segments(night)) {
      const hours = (Date.parse(to) - Date.parse(from)) / 3_600_000;
      if (level === 100) full += hours;
      else if (level > 0) dimmed += hours;
      else off += hours;
    }
  }
  if (!nights.length) return { sentence: "Aucune nuit à afficher.", rows };
  const n = nights.length;
  const sentence = `Nuit du ${rows[0][0]} : ${rows[0][1]}. Sur ${n} nuits : ${formatNumber(full, 1)} h `
    + `à pleine puissance, ${formatNumber(dimmed, 1)} h en abaissement, ${formatNumber(off, 1)} h `
    + "éteint au cœur de la nuit.";
  return { sentence, rows };
}
