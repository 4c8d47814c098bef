// Impact report: a period (presets counted in Paris time) and communes; the server renders
// the report (the same HTML as the PDF's) and this page shows it, with links to download it
// as PDF, CSV and JSON. The choice stays in the address (?du=…&au=…&commune=…).
import {
  api, ApiError, escapeHtml, readJson, renderHeader, request, session, showError,
} from "/static/js/common.js";
import { localDay, longDate } from "/static/js/dates.js";

const state = await session();
renderHeader("impact", state);
const tenant = state.tenant;
const base = tenant ? `/api/v1/tenants/${tenant.id}` : "";
const form = document.getElementById("report-form");
const status = document.getElementById("status");
const reportBox = document.getElementById("report");
const FIELDS = { from: "from", to: "to", commune: "commune" };
let shown = null;  // the query of the report on screen

/** Today in Paris as [year, month, day]. */
function today() {
  return localDay().split("-").map(Number);
}

/** AAAA-MM-JJ of a calendar day (months and days past their range roll over). */
function day(year, month, date) {
  return new Date(Date.UTC(year, month - 1, date)).toISOString().slice(0, 10);
}

function preset(name) {
  const [y, m, d] = today();
  switch (name) {
    case "last-year": return [day(y - 1, 1, 1), day(y - 1, 12, 31)];
    case "last-12": return [day(y - 1, m, 1), day(y, m, 0)];
    case "last-month": return [day(y, m - 1, 1), day(y, m, 0)];
    default:  // the year to date, up to yesterday (on 1 January: last year)
      return m === 1 && d === 1 ? preset("last-year") : [day(y, 1, 1), day(y, m, d - 1)];
  }
}

function applyPreset() {
  const name = form.elements.preset.value;
  if (name === "custom") return;
  [form.elements.from.value, form.elements.to.value] = preset(name);
}

function chosenCommunes() {
  return [...form.querySelectorAll('input[name="commune"]:checked')].map((box) => box.value);
}

function query() {
  const params = new URLSearchParams();
  params.set("from", form.elements.from.value);
  params.set("to", form.elements.to.value);
  for (const insee of chosenCommunes()) params.append("commune", insee);
  return params;
}

function clearErrors() {
  for (const name of Object.keys(FIELDS)) {
    document.getElementById(`${name}-error`).textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  document.getElementById("message").hidden = true;
}

/** The API's 422 field errors next to their fields; any other error in the page's alert. */
function showProblem(error) {
  const fields = (error instanceof ApiError && error.problem.errors) || [];
  let placed = false;
  for (const { field, message } of fields) {
    const where = document.getElementById(`${FIELDS[field]}-error`);
    if (!where) continue;
    where.textContent = message;
    placed = true;
    if (field === "commune") continue;
    form.elements[field].setAttribute("aria-invalid", "true");
  }
  if (!placed) showError(error);
  else (form.querySelector('[aria-invalid="true"]') || form.elements.preset).focus();
  status.textContent = placed ? "Le rapport n'a pas pu être établi : corrigez les champs signalés." : "";
}

async function fetchText(url, accept) {
  const response = await request(url, { credentials: "same-origin", headers: { Accept: accept } });
  if (!response.ok) throw new ApiError(response.status, await readJson(response));
  return response;
}

function periodText(params) {
  return `du ${longDate(params.get("from"))} au ${longDate(params.get("to"))}`;
}

function setDownloads(params) {
  const search = "?" + params.toString();
  document.getElementById("download-pdf").href = `${base}/impact.pdf${search}`;
  document.getElementById("download-csv").href = `${base}/impact.csv${search}`;
  document.getElementById("download-json").href = `${base}/impact${search}`;
  document.getElementById("downloads").hidden = false;
}

async function showReport() {
  clearErrors();
  const params = query();
  const button = document.getElementById("show");
  button.disabled = true;
  reportBox.setAttribute("aria-busy", "true");
  status.textContent = "Calcul du rapport en cours…";
  try {
    const response = await fetchText(`${base}/impact.html?${params}`, "text/html");
    reportBox.innerHTML = await response.text();
    shown = params;
    setDownloads(params);
    const address = new URLSearchParams({ du: params.get("from"), au: params.get("to") });
    for (const insee of params.getAll("commune")) address.append("commune", insee);
    history.replaceState(null, "", `${location.pathname}?${address}`);
    status.textContent = `Rapport affiché, ${periodText(params)}.`;
  } catch (error) {
    // The report on screen was for another query: it goes, so that nobody reads it as
    // the answer to this one (nor downloads it under its links).
    reportBox.innerHTML = "";
    document.getElementById("downloads").hidden = true;
    shown = null;
    showProblem(error);
  } finally {
    button.disabled = false;
    reportBox.removeAttribute("aria-busy");
  }
}

/** The PDF takes a few seconds for a long period: fetched here, with a status meanwhile,
 * then handed to the browser as a download. */
async function downloadPdf(event) {
  event.preventDefault();
  const link = event.currentTarget;
  if (link.getAttribute("aria-disabled") === "true" || !shown) return;
  link.setAttribute("aria-disabled", "true");
  status.textContent = "Préparation du PDF en cours : cela peut prendre quelques secondes…";
  try {
    const response = await fetchText(link.href, "application/pdf");
    const blob = await response.blob();
    const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const save = document.createElement("a");
    save.href = URL.createObjectURL(blob);
    save.download = name ? name[1] : "impact.pdf";
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(save.href), 60_000);
    status.textContent = "PDF prêt : le téléchargement a commencé.";
  } catch (error) {
    status.textContent = "";
    showError(error);
  } finally {
    link.removeAttribute("aria-disabled");
  }
}

async function loadCommunes(wanted) {
  const list = await api(`/tenants/${tenant.id}/communes`, { params: { boundaries: false } });
  const box = document.getElementById("commune-list");
  box.innerHTML = list.map((c) => `
    <div class="commune-choice">
      <input type="checkbox" name="commune" id="commune-${escapeHtml(c.insee)}" value="${escapeHtml(c.insee)}"${wanted.includes(c.insee) ? " checked" : ""}>
      <label for="commune-${escapeHtml(c.insee)}">${escapeHtml(c.name)}</label>
    </div>`).join("") || '<p class="muted">Aucune commune.</p>';
}

async function start() {
  if (!tenant) {
    showError(new ApiError(404, { detail: "Aucun territoire accessible." }));
    form.hidden = true;
    return;
  }
  const address = new URLSearchParams(location.search);
  const valid = (v) => /^\d{4}-\d{2}-\d{2}$/.test(v || "");
  if (valid(address.get("du")) && valid(address.get("au"))) {
    form.elements.preset.value = "custom";
    form.elements.from.value = address.get("du");
    form.elements.to.value = address.get("au");
  } else {
    applyPreset();
  }
  // The date pickers offer the days a report may cover (the API says it for typed ones).
  const yesterday = day(...today().map((v, i) => (i === 2 ? v - 1 : v)));
  for (const name of ["from", "to"]) {
    form.elements[name].min = "2000-01-01";
    form.elements[name].max = yesterday;
  }
  await loadCommunes(address.getAll("commune"));
  form.elements.preset.addEventListener("change", applyPreset);
  for (const name of ["from", "to"]) {
    form.elements[name].addEventListener("input", () => { form.elements.preset.value = "custom"; });
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); showReport(); });
  document.getElementById("download-pdf").addEventListener("click", downloadPdf);
  await showReport();
}

start().catch((error) => showError(error));
