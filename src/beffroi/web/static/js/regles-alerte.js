// « Règles d'alerte »: the tenant's alert rules written in French (what each watches, its
// condition as a sentence, severity, active or not, alerts in progress), and for agents and
// administrators one form to create or edit a rule (its fields follow the kind of
// condition), enable/disable and delete. The API checks every field
// (POST/PATCH …/alert-rules); its messages go beside their fields. A rule on one equipment
// finds it by a search as the person types (a territory may have 10 000 luminaires: none is
// read up front), among those that have the chosen metric.
import {
  api, ApiError, canWrite, clearFieldErrors, errorText, escapeHtml, formatNumber, parseNumber,
  renderHeader, roleIn, session, SEVERITY_LABELS, showError, unitSymbol, whileSending,
} from "/static/js/common.js";
import { searchCombobox } from "/static/js/combobox.js";

const state = await session();
renderHeader("regles", state);
const tenant = state.tenant;
const writer = tenant ? canWrite(roleIn(state.me, tenant.id)) : false;
const base = tenant ? `/tenants/${tenant.id}` : "";
const form = document.getElementById("rule-form");
const $ = (id) => document.getElementById(id);

const metrics = new Map();     // key -> {label, unit, kind, states}
const kindsOf = new Map();     // metric key -> [{key, label}] of the asset kinds declaring it
const assetKinds = new Map();  // asset kind key -> label
const communes = new Map();    // insee -> name
const streamsSeen = new Map(); // stream id -> {id, asset_id, metric, unit, asset_name, asset_ref}
const FOUND_AT_MOST = 20;      // equipment listed by a search (the count says how many more)
let rules = [];
let editing = null;            // the rule being edited, or null for a new one

// ---- French writing -------------------------------------------------------------------

/** 3600 → "1 h", 5400 → "1 h 30 min", 600 → "10 min", 172800 → "2 j". */
function durationText(seconds) {
  const s = Number(seconds);
  if (s >= 86400 && s % 86400 === 0) return `${formatNumber(s / 86400, 0)}\u00a0j`;
  const parts = [];
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) parts.push(`${formatNumber(h, 0)}\u00a0h`);
  if (m) parts.push(`${m}\u00a0min`);
  if (rest || !parts.length) parts.push(`${rest}\u00a0s`);
  return parts.join(" ");
}

function quantity(value, unit) {
  const symbol = unitSymbol(unit);
  return `${formatNumber(value, 6)}${symbol ? `\u00a0${symbol}` : ""}`;
}

/** The metric (its label, unit and states) a rule watches: its own, or its stream's. */
function ruleMetric(rule) {
  const stream = rule.stream_id !== null ? streamsSeen.get(rule.stream_id) : null;
  const key = stream ? stream.metric : rule.metric;
  const metric = metrics.get(key) || { label: key || "mesure inconnue", unit: "", states: null };
  return stream ? { ...metric, unit: stream.unit ?? metric.unit } : metric;
}

/** The condition as a sentence: « au-dessus de 3,2 m pendant 10 min (hystérésis 0,1 m) ». */
function conditionText(rule, metric) {
  const p = rule.params || {};
  const unit = metric.unit;
  if (rule.kind === "threshold") {
    let text = `${p.operator === "below" ? "en dessous de" : "au-dessus de"} ${quantity(p.value, unit)}`;
    if (p.min_duration_s) text += ` pendant ${durationText(p.min_duration_s)}`;
    if (p.hysteresis) text += ` (hystérésis ${quantity(p.hysteresis, unit)})`;
    return text;
  }
  if (rule.kind === "rate_of_change") {
    return `${p.direction === "fall" ? "baisse" : "hausse"} de plus de ${quantity(p.amount, unit)}`
      + ` en ${durationText(p.window_s)}`;
  }
  if (rule.kind === "no_data") {
    return p.after_s ? `aucune donnée depuis ${durationText(p.after_s)}`
      : "aucune donnée depuis 3 intervalles d'émission du capteur";
  }
  const labels = (p.states || []).map((s) => (metric.states && metric.states[s]) || String(s));
  return `état : ${labels.join(", ")}`;
}

function watchedHtml(rule, metric) {
  const what = escapeHtml(metric.label);
  if (rule.stream_id !== null) {
    const stream = streamsSeen.get(rule.stream_id);
    return stream
      ? `${what} — <a href="/equipements/${stream.asset_id}">${escapeHtml(stream.asset_name)}</a>`
      : `${what} — flux n° ${rule.stream_id}`;
  }
  const where = [rule.asset_kind ? assetKinds.get(rule.asset_kind) || rule.asset_kind
    : "tous les équipements",
  rule.commune ? communes.get(rule.commune) || rule.commune : "toutes les communes"];
  return `${what} — ${escapeHtml(where.join(", "))}`;
}

// ---- the list -------------------------------------------------------------------------

/** The stream (and its asset's name) of each rule that watches one, read once. */
async function loadStreams(list) {
  const wanted = [...new Set(list.filter((r) => r.stream_id !== null).map((r) => r.stream_id))]
    .filter((id) => !streamsSeen.has(id));
  await Promise.all(wanted.map(async (id) => {
    const stream = await api(`${base}/streams/${id}`).catch(() => null);
    if (!stream) return;
    const asset = await api(`${base}/assets/${stream.asset_id}`).catch(() => null);
    streamsSeen.set(id, { ...stream, asset_name: asset ? asset.name : `Équipement n° ${stream.asset_id}`,
      asset_ref: asset ? asset.ref : "" });
  }));
}

async function loadRules() {
  const [list, active] = await Promise.all([
    api(`${base}/alert-rules`),
    api(`${base}/alerts`, { params: { status: "active", limit: 1000 } }).catch(() => null),
  ]);
  await loadStreams(list);
  const open = new Map();
  for (const a of active || []) {
    if (a.rule_id !== null && a.rule_id !== undefined) open.set(a.rule_id, (open.get(a.rule_id) || 0) + 1);
  }
  rules = list.map((r) => ({ ...r, open: active ? open.get(r.id) || 0 : null }));
  renderRules();
}

function actionsHtml(rule) {
  if (!writer) return "";
  const name = escapeHtml(rule.name);
  const of = `<span class="visually-hidden"> la règle « ${name} »</span>`;
  return `<div class="rule-actions">
    <button type="button" class="button secondary" data-edit="${rule.id}">Modifier${of}</button>
    <button type="button" class="button secondary" data-toggle="${rule.id}">${rule.enabled ? "Désactiver" : "Activer"}${of}</button>
    <button type="button" class="button danger" data-delete="${rule.id}">Supprimer${of}</button>
  </div>`;
}

function renderRules() {
  const box = $("rules");
  $("count").textContent = `(${formatNumber(rules.length, 0)})`;
  if (!rules.length) {
    box.innerHTML = `<p class="muted">Aucune règle d'alerte dans ce territoire${writer
      ? " : créez la première avec le formulaire ci-dessous" : ""}.</p>`;
    return;
  }
  box.innerHTML = `<ul class="rule-items">${rules.map((r) => {
    const metric = ruleMetric(r);
    const facts = [
      ["Surveille", watchedHtml(r, metric)],
      ["Condition", `<span data-condition>${escapeHtml(conditionText(r, metric))}</span>`],
      ["Gravité", `<span class="badge ${r.severity}">${SEVERITY_LABELS[r.severity]}</span>`],
      ["État", r.enabled ? '<span class="badge ok">Active</span>'
        : '<span class="badge silent">Désactivée</span>'],
      ["Nouvelle notification", `après ${escapeHtml(durationText(r.renotify_after_s))}`],
    ];
    if (r.open !== null) {
      facts.push(["Alertes en cours", r.open ? `<a href="/alertes">${formatNumber(r.open, 0)} alerte${
        r.open > 1 ? "s" : ""}</a>` : "aucune"]);
    }
    return `<li data-rule-id="${r.id}"${editing && editing.id === r.id ? ' class="editing"' : ""}>
      <h3>${escapeHtml(r.name)}</h3>
      <dl class="props">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>
      ${actionsHtml(r)}
    </li>`;
  }).join("")}</ul>`;
}

function said(text) {
  $("message").hidden = true;
  $("done").textContent = text;
}

async function toggle(rule, button) {
  await whileSending(button, async () => {
    try {
      await api(`${base}/alert-rules/${rule.id}`, { method: "PATCH", body: { enabled: !rule.enabled } });
    } catch (e) {
      showError(e);
      return;
    }
    await loadRules();
    said(`Règle « ${rule.name} » ${rule.enabled ? "désactivée" : "activée"}.`);
    document.querySelector(`[data-toggle="${rule.id}"]`)?.focus();
  });
}

async function remove(rule, button) {
  if (!window.confirm(`Supprimer la règle « ${rule.name} » ? Elle ne lèvera plus d'alerte ; `
    + "ses alertes déjà levées restent dans la boîte des alertes.")) return;
  await whileSending(button, async () => {
    try {
      await api(`${base}/alert-rules/${rule.id}`, { method: "DELETE" });
    } catch (e) {
      showError(e);
      return;
    }
    if (editing && editing.id === rule.id) resetForm();
    await loadRules();
    said(`Règle « ${rule.name} » supprimée.`);
    $("rules-title").focus();
  });
}

// ---- the form -------------------------------------------------------------------------

function currentMetric() {
  return metrics.get($("r-metric").value) || null;
}

function scope() {
  return form.elements.scope.value;
}

/** Show the fields of the chosen kind and scope only (hidden ones are not sent). */
function showGroups() {
  const kind = $("r-kind").value;
  for (const group of form.querySelectorAll("[data-kind]")) group.hidden = group.dataset.kind !== kind;
  for (const group of form.querySelectorAll("[data-scope]")) group.hidden = group.dataset.scope !== scope();
}

/** Units, asset kinds and states follow the chosen metric. */
function metricChanged({ keep = {} } = {}) {
  const metric = currentMetric();
  const symbol = metric ? unitSymbol(metric.unit) : "";
  for (const span of form.querySelectorAll("[data-unit]")) span.textContent = symbol ? ` (${symbol})` : "";
  const kinds = metric ? kindsOf.get($("r-metric").value) || [] : [];
  $("r-asset-kind").innerHTML = '<option value="">Tous les types</option>' + kinds.map((k) =>
    `<option value="${escapeHtml(k.key)}">${escapeHtml(k.label)}</option>`).join("");
  if (keep.asset_kind) $("r-asset-kind").value = keep.asset_kind;
  const states = metric && metric.states ? Object.entries(metric.states) : [];
  $("r-states-options").innerHTML = states.length ? states.map(([code, label]) =>
    `<label class="choice"><input type="checkbox" name="states" value="${escapeHtml(code)}"${
      (keep.states || []).includes(Number(code)) ? " checked" : ""}> ${escapeHtml(label)}</label>`).join("")
    : '<p class="muted">Cette mesure n\'a pas d\'états : choisissez une mesure d\'état (marche/arrêt, alarme…).</p>';
  equipment.forget();  // (found for another metric)
  return keepEquipment();
}

// ---- one equipment: searched as typed, its stream of the metric read when picked ----------

let picked = null;  // {id, label, detail, stream: Promise of its stream id of the metric, or null}

/** The equipment matching `text` that have the chosen metric (FOUND_AT_MOST of them). */
async function findEquipment(text) {
  const metric = $("r-metric").value;
  if (!metric) return { items: [], message: "Choisissez d'abord la mesure : seuls les équipements qui l'ont sont proposés." };
  const fc = await api(`${base}/assets`, { params: { q: text, metric, limit: FOUND_AT_MOST } });
  const items = fc.features.map((f) => ({ id: f.id, label: f.properties.name, detail: f.properties.ref }))
    .sort((a, b) => a.label.localeCompare(b.label, "fr"));
  return { items, matched: fc.numberMatched ?? items.length };
}

/** The stream of the chosen metric of the equipment `item` (its id, or null if it has none). */
function streamOf(item) {
  const metric = $("r-metric").value;
  const reading = metric
    ? api(`${base}/streams`, { params: { asset_id: item.id, metric } }).then((list) => (list[0] ? list[0].id : null))
    : Promise.resolve(null);
  reading.catch(() => {});  // (the error is shown when the form is sent)
  return reading;
}

function equipmentPicked(item) {
  picked = item ? { ...item, stream: streamOf(item) } : null;
}

const equipment = searchCombobox({
  input: $("r-asset"), listbox: $("r-asset-options"), status: $("r-asset-status"),
  search: findEquipment, onChange: equipmentPicked,
});

/** The metric changed: the equipment picked stays if it has that metric too. */
async function keepEquipment() {
  if (!picked) return;
  const was = picked;
  const stream = await (picked.stream = streamOf(picked));
  if (stream === null && picked === was) {
    picked = null;
    equipment.set(null);
    equipment.say($("r-metric").value ? `« ${was.label} » n'a pas la mesure choisie : cherchez un autre équipement.`
      : "Choisissez d'abord la mesure, puis l'équipement.");
  }
}

function durationValue(input) {
  const raw = input.value.trim();
  if (raw === "") return undefined;
  const n = parseNumber(raw);
  return typeof n === "number" ? Math.round(n * Number($(input.dataset.duration).value)) : raw;
}

/** Fill a duration field with `seconds`, in hours when whole hours, else in minutes. */
function setDuration(input, seconds) {
  const unit = $(input.dataset.duration);
  if (seconds === undefined || seconds === null) {
    input.value = "";
    return;
  }
  const inHours = seconds >= 3600 && seconds % 3600 === 0;
  unit.value = inHours ? "3600" : "60";
  input.value = formatNumber(seconds / (inHours ? 3600 : 60), 4).replace(/\s/g, "");
}

function numberValue(input) {
  const raw = input.value.trim();
  return raw === "" ? undefined : parseNumber(raw);
}

/** What the form says, as the API's body: every field (the other scope's as null, so that
 * an edit may move a rule from one equipment to a whole metric), the kind's params only. */
function body(streamId) {
  const kind = $("r-kind").value;
  const params = {};
  const put = (key, value) => { if (value !== undefined) params[key] = value; };
  if (kind === "threshold") {
    put("operator", $("r-operator").value);
    put("value", numberValue($("r-value")));
    put("hysteresis", numberValue($("r-hysteresis")));
    put("min_duration_s", durationValue($("r-min-duration")));
  } else if (kind === "rate_of_change") {
    put("direction", $("r-direction").value);
    put("amount", numberValue($("r-amount")));
    put("window_s", durationValue($("r-window")));
  } else if (kind === "no_data") {
    put("after_s", durationValue($("r-after")));
  } else {
    params.states = [...form.querySelectorAll('input[name="states"]:checked')].map((c) => Number(c.value));
  }
  const one = scope() === "stream";
  const renotify = durationValue($("r-renotify"));
  return {
    name: $("r-name").value.trim(), kind, params,
    metric: one ? null : $("r-metric").value || null,
    stream_id: one ? streamId : null,
    asset_kind: one ? null : $("r-asset-kind").value || null,
    commune: one ? null : $("r-commune").value || null,
    severity: $("r-severity").value, enabled: $("r-enabled").checked,
    ...(renotify === undefined ? {} : { renotify_after_s: renotify }),
  };
}

function clearErrors() {
  clearFieldErrors(form, $("form-error"));
}

/** The API's problem in the alert region, each field's message beside it (marked
 * aria-invalid, described by it); the first such field gets the focus. */
function showErrors(e) {
  const box = $("form-error");
  box.textContent = errorText(e, "La règle n'a pas été enregistrée : réessayez.");
  box.hidden = false;
  let first = null;
  for (const { field, message } of (e instanceof ApiError && e.problem.errors) || []) {
    // (no equipment chosen while the rule watches a whole metric: the metric is missing)
    const key = field === "stream_id" && scope() === "metric" ? "metric" : field;
    const where = form.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (!where || where.closest("[hidden]")) continue;
    // (no equipment picked in the search's list: said in the page's words, not the API's)
    const text = field === "stream_id" && scope() === "stream" && !picked
      ? "choisissez l'équipement dans la liste : tapez une partie de son nom ou de sa référence" : message;
    const slot = $(`${where.id}-error`);
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent} ; ${text}` : text;
    const inputs = where.tagName === "FIELDSET" ? [...where.querySelectorAll("input")] : [where];
    for (const input of inputs) input.setAttribute("aria-invalid", "true");
    first ||= inputs[0] || null;
  }
  if (first) first.focus();
  else {
    box.tabIndex = -1;
    box.focus();
  }
}

function resetForm() {
  editing = null;
  form.reset();
  clearErrors();
  picked = null;
  equipment.set(null);
  $("form-title").textContent = "Nouvelle règle";
  $("r-submit").textContent = "Créer la règle";
  $("r-cancel").hidden = true;
  showGroups();
  metricChanged().catch((e) => showError(e));
  renderRules();
}

async function edit(rule) {
  editing = rule;
  clearErrors();
  form.reset();
  picked = null;
  equipment.set(null);
  const p = rule.params || {};
  const stream = rule.stream_id !== null ? streamsSeen.get(rule.stream_id) : null;
  $("r-name").value = rule.name;
  $("r-metric").value = stream ? stream.metric : rule.metric;
  form.elements.scope.value = rule.stream_id !== null ? "stream" : "metric";
  $("r-kind").value = rule.kind;
  $("r-commune").value = rule.commune && rule.stream_id === null ? rule.commune : "";
  $("r-severity").value = rule.severity;
  $("r-enabled").checked = rule.enabled;
  setDuration($("r-renotify"), rule.renotify_after_s);
  const number = (v) => (v === undefined || v === null ? "" : formatNumber(v, 6).replace(/\s/g, ""));
  if (rule.kind === "threshold") {
    $("r-operator").value = p.operator;
    $("r-value").value = number(p.value);
    $("r-hysteresis").value = p.hysteresis ? number(p.hysteresis) : "";
    setDuration($("r-min-duration"), p.min_duration_s || null);
  } else if (rule.kind === "rate_of_change") {
    $("r-direction").value = p.direction;
    $("r-amount").value = number(p.amount);
    setDuration($("r-window"), p.window_s);
  } else if (rule.kind === "no_data") {
    setDuration($("r-after"), p.after_s);
  }
  $("form-title").textContent = `Modifier la règle « ${rule.name} »`;
  $("r-submit").textContent = "Enregistrer les modifications";
  $("r-cancel").hidden = false;
  showGroups();
  renderRules();
  await metricChanged({ keep: { asset_kind: rule.asset_kind, states: p.states } });
  if (stream) {  // its equipment, by the name read with the list (by id)
    const item = { id: stream.asset_id, label: stream.asset_name, detail: stream.asset_ref };
    picked = { ...item, stream: Promise.resolve(stream.id) };
    equipment.set(item);
  }
  $("form-title").focus();
  $("form-title").scrollIntoView();
}

async function submit(event) {
  event.preventDefault();
  clearErrors();
  const wasEditing = editing;
  await whileSending($("r-submit"), async () => {
    let saved;
    try {
      const data = body(picked && scope() === "stream" ? await picked.stream : null);
      saved = wasEditing
        ? await api(`${base}/alert-rules/${wasEditing.id}`, { method: "PATCH", body: data })
        : await api(`${base}/alert-rules`, { method: "POST", body: data });
    } catch (e) {
      showErrors(e);
      return;
    }
    resetForm();
    await loadRules();
    said(`Règle « ${saved.name} » ${wasEditing ? "modifiée" : "créée"}.`);
    $("rules-title").focus();
  });
}

// ---- start ----------------------------------------------------------------------------

async function loadReferences() {
  const [domains, list] = await Promise.all([
    api("/domains"),
    api(`${base}/communes`, { params: { boundaries: false } }).catch(() => []),
  ]);
  for (const d of domains) {
    for (const m of d.metrics) if (!metrics.has(m.key)) metrics.set(m.key, m);
    for (const k of d.asset_kinds) {
      assetKinds.set(k.key, k.label);
      for (const m of k.metrics) {
        if (!kindsOf.has(m)) kindsOf.set(m, []);
        if (!kindsOf.get(m).some((x) => x.key === k.key)) kindsOf.get(m).push({ key: k.key, label: k.label });
      }
    }
  }
  for (const c of list) communes.set(c.insee, c.name);
}

function fillSelects() {
  const sorted = [...metrics.values()].sort((a, b) => a.label.localeCompare(b.label, "fr"));
  $("r-metric").innerHTML = '<option value="">— choisir une mesure —</option>' + sorted.map((m) => {
    const symbol = unitSymbol(m.unit);
    return `<option value="${escapeHtml(m.key)}">${escapeHtml(m.label)}${symbol ? ` (${escapeHtml(symbol)})` : ""}</option>`;
  }).join("");
  for (const [insee, name] of [...communes].sort((a, b) => a[1].localeCompare(b[1], "fr"))) {
    $("r-commune").insertAdjacentHTML("beforeend",
      `<option value="${escapeHtml(insee)}">${escapeHtml(name)}</option>`);
  }
}

async function main() {
  if (!tenant) {
    $("rules").innerHTML = '<p class="muted">Aucun territoire ne vous est encore ouvert.</p>';
    return;
  }
  await loadReferences();
  await loadRules();
  if (writer) {
    fillSelects();
    $("form-section").hidden = false;
    $("new-rule").hidden = false;
    showGroups();
    await metricChanged();
    $("r-metric").addEventListener("change", () => metricChanged().catch((e) => showError(e, $("form-error"))));
    $("r-kind").addEventListener("change", showGroups);
    for (const radio of form.elements.scope) radio.addEventListener("change", showGroups);
    form.addEventListener("submit", (e) => { submit(e).catch((error) => showErrors(error)); });
    // « Nouvelle règle » while one is being edited: the form empties first.
    $("new-rule").addEventListener("click", () => { if (editing) resetForm(); });
    $("r-cancel").addEventListener("click", () => {
      const was = editing;
      resetForm();
      document.querySelector(`[data-edit="${was && was.id}"]`)?.focus();
    });
    $("rules").addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      const id = Number(button.dataset.edit || button.dataset.toggle || button.dataset.delete);
      const rule = rules.find((r) => r.id === id);
      if (!rule) return;
      if (button.dataset.edit) edit(rule).catch((e) => showError(e));
      else if (button.dataset.toggle) toggle(rule, button).catch((e) => showError(e));
      else remove(rule, button).catch((e) => showError(e));
    });
  } else {
    $("read-only").hidden = false;
  }
  document.body.dataset.ready = "1";
}

main().catch((error) => showError(error));
