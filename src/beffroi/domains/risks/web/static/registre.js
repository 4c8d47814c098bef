// Page /risques/registre: the vulnerable-persons register for its referents (the persons
// enrolled, the enrolment form with the consent block and the home placed on a map or typed,
// re-confirmation, deletion on request, export for the préfet) and, for the territory's
// administrators, the designation of the register's referents. Anyone else gets the
// refusal notice and no name. Leaflet (global L) is loaded by the page. The form and the
// buttons send one request at a time and show their errors beside themselves (forms.js).
import {
  api,
  ApiError,
  escapeHtml,
  isAdmin,
  newestOnly,
  parseNumber,
  renderHeader,
  roleIn,
  session,
  showError,
  STALE,
  whileSending,
} from "/static/js/common.js";
import { formatDate } from "/static/js/dates.js";
import { errorText, send, showErrors } from "/static/domains/risks/forms.js";
import { boundaryLayers, territoryMap } from "/static/js/territory-map.js";

const NEEDS = {
  mobility: "Mobilité réduite", medical_device: "Appareil médical à domicile",
  hearing: "Troubles de l'audition", sight: "Troubles de la vue",
  cognitive: "Troubles cognitifs", home_help: "Aide ou soins à domicile",
};
const RELATIONS = { family: "Famille", neighbour: "Voisin", other: "Autre" };
const PRIORITY = { 1: "1 — vit seule et a des besoins", 2: "2 — vit seule ou a des besoins", 3: "3" };
const MAX_CONTACTS = 5;

const $ = (id) => document.getElementById(id);
const state = await session();
renderHeader("/risques", state);
const tenant = state.tenant;
const base = tenant ? `/tenants/${tenant.id}/risks/register` : "";
const form = $("person-form");
let communes = [];
let persons = [];
let editing = null;  // the id of the person being rectified
let consentVersion = null;
let map = null;
let marker = null;

/** "contacts[0].name" -> "f-contacts-0-name": the id of a field and of its error slot. */
const fieldId = (field) => "f-" + field.replace(/\[(\d+)\]/g, "-$1").replace(/\./g, "-");

function say(text) { $("status").textContent = text; }

// -- persons list ----------------------------------------------------------------------
const priority = (p) => 3 - (p.lives_alone ? 1 : 0) - (p.needs.length ? 1 : 0);
const communeName = (insee) => communes.find((c) => c.insee === insee)?.name || insee;

function row(p) {
  const name = `${escapeHtml(p.last_name)} ${escapeHtml(p.first_name)}`;
  return `<tr data-person="${p.id}">
    <th scope="row">${name}</th>
    <td>${escapeHtml(communeName(p.commune))}</td>
    <td>${PRIORITY[priority(p)]}</td>
    <td>${escapeHtml(formatDate(p.confirmed_at))}</td>
    <td class="register-row-actions">
      <button type="button" class="button secondary" data-edit="${p.id}">Modifier<span
        class="visually-hidden"> la fiche de ${name}</span></button>
      <button type="button" class="button secondary" data-confirm="${p.id}">Confirmer<span
        class="visually-hidden"> l'inscription de ${name}</span></button>
      <button type="button" class="button secondary" data-delete="${p.id}">Supprimer<span
        class="visually-hidden"> la fiche de ${name}</span></button>
    </td></tr>`;
}

const readPersons = newestOnly();

async function loadPersons() {
  const read = await readPersons(api(`${base}/persons`));
  if (read === STALE) return;
  persons = read;
  $("persons").innerHTML = persons.length ? persons.map(row).join("")
    : '<tr><td colspan="5">Personne n\'est encore inscrite.</td></tr>';
  $("persons-summary").textContent = `${persons.length} personne${persons.length > 1 ? "s" : ""} inscrite${persons.length > 1 ? "s" : ""}.`;
  document.body.dataset.persons = String(persons.length);
}

function fullName(id) {
  const p = persons.find((x) => String(x.id) === String(id));
  return p ? `${p.first_name} ${p.last_name}` : `n° ${id}`;
}

/** An error beside a row's buttons (focused), for the person `id`. */
function rowError(id, error) {
  const cell = document.querySelector(`tr[data-person="${id}"] .register-row-actions`);
  if (!cell) { showError(error); return; }
  let box = cell.querySelector(".form-error");
  if (!box) {
    box = document.createElement("div");
    box.className = "notice form-error";
    box.tabIndex = -1;
    cell.append(box);
  }
  showErrors(box, error);
}

async function onListClick(event) {
  const button = event.target.closest("button");
  if (!button) return;
  const id = button.dataset.edit || button.dataset.confirm || button.dataset.delete;
  try {
    if (button.dataset.edit) {
      await whileSending(button, () => startEdit(button.dataset.edit));
    } else if (button.dataset.confirm) {
      await whileSending(button, async () => {
        await send(`${base}/persons/${id}/confirm`, { method: "POST" });
        say(`L'inscription de ${fullName(id)} est confirmée : la durée de conservation repart.`);
        await loadPersons().catch((error) => console.error(error));
      });
      document.querySelector(`button[data-confirm="${id}"]`)?.focus();
    } else if (button.dataset.delete) {
      const dialog = $("delete-dialog");
      dialog.dataset.person = button.dataset.delete;
      $("delete-text").textContent = `La fiche de ${fullName(button.dataset.delete)} sera `
        + "supprimée définitivement avec ses contacts et son suivi d'appels, à sa demande. "
        + "Cette action ne peut pas être annulée.";
      dialog.showModal();
      $("delete-cancel").focus();
    }
  } catch (error) { rowError(id, error); }
}

async function deleteConfirmed() {
  const dialog = $("delete-dialog");
  const id = dialog.dataset.person;
  const name = fullName(id);
  dialog.close();
  try {
    await whileSending($("delete-confirm"), () => send(`${base}/persons/${id}`, { method: "DELETE" }));
  } catch (error) {
    rowError(id, error);
    return;
  }
  if (editing === id) resetForm();
  say(`La fiche de ${name} est supprimée.`);
  await loadPersons().catch((error) => console.error(error));
  $("persons-title").focus();
}

// -- form ------------------------------------------------------------------------------
function contactRow(i, c = { name: "", relation: "family", phone: "" }) {
  const relations = Object.entries(RELATIONS).map(([k, v]) =>
    `<option value="${k}"${k === c.relation ? " selected" : ""}>${v}</option>`).join("");
  const id = `f-contacts-${i}`;
  return `<fieldset class="contact" data-contact="${i}" aria-describedby="${id}-error">
    <legend>Personne à prévenir ${i + 1}</legend>
    <div class="register-row">
      <div class="field"><label for="${id}-name">Nom</label>
        <input id="${id}-name" data-part="name" maxlength="200" autocomplete="off"
          value="${escapeHtml(c.name)}" aria-describedby="${id}-name-error">
        <p class="field-error" id="${id}-name-error"></p></div>
      <div class="field"><label for="${id}-relation">Lien</label>
        <select id="${id}-relation" data-part="relation" aria-describedby="${id}-relation-error">${relations}</select>
        <p class="field-error" id="${id}-relation-error"></p></div>
      <div class="field"><label for="${id}-phone">Téléphone</label>
        <input id="${id}-phone" data-part="phone" type="tel" autocomplete="off"
          value="${escapeHtml(c.phone)}" aria-describedby="${id}-phone-error">
        <p class="field-error" id="${id}-phone-error"></p></div>
    </div>
    <p class="field-error" id="${id}-error"></p>
    <button type="button" class="button secondary" data-remove-contact="${i}">Retirer<span
      class="visually-hidden"> la personne à prévenir ${i + 1}</span></button>
  </fieldset>`;
}

function readContacts() {
  return [...$("contacts").querySelectorAll("fieldset.contact")].map((set) => ({
    name: set.querySelector('[data-part="name"]').value.trim(),
    relation: set.querySelector('[data-part="relation"]').value,
    phone: set.querySelector('[data-part="phone"]').value.trim(),
  }));
}

function renderContacts(contacts) {
  $("contacts").innerHTML = contacts.map((c, i) => contactRow(i, c)).join("");
  $("add-contact").hidden = contacts.length >= MAX_CONTACTS;
}

function onContactsClick(event) {
  const button = event.target.closest("button[data-remove-contact]");
  if (!button) return;
  const contacts = readContacts();
  contacts.splice(Number(button.dataset.removeContact), 1);
  renderContacts(contacts);
  $("add-contact").focus();
}

function addContact() {
  const contacts = readContacts();
  if (contacts.length >= MAX_CONTACTS) return;
  contacts.push({ name: "", relation: "family", phone: "" });
  renderContacts(contacts);
  $(`f-contacts-${contacts.length - 1}-name`).focus();
}

/** Decimal degrees as typed ("6,59" or "6.59"); NaN when not a number. */
function degrees(text) {
  const n = parseNumber(text.trim());
  return typeof n === "number" ? n : NaN;
}

/** The home's position as typed: the GeoJSON point, or null with the errors found here
 * (« Longitude : nombre attendu… » for « abc », one of the two missing). Both empty: null,
 * and the server says the position is « obligatoire ». */
function readLocation() {
  const el = form.elements;
  const typed = { lon: el.lon.value.trim(), lat: el.lat.value.trim() };
  if (!typed.lon && !typed.lat) return { location: null, errors: [] };
  const errors = [];
  const value = {};
  for (const [key, label, example] of [["lon", "Longitude", "6,59"], ["lat", "Latitude", "48,02"]]) {
    value[key] = degrees(typed[key]);
    if (!typed[key]) errors.push({ field: key, message: `${label} : obligatoire.` });
    else if (Number.isNaN(value[key])) {
      errors.push({ field: key, message: `${label} : nombre attendu (degrés décimaux, par exemple ${example}).` });
    }
  }
  return { location: errors.length ? null : { type: "Point", coordinates: [value.lon, value.lat] }, errors };
}

/** The body of POST/PUT persons, where each sent phone came from (its input's index), and
 * the errors found before sending (the coordinates). */
function readForm() {
  const el = form.elements;
  const phoneInputs = [0, 1, 2].map((i) => $(`f-phones-${i}`));
  const phoneSlots = phoneInputs.map((input, i) => [input.value.trim(), i]).filter(([v]) => v);
  const { location, errors: clientErrors } = readLocation();
  const body = {
    last_name: el.last_name.value.trim(), first_name: el.first_name.value.trim(),
    category: el.category.value || null, commune: el.commune.value || null,
    address: el.address.value.trim(),
    location,
    phones: phoneSlots.map(([v]) => v),
    contacts: readContacts(),
    needs: [...form.querySelectorAll('input[name="needs"]:checked')].map((i) => i.value),
    lives_alone: el.lives_alone.checked,
    consent: {
      given: el.given.checked, enrolled_by: form.querySelector('input[name="enrolled_by"]:checked').value,
      request_date: el.request_date.value || null, version: consentVersion,
    },
  };
  if (el.birth_date.value) body.birth_date = el.birth_date.value;
  if (el.doctor.value.trim()) body.doctor = el.doctor.value.trim();
  if (el.notes.value.trim()) body.notes = el.notes.value.trim();
  if (el.requester.value.trim()) body.consent.requester = el.requester.value.trim();
  return { body, phoneSlots: phoneSlots.map(([, i]) => i), clientErrors };
}

function clearErrors() {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  $("form-errors").hidden = true;
  $("submit-error").hidden = true;
}

/** The field errors (the API's 422 ones and those found before sending: a coordinate that
 * is no number replaces the API's « position obligatoire ») next to their fields, their list
 * above the form, the focus on the first bad field. Any other error (no network, refusal)
 * beside the button, focused. */
function showFieldErrors(error, phoneSlots, clientErrors = []) {
  const answered = (error instanceof ApiError && error.status === 422 && error.problem.errors) || [];
  if (!answered.length && !clientErrors.length) {
    showErrors($("submit-error"), error);
    return;
  }
  const errors = [...answered.filter((e) => !(clientErrors.length && e.field === "location")),
    ...clientErrors];
  const lines = [];
  let first = null;
  for (const { field, message } of errors) {
    const mapped = field.replace(/^phones\[(\d+)\]/, (_, i) => `phones[${phoneSlots[Number(i)] ?? i}]`);
    let id = fieldId(mapped);
    if (["location", "lon", "lat"].includes(field)) id = "f-location";
    if (field === "phones") id = "f-phones-0";  // none given: the main one is missing
    const slot = $(`${id}-error`) || (field.startsWith("consent") ? $("f-consent-error") : null);
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    const inputs = { location: [$("f-lon"), $("f-lat")], lon: [$("f-lon")], lat: [$("f-lat")] }[field]
      || [$(id)];
    for (const input of inputs) {
      if (input && ["INPUT", "SELECT", "TEXTAREA"].includes(input.tagName)) {
        input.setAttribute("aria-invalid", "true");
        first ||= input;
      }
    }
    lines.push(`<li>${escapeHtml(message)}</li>`);
  }
  const box = $("form-errors");
  const title = answered.length ? errorText(error)
    : "Inscription au registre refusée : rien n'a été enregistré.";
  box.innerHTML = `<p>${escapeHtml(title)}</p><ul>${lines.join("")}</ul>`;
  box.hidden = false;
  if (!answered.length && !(error instanceof ApiError && error.status === 422)) {
    // The server was not reached (or refused): said beside the button too.
    showErrors($("submit-error"), error);
  }
  (first || $("person-form-title")).focus();
}

function setPoint(lon, lat, { pan = false } = {}) {
  if (!map) return;
  const at = [lat, lon];
  if (marker) marker.setLatLng(at);
  else marker = L.circleMarker(at, { radius: 9, color: "#000091", weight: 3, fillColor: "#ffffff",
    fillOpacity: 1, interactive: false }).addTo(map);
  if (pan) map.panTo(at, { animate: false });
}

function clearPoint() {
  if (marker) { marker.remove(); marker = null; }
}

function fillForm(p) {
  const el = form.elements;
  el.last_name.value = p.last_name; el.first_name.value = p.first_name;
  el.birth_date.value = p.birth_date || ""; el.category.value = p.category;
  el.commune.value = p.commune; el.address.value = p.address;
  const [lon, lat] = p.location.coordinates;
  el.lon.value = String(lon); el.lat.value = String(lat);
  setPoint(lon, lat, { pan: true });
  [0, 1, 2].forEach((i) => { $(`f-phones-${i}`).value = p.phones[i] || ""; });
  renderContacts(p.contacts);
  for (const box of form.querySelectorAll('input[name="needs"]')) box.checked = p.needs.includes(box.value);
  el.lives_alone.checked = p.lives_alone;
  el.doctor.value = p.doctor || ""; el.notes.value = p.notes || "";
  el.given.checked = true;
  form.querySelector(`input[name="enrolled_by"][value="${p.consent.enrolled_by}"]`).checked = true;
  el.requester.value = p.consent.requester || "";
  el.request_date.value = p.consent.request_date || "";
}

async function startEdit(id) {
  const p = await api(`${base}/persons/${id}`);
  resetForm();
  fillForm(p);
  editing = String(id);
  $("person-form-title").textContent = `Modifier la fiche de ${p.first_name} ${p.last_name}`;
  $("submit").textContent = "Enregistrer les modifications";
  $("cancel-edit").hidden = false;
  $("person-form-title").focus();
}

function resetForm() {
  form.reset();
  clearErrors();
  clearPoint();
  renderContacts([]);
  editing = null;
  $("person-form-title").textContent = "Inscrire une personne";
  $("submit").textContent = "Inscrire";
  $("cancel-edit").hidden = true;
}

async function submit(event) {
  event.preventDefault();
  // One request at a time: a double click on « Inscrire » enrolled the person twice.
  await whileSending($("submit"), async () => {
    clearErrors();
    const { body, phoneSlots, clientErrors } = readForm();
    let saved;
    try {
      saved = editing
        ? await send(`${base}/persons/${editing}`, { method: "PUT", body })
        : await send(`${base}/persons`, { method: "POST", body });
    } catch (error) {
      showFieldErrors(error, phoneSlots, clientErrors);
      return;
    }
    const was = editing;
    resetForm();
    say(was ? `La fiche de ${saved.first_name} ${saved.last_name} est rectifiée.`
      : `${saved.first_name} ${saved.last_name} est inscrit(e) au registre.`);
    await loadPersons().catch((error) => console.error(error));
    document.querySelector(`button[data-edit="${saved.id}"]`)?.focus();
  });
}

function onCoordinatesTyped() {
  const lon = degrees(form.elements.lon.value);
  const lat = degrees(form.elements.lat.value);
  if (!Number.isNaN(lon) && !Number.isNaN(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90) {
    setPoint(lon, lat, { pan: true });
  }
}

async function buildMap() {
  const config = await api("/map/config").catch(() => null);
  map = territoryMap("location-map", config);
  const layers = Object.values(boundaryLayers(communes, { labels: true }));
  const group = L.featureGroup(layers).addTo(map);
  const bounds = group.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8], animate: false });
  else map.setView([46.6, 2.4], 5);
  map.on("click", (e) => {
    const lon = Number(e.latlng.lng.toFixed(6));
    const lat = Number(e.latlng.lat.toFixed(6));
    form.elements.lon.value = String(lon);
    form.elements.lat.value = String(lat);
    setPoint(lon, lat);
    say(`Domicile placé : longitude ${lon}, latitude ${lat}.`);
  });
}

// -- referents (territory administrators) ---------------------------------------------
async function loadReferents() {
  const [members, referents] = await Promise.all([
    api(`/tenants/${tenant.id}/members`), api(`${base}/referents`)]);
  const granted = new Set(referents.map((r) => r.user_id));
  $("members").innerHTML = members.map((m) => `<tr>
    <td>${escapeHtml(m.name)}</td><td>${escapeHtml(m.email)}</td>
    <td><div class="checkbox-field"><input type="checkbox" id="referent-${m.id}" data-user="${m.id}"
      data-name="${escapeHtml(m.name || m.email)}"${granted.has(m.id) ? " checked" : ""}>
      <label for="referent-${m.id}">Référent du registre<span class="visually-hidden"> :
      ${escapeHtml(m.name || m.email)}</span></label></div></td></tr>`).join("");
  document.body.dataset.referents = String(granted.size);
}

async function toggleReferent(event) {
  const box = event.target.closest("input[data-user]");
  if (!box) return;
  const on = box.checked;
  $("referents-error").hidden = true;
  box.disabled = true;  // one request at a time
  try {
    await send(`${base}/referents/${box.dataset.user}`, { method: on ? "PUT" : "DELETE" });
  } catch (error) {
    box.checked = !on;
    box.disabled = false;
    showErrors($("referents-error"), error);
    return;
  }
  $("referents-status").textContent = on
    ? `${box.dataset.name} est désigné(e) référent(e) du registre.`
    : `${box.dataset.name} n'a plus accès au registre.`;
  await loadReferents().catch((error) => console.error(error));
  box.disabled = false;
  $(`referent-${box.dataset.user}`)?.focus();
}

// -- start -----------------------------------------------------------------------------
async function openRegister() {
  try {
    await loadPersons();
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      const message = $("message");
      message.className = "notice info";
      message.textContent = error.message;
      message.hidden = false;
      return false;
    }
    throw error;
  }
  const consent = await api(`${base}/consent`);
  consentVersion = consent.version;
  $("consent-text").textContent = consent.text;
  $("consent-version").textContent = consent.version;
  $("f-commune").insertAdjacentHTML("beforeend", communes.map(
    (c) => `<option value="${escapeHtml(c.insee)}">${escapeHtml(c.name)}</option>`).join(""));
  $("needs").innerHTML = Object.entries(NEEDS).map(([k, v]) => `<div class="checkbox-field">
    <input type="checkbox" id="need-${k}" name="needs" value="${k}"><label for="need-${k}">${v}</label></div>`).join("");
  $("export").href = `/api/v1${base}/export.csv`;
  // Wired before the register is shown: a button seen is a button that works.
  $("persons").addEventListener("click", onListClick);
  $("contacts").addEventListener("click", onContactsClick);
  $("add-contact").addEventListener("click", addContact);
  $("delete-confirm").addEventListener("click", deleteConfirmed);
  $("delete-cancel").addEventListener("click", () => $("delete-dialog").close());
  $("cancel-edit").addEventListener("click", () => { resetForm(); $("person-form-title").focus(); });
  $("new-person").addEventListener("click", () => { if (editing) resetForm(); });
  form.elements.lon.addEventListener("change", onCoordinatesTyped);
  form.elements.lat.addEventListener("change", onCoordinatesTyped);
  form.addEventListener("submit", submit);
  $("register").hidden = false;
  renderContacts([]);
  await buildMap();
  return true;
}

async function main() {
  if (!tenant) {
    showError(new ApiError(0, { detail: "Aucun territoire ne vous est encore ouvert." }));
    return;
  }
  document.title = `Registre des personnes vulnérables — ${tenant.name} — Beffroi`;
  communes = await api(`/tenants/${tenant.id}/communes`);
  const opened = await openRegister();
  if (isAdmin(roleIn(state.me, tenant.id))) {
    await loadReferents();
    $("members").addEventListener("change", toggleReferent);
    $("referents").hidden = false;
  }
  document.body.dataset.ready = opened ? "register" : "refused";
}

main().catch((error) => { console.error(error); showError(error); document.body.dataset.ready = "error"; });
