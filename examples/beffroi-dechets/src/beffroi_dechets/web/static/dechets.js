// Waste collection dashboard: key figures, the open alerts of the domain (full containers,
// fires), the round suggestion per commune (containers expected to reach the threshold by
// their next collection round, with their trend) and every container in a table.
// GET …/waste/round, …/waste/containers, …/alerts?status=active&domain=waste, …/communes.
import {
  api, escapeHtml, formatNumber, renderHeader, session,
  SEVERITY_LABELS, showError,
} from "/static/js/common.js";
import { formatDateTime, longWeekday } from "/static/js/dates.js";

const state = await session();
renderHeader("/dechets", state);
const tenant = state.tenant;
const communeSelect = document.getElementById("commune");

const TRENDS = {
  rise: { arrow: "↗", words: "en hausse" },
  steady: { arrow: "→", words: "stable" },
  fall: { arrow: "↘", words: "en baisse" },
  unknown: { arrow: "", words: "tendance inconnue (trop peu de mesures depuis la collecte)" },
};
const pct = (value) => (value === null || value === undefined ? "—" : `${formatNumber(value, 0)} %`);
/** « lundi 12 octobre », « jeudi 1er octobre » for an ISO date (a local calendar day). */
const dayText = (iso) => (iso ? longWeekday(iso) : "—");

/** "↗ +6,1 %/jour (en hausse)": an arrow for the eye, the words for everyone. */
function trendHtml(item) {
  const t = TRENDS[item.trend] || TRENDS.unknown;
  if (item.trend_percent_per_day === null) return `<span class="muted">${t.words}</span>`;
  const n = item.trend_percent_per_day;
  return `<span aria-hidden="true">${t.arrow}</span> ${n > 0 ? "+" : ""}${formatNumber(n, 1)} %/jour
    <span class="visually-hidden">(${t.words})</span>`;
}

/** A bar for the eye (the figure is written beside it); no inline style under the CSP. */
function gauge(value) {
  const level = Math.max(0, Math.min(100, value ?? 0));
  return `<meter class="gauge" min="0" max="100" low="50" high="80" optimum="0" value="${level}"
    aria-hidden="true"></meter>`;
}

function figure(key, label, value, text, detail = "") {
  return `<div data-figure="${key}"><dt>${label}</dt><dd data-value="${value ?? ""}">${text}${
    detail ? `<span class="detail">${detail}</span>` : ""}</dd></div>`;
}

function showFigures(containers, round, alerts) {
  const measured = containers.filter((c) => c.fill_percent !== null);
  const mean = measured.length
    ? measured.reduce((s, c) => s + c.fill_percent, 0) / measured.length : null;
  const fires = alerts.filter((a) => a.detector === "waste.fire").length;
  document.getElementById("figures").innerHTML = [
    figure("containers", "Conteneurs suivis", containers.length, formatNumber(containers.length, 0),
      `dont ${formatNumber(measured.length, 0)} avec une mesure`),
    figure("suggested", "À collecter à leur prochaine tournée", round.suggested,
      formatNumber(round.suggested, 0), `attendus à ${pct(round.threshold_percent)} ou plus`),
    figure("mean_fill", "Remplissage moyen", mean === null ? "" : mean.toFixed(1), pct(mean)),
    figure("unmeasured", "Sans mesure récente", round.unmeasured, formatNumber(round.unmeasured, 0),
      "capteur silencieux depuis plus de 2 jours"),
    figure("fires", "Feux signalés", fires, formatNumber(fires, 0)),
  ].join("");
}

function showAlerts(alerts) {
  const box = document.getElementById("alerts");
  if (!alerts.length) {
    box.innerHTML = '<p class="muted">Aucune alerte en cours.</p>';
    return;
  }
  box.innerHTML = `<ul class="alert-list">${alerts.map((a) => `
    <li class="${escapeHtml(a.severity)}"><p><strong>${escapeHtml(SEVERITY_LABELS[a.severity] || a.severity)}</strong> —
      ${escapeHtml(a.title)}</p>
      <p>${a.asset_id ? `<a href="/equipements/${a.asset_id}">${escapeHtml(a.asset_name || "Équipement")}</a> · ` : ""}depuis le
      ${escapeHtml(formatDateTime(a.opened_at))}</p></li>`).join("")}</ul>`;
}

function roundCard(c, unmeasured) {
  return `<li class="${unmeasured ? "unmeasured" : ""}" data-ref="${escapeHtml(c.ref)}">
    <p class="name"><a href="/equipements/${c.id}">${escapeHtml(c.name)}</a></p>
    <p class="muted">${escapeHtml(c.ref)}${c.waste_stream ? ` · ${escapeHtml(STREAMS[c.waste_stream] || c.waste_stream)}` : ""}${
      c.volume_l ? ` · ${formatNumber(c.volume_l, 0)} L` : ""}</p>
    ${unmeasured ? `<p>Dernière mesure : ${escapeHtml(formatDateTime(c.measured_at))}${
      c.fill_percent !== null ? ` (${pct(c.fill_percent)})` : ""} — à vérifier sur place</p>` : `
    <p><span class="level">${pct(c.fill_percent)}</span> aujourd'hui ${gauge(c.fill_percent)}</p>
    <p>Tendance : ${trendHtml(c)}</p>
    <p>Prévu : <strong>${pct(c.predicted_percent)}</strong> le ${escapeHtml(dayText(c.next_collection))}</p>`}
  </li>`;
}

const STREAMS = { ordures_menageres: "Ordures ménagères", emballages: "Emballages",
  papier: "Papier", verre: "Verre" };

function showRound(round) {
  document.getElementById("round-intro").textContent = `Conteneurs attendus remplis à ${
    pct(round.threshold_percent)} ou plus à leur prochaine collecte (calculé le ${
    formatDateTime(round.at)}), par commune, les plus pleins d'abord.`;
  const box = document.getElementById("round");
  if (!round.communes.length) {
    box.innerHTML = '<p class="muted">Aucun conteneur à collecter pour l\'instant.</p>';
    return;
  }
  box.innerHTML = round.communes.map((g) => `
    <section class="round-commune" data-insee="${escapeHtml(g.insee || "")}" aria-label="${escapeHtml(g.name)}">
      <h3>${escapeHtml(g.name)} <span class="muted">(${formatNumber(g.containers.length, 0)} à collecter)</span></h3>
      ${g.containers.length ? `<ol class="round-list">${g.containers.map((c) => roundCard(c, false)).join("")}</ol>`
        : '<p class="muted">Aucun conteneur à collecter.</p>'}
      ${g.unmeasured.length ? `<h4>Capteurs silencieux (à vérifier sur place)</h4>
        <ul class="round-list">${g.unmeasured.map((c) => roundCard(c, true)).join("")}</ul>` : ""}
    </section>`).join("");
}

function showContainers(containers, communes) {
  const rows = containers.map((c) => `<tr data-ref="${escapeHtml(c.ref)}">
    <th scope="row"><a href="/equipements/${c.id}">${escapeHtml(c.name)}</a>
      <span class="muted block">${escapeHtml(c.ref)}</span></th>
    <td>${escapeHtml(communes[c.commune] || c.commune || "—")}</td>
    <td>${escapeHtml(c.waste_stream_label || "—")}</td>
    <td class="number">${pct(c.fill_percent)}</td>
    <td>${trendHtml(c)}</td>
    <td>${escapeHtml(c.collection_days)}</td>
    <td>${escapeHtml(dayText(c.next_collection))}</td>
    <td class="number">${pct(c.predicted_percent)}</td>
    <td class="number">${c.temperature_c === null ? "—" : `${formatNumber(c.temperature_c, 0)} °C`}</td>
  </tr>`).join("");
  document.getElementById("containers").innerHTML = containers.length ? `<table>
    <caption>Conteneurs : remplissage, tendance et prochaine collecte</caption>
    <thead><tr><th scope="col">Conteneur</th><th scope="col">Commune</th><th scope="col">Flux</th>
      <th scope="col" class="number">Remplissage</th><th scope="col">Tendance</th>
      <th scope="col">Jours de collecte</th><th scope="col">Prochaine collecte</th>
      <th scope="col" class="number">Prévu</th><th scope="col" class="number">Température</th></tr></thead>
    <tbody>${rows}</tbody></table>` : '<p class="muted">Aucun conteneur dans ce territoire.</p>';
}

async function load(communes) {
  const params = communeSelect.value ? { commune: communeSelect.value } : {};
  const base = `/tenants/${tenant.id}`;
  const [round, list, alerts] = await Promise.all([
    api(`${base}/waste/round`, { params }),
    api(`${base}/waste/containers`, { params }),
    api(`${base}/alerts`, { params: { status: "active", domain: "waste", ...params } }),
  ]);
  showFigures(list.containers, round, alerts);
  showAlerts(alerts);
  showRound(round);
  showContainers(list.containers, communes);
  document.getElementById("status").textContent = `${list.containers.length} conteneurs chargés.`;
  document.body.dataset.ready = "";
}

async function main() {
  const communes = await api(`/tenants/${tenant.id}/communes`);
  const names = Object.fromEntries(communes.map((c) => [c.insee, c.name]));
  communeSelect.insertAdjacentHTML("beforeend", communes.map((c) =>
    `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  communeSelect.disabled = false;
  communeSelect.addEventListener("change", () => {
    delete document.body.dataset.ready;
    load(names).catch(showError);
  });
  await load(names);
}

if (!tenant) {
  document.getElementById("message").textContent = "Aucun territoire ne vous est encore ouvert.";
  document.getElementById("message").hidden = false;
} else {
  document.title = `Collecte des déchets — ${tenant.name} — Beffroi`;
  main().catch((error) => { console.error(error); showError(error); });
}
