// Printable compliance report of the luminaires (arrêté du 27 décembre 2018): per commune,
// the breaches with their article, value found and limit, the checks lacking data, and the
// completeness of the art. 5 data. GET /tenants/{t}/lighting/compliance?commune=INSEE.
import {
  api, escapeHtml, formatNumber, renderHeader, session, showError,
} from "/static/js/common.js";
import { formatDate } from "/static/js/dates.js";
import { lampLabel, valueWithUnit } from "/static/domains/lighting/lighting.js";

const state = await session();
renderHeader("/eclairage", state);
const tenant = state.tenant;
const select = document.getElementById("commune");
const plural = (n, one, many) => `${formatNumber(n, 0)} ${n > 1 ? many : one}`;
// Labels and articles of the fields, as the report gives them.
let fields = {};
const fieldLabel = (name) => fields[name]?.label || name;
const luminaire = (e) => `<a href="/equipements/${e.id}">${escapeHtml(e.ref)}</a>
  <span class="muted lum-name">${escapeHtml(e.name)}</span>`;

function table(caption, head, rows) {
  return `<div class="table-wrap"><table><caption class="report-caption">${escapeHtml(caption)}</caption>
    <thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join("")}</tr></thead>
    <tbody>${rows.join("")}</tbody></table></div>`;
}

function communeSection(commune, entries, index) {
  const c = commune.counts;
  const name = commune.name ? `${commune.name} (${commune.insee})` : commune.insee || "Sans commune";
  const breaches = entries.flatMap((e) => e.violations.map((v) => `<tr data-rule="${escapeHtml(v.rule)}">
    <td>${luminaire(e)}</td><td>${escapeHtml(e.category || "—")}</td>
    <td>${escapeHtml(v.label)}</td><td class="article">${escapeHtml(v.article)}</td>
    <td>${escapeHtml(v.rule === "mercury_lamp" ? lampLabel(v.value) : valueWithUnit(v.value, v.unit))}</td>
    <td>${escapeHtml(valueWithUnit(v.limit, v.unit))}</td></tr>`));
  const lacking = entries.flatMap((e) => e.missing_data.map((m) => `<tr>
    <td>${luminaire(e)}</td><td>${escapeHtml(m.label)}</td><td>${escapeHtml(m.article)}</td>
    <td>${escapeHtml(m.fields.map(fieldLabel).join(", "))}</td></tr>`));
  const incomplete = entries.filter((e) => e.article5_missing.length).map((e) => `<tr>
    <td>${luminaire(e)}</td><td>${escapeHtml(e.article5_missing.map(fieldLabel).join(", "))}</td></tr>`);
  const byField = Object.entries(c.article5_missing_by_field || {}).map(([f, n]) =>
    `<tr><td>${escapeHtml(fieldLabel(f))}</td><td>${escapeHtml(fields[f]?.article || "art. 5")}</td>
      <td class="number">${formatNumber(n, 0)}</td></tr>`);
  const id = `commune-${index}`;
  return `<section class="commune-report" aria-labelledby="${id}" data-insee="${escapeHtml(commune.insee || "")}">
    <h2 id="${id}">${escapeHtml(name)}</h2>
    <p>${plural(c.luminaires, "point lumineux", "points lumineux")} :
      ${plural(c.compliant, "conforme", "conformes")}, <strong>${plural(c.non_compliant,
        "non conforme", "non conformes")}</strong>, ${plural(c.article5_incomplete,
        "aux données de l'art. 5 incomplètes", "aux données de l'art. 5 incomplètes")}.</p>
    <h3>Non-conformités</h3>
    ${breaches.length ? table(`Non-conformités — ${name}`, ["Point lumineux", "Catégorie", "Règle",
      "Article", "Valeur constatée", "Limite"], breaches) : '<p class="muted">Aucune non-conformité constatée.</p>'}
    <h3>Contrôles impossibles faute de données</h3>
    ${lacking.length ? table(`Contrôles impossibles — ${name}`, ["Point lumineux", "Règle", "Article",
      "Données manquantes"], lacking) : '<p class="muted">Toutes les règles applicables ont pu être contrôlées.</p>'}
    <h3>Complétude des données (art. 5)</h3>
    <p>${plural(c.luminaires - c.article5_incomplete, "point lumineux a", "points lumineux ont")}
      toutes les données exigées sur ${formatNumber(c.luminaires, 0)}.</p>
    ${byField.length ? table(`Données manquantes par champ — ${name}`, ["Donnée", "Exigée par",
      "Points lumineux sans cette donnée"], byField) : ""}
    ${incomplete.length ? table(`Points lumineux aux données incomplètes — ${name}`,
      ["Point lumineux", "Données manquantes"], incomplete) : ""}
  </section>`;
}

function showTotals(t) {
  const items = [
    ["Points lumineux", t.luminaires], ["Conformes", t.compliant],
    ["Non conformes", t.non_compliant], ["Contrôles incomplets faute de données", t.with_missing_data],
    ["Données de l'art. 5 incomplètes", t.article5_incomplete],
  ];
  document.getElementById("totals").innerHTML = items.map(([k, v]) =>
    `<div><dt>${k}</dt><dd>${formatNumber(v, 0)}</dd></div>`).join("");
}

async function load() {
  const status = document.getElementById("status");
  status.textContent = "Chargement du rapport…";
  const report = await api(`/tenants/${tenant.id}/lighting/compliance`, {
    params: { commune: select.value } });
  fields = report.fields || {};
  document.getElementById("source").textContent = `${report.source}. Rapport établi le ${
    formatDate(Date.now())} pour ${tenant.name}.`;
  showTotals(report.totals);
  const box = document.getElementById("report");
  box.innerHTML = report.communes.length ? report.communes.map((c, i) => communeSection(
    c, report.luminaires.filter((e) => e.commune === c.insee), i)).join("")
    : '<p class="muted">Aucun point lumineux inventorié.</p>';
  status.textContent = `Rapport affiché : ${plural(report.totals.non_compliant,
    "point lumineux non conforme", "points lumineux non conformes")}.`;
  document.body.dataset.ready = "1";
}

async function main() {
  if (!tenant) {
    showError(null);
    document.getElementById("message").textContent = "Aucun territoire ne vous est encore ouvert.";
    return;
  }
  document.title = `Conformité de l'éclairage public — ${tenant.name} — Beffroi`;
  const communes = await api(`/tenants/${tenant.id}/communes`, { params: { boundaries: false } });
  select.insertAdjacentHTML("beforeend", communes.map((c) =>
    `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  const wanted = new URLSearchParams(location.search).get("commune");
  if (wanted && communes.some((c) => c.insee === wanted)) select.value = wanted;
  select.disabled = false;
  select.addEventListener("change", () => {
    const url = new URL(location.href);
    if (select.value) url.searchParams.set("commune", select.value);
    else url.searchParams.delete("commune");
    history.replaceState(null, "", url);
    load().catch((e) => showError(e));
  });
  document.getElementById("print").addEventListener("click", () => window.print());
  await load();
}

main().catch((error) => showError(error));
