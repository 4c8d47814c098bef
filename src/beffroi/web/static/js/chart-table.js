// The values of a chart as a table, its detailed text alternative (RGAA: a chart is a
// complex image). `makeChart` puts it under every chart: a disclosure « Voir les valeurs
// (tableau) » after the chart's <figure>, holding a <table> made from the very data and
// series the chart plots — a caption (the chart's title and period), one row per x value
// (its row header), one column per series (header: its label, unit included), each cell
// written by the series' formatter (the chart's legend's, unless the call site gives one
// without the unit, which the header carries), a missing value as « — » read « pas de
// valeur ». Built when the disclosure is first opened (a year of hourly values is 8,760
// rows, never cut), rebuilt when the chart is drawn again with new data.
import { escapeHtml, formatNumber } from "/static/js/common.js";

const MISSING = '<span aria-hidden="true">—</span><span class="visually-hidden">pas de valeur</span>';
// chart container -> its disclosure: {details, wrap (the scrolling region), render (the
// table's HTML, made when needed), built (for the data drawn last), html (shown)}
const disclosures = new WeakMap();

const missing = (v) => v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v));

/** The columns of a chart: [{header, format}] for x then each series, from the uPlot
 * series (label, legend formatter ``value``) and the call site's ``table`` options:
 * ``columns`` (per index, {header, format}), ``unit`` (added to the series' headers that do
 * not say it already), ``format`` (of the series' cells) or ``digits`` (cells as French
 * numbers with that many decimals). */
export function tableColumns(series, table = {}, chart = null) {
  return series.map((s, i) => {
    const given = (table.columns && table.columns[i]) || {};
    let header = given.header ?? s.label ?? "";
    if (i > 0 && table.unit && !given.header && !header.endsWith(`(${table.unit})`)) {
      header = `${header} (${table.unit})`;
    }
    let format = given.format;
    if (!format && i > 0 && table.format) format = table.format;
    if (!format && i > 0 && table.digits !== undefined) format = (v) => formatNumber(v, table.digits);
    if (!format && typeof s.value === "function") format = (v, row) => s.value(chart, v, i, row);
    if (!format) format = (v) => (typeof v === "number" ? formatNumber(v, 2) : String(v));
    return { header, format };
  });
}

/** The table's HTML: caption, column headers, one row per x value (a sentence when the
 * chart has none). */
export function valuesTable(caption, columns, data) {
  if (!data[0].length) return `<p>${escapeHtml(caption)} : aucune valeur.</p>`;
  const [x, ...ys] = columns;
  const cell = (column, v, row) => (missing(v) ? MISSING : escapeHtml(column.format(v, row)));
  const rows = [];
  for (let row = 0; row < data[0].length; row += 1) {
    rows.push(`<tr><th scope="row">${cell(x, data[0][row], row)}</th>${ys.map((c, k) => {
      const v = data[k + 1][row];
      return `<td class="number${missing(v) ? " missing" : ""}">${cell(c, v, row)}</td>`;
    }).join("")}</tr>`);
  }
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr>${columns.map((c, i) =>
    `<th scope="col"${i ? ' class="number"' : ""}>${escapeHtml(c.header)}</th>`).join("")}</tr></thead>
    <tbody>${rows.join("")}</tbody></table>`;
}

/** The title of the chart's figure (the element naming it), "" without one. */
function figureTitle(container) {
  const figure = container.closest("figure");
  const by = figure && figure.getAttribute("aria-labelledby");
  const title = by && document.getElementById(by);
  return title ? title.textContent.trim() : "";
}

/** The disclosure of ``container``'s chart, made once and placed after its figure. */
function disclosure(container) {
  let d = disclosures.get(container);
  if (d && d.details.isConnected) return d;
  const details = document.createElement("details");
  details.className = "chart-values";
  // (the chart's title in the summary's name, for screen readers: a page has several)
  details.innerHTML = `<summary>Voir les valeurs (tableau)<span class="visually-hidden"></span></summary>
    <div class="table-wrap" tabindex="0" role="region"></div>`;
  (container.closest("figure") || container).after(details);
  d = { details, wrap: details.querySelector(".table-wrap"), render: null, built: false, html: null };
  details.addEventListener("toggle", () => {
    if (details.open && !d.built) build(d);
  });
  disclosures.set(container, d);
  return d;
}

function build(d) {
  const html = d.render();
  // (the same table again — the chart redrawn to a new width — is left as it is, where the
  // reader is)
  if (html !== d.html || !d.wrap.firstElementChild) d.wrap.innerHTML = html;
  d.html = html;
  d.built = true;
}

/** Show (or update) the table of the chart drawn in ``container``: built now if its
 * disclosure is open, else when it is opened. ``title``: the chart's short name (by default
 * its figure's title), said with the summary; ``caption``: the table's (by default the
 * title). */
export function showValues(container, { caption, title, columns, data }) {
  const d = disclosure(container);
  d.details.hidden = false;
  const name = title || figureTitle(container);
  d.details.querySelector("summary .visually-hidden").textContent = name ? ` : ${name}` : "";
  const text = caption || name || "Valeurs du graphique";
  d.wrap.setAttribute("aria-label", text);  // (the scrolling region: named as its table)
  d.render = () => valuesTable(text, columns, data);
  d.built = false;
  if (d.details.open) build(d);
  else {
    d.wrap.textContent = "";
    d.html = null;
  }
}

/** Hide the table of a chart that is no longer drawn (its data gone with it). */
export function hideValues(container) {
  const d = disclosures.get(container);
  if (!d) return;
  d.details.hidden = true;
}
