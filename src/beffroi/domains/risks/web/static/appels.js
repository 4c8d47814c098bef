// Page /risques/appels: the call list of the vulnerable-persons register during an
// episode, by priority, with the follow-up of each person (appelé, joint, besoin d'une
// visite, visite faite). Only the register's referents get it (403 for everyone else).
// A follow-up form sends one request at a time and shows its error beside itself (forms.js).
import {
  api,
  escapeHtml,
  newestOnly,
  renderHeader,
  session,
  showError,
  STALE,
  whileSending,
} from "/static/js/common.js";
import { formatDateTime } from "/static/js/dates.js";
import { clearErrors, send, showErrors } from "/static/domains/risks/forms.js";

const STATES = { called: "Appelé", reached: "Joint", visit_needed: "Besoin d'une visite", visited: "Visite faite" };
const NEEDS = {
  mobility: "mobilité réduite", medical_device: "appareil médical à domicile",
  hearing: "troubles de l'audition", sight: "troubles de la vue",
  cognitive: "troubles cognitifs", home_help: "aide ou soins à domicile",
};
const PRIORITY = { 1: "Priorité 1 : vit seule et a des besoins", 2: "Priorité 2", 3: "Priorité 3" };
const RELATIONS = { family: "famille", neighbour: "voisin", other: "autre" };

const state = await session();
renderHeader("/risques/appels", state);
const tenant = state.tenant;
const base = tenant ? `/tenants/${tenant.id}/risks/register` : "";

function tel(phone) {
  return `<a href="tel:${escapeHtml(phone.replace(/[ .-]/g, ""))}">${escapeHtml(phone)}</a>`;
}

function card(p) {
  const needs = p.needs.map((n) => NEEDS[n] || n);
  const last = p.calls.length ? p.calls[p.calls.length - 1] : null;
  const options = Object.entries(STATES).map(([k, v]) => `<option value="${k}">${v}</option>`).join("");
  return `<li data-person="${p.id}">
    <h2>${escapeHtml(p.last_name)} ${escapeHtml(p.first_name)}</h2>
    <p class="priority">${PRIORITY[p.priority]}${p.lives_alone ? " — vit seule" : ""}</p>
    <p>${escapeHtml(p.address)} (${escapeHtml(p.commune)})</p>
    <p class="phones">Téléphone : ${p.phones.map(tel).join(" · ")}</p>
    ${needs.length ? `<p>Besoins : ${escapeHtml(needs.join(", "))}</p>` : ""}
    ${p.contacts.length ? `<p>À prévenir : ${p.contacts.map((c) => `${escapeHtml(c.name)} (${RELATIONS[c.relation]}) ${tel(c.phone)}`).join(" · ")}</p>` : ""}
    <p class="state">Suivi : ${last ? `${STATES[last.state]} le ${escapeHtml(formatDateTime(last.at))}${last.by ? ` par ${escapeHtml(last.by)}` : ""}${last.note ? ` — ${escapeHtml(last.note)}` : ""}` : "pas encore appelé"}</p>
    <form class="follow-up">
      <div class="inline-field">
        <label for="state-${p.id}">Suivi de ${escapeHtml(p.first_name)} ${escapeHtml(p.last_name)}</label>
        <select id="state-${p.id}" name="state" aria-describedby="state-${p.id}-error">${options}</select>
        <p class="field-error" id="state-${p.id}-error"></p>
      </div>
      <div class="inline-field">
        <label for="note-${p.id}">Note</label>
        <input id="note-${p.id}" name="note" maxlength="1000" aria-describedby="note-${p.id}-error">
        <p class="field-error" id="note-${p.id}-error"></p>
      </div>
      <button type="submit">Enregistrer</button>
      <div id="call-error-${p.id}" class="notice form-error" tabindex="-1" hidden></div>
    </form>
  </li>`;
}

function params() {
  const out = {};
  const commune = document.getElementById("commune").value;
  const since = document.getElementById("since").value;
  if (commune) out.commune = commune;
  if (since) out.since = new Date(`${since}T00:00:00`).toISOString();
  return out;
}

const readCalls = newestOnly();

async function load() {
  delete document.body.dataset.ready;
  const persons = await readCalls(api(`${base}/calls`, { params: params() }));
  if (persons === STALE) return;
  const done = persons.filter((p) => p.state === "reached" || p.state === "visited").length;
  document.getElementById("summary").textContent =
    `${persons.length} personne${persons.length > 1 ? "s" : ""} à appeler, ${done} jointe${done > 1 ? "s" : ""} ou visitée${done > 1 ? "s" : ""}.`;
  document.getElementById("persons").innerHTML = persons.map(card).join("");
  document.body.dataset.ready = String(persons.length);
}

async function main() {
  if (!tenant) {
    document.getElementById("message").textContent = "Aucun territoire ne vous est encore ouvert.";
    document.getElementById("message").hidden = false;
    return;
  }
  document.title = `Appels du registre — ${tenant.name} — Beffroi`;
  const communes = await api(`/tenants/${tenant.id}/communes`, { params: { boundaries: false } });
  document.getElementById("commune").insertAdjacentHTML("beforeend", communes.map(
    (c) => `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  document.getElementById("filters").addEventListener("submit", (e) => {
    e.preventDefault();
    whileSending(document.getElementById("show"), () => load().catch((error) => showError(error)));
  });
  document.getElementById("print").addEventListener("click", () => window.print());
  document.getElementById("persons").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = e.target;
    const id = form.closest("li").dataset.person;
    const box = document.getElementById(`call-error-${id}`);
    whileSending(form.querySelector('button[type="submit"]'), async () => {
      clearErrors(form, box);
      const body = { state: form.elements.state.value };
      if (form.elements.note.value.trim()) body.note = form.elements.note.value.trim();
      try {
        await send(`${base}/persons/${id}/calls`, { method: "POST", body });
      } catch (error) {
        showErrors(box, error, (field) => (["state", "note"].includes(field) ? {
          slot: document.getElementById(`${field}-${id}-error`),
          inputs: [document.getElementById(`${field}-${id}`)] } : null));
        return;
      }
      try {
        await load();
      } catch (error) {
        console.error(error);
        box.textContent = "Suivi enregistré ; la liste n'a pas pu être relue : « Afficher » la relit.";
        box.hidden = false;
        box.focus();
        return;
      }
      document.getElementById(`state-${id}`)?.focus();
    });
  });
  await load();
}

main().catch((error) => { console.error(error); showError(error); document.body.dataset.ready = "error"; });
