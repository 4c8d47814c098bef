// Panel of a river gauge on the asset page (core.registry.Panel): its water level over the
// chosen period, the vigilance thresholds (yellow, orange, red) and the historic floods as
// horizontal lines, the trend over the last 3 hours in words, the floods as a table and every
// value in the chart's table (makeChart's: its text alternative).
// GET …/risks/stations/{id}/level?hours=.
/* global uPlot */
import { api, escapeHtml, formatNumber, loadStylesheet } from "/static/js/common.js";
import { formatDate, formatDateTime } from "/static/js/dates.js";
import { makeChart, numberAxis, timeAxis, timeOptions, timeSeries } from "/static/js/charts.js";

const STYLESHEET = "/static/domains/risks/risques.css";
const PERIODS = [[24, "24 dernières heures"], [72, "3 derniers jours"], [168, "7 derniers jours"],
  [720, "30 derniers jours"]];
const LEVEL = "#000091";
const COLOURS = { yellow: "#8d6e00", orange: "#c24e00", red: "#ce0500" };
const FLOOD = "#3a3a3a";
const metres = (v, digits = 2) => (v === null || v === undefined ? "—" : `${formatNumber(v, digits)} m`);
const seconds = (iso) => new Date(iso).getTime() / 1000;

const ensureStyles = () => loadStylesheet(STYLESHEET);

/** « en hausse de 12 cm/h », « stable », « en baisse de 3 cm/h » over the last 3 hours. */
export function trendText(trend) {
  if (!trend || trend.label === null) return "Tendance inconnue : pas assez de mesures récentes.";
  const cm = Math.abs(trend.rate_m_per_h * 100);
  const rate = trend.label === "stable" ? "" : ` de ${formatNumber(cm, cm < 10 ? 1 : 0)} cm/h`;
  return `Niveau ${trend.label}${rate} sur les ${trend.window_h} dernières heures.`;
}

function summary(d) {
  if (!d.latest) return "Aucune hauteur mesurée sur la période.";
  const values = d.points.map((p) => p[1]);
  const parts = [`Dernière hauteur : ${metres(d.latest.value)} le ${formatDateTime(d.latest.time)}.`,
    `Sur la période : de ${metres(Math.min(...values))} à ${metres(Math.max(...values))}.`];
  const passed = d.thresholds.filter((t) => d.latest.value >= t.value_m);
  if (passed.length) parts.push(`Au-dessus du seuil de ${passed[passed.length - 1].label.toLowerCase()} (${metres(passed[passed.length - 1].value_m)}).`);
  else if (d.thresholds.length) parts.push(`Sous le seuil de ${d.thresholds[0].label.toLowerCase()} (${metres(d.thresholds[0].value_m)}).`);
  if (d.historic_floods.length) {
    const top = d.historic_floods[0];
    parts.push(`Plus haute crue connue : ${metres(top.height_m)} (${top.label || formatDate(top.date)}).`);
  }
  return parts.join(" ");
}

/** Horizontal lines: thresholds (solid, coloured) and historic floods (dashed, grey). */
function linesPlugin(d) {
  const lines = [...d.thresholds.map((t) => [t.value_m, COLOURS[t.key], [], t.label]),
    ...d.historic_floods.map((f) => [f.height_m, FLOOD, [6, 4], `${f.label || "Crue"} (${f.date.slice(0, 4)})`])];
  return {
    hooks: {
      draw: [(u) => {
        const ctx = u.ctx;
        const px = devicePixelRatio || 1;
        const { left, width } = u.bbox;
        ctx.save();
        ctx.font = `${12 * px}px system-ui, sans-serif`;
        for (const [value, colour, dash, label] of lines) {
          if (value < u.scales.y.min || value > u.scales.y.max) continue;
          const y = Math.round(u.valToPos(value, "y", true));
          ctx.strokeStyle = colour;
          ctx.lineWidth = 2 * px;
          ctx.setLineDash(dash.map((v) => v * px));
          ctx.beginPath();
          ctx.moveTo(left, y);
          ctx.lineTo(left + width, y);
          ctx.stroke();
          ctx.fillStyle = colour;
          ctx.fillText(label, left + 4 * px, y - 4 * px);
        }
        ctx.restore();
      }],
    },
  };
}

function draw(box, d) {
  if (typeof uPlot === "undefined" || !d.points.length) return null;
  const width = Math.max(280, box.clientWidth);
  const values = d.points.map((p) => p[1]);
  const marks = [...d.thresholds.map((t) => t.value_m), ...d.historic_floods.map((f) => f.height_m)];
  const low = Math.min(...values);
  const high = Math.max(...values, ...marks);
  return makeChart({
    width, height: width < 500 ? 240 : 320,
    ...timeOptions(),
    scales: { x: { time: true }, y: { range: () => [Math.max(0, low - 0.2), high + 0.2] } },
    axes: [timeAxis({ space: 70 }), numberAxis(2, { size: 56, label: "m", labelSize: 20 })],
    series: [timeSeries("Heure"),
      { label: "Hauteur d'eau", stroke: LEVEL, width: 2, value: (_, v) => metres(v), points: { show: false } }],
    legend: { show: false },
    plugins: [linesPlugin(d)],
  }, [d.points.map((p) => seconds(p[0])), values], box, {
    caption: `Hauteur d'eau des ${d.hours} dernières heures, du ${formatDateTime(d.points[0][0])} au ${
      formatDateTime(d.points[d.points.length - 1][0])}`,
    columns: [{ header: "Date et heure" }], unit: "m", digits: 3 });
}

function legend(d) {
  const line = (colour, dash = "") => `<svg width="28" height="12" aria-hidden="true"><line x1="0" y1="6" x2="28" y2="6" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/></svg>`;
  return [`<li>${line(LEVEL)}Hauteur d'eau</li>`,
    ...d.thresholds.map((t) => `<li>${line(COLOURS[t.key])}${escapeHtml(t.label)} : ${metres(t.value_m)}</li>`),
    d.historic_floods.length ? `<li>${line(FLOOD, "6 4")}Crues historiques</li>` : ""].join("");
}

function floodsTable(d) {
  if (!d.historic_floods.length) return '<p class="muted" id="st-no-flood">Aucune crue historique renseignée.</p>';
  return `<table id="st-floods"><caption>Crues historiques, de la plus haute à la plus basse</caption><thead><tr>
    <th scope="col">Date</th><th scope="col" class="number">Hauteur</th><th scope="col">Description</th></tr></thead><tbody>${
    d.historic_floods.map((f) => `<tr><th scope="row">${formatDate(f.date)}</th><td class="number">${metres(f.height_m)}</td>
      <td>${escapeHtml(f.label || "")}</td></tr>`).join("")}</tbody></table>`;
}

export async function render(container, ctx) {
  ensureStyles();
  container.classList.add("station-panel");
  const url = `/tenants/${ctx.tenant.id}/risks/stations/${ctx.asset.id}/level`;
  container.innerHTML = `
    <div class="inline-field"><label for="st-hours">Période</label>
      <select id="st-hours">${PERIODS.map(([n, label]) => `<option value="${n}"${n === 72 ? " selected" : ""}>${label}</option>`).join("")}</select></div>
    <p id="st-status" class="visually-hidden" role="status"></p>
    <p class="trend" id="st-trend"></p>
    <h3 id="st-chart-title">Hauteur d'eau, seuils de vigilance et crues historiques</h3>
    <figure class="chart-figure" aria-labelledby="st-chart-title">
      <div id="st-plot" aria-hidden="true"></div>
      <ul class="legend-inline" id="st-legend"></ul>
      <figcaption id="st-summary"></figcaption>
    </figure>
    <h3>Crues historiques</h3>
    <div id="st-floods-box"></div>`;
  const $ = (id) => container.querySelector(`#${id}`);
  let chart = null;

  async function load() {
    $("st-status").textContent = "Chargement…";
    const d = await api(url, { params: { hours: $("st-hours").value } });
    if (chart) { chart.destroy(); chart = null; }
    $("st-trend").textContent = trendText(d.trend);
    $("st-trend").dataset.trend = d.trend.label || "";
    $("st-summary").textContent = summary(d);
    $("st-legend").innerHTML = legend(d);
    $("st-floods-box").innerHTML = floodsTable(d);
    chart = draw($("st-plot"), d);
    $("st-status").textContent = `Hauteurs des ${d.hours} dernières heures affichées.`;
    container.dataset.ready = String(d.hours);
  }

  $("st-hours").addEventListener("change", () => {
    delete container.dataset.ready;
    load().catch((e) => { $("st-summary").textContent = e.message; });
  });
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (!chart || Math.abs(window.innerWidth - width) < 20) return;
    width = window.innerWidth;
    const w = Math.max(280, $("st-plot").clientWidth);
    chart.setSize({ width: w, height: w < 500 ? 240 : 320 });
  });
  await load().catch((e) => { $("st-summary").textContent = e.message; });
}
