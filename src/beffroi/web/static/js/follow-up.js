// "Suivi de l'intervention" of an alert whose detector declares follow-up steps (search,
// location, repair…): the steps recorded, in the order they were done, and the form of the
// next one, built from the declaration (GET /alerts/detectors → follow_up). The API checks
// every field (POST …/alerts/{id}/interventions); its messages go next to their fields.
import {
  api, ApiError, clearFieldErrors, errorText, escapeHtml, parseNumber,
} from "/static/js/common.js";
import { formatDate, localDay } from "/static/js/dates.js";

const UNITS = { EUR: "€", m3: "m³", "m3/h": "m³/h", mm: "mm", m: "m", d: "j", km: "km" };
let detectorsPromise = null;

/** The follow-up steps of a detector (cached for the page); [] for none. */
export async function followUpSteps(detector) {
  if (!detector) return [];
  detectorsPromise ||= api("/alerts/detectors").catch(() => []);
  const found = (await detectorsPromise).find((d) => d.key === detector);
  return (found && found.follow_up) || [];
}

function unitText(unit) {
  return unit ? UNITS[unit] ?? unit : "";
}

function recordedItem(step) {
  const who = step.user_email ? ` par ${escapeHtml(step.user_email)}` : "";
  const values = step.display.map((d) => `<dt>${escapeHtml(d.label)}</dt><dd>${escapeHtml(d.text)}</dd>`);
  return `<li data-step="${escapeHtml(step.step)}"><strong>${escapeHtml(step.step_label)}</strong>
    <span class="muted">— ${formatDate(step.at)}${who}</span>
    ${values.length ? `<dl class="step-values">${values.join("")}</dl>` : ""}
    ${step.comment ? `<span class="comment">« ${escapeHtml(step.comment)} »</span>` : ""}</li>`;
}

function fieldLabel(f) {
  const unit = unitText(f.unit);
  return `${escapeHtml(f.label)}${unit ? ` (${escapeHtml(unit)})` : ""}${f.required
    ? ' <span class="muted">(obligatoire)</span>' : ' <span class="muted">(facultatif)</span>'}`;
}

function error(id) {
  return `<span class="field-error" id="${id}-error"></span>`;
}

function control(f, position, since) {
  const id = `fu-${f.key}`;
  const common = `id="${id}" name="${f.key}" data-field="${f.key}" aria-describedby="${id}-error"${f.required ? " required" : ""}`;
  if (f.kind === "position") {
    const [lon, lat] = position || ["", ""];
    return `<fieldset class="position" id="${id}" data-field="${f.key}" aria-describedby="${id}-error">
      <legend>${fieldLabel(f)}</legend>
      <div class="position-inputs">
        <div class="field"><label for="${id}-lon">Longitude (°, WGS84)</label>
          <input id="${id}-lon" data-field="${f.key}.lon" type="text" inputmode="decimal" autocomplete="off"
            value="${lon}" aria-describedby="${id}-lon-error"${f.required ? " required" : ""}>${error(`${id}-lon`)}</div>
        <div class="field"><label for="${id}-lat">Latitude (°, WGS84)</label>
          <input id="${id}-lat" data-field="${f.key}.lat" type="text" inputmode="decimal" autocomplete="off"
            value="${lat}" aria-describedby="${id}-lat-error"${f.required ? " required" : ""}>${error(`${id}-lat`)}</div>
      </div>
      ${"geolocation" in navigator ? '<button type="button" class="button secondary" data-locate>Utiliser ma position</button>' : ""}
      ${error(id)}
    </fieldset>`;
  }
  let input;
  if (f.kind === "choice") {
    const options = Object.entries(f.choices || {}).map(
      ([code, label]) => `<option value="${escapeHtml(code)}">${escapeHtml(label)}</option>`);
    input = `<select ${common}><option value="">— choisir —</option>${options.join("")}</select>`;
  } else if (f.kind === "date") {
    input = `<input ${common} type="date" min="${since}" max="${localDay()}" value="${localDay()}">`;
  } else if (f.kind === "instant") {
    input = `<input ${common} type="datetime-local" min="${since}T00:00">`;
  } else if (f.kind === "text") {
    input = `<input ${common} type="text" maxlength="2000">`;
  } else {
    input = `<input ${common} type="text" inputmode="decimal" autocomplete="off">`;
  }
  return `<div class="field"><label for="${id}">${fieldLabel(f)}</label>${input}${error(id)}</div>`;
}

/** The step to offer first: the one after the latest recorded, in the declared order. */
function nextStep(steps, recorded) {
  const last = recorded.length ? recorded[recorded.length - 1].step : null;
  const index = steps.findIndex((s) => s.key === last);
  return steps[Math.min(index + 1, steps.length - 1)];
}

function value(form, f) {
  if (f.kind === "position") {
    const lon = form.querySelector(`#fu-${f.key}-lon`).value.trim();
    const lat = form.querySelector(`#fu-${f.key}-lat`).value.trim();
    return lon === "" && lat === "" ? undefined : { lon: parseNumber(lon), lat: parseNumber(lat) };
  }
  const raw = form.querySelector(`#fu-${f.key}`).value.trim();
  if (raw === "") return undefined;
  if (f.kind === "number" || f.kind === "percent") return parseNumber(raw);
  if (f.kind === "instant") return new Date(raw).toISOString();
  return raw;
}

/**
 * Draw the follow-up of `alert` in `container`: `steps` its detector's, `writer` whether the
 * user may record one, `position` [lon, lat] of the alert's asset if known (prefills a
 * position), `onRecorded(label)` called once a step is stored.
 */
export function renderFollowUp(container, { base, alert, steps, writer, position, onRecorded }) {
  const recorded = alert.interventions || [];
  // The first day a step may be dated: the alert's start (the API refuses earlier dates).
  const since = escapeHtml(alert.interventions_since || "2000-01-01");
  const allowed = alert.status === "resolved" ? steps.filter((s) => s.final) : steps;
  const list = recorded.length
    ? `<ol class="steps" id="follow-up-steps">${recorded.map(recordedItem).join("")}</ol>`
    : '<p class="muted" id="follow-up-steps">Aucune étape enregistrée.</p>';
  const first = allowed.includes(nextStep(steps, recorded)) ? nextStep(steps, recorded) : allowed[0];
  const form = !writer || !allowed.length ? "" : `
    <form id="follow-up-form" class="follow-up-form" novalidate>
      <h4>Enregistrer une étape</h4>
      ${alert.status === "resolved" ? `<p class="muted">Alerte résolue : seule l'étape finale (${allowed.map((s) => `« ${escapeHtml(s.label)} »`).join(", ")}) peut encore être consignée.</p>` : ""}
      <div class="field"><label for="fu-step">Étape</label>
        <select id="fu-step" name="step" data-field="step" aria-describedby="fu-step-error">${allowed.map((s) =>
          `<option value="${escapeHtml(s.key)}"${s === first ? " selected" : ""}>${escapeHtml(s.label)}</option>`).join("")}</select>
        ${error("fu-step")}</div>
      <div class="field"><label for="fu-at">Date de l'intervention</label>
        <input id="fu-at" name="at" data-field="at" type="date" min="${since}" max="${localDay()}" value="${localDay()}" required
          aria-describedby="fu-at-error">${error("fu-at")}</div>
      <div id="fu-fields"></div>
      <div class="field"><label for="fu-comment">Commentaire de l'étape <span class="muted">(facultatif)</span></label>
        <textarea id="fu-comment" name="comment" data-field="comment" maxlength="2000" aria-describedby="fu-comment-error"></textarea>
        ${error("fu-comment")}</div>
      <div id="fu-error" role="alert" class="notice" hidden></div>
      <div class="buttons"><button type="submit" class="button">Enregistrer l'étape</button></div>
    </form>`;
  container.innerHTML = `
    <h3 id="follow-up-title" tabindex="-1">Suivi de l'intervention</h3>
    ${list}${form}
    <p id="follow-up-done" role="status" class="muted"></p>`;
  const formEl = container.querySelector("#follow-up-form");
  if (!formEl) return;
  const stepSelect = formEl.querySelector("#fu-step");
  const current = () => steps.find((s) => s.key === stepSelect.value);
  const drawFields = () => {
    formEl.querySelector("#fu-fields").innerHTML = current().fields.map((f) => control(f, position, since)).join("");
  };
  drawFields();
  stepSelect.addEventListener("change", () => { clearErrors(formEl); drawFields(); });
  formEl.addEventListener("click", (event) => {
    const button = event.target.closest("[data-locate]");
    if (button) locate(button, formEl);
  });
  formEl.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(formEl);
    const step = current();
    const body = { step: step.key, at: formEl.querySelector("#fu-at").value || undefined };
    const comment = formEl.querySelector("#fu-comment").value.trim();
    if (comment) body.comment = comment;
    for (const f of step.fields) {
      const v = value(formEl, f);
      if (v !== undefined) body[f.key] = v;
    }
    const button = formEl.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await api(`${base}/alerts/${alert.id}/interventions`, { method: "POST", body });
    } catch (e) {
      button.disabled = false;
      showErrors(formEl, e);
      return;
    }
    await onRecorded(`Étape « ${step.label} » enregistrée.`);
  });
}

function clearErrors(form) {
  clearFieldErrors(form, form.querySelector("#fu-error"));
}

/** The API's problem in the alert region, each field's message beside it; focus the first. */
function showErrors(form, e) {
  const box = form.querySelector("#fu-error");
  box.textContent = errorText(e, "L'étape n'a pas été enregistrée : réessayez.");
  box.hidden = false;
  let first = null;
  for (const { field, message } of (e instanceof ApiError && e.problem.errors) || []) {
    // An input, or the fieldset of a position (its inputs are then marked).
    const where = form.querySelector(`[data-field="${CSS.escape(field)}"]`);
    if (!where) continue;
    const slot = form.querySelector(`#${where.id}-error`);
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent} ; ${message}` : message;
    const inputs = where.tagName === "FIELDSET" ? [...where.querySelectorAll("input")] : [where];
    for (const input of inputs) input.setAttribute("aria-invalid", "true");
    first ||= inputs[0];
  }
  (first || box).focus?.();
}

function locate(button, form) {
  const fieldset = button.closest("fieldset");
  const [lon, lat] = fieldset.querySelectorAll("input");
  button.disabled = true;
  navigator.geolocation.getCurrentPosition((where) => {
    lon.value = where.coords.longitude.toFixed(6);
    lat.value = where.coords.latitude.toFixed(6);
    button.disabled = false;
  }, () => {
    button.disabled = false;
    const box = form.querySelector("#fu-error");
    box.textContent = "Position indisponible : saisissez la longitude et la latitude.";
    box.hidden = false;
  }, { enableHighAccuracy: true, timeout: 15000 });
}
