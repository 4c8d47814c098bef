// The programme editor of the cabinet panel: a preset, or steps (moment, offset, level) and
// optional seasonal variants; "Aperçu" previews without saving, "Enregistrer" stores (and
// pushes to a remote controller). Errors come from the API, in French, next to each field.
import { escapeHtml } from "/static/js/common.js";
import { clearErrors, showErrors, SUN_EVENTS } from "/static/domains/lighting/lighting.js";

const CUSTOM = "custom";
const FIXED = "fixed";

function stepModel(step) {
  const sun = step.at in SUN_EVENTS;
  return { kind: sun ? step.at : FIXED, time: sun ? "" : step.at,
    offset: String(step.offset_min || 0), level: String(step.level) };
}

function modelOf(programme, presets) {
  const preset = presets.find((p) => p.key === programme.key);
  return {
    preset: preset ? preset.key : CUSTOM, label: programme.label,
    steps: programme.steps.map(stepModel),
    variants: programme.variants.map((v) => ({ label: v.label, start: v.start, end: v.end,
      weekdays: v.weekdays || [], steps: v.steps.map(stepModel) })),
  };
}

const number = (text) => (String(text).trim() === "" ? null : Number(text));

function stepDoc(s) {
  const fixed = s.kind === FIXED;
  return { at: fixed ? s.time : s.kind, level: number(s.level),
    offset_min: fixed ? 0 : number(s.offset) ?? 0 };
}

/** `path` like "steps" or "variants[0].steps": its rows, ids and API field names. */
function stepsTable(path, steps) {
  const slug = path.replace(/\W+/g, "-");
  const variant = path.match(/^variants\[(\d+)\]/);
  const of = variant ? ` de la variante ${Number(variant[1]) + 1}` : "";
  const options = (kind) => [...Object.entries(SUN_EVENTS), [FIXED, "à heure fixe"]].map(([k, label]) =>
    `<option value="${k}"${k === kind ? " selected" : ""}>${escapeHtml(label)}</option>`).join("");
  const rows = steps.map((s, i) => {
    const id = `lp-${slug}-${i}`;
    const field = `${path}[${i}]`;
    const fixed = s.kind === FIXED;
    const cell = (name, label, input) => `<td><label class="cell-label" for="${id}-${name}">${label}</label>
      ${input}<span class="field-error" id="${id}-${name}-err"></span></td>`;
    return `<tr data-index="${i}">
      ${cell("at", `Moment de l'étape ${i + 1}${of}`, `<select id="${id}-at" data-role="kind"
        ${fixed ? "" : `data-field="${field}.at"`} aria-describedby="${id}-at-err">${options(s.kind)}</select>`)}
      ${cell("time", `Heure de l'étape ${i + 1}${of}`, `<input id="${id}-time" type="time" data-role="time"
        value="${escapeHtml(s.time)}" ${fixed ? `data-field="${field}.at"` : "disabled"}
        aria-describedby="${id}-time-err">`)}
      ${cell("offset", `Décalage de l'étape ${i + 1}${of} (minutes)`, `<input id="${id}-offset" type="number"
        step="1" inputmode="numeric" data-role="offset" value="${escapeHtml(s.offset)}"
        data-field="${field}.offset_min" ${fixed ? "disabled" : ""} aria-describedby="${id}-offset-err">`)}
      ${cell("level", `Niveau de l'étape ${i + 1}${of} (%)`, `<input id="${id}-level" type="number" step="1"
        inputmode="numeric" data-role="level" value="${escapeHtml(s.level)}" data-field="${field}.level"
        aria-describedby="${id}-level-err">`)}
      <td><button type="button" class="button secondary" data-remove-step="${i}"
        aria-label="Supprimer l'étape ${i + 1}${of}">Supprimer</button></td></tr>`;
  }).join("");
  return `<div id="lp-${slug}" data-field="${path}" data-steps="${path}" tabindex="-1">
    <div class="table-wrap"><table class="steps-table"><thead><tr><th scope="col">Moment</th>
      <th scope="col">Heure fixe</th><th scope="col">Décalage (min)</th><th scope="col">Niveau (%)</th>
      <th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
      <tbody>${rows}</tbody></table></div>
    <span class="field-error" id="lp-${slug}-err"></span>
    <button type="button" class="button secondary" data-add-step="${path}">Ajouter une étape</button></div>`;
}

export function programmeEditor(box, { presets, current, preview, save }) {
  let model = modelOf(current, presets);

  function readRows(path) {
    const holder = box.querySelector(`[data-steps="${path}"]`);
    return [...holder.querySelectorAll("tbody tr")].map((tr) => ({
      kind: tr.querySelector('[data-role="kind"]').value,
      time: tr.querySelector('[data-role="time"]').value,
      offset: tr.querySelector('[data-role="offset"]').value,
      level: tr.querySelector('[data-role="level"]').value,
    }));
  }

  /** The form's values into the model (before a re-render or a request). */
  function read() {
    model.preset = box.querySelector("#lp-preset").value;
    model.label = box.querySelector("#lp-label").value;
    model.steps = readRows("steps");
    model.variants = model.variants.map((v, i) => ({ ...v,
      label: box.querySelector(`#lp-v${i}-label`).value,
      start: box.querySelector(`#lp-v${i}-start`).value.trim(),
      end: box.querySelector(`#lp-v${i}-end`).value.trim(),
      weekdays: [...box.querySelectorAll(`[name="lp-v${i}-day"]:checked`)].map((c) => Number(c.value)),
      steps: readRows(`variants[${i}].steps`) }));
  }

  function doc() {
    read();
    if (model.preset !== CUSTOM) return { preset: model.preset };
    return { label: model.label.trim() || undefined, steps: model.steps.map(stepDoc),
      variants: model.variants.map((v) => ({ label: v.label, start: v.start, end: v.end,
        weekdays: v.weekdays, steps: v.steps.map(stepDoc) })) };
  }

  const WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];

  function variantBlock(v, i) {
    const field = (name, label, value, hint = "") => `<div class="field">
      <label for="lp-v${i}-${name}">${label}</label>
      <input id="lp-v${i}-${name}" type="text" value="${escapeHtml(value)}" data-field="variants[${i}].${name}"
        aria-describedby="lp-v${i}-${name}-err${hint ? ` lp-v${i}-${name}-hint` : ""}">
      ${hint ? `<span class="muted" id="lp-v${i}-${name}-hint">${hint}</span>` : ""}
      <span class="field-error" id="lp-v${i}-${name}-err"></span></div>`;
    const days = WEEKDAYS.map((name, d) => `<label class="weekday"><input type="checkbox"
      name="lp-v${i}-day" value="${d + 1}"${v.weekdays.includes(d + 1) ? " checked" : ""}>
      ${name}</label>`).join("");
    return `<fieldset class="variant card"><legend>Variante ${i + 1}</legend>
      ${field("label", "Nom de la variante", v.label)}
      <div class="variant-dates">
        ${field("start", "Du (MM-JJ)", v.start, "Chaque année, ex. 06-01")}
        ${field("end", "Au (MM-JJ, inclus)", v.end, "Ex. 08-31")}
      </div>
      <fieldset class="weekdays" id="lp-v${i}-weekdays" data-field="variants[${i}].weekdays"
        tabindex="-1" aria-describedby="lp-v${i}-weekdays-hint lp-v${i}-weekdays-err">
        <legend>Soirs concernés</legend>
        <span class="muted" id="lp-v${i}-weekdays-hint">Aucun coché : tous les soirs.</span>
        ${days}
        <span class="field-error" id="lp-v${i}-weekdays-err"></span>
      </fieldset>
      ${stepsTable(`variants[${i}].steps`, v.steps)}
      <button type="button" class="button secondary" data-remove-variant="${i}">Supprimer la variante ${i + 1}</button>
    </fieldset>`;
  }

  function draw(focus) {
    box.innerHTML = `<section class="card editor" aria-labelledby="lp-editor-title">
      <h3 id="lp-editor-title">Modifier le programme</h3>
      <form id="lp-form" novalidate>
        <div class="field"><label for="lp-preset">Choisir un programme</label>
          <select id="lp-preset" data-field="preset" aria-describedby="lp-preset-err">
            ${presets.map((p) => `<option value="${escapeHtml(p.key)}"${p.key === model.preset ? " selected" : ""}>${
              escapeHtml(p.label)}</option>`).join("")}
            <option value="${CUSTOM}"${model.preset === CUSTOM ? " selected" : ""}>Programme personnalisé</option>
          </select><span class="field-error" id="lp-preset-err"></span></div>
        <div class="field"><label for="lp-label">Nom du programme</label>
          <input id="lp-label" type="text" maxlength="200" value="${escapeHtml(model.label)}" data-field="label"
            aria-describedby="lp-label-err"><span class="field-error" id="lp-label-err"></span></div>
        <fieldset class="steps"><legend>Étapes de la nuit</legend>
          <p class="muted">Le coucher et le lever du soleil bornent la période allumée ; une heure fixe
            change le niveau entre les deux. Niveau 0 : éteint, 100 : pleine puissance. Modifier
            une étape fait du programme type un programme personnalisé.</p>
          ${stepsTable("steps", model.steps)}
        </fieldset>
        <div id="lp-variants">${model.variants.map(variantBlock).join("")}</div>
        <button type="button" class="button secondary" id="lp-add-variant">Ajouter une variante saisonnière</button>
        <div role="alert" class="field-error" id="lp-form-error"></div>
        <p role="status" id="lp-form-status" class="status-line"></p>
        <div class="form-buttons">
          <button type="button" class="button secondary" id="lp-preview">Aperçu</button>
          <button type="submit" class="button" id="lp-save">Enregistrer</button>
        </div>
      </form></section>`;
    if (focus) box.querySelector(focus)?.focus();
  }

  function toCustom() {
    const select = box.querySelector("#lp-preset");
    if (select.value === CUSTOM) return;
    const preset = presets.find((p) => p.key === select.value);
    select.value = CUSTOM;
    const label = box.querySelector("#lp-label");
    if (preset && label.value === preset.label) label.value = `${preset.label} (modifié)`;
    box.querySelector("#lp-form-status").textContent = "Programme personnalisé : enregistrez pour l'appliquer.";
  }

  box.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "lp-preset") {
      const preset = presets.find((p) => p.key === target.value);
      read();
      if (preset) model = modelOf(preset, presets);
      else if (presets.some((p) => p.label === model.label)) model.label = `${model.label} (modifié)`;
      draw("#lp-preset");
      return;
    }
    if (target.dataset.role === "kind") {  // fixed time or sun event: which inputs apply
      const tr = target.closest("tr");
      const fixed = target.value === FIXED;
      const time = tr.querySelector('[data-role="time"]');
      const offset = tr.querySelector('[data-role="offset"]');
      const field = offset.dataset.field.replace(/\.offset_min$/, ".at");
      time.disabled = !fixed;
      offset.disabled = fixed;
      if (fixed) { offset.value = "0"; time.dataset.field = field; delete target.dataset.field; }
      else { target.dataset.field = field; delete time.dataset.field; }
    }
    if (target.closest("[data-steps], #lp-variants") || target.id === "lp-label") toCustom();
  });
  box.addEventListener("input", (event) => {
    if (event.target.closest("[data-steps], #lp-variants") || event.target.id === "lp-label") toCustom();
  });

  box.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const stepsOf = (path) => (path === "steps" ? model.steps
      : model.variants[Number(path.match(/\d+/)[0])].steps);
    if (button.dataset.addStep) {
      toCustom();
      read();
      const path = button.dataset.addStep;
      const steps = stepsOf(path);
      steps.push({ kind: FIXED, time: "00:00", offset: "0", level: "0" });
      draw(`#lp-${path.replace(/\W+/g, "-")}-${steps.length - 1}-at`);
    } else if (button.dataset.removeStep !== undefined) {
      toCustom();
      read();
      const path = button.closest("[data-steps]").dataset.steps;
      stepsOf(path).splice(Number(button.dataset.removeStep), 1);
      draw(`[data-add-step="${path}"]`);
    } else if (button.id === "lp-add-variant") {
      toCustom();
      read();
      model.variants.push({ label: `Variante ${model.variants.length + 1}`, start: "06-01",
        end: "08-31", weekdays: [], steps: model.steps.map((s) => ({ ...s })) });
      draw(`#lp-v${model.variants.length - 1}-label`);
    } else if (button.dataset.removeVariant !== undefined) {
      toCustom();
      read();
      model.variants.splice(Number(button.dataset.removeVariant), 1);
      draw("#lp-add-variant");
    } else if (button.id === "lp-preview") {
      run(preview, "Aperçu affiché ci-dessus (non enregistré).");
    }
  });
  box.addEventListener("submit", (event) => {
    event.preventDefault();
    run(save);
  });

  async function run(action, done) {
    const form = box.querySelector("#lp-form");
    const status = box.querySelector("#lp-form-status");
    const general = box.querySelector("#lp-form-error");
    clearErrors(form);
    general.textContent = "";
    status.textContent = "";
    const buttons = form.querySelectorAll(".form-buttons button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      // An action may answer a sentence to show; anything else (an API answer) is not one.
      const message = await action(doc());
      status.textContent = (typeof message === "string" && message) || done || "";
    } catch (error) {
      showErrors(form, error, general, (field) => field.replace(/^programme\./, ""));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  draw();
}
