// Page /eau/volumes: choose a water service, then enter its yearly figures
// (?service=<id>&annee=<year> opens one directly, as the dashboard's links do).
import {
  api, canWrite, escapeHtml, renderHeader, roleIn, session, showError,
} from "/static/js/common.js";
import { yearForm } from "/static/domains/water/form.js";

const state = await session();
renderHeader("/eau", state);
const tenant = state.tenant;
const select = document.getElementById("service");

async function show(year) {
  const id = Number(select.value);
  document.getElementById("service-link").innerHTML = `<a href="/equipements/${id}">Fiche du service</a>`;
  delete document.body.dataset.ready;
  await yearForm(document.getElementById("form"), {
    tenant, serviceId: id, canWrite: canWrite(roleIn(state.me, tenant.id)), year });
  document.body.dataset.ready = String(id);
}

async function main() {
  if (!tenant) {
    showError(null);
    document.getElementById("message").textContent = "Aucun territoire ne vous est encore ouvert.";
    return;
  }
  document.title = `Volumes annuels de l'eau potable — ${tenant.name} — Beffroi`;
  const [collection, communes] = await Promise.all([
    api(`/tenants/${tenant.id}/assets`, { params: { kind: "water.service", limit: 10000 } }),
    api(`/tenants/${tenant.id}/communes`, { params: { boundaries: false } }),
  ]);
  const names = Object.fromEntries(communes.map((c) => [c.insee, c.name]));
  const services = collection.features.map((f) => ({ id: f.id, ...f.properties }))
    .sort((a, b) => (names[a.commune] || "").localeCompare(names[b.commune] || "", "fr"));
  if (!services.length) {
    document.getElementById("form").innerHTML = '<p class="muted">Aucun service d\'eau potable dans ce territoire.</p>';
    document.body.dataset.ready = "";
    return;
  }
  select.innerHTML = services.map((s) => `<option value="${s.id}">${escapeHtml(s.name)}${
    names[s.commune] ? ` — ${escapeHtml(names[s.commune])}` : ""}</option>`).join("");
  const params = new URLSearchParams(location.search);
  if (services.some((s) => String(s.id) === params.get("service"))) select.value = params.get("service");
  select.disabled = false;
  select.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("service", select.value);
    history.replaceState(null, "", url);
    show(document.querySelector("#wf-year")?.value).catch((e) => showError(e));
  });
  await show(params.get("annee"));
}

main().catch((error) => { console.error(error); showError(error); });
