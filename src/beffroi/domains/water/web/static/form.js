// The form of a water service's yearly figures (RPQS volumes entered by hand from billing,
// meter rounds, the abstraction declaration), shared by the service panel and the page
// /eau/volumes. Fields, French labels and units come from GET …/water/services/{id}/years;
// PUT …/years/{year} checks each field on its own: valid ones are stored, rejected ones
// keep their previous value; the answer says which, and each message goes next to its field.
import {
  api, ApiError, errorText, escapeHtml, formatNumber, whileSending,
} from "/static/js/common.js";
import { ensureStyles, parseFrench, typed } from "/static/domains/water/water.js";

const UNITS = { m3: "m³", km: "km" };
const YEARS_BACK = 10;

function unitText(unit) {
  return unit ? (UNITS[unit] ?? unit) : "";
}

function valueText(value, unit) {
  if (value === null || value === undefined || value === "") return "vide";
  return typeof value === "number" ? `${formatNumber(value, 3)}${unit ? ` ${unitText(unit)}` : ""}`
    : `« ${value} »`;
}

/** Draw the form in `container` for service `serviceId`; `year` is the year first shown. */
export async function yearForm(container, { tenant, serviceId, canWrite, year, prefix = "wf" }) {
  ensureStyles();
  const base = `/tenants/${tenant.id}/water/services/${serviceId}/years`;
  const data = await api(base);
  const fields = data.fields;
  const now = new Date().getFullYear();
  const years = [...Array(YEARS_BACK).keys()].map((k) => now - k);
  const first = years.includes(Number(year)) ? Number(year) : now - 1;
  const id = (name) => `${prefix}-${name}`;
  container.innerHTML = `
    <form class="year-form" novalidate>
      <div class="inline-field"><label for="${id("year")}">Année des volumes</label>
        <select id="${id("year")}">${years.map((y) => `<option value="${y}"${y === first ? " selected" : ""}>${y}</option>`).join("")}</select></div>
      <p id="${id("state")}" class="muted"></p>
      ${canWrite ? "" : '<p class="notice info">Lecture seule : votre rôle ne permet pas de modifier les volumes.</p>'}
      <div class="fields">${fields.map((f) => {
        const unit = unitText(f.unit);
        const label = `${escapeHtml(f.label)}${unit ? ` (${unit})` : ""}`;
        const described = `${id(f.name)}-err ${id(f.name)}-kept`;
        const control = f.type === "string"
          ? `<textarea id="${id(f.name)}" name="${f.name}" data-field="${f.name}" aria-describedby="${described}"
              ${canWrite ? "" : "readonly"}></textarea>`
          : `<input id="${id(f.name)}" name="${f.name}" data-field="${f.name}" type="text" inputmode="decimal"
              autocomplete="off" aria-describedby="${described}" ${canWrite ? "" : "readonly"}>`;
        return `<div class="field${f.type === "string" ? " wide" : ""}"><label for="${id(f.name)}">${label}</label>
          ${control}<span class="field-error" id="${id(f.name)}-err"></span>
          <span class="field-kept" id="${id(f.name)}-kept"></span></div>`;
      }).join("")}</div>
      ${canWrite ? `<div class="form-buttons"><button type="submit" class="button" id="${id("save")}">Enregistrer</button></div>` : ""}
      <p id="${id("error")}" class="notice" role="alert" hidden></p>
      <div id="${id("report")}" role="status"></div>
    </form>`;
  const form = container.querySelector("form");
  const $ = (name) => container.querySelector(`#${id(name)}`);
  const yearSelect = $("year");
  const stored = data.years;  // {"2025": {field: value}}

  function clear() {
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    for (const el of form.querySelectorAll(".field-error, .field-kept")) el.textContent = "";
    $("error").hidden = true;
    $("error").textContent = "";
  }

  function fill() {
    const figures = stored[yearSelect.value] || {};
    for (const f of fields) $(f.name).value = typed(figures[f.name]);
    const n = Object.keys(figures).length;
    $("state").textContent = n
      ? `Volumes saisis pour ${yearSelect.value} : ${n} champ${n > 1 ? "s" : ""} sur ${fields.length}.`
      : `Aucun volume saisi pour ${yearSelect.value}.`;
    const save = $("save");
    if (save) save.textContent = `Enregistrer les volumes ${yearSelect.value}`;
    form.dataset.year = yearSelect.value;
  }

  function showFieldErrors(errors) {
    const rest = [];
    let firstInput = null;
    for (const e of errors) {
      const input = form.querySelector(`[data-field="${CSS.escape(e.field)}"]`);
      if (!input) { rest.push(`${e.field} : ${e.message}`); continue; }
      const slot = $(`${e.field}-err`);
      slot.textContent = slot.textContent ? `${slot.textContent} ; ${e.message}` : e.message;
      input.setAttribute("aria-invalid", "true");
      firstInput ||= input;
    }
    return { rest, firstInput };
  }

  yearSelect.addEventListener("change", () => {
    clear();
    $("report").innerHTML = "";
    fill();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!canWrite) return;
    clear();
    $("report").innerHTML = "";
    const year = yearSelect.value;
    const body = {};
    const sent = {};
    for (const f of fields) {
      const raw = $(f.name).value;
      sent[f.name] = raw;
      body[f.name] = f.type === "string" ? (raw.trim() || null) : parseFrench(raw);
    }
    await whileSending($("save"), async () => {
      try {
        const answer = await api(`${base}/${year}`, { method: "PUT", body });
        stored[year] = answer.figures;
        fill();
        const rejected = new Set(answer.rejected.map((e) => e.field));
        for (const name of rejected) {  // the typed value stays, for correction
          if ($(name)) $(name).value = sent[name];
        }
        const { rest, firstInput } = showFieldErrors(answer.rejected);
        for (const name of answer.kept) {
          const f = fields.find((x) => x.name === name);
          $(`${name}-kept`).textContent = `Valeur précédente conservée : ${valueText(answer.figures[name], f && f.unit)}.`;
        }
        const storedItems = fields.filter((f) => !rejected.has(f.name) && answer.figures[f.name] !== undefined);
        $("report").innerHTML = `<div class="save-report${answer.rejected.length ? " partial" : ""}">
          <p><strong>${escapeHtml(answer.message)}</strong></p>
          ${storedItems.length ? `<p>Enregistré :</p><ul>${storedItems.map((f) =>
            `<li>${escapeHtml(f.label)} : ${escapeHtml(valueText(answer.figures[f.name], f.unit))}</li>`).join("")}</ul>` : ""}
          ${answer.rejected.length ? `<p>Refusé :</p><ul>${answer.rejected.map((e) =>
            `<li>${escapeHtml(e.message)}</li>`).join("")}</ul>` : ""}
          ${rest.length ? `<p>${escapeHtml(rest.join(" ; "))}</p>` : ""}</div>`;
        form.dataset.saved = String(Date.now());
        if (firstInput) firstInput.focus();
      } catch (error) {
        const problems = error instanceof ApiError && error.problem.errors ? error.problem.errors : [];
        const { rest, firstInput } = showFieldErrors(problems);
        $("error").textContent = `${errorText(error, "Les volumes n'ont pas été enregistrés : réessayez.")}${
          rest.length ? ` ${rest.join(" ; ")}.` : ""}${
          problems.length > rest.length ? " Voir les champs signalés ; rien n'a été enregistré." : ""}`;
        $("error").hidden = false;
        form.dataset.saved = "error";
        if (firstInput) firstInput.focus();
      }
    });
  });

  fill();
  return { form, data };
}
