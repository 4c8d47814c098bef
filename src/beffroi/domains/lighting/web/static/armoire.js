// Panel of a lighting cabinet on the asset page (core.registry.Panel): its programme and
// the next 7 nights as a timeline, the burn hours of a year, the programme editor,
// emergency lighting, and the energy measured against what the programme should use.
import {
  api, errorText, escapeHtml, formatNumber, loadStylesheet,
} from "/static/js/common.js";
import { formatDate, formatDateTime, localDay } from "/static/js/dates.js";
import { clearErrors, showErrors } from "/static/domains/lighting/lighting.js";
import { kwh, kwhNumber } from "/static/domains/lighting/lighting.js";
import { drawTimeline, nightsSummary } from "/static/domains/lighting/timeline.js";
import { programmeEditor } from "/static/domains/lighting/editor.js";
import { makeChart, numberAxis, timeAxis, timeOptions, timeSeries } from "/static/js/charts.js";

const STYLESHEET = "/static/domains/lighting/eclairage.css";
const SOURCES = {
  stored: "programme enregistré sur l'armoire",
  night_cut: "d'après les champs « extinction en cœur de nuit » de l'inventaire",
  default: "aucun programme enregistré : allumage du coucher au lever du soleil",
};
const COMMAND_STATES = { scheduled: "programmée", requested: "demandée", sent: "transmise",
  acknowledged: "acquittée par l'armoire", failed: "en échec", expired: "expirée",
  cancelled: "annulée" };
const PENDING = ["scheduled", "requested", "sent"];
const DAY = 86_400_000;

const ensureStyles = () => loadStylesheet(STYLESHEET);

/** The body PUT and preview accept for a programme as GET …/programme shows it. */
export function programmeDoc(programme, presets) {
  if (presets.some((p) => p.key === programme.key)) return { preset: programme.key };
  const steps = (list) => list.map(({ at, level, offset_min }) => ({ at, level, offset_min }));
  return { label: programme.label, steps: steps(programme.steps),
    variants: programme.variants.map((v) => ({ label: v.label, start: v.start, end: v.end,
      weekdays: v.weekdays, steps: steps(v.steps) })) };
}

export async function render(container, ctx) {
  ensureStyles();
  const base = `/tenants/${ctx.tenant.id}/lighting/cabinets/${ctx.asset.id}`;
  container.classList.add("lighting-panel");
  container.innerHTML = `
    <div class="card">
      <h3 id="lp-current-title">Programme en service</h3>
      <p class="status-line" id="lp-current"></p>
      <div id="lp-push"></div>
    </div>
    <h3 id="lp-nights-title">Les 7 prochaines nuits</h3>
    <p id="lp-nights-note" class="muted" role="status"></p>
    <figure class="timeline-figure" aria-labelledby="lp-nights-title">
      <div id="lp-timeline" aria-hidden="true"></div>
      <ul class="legend-inline" aria-hidden="true">
        <li><svg width="28" height="12"><rect width="28" height="12" fill="#000091"/></svg>Pleine puissance</li>
        <li><svg width="28" height="12"><rect width="28" height="12" fill="#6a6af4"/></svg>Abaissement</li>
        <li><svg width="28" height="12"><line x1="0" y1="6" x2="28" y2="6" stroke="#3a3a3a" stroke-width="2" stroke-dasharray="4 3"/></svg>Éteint dans la nuit</li>
      </ul>
      <figcaption id="lp-nights-summary"></figcaption>
    </figure>
    <details class="nights-detail"><summary>Horaires nuit par nuit</summary>
      <div id="lp-nights-table" class="table-wrap" tabindex="0" role="region" aria-label="Horaires des 7 prochaines nuits"></div></details>
    <h3>Heures de fonctionnement sur un an</h3>
    <div id="lp-burn"></div>
    <div id="lp-editor"></div>
    <div id="lp-emergency"></div>
    <h3 id="lp-energy-title">Énergie mesurée et attendue, 30 derniers jours</h3>
    <figure class="chart-figure" aria-labelledby="lp-energy-title">
      <div id="lp-energy-plot" aria-hidden="true"></div>
      <figcaption id="lp-energy-summary" class="muted"></figcaption>
    </figure>`;
  const $ = (id) => container.querySelector(`#${id}`);

  const [status, presets] = await Promise.all([
    api(`${base}/programme`), api("/lighting/programmes/presets")]);
  let nights = [];

  function showStatus(s) {
    $("lp-current").textContent = `${s.programme.label} — ${SOURCES[s.source] || s.source}.`;
    const box = $("lp-push");
    if (s.remote) {
      const push = s.last_push;
      box.innerHTML = push ? `<p id="lp-push-state" data-status="${escapeHtml(push.status)}">
        Dernier envoi au contrôleur : commande n° ${push.command_id}, ${escapeHtml(
          COMMAND_STATES[push.status] || push.status)}${push.up_to_date ? ""
          : " — ne correspond pas au programme de cette nuit"}.</p>`
        : '<p id="lp-push-state">Armoire télégérée : le programme n\'a pas encore été envoyé à son contrôleur.</p>';
      box.insertAdjacentHTML("beforeend", `<p class="muted">Étapes de cette nuit : <code>${
        escapeHtml(s.tonight)}</code></p>`);
    } else {
      box.innerHTML = `<p>Armoire non télégérée : réglages à faire sur son horloge.</p>
        <ul id="lp-manual">${s.manual_settings.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>`;
    }
  }

  let pollTimer = null, polls = 0;
  async function followPush() {
    clearTimeout(pollTimer);
    const s = await api(`${base}/programme`);
    showStatus(s);
    if (s.last_push && PENDING.includes(s.last_push.status) && polls++ < 60) {
      pollTimer = setTimeout(() => followPush().catch(() => {}), 2000);
    }
  }

  function showPreview(preview, note) {
    nights = preview.nights;
    $("lp-nights-note").textContent = note;
    drawTimeline($("lp-timeline"), nights);
    const { sentence, rows } = nightsSummary(nights);
    $("lp-nights-summary").textContent = sentence;
    $("lp-nights-table").innerHTML = `<table><caption class="visually-hidden">Horaires des 7
      prochaines nuits</caption><thead><tr><th scope="col">Nuit du</th><th scope="col">Changements
      (heure de Paris)</th></tr></thead><tbody>${rows.map(([day, text]) =>
        `<tr><th scope="row">${escapeHtml(day)}</th><td>${escapeHtml(text)}</td></tr>`).join("")}</tbody></table>`;
    const hours = Object.entries(preview.annual_burn_hours).sort(([a], [b]) => b - a);
    const total = hours.reduce((sum, [, h]) => sum + h, 0);
    $("lp-burn").innerHTML = `<table class="burn"><caption class="visually-hidden">Heures de
      fonctionnement sur un an, par niveau</caption><thead><tr><th scope="col">Niveau</th>
      <th scope="col" class="number">Heures par an</th></tr></thead><tbody>${hours.map(([level, h]) =>
        `<tr data-level="${level}"><td>${level === "100" ? "Pleine puissance (100 %)" : `Abaissé à ${level} %`}</td>
        <td class="number">${formatNumber(h, 0)} h</td></tr>`).join("")}
      <tr><th scope="row">Total allumé</th><td class="number">${formatNumber(total, 0)} h</td></tr></tbody></table>`;
    container.dataset.timelineReady = String(Date.now());
  }

  async function preview(doc, note) {
    const body = { programme: doc, from: localDay(), days: 7 };
    const result = await api(`${base}/programme/preview`, { method: "POST", body });
    showPreview(result, note);
    return result;
  }

  let lastWidth = window.innerWidth;
  window.addEventListener("resize", () => {
    if (Math.abs(window.innerWidth - lastWidth) < 20 || !nights.length) return;
    lastWidth = window.innerWidth;
    drawTimeline($("lp-timeline"), nights);
  });

  showStatus(status);
  await preview(programmeDoc(status.programme, presets), "Programme en service.");

  if (ctx.canWrite) {
    programmeEditor($("lp-editor"), {
      presets, current: status.programme, doc: programmeDoc(status.programme, presets),
      preview: async (doc) => { await preview(doc, "Aperçu du programme modifié (non enregistré)."); },
      save: async (doc) => {
        const saved = await api(`${base}/programme`, { method: "PUT",
          body: { programme: doc, push: true } });
        showStatus(saved);
        await preview(programmeDoc(saved.programme, presets), "Programme enregistré.");
        if (saved.remote && saved.last_push) {
          polls = 0;
          pollTimer = setTimeout(() => followPush().catch(() => {}), 2000);
          ctx.refresh();
          return `Programme enregistré et envoyé au contrôleur de l'armoire (commande n° ${
            saved.last_push.command_id}, ${COMMAND_STATES[saved.last_push.status] || saved.last_push.status}).`;
        }
        return saved.remote ? "Programme enregistré."
          : `Programme enregistré. À régler sur l'horloge de l'armoire : ${saved.manual_settings.join(" ; ")}`;
      },
    });
  }
  await Promise.all([
    emergency($("lp-emergency"), base, ctx).catch((e) => {
      $("lp-emergency").innerHTML = `<p class="notice">Éclairage d'urgence indisponible : ${escapeHtml(errorText(e))}</p>`;
    }),
    energy(container, base).catch((e) => {
      $("lp-energy-summary").textContent = `Comparaison indisponible : ${errorText(e)}`;
    }),
  ]);
}

// -- emergency lighting ---------------------------------------------------------------------
async function emergency(box, base, ctx) {
  const tenantBase = `/tenants/${ctx.tenant.id}`;
  // Offered only when the cabinet can receive it (a controller is attached): the API's rule.
  const offer = await api(`${tenantBase}/assets/${ctx.asset.id}/commands/available`);
  const forceOn = offer.find((o) => o.action === "lighting.force_on");
  const unavailable = forceOn && !forceOn.available ? forceOn.reason : null;
  box.innerHTML = `<section class="card emergency" aria-labelledby="lp-emergency-title">
    <h3 id="lp-emergency-title">Éclairage d'urgence</h3>
    <p id="lp-override" class="status-line" role="status"></p>
    ${unavailable ? `<p id="lp-emergency-unavailable">Indisponible pour cette armoire. ${escapeHtml(unavailable)}</p>` : ""}
    ${ctx.canWrite && !unavailable ? `<form id="lp-emergency-form" novalidate>
      <p class="muted">Allume l'armoire à pleine puissance pendant la durée choisie (secours,
        accident, intervention de nuit), puis elle reprend son programme d'elle-même.</p>
      <div class="field"><label for="lp-hours">Durée (heures, de 1 à 12)</label>
        <input id="lp-hours" name="hours" type="number" min="1" max="12" step="1" value="3"
          inputmode="numeric" aria-describedby="lp-hours-err" data-field="hours">
        <span class="field-error" id="lp-hours-err"></span></div>
      <div class="field"><label for="lp-reason">Motif</label>
        <input id="lp-reason" name="reason" type="text" maxlength="300" aria-describedby="lp-reason-err"
          data-field="reason" placeholder="Ex. accident RD 57, demande des pompiers">
        <span class="field-error" id="lp-reason-err"></span></div>
      <div role="alert" class="field-error" id="lp-emergency-error"></div>
      <button type="submit" class="button danger" id="lp-emergency-button">Éclairage d'urgence</button>
    </form>
    <dialog id="lp-emergency-dialog" aria-labelledby="lp-emergency-dialog-title"
      aria-describedby="lp-emergency-dialog-text">
      <h2 id="lp-emergency-dialog-title">Confirmer l'éclairage d'urgence</h2>
      <p id="lp-emergency-dialog-text"></p>
      <div class="dialog-buttons">
        <button type="button" class="button secondary" value="cancel">Annuler</button>
        <button type="button" class="button danger" value="ok">Allumer</button>
      </div>
    </dialog>` : ""}</section>`;
  const line = box.querySelector("#lp-override");
  async function showOverride() {
    const o = await api(`${base}/override`);
    line.dataset.active = o.active ? "1" : o.pending ? "pending" : "0";
    line.textContent = o.active ? `Éclairage d'urgence en cours jusqu'au ${formatDateTime(o.until)}.`
      : o.pending ? `Éclairage d'urgence demandé, en attente de l'armoire (jusqu'au ${formatDateTime(o.until)}).`
        : "Aucun éclairage d'urgence en cours.";
  }
  await showOverride();
  const form = box.querySelector("#lp-emergency-form");
  if (!form) return;
  const dialog = box.querySelector("dialog");
  const button = form.querySelector("#lp-emergency-button");
  const ask = (text) => new Promise((resolve) => {
    dialog.querySelector("p").textContent = text;
    const done = (answer) => {
      dialog.removeEventListener("click", onClick);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      button.focus();
      resolve(answer);
    };
    const onClick = (event) => {
      const b = event.target.closest("button");
      if (b) done(b.value === "ok");
    };
    const onClose = () => done(false);
    dialog.addEventListener("click", onClick);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    dialog.querySelector('button[value="cancel"]').focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const raw = form.elements.hours.value.trim();
    const hours = raw === "" ? null : Number(raw);
    const reason = form.elements.reason.value.trim();
    if (!(await ask(`Allumer « ${ctx.asset.name} » à pleine puissance pendant ${
      raw || "?"} h${reason ? ` (${reason})` : ""} ?`))) return;
    button.disabled = true;
    try {
      const done = await api(`${tenantBase}/lighting/emergency`, { method: "POST",
        body: { cabinets: [ctx.asset.id], hours, reason: reason || null } });
      form.querySelector("#lp-emergency-error").textContent = "";
      line.textContent = `Éclairage d'urgence demandé jusqu'au ${formatDateTime(done.until)}.`;
      ctx.refresh();
      setTimeout(() => showOverride().catch(() => {}), 1500);
    } catch (error) {
      showErrors(form, error, form.querySelector("#lp-emergency-error"), (f) => f);
    } finally {
      button.disabled = false;
    }
  });
}

// -- energy -------------------------------------------------------------------------------
async function energy(container, base) {
  const to = localDay();
  const from = localDay(Date.now() - 29 * DAY);
  const data = await api(`${base}/energy`, { params: { from, to, step: "day" } });
  const box = container.querySelector("#lp-energy-plot");
  const caption = container.querySelector("#lp-energy-summary");
  const t = data.totals;
  const gap = t.gap_percent === null ? "" : `, écart ${t.gap_percent > 0 ? "+" : ""}${
    formatNumber(t.gap_percent, 1)} %`;
  caption.textContent = data.metered
    ? `Du ${formatDate(from)} au ${formatDate(to)} : mesuré ${kwh(t.measured_kwh)}, `
      + `attendu ${kwh(t.expected_kwh)} d'après le programme et ${data.model.source}${gap}`
      + ` (${formatNumber(t.measured_days, 0)} jours mesurés sur ${formatNumber(t.days, 0)}).`
    : `Armoire sans compteur : consommation attendue ${kwh(t.expected_kwh)} sur 30 jours, d'après `
      + `le programme et ${data.model.source}.`;
  if (typeof uPlot === "undefined") return;
  const xs = data.points.map((p) => Date.parse(`${p.period}T12:00:00Z`) / 1000);
  const width = Math.max(260, box.clientWidth || container.clientWidth);
  /* global uPlot */
  makeChart({
    width, height: width < 500 ? 200 : 240,
    ...timeOptions(),
    scales: { x: { time: true }, y: { range: (_, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [timeAxis(), numberAxis(1, { size: 56 })],
    series: [
      timeSeries("Jour", { byDay: true }),
      { label: "Mesuré (kWh)", stroke: "#000091", width: 2, fill: "rgba(0, 0, 145, 0.3)",
        paths: uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 30] }) : undefined },
      { label: "Attendu (kWh)", stroke: "#b34000", width: 2, dash: [6, 4] },
    ],
  }, [xs, data.points.map((p) => p.measured_kwh), data.points.map((p) => p.expected_kwh)], box, {
    caption: `Énergie mesurée et attendue par jour, du ${formatDate(from)} au ${formatDate(to)}`,
    format: kwhNumber });  // (the unit is in the headers)
}
