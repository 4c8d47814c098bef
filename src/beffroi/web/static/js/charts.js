// Shared by every uPlot chart of the core pages and the domains: French dates and times on
// the axes and in the legends (24 h clock, dd/mm/yyyy, French month and day names), in
// Paris time, and French numbers. uPlot's own defaults are American ("8am", "11/28/26").
/* global uPlot */
import { formatNumber, TIME_ZONE } from "/static/js/common.js";
import { formatDate, formatDateTime } from "/static/js/dates.js";
import { hideValues, showValues, tableColumns } from "/static/js/chart-table.js";

export const FR_NAMES = {
  MMMM: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre"],
  MMM: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
    "nov.", "déc."],
  WWWW: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
  WWW: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
};

const _ = null;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 24 * HOUR;
// uPlot's time axis formats, French: [tick spacing (s), format, then the format used where
// the year / month / day / hour / minute / second changes, mode]. A new day or year is
// written under the tick ("\n").
export const TIME_AXIS_VALUES = [
  [365 * DAY, "{YYYY}", _, _, _, _, _, _, 1],
  [28 * DAY, "{MMM}", "\n{YYYY}", _, _, _, _, _, 1],
  [DAY, "{DD}/{MM}", "\n{YYYY}", _, _, _, _, _, 1],
  [HOUR, "{HH}:{mm}", "\n{DD}/{MM}/{YYYY}", _, "\n{DD}/{MM}", _, _, _, 1],
  [MINUTE, "{HH}:{mm}", "\n{DD}/{MM}/{YYYY}", _, "\n{DD}/{MM}", _, _, _, 1],
  [1, "{HH}:{mm}:{ss}", "\n{DD}/{MM}/{YYYY}", _, "\n{DD}/{MM}", _, _, _, 1],
];

/** Options of a chart whose x scale is time (seconds): Paris time, French names. */
export function timeOptions() {
  return {
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), TIME_ZONE),
    fmtDate: (tpl) => uPlot.fmtDate(tpl, FR_NAMES),
  };
}

/** The x axis of a time chart, French formats. */
export function timeAxis(extra = {}) {
  return { values: TIME_AXIS_VALUES, space: 60, ...extra };
}

/** A y axis of French numbers ("1 234,5"). */
export function numberAxis(digits = 2, extra = {}) {
  return { values: (_u, ticks) => ticks.map((v) => formatNumber(v, digits)), size: 60, ...extra };
}

/** The legend's x series of a time chart: « 28 nov. 2026, 08:00 » or, by day, « 28 nov. 2026 ». */
export function timeSeries(label, { byDay = false } = {}) {
  return { label, value: (_u, ts) => (ts === null || ts === undefined ? "—"
    : byDay ? formatDate(ts * 1000) : formatDateTime(ts * 1000)) };
}

/** Writes the axes' tick labels as drawn on the canvas into the chart's root element
 * (data-x-ticks, data-y-ticks), so that what the chart says can be read and checked. */
const tickLabels = {
  hooks: {
    draw: [(u) => {
      const [x, y] = u.axes;
      u.root.dataset.xTicks = ((x && x._values) || []).join(" | ");
      u.root.dataset.yTicks = ((y && y._values) || []).join(" | ");
    }],
  },
};

/** Every chart is made here: uPlot with the shared French formats' companion plugin, and
 * under it the same data as a table (chart-table.js), its text alternative. ``table``:
 * ``caption`` (the chart's title and period; else its title), ``title`` (the chart's short
 * name, said with the table's summary; else its figure's title), and how to write the
 * columns — ``unit`` (added to the series' headers), ``format`` or ``digits`` (the series'
 * cells: a function, or French numbers with so many decimals), ``columns`` ({header,
 * format} by series index, 0 being x); by default the series' labels and legend
 * formatters. Destroying the chart hides its table. */
export function makeChart(options, data, container, table = {}) {
  const chart = new uPlot({ ...options, plugins: [...(options.plugins || []), tickLabels,
    { hooks: { destroy: [() => hideValues(container)] } }] }, data, container);
  showValues(container, { caption: table.caption, title: table.title,
    columns: tableColumns(options.series, table, chart), data });
  return chart;
}
