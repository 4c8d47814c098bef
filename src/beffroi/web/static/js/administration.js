// Administration of a tenant: communes, members and roles, device health, asset import,
// import of a history of readings; the on-call roster, the webhooks and the send log are in
// their own modules (oncall.js, webhooks.js, send-log.js).
import {
  api, ApiError, csrfToken, errorText, escapeHtml, formatNumber, isAdmin,
  newestOnly, readJson, renderHeader, request, roleIn, session, showError, STALE, unitSymbol,
  whileSending,
} from "/static/js/common.js";
import { formatDateTime } from "/static/js/dates.js";
import { initOncall } from "/static/js/oncall.js";  // on-call roster
import { initSendLog } from "/static/js/send-log.js";  // send log
import { initWebhooks } from "/static/js/webhooks.js";  // outgoing webhooks

const ROLE_LABELS = {
  tenant_admin: "Administrateur du territoire",
  agent: "Agent technique",
  viewer: "Élu / lecteur",
};
const CHUNK_ROWS = 200;  // assets posted per import request, so that the progress bar moves
const HISTORY_CHUNK_ROWS = 5000;  // readings per request of a history import (a few 100 kB)
const $ = (id) => document.getElementById(id);

let tenantPath = "";
let communes = [];
let myId = null;  // one's own account: no « Désactiver » on it
const readMembers = newestOnly();  // (the first load may answer after an invitation's)

// -- communes ---------------------------------------------------------------------------
async function loadCommunes() {
  communes = await api(`${tenantPath}/communes`, { params: { boundaries: false } });
  $("communes").innerHTML = communes.length ? `
    <table><caption class="visually-hidden">Communes du territoire</caption>
      <thead><tr><th scope="col">Code INSEE</th><th scope="col">Nom</th>
        <th scope="col" class="number">Population</th></tr></thead>
      <tbody>${communes.map((c) => `<tr><td>${escapeHtml(c.insee)}</td>
        <td>${escapeHtml(c.name)}</td>
        <td class="number">${c.population == null ? "—" : formatNumber(c.population, 0)}</td></tr>`).join("")}
      </tbody></table>` : '<p class="muted">Aucune commune.</p>';
  $("member-communes").innerHTML = communes.map((c) => `<label>
    <input type="checkbox" name="communes" value="${escapeHtml(c.insee)}">
    ${escapeHtml(c.name)} (${escapeHtml(c.insee)})</label>`).join("");
}

// -- members ----------------------------------------------------------------------------
function communeNames(codes) {
  if (!codes) return "Tout le territoire";
  return codes.map((code) => communes.find((c) => c.insee === code)?.name || code).join(", ");
}

function roleOptions(selected) {
  return Object.entries(ROLE_LABELS).map(([key, label]) =>
    `<option value="${key}"${key === selected ? " selected" : ""}>${label}</option>`).join("");
}

async function loadMembers() {
  const read = await readMembers(Promise.all([
    api(`${tenantPath}/members`), api(`${tenantPath}/invitations`)]));
  if (read === STALE) return;
  const [members, invitations] = read;
  document.dispatchEvent(new CustomEvent("beffroi:members", { detail: members }));  // (oncall.js)
  const memberRows = members.map((m) => `<tr>
        <td>${escapeHtml(m.name)}${m.active ? "" : ' <span class="badge silent">inactif</span>'}</td>
        <td>${escapeHtml(m.email)}</td>
        <td><label class="visually-hidden" for="role-${m.id}">Rôle de ${escapeHtml(m.name)}</label>
          <select id="role-${m.id}" data-member="${m.id}" data-name="${escapeHtml(m.name)}">
            ${roleOptions(m.role)}</select></td>
        <td>${escapeHtml(communeNames(m.communes))}</td>
        <td class="actions"><button type="button" class="button secondary" data-remove="${m.id}"
          data-name="${escapeHtml(m.name)}">Retirer<span class="visually-hidden">
          ${escapeHtml(m.name)} du territoire</span></button>
          ${m.id === myId ? "" : `<button type="button" class="button secondary"
          data-deactivate="${m.id}" data-name="${escapeHtml(m.name)}">Désactiver<span
          class="visually-hidden"> le compte de ${escapeHtml(m.name)}</span></button>`}</td></tr>`);
  // Invitations not answered yet: the person is not a member until accepting.
  const invitationRows = invitations.map((i) => `<tr class="pending">
        <td><span class="badge ${i.status === "pending" ? "info" : "silent"}">${
          escapeHtml(i.status_label)}</span></td>
        <td>${escapeHtml(i.email)}</td>
        <td>${escapeHtml(ROLE_LABELS[i.role])}</td>
        <td>${escapeHtml(communeNames(i.communes))}</td>
        <td class="actions"><button type="button" class="button secondary" data-revoke="${i.id}"
          data-email="${escapeHtml(i.email)}">Révoquer<span class="visually-hidden">
          l'invitation de ${escapeHtml(i.email)}</span></button></td></tr>`);
  $("members").innerHTML = `
    <table><caption class="visually-hidden">Membres du territoire et leur rôle, puis les
      invitations en attente</caption>
      <thead><tr><th scope="col">Nom</th><th scope="col">Adresse e-mail</th>
        <th scope="col">Rôle</th><th scope="col">Communes</th>
        <th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${[...memberRows, ...invitationRows].join("")}</tbody></table>`;
  for (const select of $("members").querySelectorAll("select[data-member]")) {
    select.addEventListener("change", () => changeRole(select));
  }
  for (const button of $("members").querySelectorAll("button[data-remove]")) {
    button.addEventListener("click", () => removeMember(button));
  }
  for (const button of $("members").querySelectorAll("button[data-deactivate]")) {
    button.addEventListener("click", () => deactivateMember(button));
  }
  for (const button of $("members").querySelectorAll("button[data-revoke]")) {
    button.addEventListener("click", () => revokeInvitation(button));
  }
}

async function removeMember(button) {
  const name = button.dataset.name;
  if (!window.confirm(`Retirer ${name} du territoire ? Son compte n'y aura plus accès.`)) return;
  try {
    await api(`${tenantPath}/members/${button.dataset.remove}`, { method: "DELETE" });
    await loadMembers();  // the table first, then the announcement
    $("members-status").textContent = `${name} a été retiré(e) du territoire.`;
  } catch (error) {
    showError(error);
  }
}

async function deactivateMember(button) {
  const name = button.dataset.name;
  if (!window.confirm(`Désactiver le compte de ${name} ? La personne perd l'accès au `
    + "territoire ; si son compte ne sert à aucun autre territoire, il est désactivé et "
    + "toutes ses sessions et jetons sont révoqués.")) return;
  try {
    const answer = await api(`${tenantPath}/members/${button.dataset.deactivate}/deactivate`,
      { method: "POST" });
    await loadMembers();
    $("members-status").textContent = answer.detail;
  } catch (error) {
    showError(error);
  }
}

async function revokeInvitation(button) {
  const email = button.dataset.email;
  if (!window.confirm(`Révoquer l'invitation envoyée à ${email} ?`)) return;
  try {
    await api(`${tenantPath}/invitations/${button.dataset.revoke}`, { method: "DELETE" });
    await loadMembers();
    $("members-status").textContent = `L'invitation de ${email} est révoquée.`;
  } catch (error) {
    showError(error);
  }
}

async function changeRole(select) {
  try {
    const member = await api(`${tenantPath}/members/${select.dataset.member}`,
      { method: "PATCH", body: { role: select.value } });
    document.dispatchEvent(new CustomEvent("beffroi:member", { detail: member }));  // (oncall.js)
    $("members-status").textContent =
      `Rôle de ${select.dataset.name} : ${ROLE_LABELS[select.value].toLowerCase()}.`;
  } catch (error) {
    showError(error);
    await loadMembers();
  }
}

function clearFieldErrors(form) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  $("member-errors").hidden = true;
}

async function addMember(event) {
  event.preventDefault();
  const form = event.target;
  // One invitation per click: a double-click (or a second tap while the first is sent)
  // would post it twice, the second refused as already pending.
  await whileSending(form.querySelector('button[type="submit"]'), () => sendInvitation(form));
}

async function sendInvitation(form) {
  clearFieldErrors(form);
  const checked = [...form.querySelectorAll('input[name="communes"]:checked')].map((i) => i.value);
  const body = {
    email: form.email.value.trim(), name: form.name.value.trim() || undefined,
    role: form.role.value, communes: checked.length ? checked : null,
  };
  try {
    const invitation = await api(`${tenantPath}/members`, { method: "POST", body });
    form.reset();
    await loadMembers();
    $("members-status").textContent = invitation.detail;
  } catch (error) {
    const errors = (error instanceof ApiError && error.problem.errors) || [];
    const lines = [];
    let first = null;
    for (const { field, message } of errors) {
      const input = form.querySelector(`#member-${field}`);
      const where = $(`member-${field}-error`);
      if (where) where.textContent = message;
      if (input && input.tagName !== "DIV") input.setAttribute("aria-invalid", "true");
      first = first || input;
      const label = form.querySelector(`label[for="member-${field}"]`)?.textContent
        || (field === "communes" ? "Communes" : field);
      lines.push(`<li>${escapeHtml(label)} : ${escapeHtml(message)}</li>`);
    }
    const box = $("member-errors");
    box.innerHTML = `<p>${escapeHtml(errorText(error, "L'invitation n'a pas abouti : réessayez."))}</p>${
      lines.length ? `<ul>${lines.join("")}</ul>` : ""}`;
    box.hidden = false;
    if (first && first.focus) first.focus();
  }
}

// -- devices ----------------------------------------------------------------------------
function healthBadge(health) {
  if (health.silent === true) return '<span class="badge silent">silencieux</span>';
  if (health.silent === false) return '<span class="badge ok">actif</span>';
  return '<span class="muted">non suivi</span>';
}

async function loadDevices() {
  const devices = await api(`${tenantPath}/devices`);
  if (!devices.length) {
    $("devices").innerHTML = '<p class="muted">Aucun capteur déclaré.</p>';
    return;
  }
  const assetIds = [...new Set(devices.map((d) => d.asset_id).filter((id) => id != null))];
  const radio = {};
  if (assetIds.length) {
    const latest = await api(`${tenantPath}/latest`, { params: { assets: assetIds.join(",") } });
    for (const v of latest) {
      if (v.metric === "radio.rssi" || v.metric === "radio.snr") {
        (radio[v.asset_id] ||= {})[v.metric] = v.value;
      }
    }
  }
  const silent = devices.filter((d) => d.health.silent === true).length;
  $("devices").innerHTML = `
    <p>${formatNumber(devices.length, 0)} capteur${devices.length > 1 ? "s" : ""}, dont
      ${formatNumber(silent, 0)} silencieux.</p>
    <table><caption class="visually-hidden">Capteurs et état de santé</caption>
      <thead><tr><th scope="col">Capteur</th><th scope="col">DevEUI</th><th scope="col">État</th>
        <th scope="col">Dernier message</th><th scope="col" class="number">Batterie</th>
        <th scope="col" class="number">RSSI</th><th scope="col" class="number">SNR</th>
        <th scope="col" class="number">Rejetés</th><th scope="col">Dernière erreur</th>
        <th scope="col">Passerelle</th><th scope="col">Équipement</th></tr></thead>
      <tbody>${devices.map((d) => {
        const h = d.health;
        const r = radio[d.asset_id] || {};
        return `<tr class="${h.silent ? "silent" : ""}">
          <td>${escapeHtml(d.name)}${d.model ? `<br><span class="muted">${escapeHtml(d.model)}</span>` : ""}</td>
          <td>${escapeHtml(d.dev_eui || "—")}</td>
          <td>${healthBadge(h)}</td>
          <td>${h.last_seen ? formatDateTime(h.last_seen) : "jamais"}</td>
          <td class="number">${h.battery == null ? "—" : formatNumber(h.battery, 0) + " %"}</td>
          <td class="number">${r["radio.rssi"] == null ? "—" : formatNumber(r["radio.rssi"], 0) + " dBm"}</td>
          <td class="number">${r["radio.snr"] == null ? "—" : formatNumber(r["radio.snr"], 1) + " dB"}</td>
          <td class="number">${formatNumber(h.rejected || 0, 0)}</td>
          <td>${h.last_error ? `${escapeHtml(h.last_error)}<br><span class="muted">${formatDateTime(h.last_error_at)}</span>` : "—"}</td>
          <td>${escapeHtml(h.last_gateway || "—")}</td>
          <td>${d.asset_id == null ? "—" : `<a href="/equipements/${d.asset_id}">Équipement ${d.asset_id}</a>`}</td></tr>`;
      }).join("")}</tbody></table>`;
}

// -- asset import -----------------------------------------------------------------------
// The file's bytes go to the server as they are for the check, which detects the encoding
// (UTF-8, or Windows-1252 when the whole file reads plausibly) and reads the CSV strictly;
// the import then sends the text, decoded the way the check said, in chunks of records.
const ENCODINGS = { "utf-8": "UTF-8", "windows-1252": "Windows-1252" };
let pending = null;  // {name, isCsv, chunks: [{body, rowOffset, count}], total}

function looksLikeJson(bytes) {
  for (const byte of bytes.subarray(0, 64)) {
    if (byte === 0xef || byte === 0xbb || byte === 0xbf || byte <= 0x20) continue;  // BOM, spaces
    return byte === 0x7b || byte === 0x5b;  // { or [
  }
  return false;
}

/** The records of a CSV text where the server finds them: a line ends at LF, CR or CRLF
 * outside quotes, a quoted value may hold line breaks. [{start, end, blank}]. */
function csvRecords(text) {
  const records = [];
  let start = 0, quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      quoted = !quoted;
    } else if ((c === 10 || c === 13) && !quoted) {
      if (c === 13 && text.charCodeAt(i + 1) === 10) i += 1;
      records.push({ start, end: i + 1 });
      start = i + 1;
    }
  }
  if (start < text.length) records.push({ start, end: text.length });
  for (const r of records) r.blank = /^[\s;,]*$/.test(text.slice(r.start, r.end));
  return records;
}

/** Line breaks (LF, CR or CRLF, quoted or not: the server numbers the file's lines) in
 * text[from, to). */
function lineBreaks(text, from, to) {
  let count = 0;
  for (let i = from; i < to; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) count += 1;
  }
  return count;
}

/** The CSV text in chunks of `size` records, each after the file's header (and the lines
 * before it): [{body, rowOffset, count, lineOffset}], `lineOffset` turning a line of the
 * chunk into the line of the file. */
function csvChunks(text, size = CHUNK_ROWS) {
  const records = csvRecords(text);
  let first = records.findIndex((r) => !r.blank);
  if (first >= 0 && /^sep=.\s*$/.test(text.slice(records[first].start, records[first].end))) {
    first += 1;  // Excel's separator line: sent again before the header of every chunk
  }
  const header = records[first];
  if (!header) return { chunks: [], total: 0 };
  const prefix = text.slice(0, header.end);
  const rows = records.slice(first + 1).filter((r) => !r.blank);
  const chunks = [];
  let seen = header.end, breaks = 0;
  for (let i = 0; i < rows.length; i += size) {
    const part = rows.slice(i, i + size);
    const last = part[part.length - 1];
    breaks += lineBreaks(text, seen, part[0].start);
    seen = part[0].start;
    chunks.push({ body: prefix + text.slice(part[0].start, last.end), rowOffset: i,
      count: part.length, lineOffset: breaks });
  }
  return { chunks, total: rows.length };
}

function geojsonChunks(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ApiError(0, { detail: "Ce fichier n'est ni un CSV ni un GeoJSON lisible." });
  }
  const features = Array.isArray(data.features) ? data.features : [];
  const chunks = [];
  for (let i = 0; i < features.length; i += CHUNK_ROWS) {
    const part = features.slice(i, i + CHUNK_ROWS);
    chunks.push({ body: JSON.stringify({ type: "FeatureCollection", features: part }),
      rowOffset: i, count: part.length });
  }
  return { chunks, total: features.length };
}

/** POST a piece of inventory; the validation report (also on 422 when nothing is written). */
async function postInventory(body, isCsv, params) {
  const headers = { Accept: "application/json",
    "Content-Type": isCsv ? "text/csv" : "application/geo+json" };
  const csrf = await csrfToken();
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const response = await request(`/api/v1${tenantPath}/assets/import?${new URLSearchParams(params)}`,
    { method: "POST", headers, body, credentials: "same-origin" });
  const data = await readJson(response);
  if (response.ok || (response.status === 422 && data && "total" in data)) return data;
  throw new ApiError(response.status, data);
}

/** Errors or warnings of a report: a CSV row is named by its line in the file. */
function reportTable(isCsv, items, caption) {
  return `<table><caption>${caption} (${formatNumber(items.length, 0)})</caption>
    <thead><tr><th scope="col">${isCsv ? "Ligne du fichier" : "Entité"}</th>
      <th scope="col">Identifiant</th><th scope="col">Champ</th><th scope="col">Message</th></tr></thead>
    <tbody>${items.map((e) => `<tr><td>${(isCsv ? e.line : e.row) ?? "fichier"}</td>
      <td>${escapeHtml(e.ref || "—")}</td><td>${escapeHtml(e.field_label || e.field || "—")}</td>
      <td>${escapeHtml(e.message)}</td></tr>`).join("")}</tbody></table>`;
}

function tableRegion(label, html) {
  return `<div class="table-wrap" tabindex="0" role="region" aria-label="${label}">${html}</div>`;
}

async function checkFile(event) {
  event.preventDefault();
  const file = $("import-file").files[0];
  $("import-errors").hidden = true;
  $("import-report").innerHTML = "";
  $("import-result").innerHTML = "";
  $("import-button").hidden = true;
  $("import-progress-box").hidden = true;
  pending = null;
  if (!file) {
    showError(new ApiError(0, { detail: "Choisissez d'abord un fichier CSV ou GeoJSON." }),
      $("import-errors"));
    $("import-file").focus();
    return;
  }
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const isCsv = file.name.toLowerCase().endsWith(".csv") || !looksLikeJson(bytes);
    const report = await postInventory(bytes, isCsv, { dry_run: true });
    const text = new TextDecoder(report.encoding === "windows-1252" ? "windows-1252" : "utf-8")
      .decode(bytes);
    pending = { name: file.name, isCsv, ...(isCsv ? csvChunks(text) : geojsonChunks(text)) };
    const rowWarnings = report.warnings.filter((w) => w.row != null);
    const fileWarnings = report.warnings.filter((w) => w.row == null);
    $("import-report").innerHTML = `
      <p><strong>Vérification de « ${escapeHtml(file.name)} »</strong> :
        ${formatNumber(report.total, 0)} équipement${report.total > 1 ? "s" : ""},
        ${formatNumber(report.valid, 0)} valide${report.valid > 1 ? "s" : ""},
        ${formatNumber(report.total - report.valid, 0)} en erreur.</p>
      <p>Encodage détecté : ${ENCODINGS[report.encoding] || escapeHtml(report.encoding)}.</p>
      ${fileWarnings.map((w) => `<p class="notice info">${escapeHtml(
        w.message.charAt(0).toUpperCase() + w.message.slice(1))}</p>`).join("")}
      ${report.errors.length ? tableRegion("Anomalies du fichier",
        reportTable(isCsv, report.errors, "Anomalies")) : ""}
      ${rowWarnings.length ? tableRegion("Avertissements du fichier",
        reportTable(isCsv, rowWarnings, "Avertissements — lignes importées quand même")) : ""}`;
    if (report.valid > 0) {
      const button = $("import-button");
      button.textContent = `Importer les ${formatNumber(report.valid, 0)} équipements valides`;
      button.hidden = false;
    }
  } catch (error) {
    showError(error, $("import-errors"));
  }
}

function setProgress(done, total, prefix = "import") {
  const bar = $(`${prefix}-progress`);
  bar.max = total || 1;
  bar.value = done;
  const percent = total ? Math.round((100 * done) / total) : 100;
  $(`${prefix}-progress-label`).textContent =
    `Import : ${formatNumber(done, 0)} / ${formatNumber(total, 0)} lignes (${percent} %)`;
}

async function runImport() {
  if (!pending) return;
  const button = $("import-button");
  button.disabled = true;
  $("import-progress-box").hidden = false;
  setProgress(0, pending.total);
  let created = 0, updated = 0, warned = 0;
  const rejected = new Set();
  try {
    for (const chunk of pending.chunks) {
      const report = await postInventory(chunk.body, pending.isCsv, { partial: true });
      created += report.created;
      updated += report.updated;
      warned += report.warnings.filter((w) => w.row != null).length;
      for (const e of report.errors) rejected.add(e.row + chunk.rowOffset);
      setProgress(chunk.rowOffset + chunk.count, pending.total);
    }
  } catch (error) {
    showError(error, $("import-errors"));
    button.disabled = false;
    return;
  }
  $("import-result").innerHTML = `<p class="admin-status">Import terminé :
    ${formatNumber(created, 0)} créé${created > 1 ? "s" : ""},
    ${formatNumber(updated, 0)} mis à jour, ${formatNumber(rejected.size, 0)} rejeté${rejected.size > 1 ? "s" : ""}${
    warned ? `, ${formatNumber(warned, 0)} avertissement${warned > 1 ? "s" : ""}` : ""}.</p>`;
  button.hidden = true;
  pending = null;
}

// -- history of readings ----------------------------------------------------------------
// The whole file is checked first (dry run: every line judged once, an instant repeated
// anywhere in the file found); the import then posts it in chunks of lines, each after the
// header, with `partial` (the lines the check refused are refused again, the others kept):
// the server stores a reading once per (stream, instant), so a chunk sent again — after a
// network cut, « Reprendre l'import » — stores nothing twice.
let history = null;  // {name, chunks, total, next, totals}

const plural = (n, one, many) => `${formatNumber(n, 0)} ${n > 1 ? many : one}`;

/** POST a CSV history; the report (also on 422 when the file is refused as a whole). */
async function postHistory(body, params) {
  const headers = { Accept: "application/json", "Content-Type": "text/csv" };
  const csrf = await csrfToken();
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const response = await request(
    `/api/v1${tenantPath}/observations/import?${new URLSearchParams(params)}`,
    { method: "POST", headers, body, credentials: "same-origin" });
  const data = await readJson(response);
  if (response.ok || (response.status === 422 && data && "read" in data)) return data;
  throw new ApiError(response.status, data);
}

function showHistoryError(error) {
  const box = $("history-errors");
  showError(error, box);
  box.focus();
}

/** Refused lines, by their line in the file. */
function refusedTable(errors, caption) {
  return tableRegion(caption, `<table><caption>${caption} (${formatNumber(errors.length, 0)})</caption>
    <thead><tr><th scope="col" class="number">Ligne du fichier</th><th scope="col">Colonne</th>
      <th scope="col">Valeur lue</th><th scope="col">Motif</th></tr></thead>
    <tbody>${errors.map((e) => `<tr><td class="number">${e.line}</td>
      <td>${escapeHtml(e.column || "ligne entière")}</td><td>${escapeHtml(e.value || "—")}</td>
      <td>${escapeHtml(e.message)}</td></tr>`).join("")}</tbody></table>`);
}

function seriesTable(series) {
  return tableRegion("Mesures par équipement", `<table><caption>Mesures par équipement
      (${formatNumber(series.length, 0)})</caption>
    <thead><tr><th scope="col">Équipement</th><th scope="col">Mesure</th>
      <th scope="col" class="number">Relevés</th><th scope="col">Du</th><th scope="col">Au</th>
      <th scope="col">Flux</th></tr></thead>
    <tbody>${series.map((s) => `<tr><td>${escapeHtml(s.asset_ref)}</td>
      <td>${escapeHtml(s.label)}${s.unit && unitSymbol(s.unit) ? ` (${escapeHtml(unitSymbol(s.unit))})` : ""}
        <br><span class="muted">${escapeHtml(s.metric)}</span></td>
      <td class="number">${formatNumber(s.count, 0)}</td>
      <td>${formatDateTime(s.start)}</td><td>${formatDateTime(s.end)}</td>
      <td>${s.new_stream ? "à créer" : "existant"}</td></tr>`).join("")}</tbody></table>`);
}

async function checkHistory(event) {
  event.preventDefault();
  await whileSending(event.target.querySelector('button[type="submit"]'), checkHistoryFile);
}

async function checkHistoryFile() {
  const file = $("history-file").files[0];
  $("history-errors").hidden = true;
  $("history-report").innerHTML = "";
  $("history-result").innerHTML = "";
  $("history-button").hidden = true;
  $("history-progress-box").hidden = true;
  history = null;
  if (!file) {
    showError(new ApiError(0, { detail: "Choisissez d'abord un fichier CSV d'historique." }),
      $("history-errors"));
    $("history-file").focus();
    return;
  }
  $("history-report").innerHTML = `<p>Vérification de « ${escapeHtml(file.name)} » en cours…</p>`;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const report = await postHistory(bytes, { dry_run: true });
    const text = new TextDecoder(report.encoding === "windows-1252" ? "windows-1252" : "utf-8")
      .decode(bytes);
    history = { name: file.name, ...csvChunks(text, HISTORY_CHUNK_ROWS), next: 0,
      totals: { stored: 0, already: 0, refused: 0, streams: 0, errors: [] } };
    const untold = report.error_count - report.errors.length;
    $("history-report").innerHTML = `
      <p><strong>Vérification de « ${escapeHtml(file.name)} »</strong> :
        ${plural(report.read, "ligne lue", "lignes lues")},
        ${plural(report.valid, "valide", "valides")},
        ${plural(report.refused, "refusée", "refusées")}.</p>
      <p>Encodage détecté : ${ENCODINGS[report.encoding] || escapeHtml(report.encoding)}.</p>
      ${report.warnings.map((w) => `<p class="notice info">${escapeHtml(
        w.charAt(0).toUpperCase() + w.slice(1))}</p>`).join("")}
      ${report.period ? `<p>Période couverte : du ${formatDateTime(report.period.start)}
        au ${formatDateTime(report.period.end)}${report.streams_created ? ` ;
        ${plural(report.streams_created, "flux de mesure à créer", "flux de mesure à créer")}` : ""}.</p>` : ""}
      ${report.already ? `<p>${plural(report.already, "ligne répète", "lignes répètent")}
        une mesure donnée plus haut dans le fichier : comptée une seule fois.</p>` : ""}
      ${report.errors.length ? refusedTable(report.errors, "Lignes refusées de l'historique") : ""}
      ${untold > 0 ? `<p>… et ${plural(untold, "autre anomalie non détaillée",
        "autres anomalies non détaillées")}.</p>` : ""}
      ${report.series.length ? seriesTable(report.series) : ""}`;
    if (report.valid > 0 && history.total > 0) {
      const button = $("history-button");
      button.textContent = report.refused
        ? `Importer les ${plural(report.valid, "mesure valide", "mesures valides")}`
        : `Importer les ${plural(report.valid, "mesure", "mesures")}`;
      button.hidden = false;
    }
  } catch (error) {
    $("history-report").innerHTML = "";
    showHistoryError(error);
  }
}

async function runHistoryImport() {
  const job = history;  // (a file checked meanwhile is another job)
  if (!job) return;
  const button = $("history-button");
  button.disabled = true;
  $("history-errors").hidden = true;
  $("history-progress-box").hidden = false;
  const done = () => (job.next < job.chunks.length ? job.chunks[job.next].rowOffset : job.total);
  setProgress(done(), job.total, "history");
  const totals = job.totals;
  try {
    while (job.next < job.chunks.length) {
      const chunk = job.chunks[job.next];
      const report = await postHistory(chunk.body, { partial: true });
      totals.stored += report.stored;
      totals.already += report.already;
      totals.refused += report.refused;
      totals.streams += report.streams_created;
      totals.errors.push(...report.errors.map((e) => ({ ...e, line: e.line + chunk.lineOffset })));
      job.next += 1;
      setProgress(done(), job.total, "history");
    }
  } catch (error) {
    if (history !== job) return;
    button.textContent = "Reprendre l'import";
    button.disabled = false;
    showHistoryError(error);
    return;
  }
  if (history !== job) return;
  $("history-result").innerHTML = `<p class="admin-status">Import terminé :
    ${plural(totals.stored, "mesure enregistrée", "mesures enregistrées")},
    ${plural(totals.already, "déjà présente", "déjà présentes")},
    ${plural(totals.refused, "ligne refusée", "lignes refusées")}${totals.streams
      ? `, ${plural(totals.streams, "flux créé", "flux créés")}` : ""}.${
      !totals.stored && totals.already
        ? " Rien de nouveau : les mesures du fichier étaient déjà enregistrées." : ""}</p>
    ${totals.errors.length ? refusedTable(totals.errors, "Lignes refusées à l'import") : ""}`;
  button.hidden = true;
  button.disabled = false;
  history = null;
}

// -- page -------------------------------------------------------------------------------
async function main() {
  const ctx = await session();
  renderHeader("administration", ctx);
  const { me, tenant } = ctx;
  if (!tenant) {
    showError(new ApiError(0, { detail: "Aucun territoire n'est rattaché à votre compte." }));
    return;
  }
  if (!isAdmin(roleIn(me, tenant.id))) {
    showError(new ApiError(403, { detail: "Cette page est réservée aux administrateurs du "
      + "territoire : demandez à votre administrateur si vous avez besoin d'y accéder." }));
    return;
  }
  tenantPath = `/tenants/${tenant.id}`;
  myId = me.id;
  $("title").textContent = `Administration — ${tenant.name}`;
  document.title = `Administration — ${tenant.name} — Beffroi`;
  $("member-role").innerHTML = roleOptions("agent");
  $("admin").hidden = false;
  $("member-form").addEventListener("submit", addMember);
  $("import-form").addEventListener("submit", checkFile);
  $("import-button").addEventListener("click", runImport);
  $("history-form").addEventListener("submit", checkHistory);
  $("history-button").addEventListener("click", runHistoryImport);
  const results = await Promise.allSettled([
    loadCommunes().then(loadMembers), loadDevices(),
    initOncall(ctx), initWebhooks(ctx), initSendLog(ctx)]);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) showError(failed.reason);
}

main();
