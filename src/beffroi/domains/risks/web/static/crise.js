// Crisis mode (/risques/crise), for a phone first: the current event's main courante (GET
// …/risks/crisis-logs, the open one first; its entries newest first, a form to add one, the
// « Corriger » button that prefills a correction entry, close, PDF), the zones concerned
// (each gauge's flooded zones at its current level: GET …/risks/stations, then
// …/stations/{id}/flooded-zones?level_m=, with the assets inside and, for the register's
// referents, the registered persons inside: POST …/risks/register/persons/within with the
// zone's polygon), the population alert (template per risk, targets, channels; preview,
// then send after a confirmation) and the delivery log of the latest alerts (per recipient
// for agents, totals for viewers). Viewers read everything and get no action button.
// Every form and action button sends one request at a time and shows its error beside itself
// (forms.js).
import {
  api,
  ApiError,
  canWrite,
  escapeHtml,
  formatNumber,
  newestOnly,
  renderHeader,
  roleIn,
  session,
  STALE,
  whileSending,
} from "/static/js/common.js";
import { formatDateTime } from "/static/js/dates.js";
import { clearErrors, errorText, send, showErrors } from "/static/domains/risks/forms.js";

const KINDS = { observation: "Observation", "décision": "Décision", action: "Action", appel: "Appel" };
const CHANNELS = { email: "E-mail", sms: "SMS", banner: "Bandeau de la page publique" };
const STATUSES = { queued: "en attente", sent: "envoyé", failed: "échec" };
const LEVELS = { jaune: "jaune", orange: "orange", rouge: "rouge" };

const state = await session();
renderHeader("/risques", state);
const tenant = state.tenant;
const writer = tenant ? canWrite(roleIn(state.me, tenant.id)) : false;
const base = tenant ? `/tenants/${tenant.id}/risks` : "";
const $ = (id) => document.getElementById(id);
const metres = (v) => `${formatNumber(v, 2)}\u00a0m`;

let templates = [];
let communes = [];
let current = null;      // the open log, with its entries
let correcting = null;   // the entry being corrected
let flooded = [];        // [{zone, station}] at the current levels
let previewed = null;    // the alert body last previewed

function say(text) { $("status").textContent = text; }

function fail(error) {
  const box = $("message");
  if (error instanceof ApiError) {
    const details = (error.problem.errors || []).map((e) => e.message).join(" ; ");
    box.textContent = details ? `${error.message} ${details}.` : error.message;
  } else {
    console.error(error);
    box.textContent = "Une erreur est survenue : réessayez.";
  }
  box.hidden = false;
}


const riskLabel = (risk) => templates.find((t) => t.risk === risk)?.label || risk;

/** For showErrors: the API's field names to the ids of their inputs (each with its
 * `${id}-error` slot). */
const fieldsOf = (ids) => (field) => (ids[field]
  ? { slot: $(`${ids[field]}-error`), inputs: [$(ids[field])] } : null);
const ENTRY_FIELDS = fieldsOf({ text: "entry-text", kind: "entry-kind" });

/** Read the log again after a write that went through: a failure then is not the write's. */
async function reloadLog() {
  try {
    await loadLog();
    return true;
  } catch (error) {
    console.error(error);
    return false;
  }
}

// -- main courante ------------------------------------------------------------------------
function linksText(links, names = {}) {
  // A linked item by its name when the API gives it (the reader may see it), else its number.
  const label = (key, id, what) => {
    const name = (names[key] || {})[String(id)];
    return name ? `${escapeHtml(name)}<span class="visually-hidden"> (${what} n°\u00a0${id})</span>`
      : `${what} n°\u00a0${id}`;
  };
  const parts = [];
  for (const id of links.population_alerts || []) {
    parts.push(`<a href="#pop-alert-${id}">${label("population_alerts", id, "alerte à la population")}</a>`);
  }
  for (const id of links.alerts || []) parts.push(`<a href="/alertes?alerte=${id}">${label("alerts", id, "alerte")}</a>`);
  for (const id of links.assets || []) parts.push(`<a href="/equipements/${id}">${label("assets", id, "équipement")}</a>`);
  for (const id of links.calls || []) parts.push(`appel n°\u00a0${id}`);
  return parts.length ? `<p class="entry-links">Liens : ${parts.join(" · ")}</p>` : "";
}

function entryItem(entry, byId, correctedBy) {
  const target = entry.corrects ? byId.get(entry.corrects) : null;
  const fixes = correctedBy.get(entry.id) || [];
  return `<li id="entry-${entry.id}" class="entry">
    <p class="entry-meta"><span class="kind kind-${escapeHtml(entry.kind)}">${escapeHtml(KINDS[entry.kind] || entry.kind)}</span>
      <time datetime="${escapeHtml(entry.at)}">${escapeHtml(formatDateTime(entry.at))}</time>
      — ${escapeHtml(entry.author || "auteur inconnu")}</p>
    ${target ? `<p class="entry-note">Corrige <a href="#entry-${target.id}">l'entrée du
      ${escapeHtml(formatDateTime(target.at))}</a></p>` : ""}
    <p class="entry-text">${escapeHtml(entry.text)}</p>
    ${linksText(entry.links || {}, entry.link_names || {})}
    ${fixes.length ? `<p class="entry-note">Corrigée par ${fixes.map((f) => `<a href="#entry-${f.id}">l'entrée du
      ${escapeHtml(formatDateTime(f.at))}</a>`).join(", ")}</p>` : ""}
    ${writer && current.status === "open" ? `<button type="button" class="button secondary"
      data-correct="${entry.id}">Corriger<span class="visually-hidden"> l'entrée du
      ${escapeHtml(formatDateTime(entry.at))}</span></button>` : ""}
  </li>`;
}

function showLog(logs) {
  const previous = logs.filter((l) => l.status !== "open").slice(0, 5);
  const earlier = previous.length ? `<details class="crisis-previous"><summary>Mains courantes
    closes (${previous.length})</summary><ul>${previous.map((l) => `<li>${escapeHtml(l.title)}
    (${escapeHtml(riskLabel(l.risk))}, close le ${escapeHtml(formatDateTime(l.closed_at))}) —
    <a href="/api/v1${base}/crisis-logs/${l.id}.pdf">PDF<span class="visually-hidden"> de
    « ${escapeHtml(l.title)} »</span></a></li>`).join("")}</ul></details>` : "";
  $("open-form").hidden = !(writer && !current);
  $("entry-form").hidden = !(writer && current);
  if (!current) {
    $("event").innerHTML = `<p class="crisis-none">Aucun événement en cours${writer ? ""
      : " : un agent ouvre la main courante au début d'un événement"}.</p>${earlier}`;
    $("entries").innerHTML = "";
    $("log-tools").innerHTML = "";
    return;
  }
  $("event").innerHTML = `<p class="crisis-current"><strong id="log-name">${escapeHtml(current.title)}</strong>
    <span class="muted block">${escapeHtml(riskLabel(current.risk))} — main courante ouverte le
    ${escapeHtml(formatDateTime(current.opened_at))}</span></p>`;
  const byId = new Map(current.entries.map((e) => [e.id, e]));
  const correctedBy = new Map();
  for (const e of current.entries) {
    if (e.corrects) correctedBy.set(e.corrects, [...(correctedBy.get(e.corrects) || []), e]);
  }
  // The API lists the entries in time order (then in the order written): newest first is the
  // reverse. Not a comparison of the ISO texts: "…:34Z" sorts after "…:34.500Z".
  const newest = [...current.entries].reverse();
  $("entries").innerHTML = `<h3 id="entries-title">Entrées (${newest.length}), les plus récentes d'abord</h3>
    ${newest.length ? `<ol class="entries" aria-labelledby="entries-title">${newest.map(
      (e) => entryItem(e, byId, correctedBy)).join("")}</ol>` : '<p class="muted">Aucune entrée pour l\'instant.</p>'}`;
  $("log-tools").innerHTML = `<a class="button secondary" id="log-pdf"
      href="/api/v1${base}/crisis-logs/${current.id}.pdf">Télécharger la main courante (PDF)</a>
    ${writer ? `<button type="button" class="button danger" id="close-log">Clôturer la main courante</button>
      <span id="close-confirm" class="crisis-confirm" hidden>
        <span>Clôturer définitivement ? Plus aucune entrée ne pourra être ajoutée.</span>
        <button type="button" class="button danger" id="close-yes">Oui, clôturer</button>
        <button type="button" class="button secondary" id="close-no">Annuler</button></span>
      <div id="close-error" class="notice form-error" tabindex="-1" hidden></div>` : ""}
    ${earlier}`;
}

async function fetchLog() {
  const logs = await api(`${base}/crisis-logs`);
  const open = logs.find((l) => l.status === "open");
  return { logs, log: open ? await api(`${base}/crisis-logs/${open.id}`) : null };
}

// (each read again on the first load, after a form sent, on live updates)
const readLog = newestOnly();
const readSent = newestOnly();

async function loadLog() {
  const read = await readLog(fetchLog());
  if (read === STALE) return;
  const { logs, log } = read;
  current = log;
  showLog(logs);
}

// Several people keep the main courante at once (the crisis cell, agents in the field): the
// page reads it again every FOLLOW_MS while it is shown and redraws it when it changed — not
// while the keyboard is on the log (a redraw would drop the focus: the next turn redraws
// once it has left), and it says how many entries came meanwhile.
const FOLLOW_MS = 15_000;
const logState = (log) => (log ? `${log.id}:${log.entries.map((e) => e.id).join(",")}` : "");

async function follow() {
  if (document.hidden || $("entries").contains(document.activeElement)
      || $("log-tools").contains(document.activeElement)) return;
  let fetched;
  try { fetched = await fetchLog(); } catch { return; }  // the next turn tries again
  const { logs, log } = fetched;
  if (logState(log) === logState(current)) return;
  const known = new Set(current && log && current.id === log.id ? current.entries.map((e) => e.id) : []);
  const added = log ? log.entries.filter((e) => !known.has(e.id)).length : 0;
  const changedLog = (current && current.id) !== (log && log.id);
  current = log;
  showLog(logs);
  say(changedLog ? (log ? `Main courante « ${log.title} » ouverte.` : "Main courante clôturée.")
    : `${added} nouvelle${added > 1 ? "s" : ""} entrée${added > 1 ? "s" : ""} dans la main courante.`);
}

function startCorrection(id) {
  const entry = current.entries.find((e) => e.id === id);
  if (!entry) return;
  correcting = entry;
  $("entry-kind").value = entry.kind;
  $("entry-text").value = entry.text;
  $("correcting").textContent = `Correction de l'entrée du ${formatDateTime(entry.at)} : l'entrée
    d'origine reste dans la main courante, la correction s'y ajoute.`.replace(/\s+/g, " ");
  $("correcting").hidden = false;
  $("cancel-correction").hidden = false;
  $("entry-form-title").textContent = "Corriger une entrée";
  $("entry-text").focus();
}

function endCorrection() {
  correcting = null;
  $("correcting").hidden = true;
  $("cancel-correction").hidden = true;
  $("entry-form-title").textContent = "Ajouter une entrée";
}

function wireLog() {
  $("open-form").addEventListener("submit", (e) => {
    e.preventDefault();
    whileSending($("open-submit"), async () => {
      clearErrors($("open-form"), $("open-error"));
      try {
        await send(`${base}/crisis-logs`, { method: "POST",
          body: { title: $("log-title").value.trim(), risk: $("log-risk").value } });
      } catch (error) {
        // Already open (another post, or a first try whose answer was lost): it is shown,
        // and the message with it, by its entry form.
        if (error instanceof ApiError && error.status === 409 && await reloadLog() && current) {
          showErrors($("entry-error"), error);
          return;
        }
        showErrors($("open-error"), error, fieldsOf({ title: "log-title", risk: "log-risk" }));
        return;
      }
      $("log-title").value = "";
      say("Main courante ouverte.");
      await reloadLog();
      $("entry-text").focus();
    });
  });
  $("entry-form").addEventListener("submit", (e) => {
    e.preventDefault();
    whileSending($("entry-submit"), async () => {
      clearErrors($("entry-form"), $("entry-error"));
      const body = { kind: $("entry-kind").value, text: $("entry-text").value.trim() };
      if (correcting) body.corrects = correcting.id;
      try {
        await send(`${base}/crisis-logs/${current.id}/entries`, { method: "POST", body });
      } catch (error) {
        showErrors($("entry-error"), error, ENTRY_FIELDS);
        return;
      }
      $("entry-text").value = "";
      endCorrection();
      say(await reloadLog() ? "Entrée inscrite dans la main courante."
        : "Entrée inscrite dans la main courante ; la liste sera relue dans quelques secondes.");
      $("entry-text").focus();
    });
  });
  $("cancel-correction").addEventListener("click", () => {
    clearErrors($("entry-form"), $("entry-error"));
    endCorrection();
    $("entry-text").value = "";
    $("entry-text").focus();
  });
  $("entries").addEventListener("click", (e) => {
    const button = e.target.closest("[data-correct]");
    if (button) startCorrection(Number(button.dataset.correct));
  });
  $("log-tools").addEventListener("click", async (e) => {
    const id = e.target.closest("button")?.id;
    if (id === "close-log") {
      $("close-confirm").hidden = false;
      $("close-yes").focus();
    } else if (id === "close-no") {
      $("close-confirm").hidden = true;
      $("close-log").focus();
    } else if (id === "close-yes") {
      await whileSending($("close-yes"), async () => {
        $("close-error").hidden = true;
        try {
          await send(`${base}/crisis-logs/${current.id}/close`, { method: "POST" });
        } catch (error) {
          showErrors($("close-error"), error);
          return;
        }
        say("Main courante close.");
        await reloadLog();
        $("title").focus();
      });
    }
  });
}

// -- zones concerned ----------------------------------------------------------------------
async function personsInside(zoneId) {
  const zone = await api(`/tenants/${tenant.id}/assets/${zoneId}`);
  if (!zone.geometry) return 0;
  return (await api(`${base}/register/persons/within`, { method: "POST", body: zone.geometry })).length;
}

async function loadZones() {
  const overview = await api(`${base}/stations`);
  const gauges = overview.rivers.flatMap((r) => r.stations).filter((s) => s.level_m !== null);
  const results = await Promise.all(gauges.map((s) => api(
    `${base}/stations/${s.asset_id}/flooded-zones`, { params: { level_m: s.level_m } })))
  flooded = results.flatMap((r, i) => r.zones.map((zone) => ({ zone, station: gauges[i] })));
  let referent = true;
  const persons = new Map();
  for (const { zone } of flooded) {
    if (!referent) break;
    try {
      persons.set(zone.id, await personsInside(zone.id));
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) referent = false;
      else throw error;
    }
  }
  const box = $("zones");
  if (!gauges.length) {
    box.innerHTML = '<p class="muted">Aucune station ne donne de hauteur d\'eau récente.</p>';
  } else {
    box.innerHTML = gauges.map((s, i) => {
      const zones = results[i].zones;
      return `<div class="zone-station"><h3>${escapeHtml(s.name)} : ${metres(s.level_m)}${s.vigilance
        ? ` <span class="vigilance ${escapeHtml(s.vigilance)}">vigilance ${escapeHtml(s.vigilance)}</span>` : ""}</h3>
        ${zones.length ? `<ul class="zone-list">${zones.map((z) => `<li data-zone="${z.id}">
          <strong><a href="/equipements/${z.id}">${escapeHtml(z.name)}</a></strong>
          <span class="muted block">${z.hazard ? `aléa ${escapeHtml(z.hazard)}, ` : ""}inondée dès
            ${metres(z.flood_level_m)}</span>
          <span class="block">${formatNumber(z.assets.length, 0)} équipement(s) dans la zone</span>
          <span class="block zone-persons">${!referent ? "Personnes inscrites au registre : réservé aux référents du registre"
            : `${formatNumber(persons.get(z.id) ?? 0, 0)} personne(s) inscrite(s) au registre`}</span>
        </li>`).join("")}</ul>` : '<p class="muted">Aucune zone inondable atteinte à cette hauteur.</p>'}
      </div>`;
    }).join("");
  }
  if (flooded.length && referent) {
    box.insertAdjacentHTML("beforeend", '<p><a href="/risques/appels">Appeler les personnes '
      + "inscrites : liste d'appels du registre</a></p>");
  }
  $("alert-zones").innerHTML = flooded.length ? flooded.map(({ zone }) => `<label class="choice">
    <input type="checkbox" name="zones" value="${zone.id}" aria-describedby="alert-zones-error">
    ${escapeHtml(zone.name)}</label>`).join("")
    : '<p class="muted">Aucune zone inondable atteinte en ce moment.</p>';
}

// -- population alert ---------------------------------------------------------------------
function checked(name) {
  return [...$("alert-form").querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function alertBody() {
  return {
    risk: $("alert-risk").value, level: $("alert-level").value,
    communes: checked("communes"), zones: checked("zones").map(Number),
    advice: $("alert-advice").value.trim(), channels: checked("channels"),
  };
}

function showTemplate() {
  const t = templates.find((x) => x.risk === $("alert-risk").value);
  $("template-text").textContent = t ? `Objet : ${t.subject} — Texte : ${t.body}` : "";
}

async function setUpChannels() {
  let available = { email: true, sms: true, banner: true };
  let note = "Les canaux e-mail et SMS sont configurés par un administrateur du territoire : "
    + "la prévisualisation signale un canal non configuré.";
  try {
    const conf = await api(`${base}/alert-channels`);
    available = { email: conf.emails.length > 0, sms: Boolean(conf.sms_url && conf.sms_secret_set), banner: true };
    note = available.email && available.sms ? "" : "Un canal non configuré se règle dans "
      + "l'administration du territoire.";
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 403)) throw error;
  }
  $("alert-channels").innerHTML = Object.entries(CHANNELS).map(([key, label]) => `<label class="choice">
    <input type="checkbox" name="channels" value="${key}" aria-describedby="alert-channels-error"${key === "banner" ? " checked" : ""}${available[key]
      ? "" : " disabled"}> ${label}${available[key] ? "" : " (non configuré)"}</label>`).join("");
  $("channels-note").textContent = note;
}

function hidePreview() {
  previewed = null;
  $("preview").hidden = true;
  $("preview").innerHTML = "";
}

function showPreview(answer) {
  const total = Object.values(answer.recipients).reduce((a, b) => a + b, 0);
  $("preview").innerHTML = `<h3>Aperçu de l'alerte</h3>
    <p><strong>${escapeHtml(answer.subject)}</strong></p>
    <p class="preview-body">${escapeHtml(answer.body)}</p>
    <ul>${Object.entries(answer.recipients).map(([ch, n]) => `<li>${escapeHtml(CHANNELS[ch] || ch)} :
      ${formatNumber(n, 0)} destinataire(s)</li>`).join("")}</ul>
    ${answer.banner_until ? `<p>Bandeau affiché jusqu'au ${escapeHtml(formatDateTime(answer.banner_until))}.</p>` : ""}
    <div class="crisis-actions">
      <button type="button" class="button danger" id="send-alert">Envoyer cette alerte</button>
    </div>
    <div id="send-confirm" class="crisis-confirm" hidden>
      <p>Confirmer l'envoi à ${formatNumber(total, 0)} destinataire(s) ? Il ne pourra pas être annulé.</p>
      <button type="button" class="button danger" id="send-yes">Oui, envoyer maintenant</button>
      <button type="button" class="button secondary" id="send-no">Annuler</button>
    </div>
    <div id="send-error" class="notice form-error" tabindex="-1" hidden></div>`;
  $("preview").hidden = false;
  $("preview").focus();
}

function deliveriesTable(alert) {
  if (!alert.deliveries) return "";
  return `<div class="table-wrap" tabindex="0" role="region" aria-labelledby="log-caption-${alert.id}"><table>
    <caption id="log-caption-${alert.id}">Journal d'envoi par destinataire</caption>
    <thead><tr><th scope="col">Canal</th><th scope="col">Destinataire</th><th scope="col">État</th>
      <th scope="col" class="number">Tentatives</th><th scope="col">Envoyé le</th></tr></thead>
    <tbody>${alert.deliveries.map((d) => `<tr><td>${escapeHtml(CHANNELS[d.channel] || d.channel)}</td>
      <td>${escapeHtml(d.recipient)}</td>
      <td>${escapeHtml(STATUSES[d.status] || d.status)}${d.error ? ` <span class="muted">(${escapeHtml(d.error)})</span>` : ""}</td>
      <td class="number">${formatNumber(d.attempts, 0)}</td><td>${escapeHtml(formatDateTime(d.sent_at))}</td></tr>`).join("")}</tbody>
  </table></div>`;
}

function sentAlert(alert) {
  const totals = Object.entries(alert.counts).map(([ch, c]) => `<li>${escapeHtml(CHANNELS[ch] || ch)} :
    ${formatNumber(c.sent, 0)} envoyé(s), ${formatNumber(c.queued, 0)} en attente,
    ${formatNumber(c.failed, 0)} échec(s)</li>`).join("");
  const banner = alert.banner_until && new Date(alert.banner_until) > new Date();
  return `<article class="sent-alert" id="pop-alert-${alert.id}" aria-labelledby="pop-alert-title-${alert.id}">
    <h4 id="pop-alert-title-${alert.id}">${escapeHtml(alert.subject)}</h4>
    <p class="muted">Envoyée le ${escapeHtml(formatDateTime(alert.created_at))} —
      <span class="vigilance ${escapeHtml(alert.level)}">${escapeHtml(LEVELS[alert.level] || alert.level)}</span></p>
    <ul class="totals">${totals}</ul>
    ${banner ? `<p>Bandeau affiché jusqu'au ${escapeHtml(formatDateTime(alert.banner_until))}.</p>` : ""}
    ${deliveriesTable(alert)}
    ${writer && banner ? `<button type="button" class="button secondary" data-withdraw="${alert.id}">Retirer
      le bandeau<span class="visually-hidden"> de « ${escapeHtml(alert.subject)} »</span></button>
      <div id="withdraw-error-${alert.id}" class="notice form-error" tabindex="-1" hidden></div>` : ""}
  </article>`;
}

async function loadSent() {
  const details = await readSent(api(`${base}/population-alerts`).then((all) => Promise.all(
    all.slice(0, 5).map((a) => api(`${base}/population-alerts/${a.id}`)))));
  if (details === STALE) return;
  $("sent").innerHTML = details.length ? details.map(sentAlert).join("")
    : '<p class="muted">Aucune alerte envoyée.</p>';
}

/** For showErrors: a field of the alert form, or a group of its checkboxes (marked, the
 * focus then on the error beside the button). */
function alertField(field) {
  const group = { communes: "communes", zones: "zones", channels: "channels" }[field];
  if (group) {
    return { slot: $(`alert-${group}-error`), focus: false, inputs: [...$("alert-form")
      .querySelectorAll(`input[name="${group}"]:not(:disabled)`)] };
  }
  return fieldsOf({ risk: "alert-risk", level: "alert-level", advice: "alert-advice" })(field);
}

// A lost answer to a sending says so: the alert may have gone (a new try within two minutes
// does not send it twice: the server refuses the same alert, 409).
const SEND_OFFLINE = "Connexion impossible : l'envoi n'est pas confirmé. Réessayez : si "
  + "l'alerte est déjà partie, elle ne sera pas envoyée une seconde fois.";

async function sendAlert() {
  const body = previewed;
  previewed = null;  // a second click has nothing to send
  const button = $("send-yes");
  button.disabled = true;
  $("send-error").hidden = true;
  let sent;
  try {
    sent = await send(`${base}/population-alerts`, { method: "POST", body }, SEND_OFFLINE);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      // Already sent (the answer to a first try was lost, another post sent it): nothing
      // left to send here; the message says when it went, the list shows it.
      $("send-confirm").hidden = true;
      $("send-alert").hidden = true;
      showErrors($("send-error"), error);
      loadSent().catch((e) => console.error(e));
      return;
    }
    previewed = body;
    button.disabled = false;
    showErrors($("send-error"), error);
    return;
  }
  hidePreview();
  const done = ["Alerte envoyée ; son journal d'envoi est affiché."];
  if ($("alert-to-log").checked && current) {
    try {
      await send(`${base}/crisis-logs/${current.id}/entries`, { method: "POST", body: {
        kind: "action", text: `Alerte à la population envoyée : ${sent.subject}`,
        population_alerts: [sent.id] } });
      await reloadLog();
    } catch (error) {
      const note = `Son inscription dans la main courante a échoué (${errorText(error)}) : `
        + "ajoutez-la à la main.";
      done.push(note);
      $("alert-error").textContent = note;
      $("alert-error").hidden = false;
    }
  }
  await loadSent().catch((e) => console.error(e));
  say(done.join(" "));
  $(`pop-alert-title-${sent.id}`)?.setAttribute("tabindex", "-1");
  $(`pop-alert-title-${sent.id}`)?.focus();
}

function wireAlert() {
  const form = $("alert-form");
  form.addEventListener("input", hidePreview);
  form.addEventListener("change", hidePreview);
  $("alert-risk").addEventListener("change", showTemplate);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    whileSending($("preview-submit"), async () => {
      clearErrors(form, $("alert-error"));
      hidePreview();
      const body = alertBody();
      try {
        const answer = await send(`${base}/population-alerts/preview`, { method: "POST", body });
        previewed = body;
        showPreview(answer);
        say("Aperçu de l'alerte prêt : vérifiez-le avant l'envoi.");
      } catch (error) {
        hidePreview();
        showErrors($("alert-error"), error, alertField);
      }
    });
  });
  $("preview").addEventListener("click", async (e) => {
    const id = e.target.closest("button")?.id;
    if (id === "send-alert") {
      $("send-confirm").hidden = false;
      $("send-yes").focus();
    } else if (id === "send-no") {
      $("send-confirm").hidden = true;
      $("send-alert").focus();
    } else if (id === "send-yes" && previewed && !$("send-yes").disabled) {
      await sendAlert();
    }
  });
  $("sent").addEventListener("click", async (e) => {
    const button = e.target.closest("[data-withdraw]");
    if (!button) return;
    const box = $(`withdraw-error-${button.dataset.withdraw}`);
    await whileSending(button, async () => {
      box.hidden = true;
      try {
        await send(`${base}/population-alerts/${button.dataset.withdraw}/banner`, { method: "DELETE" });
      } catch (error) {
        showErrors(box, error);
        return;
      }
      say("Bandeau retiré de la page publique.");
      await loadSent().catch((error) => console.error(error));
      $("sent-title").setAttribute("tabindex", "-1");
      $("sent-title").focus();
    });
  });
}

// -- start --------------------------------------------------------------------------------
async function start() {
  if (!tenant) {
    $("event").innerHTML = '<p class="muted">Aucun territoire ne vous est encore ouvert.</p>';
    return;
  }
  document.title = `Mode crise — ${tenant.name} — Beffroi`;
  [templates, communes] = await Promise.all([
    api(`${base}/alert-templates`),
    api(`/tenants/${tenant.id}/communes`, { params: { boundaries: false } }),
  ]);
  const riskOptions = templates.map((t) => `<option value="${escapeHtml(t.risk)}">${escapeHtml(t.label)}</option>`).join("");
  $("log-risk").innerHTML = riskOptions;
  $("alert-risk").innerHTML = riskOptions;
  $("alert-communes").innerHTML = communes.map((c) => `<label class="choice">
    <input type="checkbox" name="communes" value="${escapeHtml(c.insee)}"
      aria-describedby="alert-communes-error"> ${escapeHtml(c.name)}</label>`).join("");
  wireLog();
  await loadLog();
  if (writer) {
    if (current) $("alert-risk").value = current.risk;
    showTemplate();
    await setUpChannels();
    wireAlert();
    $("alert-form").hidden = false;
  }
  await Promise.all([loadZones(), loadSent()]);
  say("Mode crise à jour.");
  setInterval(follow, FOLLOW_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) follow(); });
  document.body.dataset.ready = "1";
}

start().catch((error) => { fail(error); document.body.dataset.ready = "error"; });
