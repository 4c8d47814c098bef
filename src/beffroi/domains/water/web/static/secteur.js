// Panel of a distribution sector on the asset page (core.registry.Panel): its minimum night
// flow night after night against the detector's reference band, the estimated legitimate
// night use, vertical marks at the detected leaks' onsets (and repairs), shaded declared
// exceptional uses, a text summary, the smallest leak the detector can see, a rise held as a
// night use switching on and off, the open leaks
// (several may be open at once: their number and total), the leaks found, a night-by-night
// table and the declared exceptional and seasonal uses with their form.
// GET …/water/sectors/{id}/night-flow?days=, …/open-leaks, …/exceptional-uses.
/* global uPlot */
import { api, ApiError, errorText, escapeHtml, formatNumber } from "/static/js/common.js";
import { makeChart, numberAxis, timeAxis, timeOptions, timeSeries } from "/static/js/charts.js";
import { useOn, usePeriods, usesSection } from "/static/domains/water/uses.js";
import { longDate } from "/static/js/dates.js";
import { backNote, ensureStyles, eur, m3, m3h } from "/static/domains/water/water.js";

const PERIODS = [[30, "30 dernières nuits"], [90, "90 dernières nuits"], [180, "180 dernières nuits"],
  [365, "365 dernières nuits"]];
const NIGHT = "#161616";
const REFERENCE = "#000091";
const LEGITIMATE = "#18753c";
const ONSET = "#ce0500";
const REPAIR = "#18753c";
const USE_FILL = "rgba(113, 97, 0, 0.14)";
const SEEN_FILL = "rgba(113, 97, 0, 0.07)";  // a seasonal use seen in the nights, lighter

/** Whether a night (its window's end, ISO) lies in the seasonal use seen in the nights. */
const inSeenSeason = (d, end) => Boolean(d.seen_season && end >= d.seen_season.since
  && (!d.seen_season.until || end <= d.seen_season.until));
const seconds = (iso) => (iso ? new Date(iso).getTime() / 1000 : null);

/** The panel's words: period, range of the night flow, reference, leaks. */
function summary(d) {
  const values = d.nights.map((n) => n.minimum_m3h).filter((v) => v !== null);
  if (!values.length) return "Aucune nuit mesurée sur la période.";
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const refs = d.nights.map((n) => n.reference_m3h).filter((v) => v !== null);
  const parts = [
    `Du ${longDate(d.nights[0].date)} au ${longDate(d.nights[d.nights.length - 1].date)}, `
    + `${formatNumber(values.length, 0)} nuits mesurées (entre ${d.window.start} et ${d.window.end}) : `
    + `débit minimum de nuit de ${m3h(sorted[0])} à ${m3h(sorted[sorted.length - 1])}, médiane ${m3h(median)}.`,
    refs.length ? `Référence du détecteur à la dernière nuit : ${m3h(refs[refs.length - 1])}.` : "",
    `Consommation nocturne légitime estimée : ${m3h(d.legitimate_night_use_m3h)}.`,
  ];
  const active = d.leaks.filter((l) => l.active);
  if (active.length === 1) {
    const l = active[0];
    parts.push(`Fuite probable en cours depuis le ${longDate(l.onset)} environ : +${m3h(l.extra_flow_m3h, 1)} `
      + `la nuit, ${m3(l.lost_m3)} perdus (${eur(l.lost_eur)}).`);
  } else if (active.length) {
    const sum = (key) => active.reduce((total, l) => total + (l[key] || 0), 0);
    parts.push(`${formatNumber(active.length, 0)} fuites probables en cours, la première depuis le ${
      longDate(active[0].onset)} environ : +${m3h(sum("extra_flow_m3h"), 1)} la nuit au total, `
      + `${m3(sum("lost_m3"))} perdus (${eur(sum("lost_eur"))}).`);
  }
  const toConfirm = active.filter((l) => l.back_near_reference_since).length;
  if (toConfirm) {
    parts.push(active.length === 1
      ? "À confirmer : le débit de nuit est revenu près de la référence de cette fuite sans réparation consignée."
      : `Dont ${formatNumber(toConfirm, 0)} à confirmer (débit de nuit revenu près de leur référence sans réparation consignée).`);
  }
  if (!active.length) {
    const ended = d.leaks.filter((l) => !l.no_leak_found);
    const repaired = ended.filter((l) => l.ended_by === "repair").length;
    parts.push(ended.length ? `${formatNumber(ended.length, 0)} fuite(s) sur la période, terminée(s)${
      repaired ? ` (dont ${formatNumber(repaired, 0)} réparée(s))` : ""}.` : "Aucune fuite détectée sur la période.");
  }
  const searched = d.leaks.filter((l) => l.no_leak_found).length;
  if (searched) {
    parts.push(`${formatNumber(searched, 0)} hausse(s) du débit de nuit recherchée(s) sans fuite trouvée, `
      + "tenue(s) pour un usage légitime.");
  }
  return parts.filter(Boolean).join(" ");
}

/** The smallest leak the detector can tell from the sector's night-to-night noise, when the
 * night-flow answer gives it (``sensitivity``; null or absent: nothing shown): in a few
 * nights, and when it lasts ``lasting_nights`` (if given); where the inlet meter's
 * resolution sets it (``meter_resolution_m3``), said, with what would lower it. */
export function sensitivityHtml(d) {
  const s = d && d.sensitivity;
  if (!s || typeof s.min_leak_m3h !== "number") return "";
  const percent = (v) => formatNumber(v * 100, v < 0.1 ? 1 : 0);
  const flow = (v) => m3h(v, v < 1 ? 2 : 1);
  const share = typeof s.share_of_night_flow === "number"
    ? ` (${percent(s.share_of_night_flow)} % du débit de nuit)` : "";
  let lasting = "";
  if (typeof s.min_lasting_leak_m3h === "number" && Number.isInteger(s.lasting_nights)) {
    const lastingShare = typeof s.lasting_share_of_night_flow === "number"
      ? ` (${percent(s.lasting_share_of_night_flow)} %)` : "";
    lasting = ` en quelques nuits ; ${flow(s.min_lasting_leak_m3h)}${lastingShare}`
      + ` si elle dure ${s.lasting_nights} nuits`;
  }
  const why = typeof s.meter_resolution_m3 === "number"
    ? `Ici, c'est la résolution du compteur d'entrée qui la fixe : son index avance par pas de
      ${formatNumber(s.meter_resolution_m3, 3)} m³. Un relevé plus fin (émetteur d'impulsions de 10 L,
      index relevé au litre) rendrait visibles des fuites plus petites.`
    : `En dessous, une fuite se confond avec les variations ordinaires du débit de nuit du
      secteur. Un secteur plus petit, ou un compteur supplémentaire qui le découpe, rendrait visibles
      des fuites plus petites.`;
  return `<p><strong>Plus petite fuite détectable : ${flow(s.min_leak_m3h)}${share}${lasting}.</strong></p>
    <p class="small">${why}</p>`;
}

/** A seasonal night use that the detector saw in the nights' variability, undeclared
 * (``seen_season``: null or absent, nothing shown). */
export function seenSeasonHtml(d) {
  const u = d && d.seen_season;
  if (!u || !u.since_date) return "";
  const when = u.until_date
    ? `du ${escapeHtml(longDate(u.since_date))} au ${escapeHtml(longDate(u.until_date))}`
    : `depuis le ${escapeHtml(longDate(u.since_date))}`;
  return `<p id="ws-seen-season"><strong>Usage saisonnier de nuit ${when}, vu dans les nuits :</strong> elles
      varient à l'intérieur de la fenêtre de nuit comme avec un arrosage automatique. Le détecteur les a
      surveillées comme celles d'un usage saisonnier déclaré (une hausse n'y est une fuite que si elle dure
      sans pause${u.until_date ? " ; après lui, le débit de nuit est comparé à celui d'avant" : ""}).</p>
    <p class="small">S'il revient chaque année (arrosage d'été), déclarez-le ci-dessous comme usage saisonnier :
      il sera surveillé dès sa première nuit.</p>`;
}

const DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];

/** The weekly pattern the detector took out of the nights (``weekly_pattern``: each night's
 * usual offset for the day it starts on, 0 = from Monday to Tuesday; null or absent:
 * nothing shown). */
export function weeklyPatternHtml(d) {
  const w = d && d.weekly_pattern;
  if (!w || !Array.isArray(w.offsets) || !w.offsets.length) return "";
  const items = w.offsets.filter((o) => Number.isInteger(o.weekday) && typeof o.offset_m3h === "number")
    .map((o) => `<li>du ${DAYS[o.weekday]} au ${DAYS[(o.weekday + 1) % 7]} : ${
      o.offset_m3h > 0 ? "+" : o.offset_m3h < 0 ? "−" : ""}${m3h(Math.abs(o.offset_m3h), 1)}</li>`);
  if (!items.length) return "";
  return `<div id="ws-weekly"><p><strong>Rythme de la semaine pris en compte :</strong> les nuits de ce secteur
      suivent les jours de la semaine (un gros consommateur qui travaille la nuit certains jours). L'écart
      habituel de chaque nuit est retiré avant de chercher une fuite, et la bande de référence le suit :</p>
    <ul class="small">${items.join("")}</ul></div>`;
}

/** A rise of the last nights that the detector holds as a night use switching on and off
 * (``night_use``: null or absent, nothing shown). */
export function nightUseHtml(d) {
  const u = d && d.night_use;
  if (!u || typeof u.variability_ratio !== "number" || !u.since_date) return "";
  return `<p><strong>Hausse du débit de nuit depuis le ${escapeHtml(longDate(u.since_date))}, sans alerte de fuite :
      ses nuits varient ${formatNumber(u.variability_ratio, 1)} fois plus que d'habitude à l'intérieur de la fenêtre de nuit.</strong></p>
    <p class="small">Un usage qui s'allume et s'éteint (arrosage automatique, équipe de nuit, remplissage d'un
      réservoir) fait varier le débit d'un quart d'heure à l'autre ; une fuite est un débit continu. Une fuite
      sera signalée si la hausse dure sans interruption ; un usage connu à l'avance peut être déclaré
      ci-dessous (usage exceptionnel, ou saisonnier s'il revient chaque année, comme l'arrosage d'été).</p>`;
}

/** The open leak alerts of the sector: how many, their total, then each one. */
function openLeaksHtml(o) {
  if (!o.count) return '<p class="muted" id="ws-no-open-leak">Aucune alerte de fuite ouverte sur ce secteur.</p>';
  const price = o.leaks.find((l) => l.price_eur_m3)?.price_eur_m3;
  return `<p class="open-leaks-summary" id="ws-open-summary" data-count="${o.count}" data-extra="${o.extra_flow_m3h}"><strong>${
    o.count > 1 ? `${formatNumber(o.count, 0)} fuites probables en cours` : "1 fuite probable en cours"}</strong> :
    +${m3h(o.extra_flow_m3h, 2)} de débit de nuit en plus${o.count > 1 ? " au total" : ""}, ${m3(o.lost_m3)} perdus
    (${eur(o.lost_eur)}${price ? ` à ${formatNumber(price, 2)} €/m³` : ""}).</p>
    <ul class="leak-list" id="ws-open-list">${o.leaks.map((l) => `
      <li data-alert="${l.alert_id}" data-extra="${l.extra_flow_m3h ?? ""}" data-lost="${l.lost_m3 ?? ""}">
        Début estimé le ${longDate(l.onset)} : +${m3h(l.extra_flow_m3h, 2)}, ${m3(l.lost_m3)} perdus
        — <a href="/alertes?alerte=${l.alert_id}">voir l'alerte</a>
        <span class="muted">(${l.status === "acknowledged" ? "prise en compte" : "ouverte"})</span>${backNote(l)}</li>`).join("")}</ul>`;
}

/** What became of a leak of the chart. */
function leakLabel(l) {
  if (l.no_leak_found) return "Aucune fuite trouvée (usage légitime)";
  if (l.active) return l.back_near_reference_since ? "Fuite à confirmer" : "Fuite probable en cours";
  if (l.ended_by === "repair") return "Fuite réparée";
  return l.ended_by === "gone" ? "Fuite terminée (débit de nuit revenu à sa référence)" : "Fuite terminée";
}

function leakItems(d) {
  if (!d.leaks.length) return '<p class="muted" id="ws-no-leak">Aucune fuite détectée sur la période.</p>';
  return `<ul class="leak-list">${d.leaks.map((l) => `
    <li class="${l.active ? "active" : "resolved"}" data-onset="${escapeHtml(l.onset)}">
      <strong>${leakLabel(l)}</strong> —
      début estimé le ${longDate(l.onset)}, détectée le ${longDate(l.detected)}${
        l.resolved ? `, finie le ${longDate(l.resolved)}` : ""}.
      <span class="block">Débit de nuit en plus : +${m3h(l.extra_flow_m3h, 1)} (référence ${m3h(l.reference_night_flow_m3h)},
        dernières nuits ${m3h(l.current_night_flow_m3h)}) ; eau perdue : ${m3(l.lost_m3)}, soit ${eur(l.lost_eur)}
        à ${formatNumber(l.price_eur_m3, 2)} €/m³.</span>${backNote(l)}</li>`).join("")}</ul>`;
}

function nightsTable(d, uses) {
  const useText = (use) => (use ? `${use.yearly ? "usage saisonnier" : "usage déclaré"} : ${escapeHtml(use.label)}` : "");
  return `<table><caption>Débit minimum de nuit (m³/h), nuit par nuit</caption><thead><tr>
    <th scope="col">Nuit du</th><th scope="col" class="number">Débit minimum</th>
    <th scope="col" class="number">Référence</th><th scope="col" class="number">Bande normale</th>
    <th scope="col" class="number">20e centile (7 nuits)</th><th scope="col">Remarque</th></tr></thead><tbody>${
    [...d.nights].reverse().map((n) => `<tr data-night="${n.date}"><th scope="row">${longDate(n.date)}</th>
      <td class="number">${formatNumber(n.minimum_m3h, 2)}</td><td class="number">${formatNumber(n.reference_m3h, 2)}</td>
      <td class="number">${n.band_low_m3h === null ? "—"
        : `${formatNumber(n.band_low_m3h, 2)} à ${formatNumber(n.band_high_m3h, 2)}`}</td>
      <td class="number">${formatNumber(n.p20_m3h, 2)}</td>
      <td>${[n.leak === null ? "" : "fuite", useText(useOn(uses, n.date)),
        inSeenSeason(d, n.end) ? "usage saisonnier vu dans les nuits" : ""]
        .filter(Boolean).join(" ; ")}</td></tr>`).join("")}</tbody></table>`;
}

/** Vertical lines at the onsets (red) and repairs (green), labelled; declared uses shaded
 * (``uses()`` read at each drawing, so a use added or removed shows on redraw), and more
 * lightly the seasonal use seen in the nights (``seen``, if any). */
function marksPlugin(leaks, uses, seen) {
  return {
    hooks: {
      draw: [(u) => {
        const ctx = u.ctx;
        const { top, height } = u.bbox;
        const px = devicePixelRatio || 1;
        ctx.save();
        ctx.fillStyle = USE_FILL;
        const day = (s) => new Date(s * 1000).toISOString().slice(0, 10);
        const shown = Number.isFinite(u.scales.x.min) && Number.isFinite(u.scales.x.max);
        for (const use of shown ? uses() : []) {
          for (const [start, end] of usePeriods(use, day(u.scales.x.min), day(u.scales.x.max))) {
            // Whole days (UTC: an hour or two off local midnight, nothing at a chart's scale).
            const from = Math.max(seconds(`${start}T00:00:00Z`), u.scales.x.min);
            const to = Math.min(seconds(`${end}T00:00:00Z`) + 86_400, u.scales.x.max);
            if (to <= from) continue;
            const x0 = u.valToPos(from, "x", true);
            ctx.fillRect(x0, top, Math.max(u.valToPos(to, "x", true) - x0, 2 * px), height);
          }
        }
        if (shown && seen) {
          const from = Math.max(seconds(seen.since) - 43_200, u.scales.x.min);
          const to = Math.min(seen.until ? seconds(seen.until) + 43_200 : u.scales.x.max, u.scales.x.max);
          if (to > from) {
            const x0 = u.valToPos(from, "x", true);
            ctx.fillStyle = SEEN_FILL;
            ctx.fillRect(x0, top, Math.max(u.valToPos(to, "x", true) - x0, 2 * px), height);
          }
        }
        ctx.font = `${12 * px}px system-ui, sans-serif`;
        for (const l of leaks) {
          for (const [iso, colour, text] of [[l.onset, ONSET, "début de fuite"], [l.resolved, REPAIR, "réparée"]]) {
            const t = seconds(iso);
            if (t === null || t < u.scales.x.min || t > u.scales.x.max) continue;
            const x = Math.round(u.valToPos(t, "x", true));
            ctx.strokeStyle = colour;
            ctx.lineWidth = 2 * px;
            ctx.setLineDash(colour === ONSET ? [] : [6 * px, 4 * px]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.fillStyle = colour;
            const w = ctx.measureText(text).width;
            ctx.fillText(text, x + 4 * px + w > u.bbox.left + u.bbox.width ? x - w - 4 * px : x + 4 * px, top + 14 * px);
          }
        }
        ctx.restore();
      }],
    },
  };
}

function draw(box, d, uses) {
  if (typeof uPlot === "undefined" || !d.nights.length) return null;
  const width = Math.max(280, box.clientWidth);
  const t = d.nights.map((n) => seconds(n.end));
  const v = (n, key) => n[key];
  const value = (_, x) => (x === null || x === undefined ? "—" : m3h(x));
  return makeChart({
    width, height: width < 500 ? 240 : 320,
    ...timeOptions(),
    scales: { x: { time: true }, y: { range: (_, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
    axes: [timeAxis({ space: 70 }), numberAxis(1, { size: 56, label: "m³/h", labelSize: 20 })],
    series: [
      timeSeries("Nuit", { byDay: true }),
      { label: "Bas de la bande", stroke: "rgba(0, 0, 145, 0.35)", width: 1, value, points: { show: false } },
      { label: "Haut de la bande", stroke: "rgba(0, 0, 145, 0.35)", width: 1, value, points: { show: false } },
      { label: "Référence", stroke: REFERENCE, width: 2, dash: [8, 4], value, points: { show: false } },
      { label: "Débit minimum de nuit", stroke: NIGHT, width: 2, value, points: { show: true, size: 4 } },
      { label: "Consommation légitime", stroke: LEGITIMATE, width: 2, dash: [2, 4], value, points: { show: false } },
    ],
    legend: { show: false },  // the figure's legend and the table say it in words
    bands: [{ series: [2, 1], fill: "rgba(0, 0, 145, 0.12)" }],
    plugins: [marksPlugin(d.leaks, uses, d.seen_season)],
  }, [t, d.nights.map((n) => v(n, "band_low_m3h")), d.nights.map((n) => v(n, "band_high_m3h")),
    d.nights.map((n) => v(n, "reference_m3h")), d.nights.map((n) => v(n, "minimum_m3h")),
    d.nights.map(() => d.legitimate_night_use_m3h)], box, {
    caption: `Débit minimum de nuit et bande de référence, du ${longDate(d.nights[0].date)} au ${
      longDate(d.nights[d.nights.length - 1].date)}`,
    columns: [{ header: "Nuit du", format: (_v, row) => longDate(d.nights[row].date) }],
    unit: "m³/h", digits: 2 });
}

export async function render(container, ctx) {
  ensureStyles();
  container.classList.add("water-panel");
  const url = `/tenants/${ctx.tenant.id}/water/sectors/${ctx.asset.id}/night-flow`;
  container.innerHTML = `
    <div class="inline-field"><label for="ws-days">Période</label>
      <select id="ws-days">${PERIODS.map(([n, label]) => `<option value="${n}"${n === 90 ? " selected" : ""}>${label}</option>`).join("")}</select></div>
    <p id="ws-status" class="visually-hidden" role="status"></p>
    <h3 id="ws-chart-title">Débit minimum de nuit et bande de référence</h3>
    <figure class="chart-figure" aria-labelledby="ws-chart-title">
      <div id="ws-plot" aria-hidden="true"></div>
      <ul class="legend-inline" aria-hidden="true">
        <li><svg width="28" height="12"><line x1="0" y1="6" x2="28" y2="6" stroke="${NIGHT}" stroke-width="2"/><circle cx="14" cy="6" r="2.5" fill="${NIGHT}"/></svg>Débit minimum de nuit</li>
        <li><svg width="28" height="12"><rect width="28" height="12" fill="rgba(0, 0, 145, 0.12)" stroke="rgba(0, 0, 145, 0.35)"/><line x1="0" y1="6" x2="28" y2="6" stroke="${REFERENCE}" stroke-width="2" stroke-dasharray="8 4"/></svg>Référence et bande normale</li>
        <li><svg width="28" height="12"><line x1="0" y1="6" x2="28" y2="6" stroke="${LEGITIMATE}" stroke-width="2" stroke-dasharray="2 4"/></svg>Consommation nocturne légitime</li>
        <li><svg width="12" height="16"><line x1="6" y1="0" x2="6" y2="16" stroke="${ONSET}" stroke-width="2"/></svg>Début de fuite</li>
        <li><svg width="12" height="16"><line x1="6" y1="0" x2="6" y2="16" stroke="${REPAIR}" stroke-width="2" stroke-dasharray="6 4"/></svg>Fuite réparée</li>
        <li><svg width="28" height="12"><rect width="28" height="12" fill="${USE_FILL}" stroke="#716100" stroke-dasharray="2 2"/></svg>Usage déclaré (exceptionnel ou saisonnier)</li>
        <li id="ws-legend-seen" hidden><svg width="28" height="12"><rect width="28" height="12" fill="${SEEN_FILL}" stroke="#716100" stroke-dasharray="1 3"/></svg>Usage saisonnier vu dans les nuits</li>
      </ul>
      <figcaption id="ws-summary"></figcaption>
    </figure>
    <div id="ws-sensitivity" class="sensitivity" hidden></div>
    <div id="ws-night-use" class="sensitivity" hidden></div>
    <h3>Fuites en cours</h3>
    <div id="ws-open-leaks"><p class="muted">Chargement…</p></div>
    <h3>Fuites détectées sur la période</h3>
    <div id="ws-leaks"></div>
    <details class="nights-detail"><summary>Valeurs nuit par nuit</summary>
      <div id="ws-table" class="table-wrap" tabindex="0" role="region" aria-label="Tableau du débit minimum de nuit"></div></details>
    <p class="muted small" id="ws-method"></p>
    <h3 id="ws-uses-title">Usages exceptionnels et saisonniers déclarés</h3>
    <div id="ws-uses"></div>`;
  const $ = (id) => container.querySelector(`#${id}`);
  let chart = null;
  let data = null;  // the night-flow answer shown
  let uses = [];  // the declared exceptional and seasonal uses

  function showNights() {
    if (!data || data.note) return;
    $("ws-table").innerHTML = nightsTable(data, uses);
    if (chart) chart.redraw(false, false);
  }

  async function load() {
    $("ws-status").textContent = "Chargement…";
    const d = await api(url, { params: { days: $("ws-days").value } });
    data = d;
    if (chart) { chart.destroy(); chart = null; }
    const sensitivity = sensitivityHtml(d);
    $("ws-sensitivity").innerHTML = sensitivity;
    $("ws-sensitivity").hidden = !sensitivity;
    const nightUse = seenSeasonHtml(d) + nightUseHtml(d) + weeklyPatternHtml(d);
    $("ws-night-use").innerHTML = nightUse;
    $("ws-night-use").hidden = !nightUse;
    $("ws-legend-seen").hidden = !(d.seen_season && d.seen_season.since);
    if (d.note) {
      $("ws-summary").textContent = d.note;
      $("ws-leaks").innerHTML = "";
      $("ws-table").innerHTML = "";
    } else {
      $("ws-summary").textContent = summary(d);
      $("ws-leaks").innerHTML = leakItems(d);
      chart = draw($("ws-plot"), d, () => uses);
      showNights();
    }
    $("ws-method").textContent = `Débit minimum de nuit : plus faible débit moyen sur une heure entre ${
      d.window.start} et ${d.window.end} (heure locale). Référence : ${d.band.reference} ; bande : ${
      d.band.width}. Une fuite est déclarée quand les nuits restent au-dessus de la bande plusieurs nuits de suite ; son début est estimé à un jour ou deux près.`;
    $("ws-status").textContent = `Débit de nuit des ${d.days} dernières nuits affiché.`;
    container.dataset.ready = String(d.days);
  }

  $("ws-days").addEventListener("change", () => {
    delete container.dataset.ready;
    load().catch((e) => { $("ws-summary").textContent = errorText(e); });
  });
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (!chart || Math.abs(window.innerWidth - width) < 20) return;
    width = window.innerWidth;
    const w = Math.max(280, $("ws-plot").clientWidth);
    chart.setSize({ width: w, height: w < 500 ? 240 : 320 });
  });
  async function loadOpenLeaks() {
    try {
      const open = await api(`/tenants/${ctx.tenant.id}/water/sectors/${ctx.asset.id}/open-leaks`);
      $("ws-open-leaks").innerHTML = openLeaksHtml(open);
    } catch (error) {
      $("ws-open-leaks").innerHTML = `<p class="muted">${escapeHtml(
        error instanceof ApiError ? error.message : "Fuites en cours indisponibles.")}</p>`;
    }
  }

  await Promise.all([
    load(),
    loadOpenLeaks(),
    usesSection($("ws-uses"), {
      tenant: ctx.tenant, sectorId: ctx.asset.id, canWrite: ctx.canWrite,
      onChange: (list) => { uses = list; showNights(); },
    }),
  ]);
}
