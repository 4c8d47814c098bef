// Shared by every page: API calls with the session cookie, the signed-in user and the
// current tenant, the site header, and French numbers and units (dates: dates.js).

export const API = "/api/v1";
export const TIME_ZONE = "Europe/Paris";
const TENANT_KEY = "beffroi.tenant";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `Erreur ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

/** What a page says when the server could not be reached (a phone out of coverage, the
 * server down) or answered something that is not the API's JSON (a proxy's error page). */
export const NETWORK_MESSAGE = "Connexion impossible : rien n'a été enregistré, réessayez.";

/** `fetch`, with a network failure as an ApiError of status 0 (French message) instead of
 * the browser's « Failed to fetch ». */
export async function request(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError(0, { detail: NETWORK_MESSAGE });
  }
}

/** The JSON body of an answer (null when empty); an answer that is not JSON (a proxy's
 * HTML error page, a body cut by the network) is an ApiError with the same message. */
export async function readJson(response) {
  let text;
  try {
    text = await response.text();
  } catch {
    throw new ApiError(0, { detail: NETWORK_MESSAGE });
  }
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(response.ok ? 0 : response.status, { detail: NETWORK_MESSAGE });
  }
}

/** The French text to show for `error`: the API's message, else `fallback` — never the
 * message of a browser or script error (English, meaningless to the user). */
export function errorText(error, fallback = "Une erreur est survenue : réessayez.") {
  return error instanceof ApiError ? error.message : fallback;
}

/** Run `work` (async) with the form's submit `button` disabled, so that a second click —
 * a double-click, a phone's repeated tap — sends nothing more; a call made while the
 * button is disabled does nothing (resolves to undefined). Focus, which a disabled button
 * loses, comes back to it unless `work` moved it elsewhere. */
export async function whileSending(button, work) {
  if (button.disabled) return undefined;
  const focused = document.activeElement === button;
  button.disabled = true;
  try {
    return await work();
  } finally {
    button.disabled = false;
    if (focused && button.isConnected
        && (document.activeElement === document.body || document.activeElement === null)) {
      button.focus();
    }
  }
}

let csrfPromise = null;
/** The anti-CSRF token of the browser session (null without one), for the X-CSRF-Token
 * header of every write; asked once per page — again after a failed ask (the network
 * was down: the next write, once it is back, must carry the token). */
export function csrfToken() {
  csrfPromise ||= fetch(API + "/auth/csrf", { credentials: "same-origin",
    headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : null)).then((data) => (data && data.csrf_token) || null)
    .catch(() => null)
    .then((token) => {
      if (!token) csrfPromise = null;
      return token;
    });
  return csrfPromise;
}

/** Call the JSON API; throws ApiError (French message) on an error answer, and on a
 * network failure or an answer that is not JSON (status 0, `NETWORK_MESSAGE`). */
export async function api(path, { method = "GET", body, params } = {}) {
  let url = path.startsWith("/api/") ? path : API + path;
  if (params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") query.set(key, value);
    }
    if ([...query].length) url += "?" + query;
  }
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") {
    const csrf = await csrfToken();
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  const response = await request(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await readJson(response);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** What a superseded read resolves to (see `newestOnly`). */
export const STALE = Symbol("stale");

/** Reads of one list that a page starts from several places (its first load, after a form
 * sent, a poll, live events) may answer out of order on a busy server: the page shows the
 * list it asked for last, not the answer that came last. `const read = newestOnly();` then
 * `const rows = await read(api(…)); if (rows === STALE) return;` — STALE when a later read
 * was started meanwhile. */
export function newestOnly() {
  let asked = 0;
  return async (reading) => {
    const mine = ++asked;
    const value = await reading;
    return mine === asked ? value : STALE;
  };
}

/** The signed-in user and their tenants; sends to the login page when there is none. */
export async function session() {
  let me;
  try {
    me = await api("/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      location.assign("/connexion?suite=" + encodeURIComponent(location.pathname + location.search));
      return new Promise(() => {});  // the page is being left
    }
    throw error;
  }
  const [tenants, ui] = await Promise.all([api("/tenants"), extensions()]);
  const wanted = localStorage.getItem(TENANT_KEY);
  const tenant = tenants.find((t) => String(t.id) === wanted) || tenants[0] || null;
  return { me, tenants, tenant, ui };
}

let uiPromise = null;
/** What the domains add: {nav: [{path, label}], panels: [{asset_kinds, module, title}],
 * map_styles: [{key, label, asset_kinds, property, classes, unit, missing}]}. */
export function extensions() {
  uiPromise ||= fetch("/interface.json", { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : null)).catch(() => null)
    .then((ui) => ui || { nav: [], panels: [], map_styles: [] });
  return uiPromise;
}

export function chooseTenant(id) {
  localStorage.setItem(TENANT_KEY, String(id));
  location.reload();
}

/** Role of the user in a tenant: operator_admin, tenant_admin, agent or viewer. */
export function roleIn(me, tenantId) {
  if (me.is_operator_admin) return "operator_admin";
  const membership = (me.memberships || []).find((m) => m.tenant_id === tenantId);
  return membership ? membership.role : null;
}

export const canWrite = (role) => ["operator_admin", "tenant_admin", "agent"].includes(role);
export const isAdmin = (role) => ["operator_admin", "tenant_admin"].includes(role);

const NAV = [
  ["accueil", "/", "Accueil"],
  ["carte", "/carte", "Carte"],
  ["impact", "/impact", "Impact"],
  ["alertes", "/alertes", "Alertes"],
  ["regles", "/alertes/regles", "Règles d'alerte"],
  ["administration", "/administration", "Administration", isAdmin],
  ["parametres", "/parametres", "Paramètres", isAdmin],
];

/** Fill the page's <header id="site-header"> with the brand, navigation, tenant menu and
 * the link to « Mon compte »; `active` is a core page's key ("carte", "compte") or a domain
 * page's path ("/eclairage"). On a phone all but the brand fold under a « Menu » button
 * (beffroi.css shows the button below 48em only; Escape closes the menu). */
export function renderHeader(active, { me, tenants, tenant, ui }) {
  const header = document.getElementById("site-header");
  const role = tenant ? roleIn(me, tenant.id) : null;
  const domainPages = ((ui && ui.nav) || []).map((p) => [p.path, p.path, escapeHtml(p.label)]);
  const entries = [...NAV.slice(0, 2), ...domainPages, ...NAV.slice(2)];  // domains, then Impact
  const links = entries.filter(([, , , allowed]) => !allowed || allowed(role)).map(
    ([key, href, label]) =>
      `<li><a href="${href}"${key === active ? ' aria-current="page"' : ""}>${label}</a></li>`,
  ).join("");
  const options = tenants.map((t) =>
    `<option value="${t.id}"${tenant && t.id === tenant.id ? " selected" : ""}>${escapeHtml(t.name)}</option>`,
  ).join("");
  header.innerHTML = `
    <div class="header-top">
      <a class="brand" href="/">Beffroi <span class="brand-sub">hyperviseur territorial</span></a>
      <button type="button" class="menu-button" id="menu-button" aria-expanded="false"
        aria-controls="site-menu">Menu</button>
    </div>
    <div class="site-menu" id="site-menu">
      <div class="header-tools">
        ${tenants.length > 1 ? `<label class="tenant-switch"><span class="visually-hidden">Territoire</span>
          <select id="tenant-select">${options}</select></label>`
          : `<span class="tenant-name">${tenant ? escapeHtml(tenant.name) : ""}</span>`}
        <span class="user">${escapeHtml(me.name || me.email)}</span>
        <a class="account-link" href="/compte"${active === "compte" ? ' aria-current="page"' : ""}>Mon compte</a>
        <button type="button" class="button secondary" id="logout">Se déconnecter</button>
      </div>
      <nav aria-label="Menu principal"><ul class="nav">${links}</ul></nav>
    </div>`;
  foldableMenu(header);
  const select = document.getElementById("tenant-select");
  if (select) select.addEventListener("change", () => chooseTenant(select.value));
  document.getElementById("logout").addEventListener("click", async () => {
    try { await api("/auth/logout", { method: "POST" }); } finally { location.assign("/connexion"); }
  });
}

/** The header's « Menu » button opens and closes its menu (on a phone: on a desk the button
 * is hidden and the menu always shown); Escape closes it and gives the focus back to the
 * button. */
function foldableMenu(header) {
  const button = header.querySelector("#menu-button");
  const show = (open) => {
    button.setAttribute("aria-expanded", String(open));
    header.classList.toggle("menu-open", open);
  };
  button.addEventListener("click", () => show(button.getAttribute("aria-expanded") !== "true"));
  header.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true"
      || !button.getClientRects().length) return;  // (a desk: no button, the menu stays)
    show(false);
    button.focus();
  });
}

/** Load a stylesheet once (a domain's panel shown on core's asset page needs its own). */
export function loadStylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.append(link);
}

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

/** 1 234,5 — French digits grouping and decimal comma. */
/** Undo a form's field errors (each field's aria-invalid, its `.field-error` message) and
 * hide and empty its alert `box` (when given). */
export function clearFieldErrors(form, box = null) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  if (box) {
    box.hidden = true;
    box.textContent = "";
  }
}

/** Copy the text of ``input`` (a secret shown once) to the clipboard: true when it was. Without
 * the clipboard API (a page served without HTTPS), the browser's own copy of a selection. */
export async function copyField(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.select();
    try { return document.execCommand("copy"); } catch { return false; }
  }
}

/** A number typed the French way in a form: "12,5", "1 200", "−3" (a sign, digits
 * grouped by spaces, a decimal comma or point, an exponent) → 12.5 / 1200 / -3; what is not
 * such a number ("0x10", "Infinity", "1,2,3", "") is given back as typed, for the API to say
 * what it expects. The one reading of a typed number: pages whose empty field means "no
 * value" test for "" first. */
export function parseNumber(text) {
  const clean = text.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".").replace(/^\u2212/, "-");
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(clean) ? Number(clean) : text;
}

export function formatNumber(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat("fr-FR", { maximumFractionDigits: digits }).format(value);
}

/** UCUM unit codes as people write them ("kW.h" -> "kWh"); the same list as
 * ``core/french_format.py``'s UNIT_SYMBOLS (a test compares them). */
export const UNIT_SYMBOLS = {
  "kW.h": "kWh", "MW.h": "MWh", "kV.A": "kVA", Cel: "°C", m3: "m³", "m3/h": "m³/h",
  "m3/s": "m³/s", "[ppm]": "ppm", "dB[mW]": "dBm", 1: "", d: "j", EUR: "€",
  "EUR/m3": "€/m³", "EUR/(kW.h)": "€/kWh", km: "km", "m3/km/d": "m³/km/j", "lm/m2": "lm/m²",
  m2: "m²", "kW.h/m2": "kWh/m²", "kW.h/m3": "kWh/m³", "EUR/kW.h": "€/kWh", "kg/kW.h": "kg/kWh",
  har: "ha", "[ppb]": "ppb", deg: "°", a: "ans", "EUR/km": "€/km", "EUR/h": "€/h",
};

/** The symbol of a UCUM unit code ("" for none). */
export const unitSymbol = (code) => (code === null || code === undefined ? ""
  : UNIT_SYMBOLS[code] ?? String(code));

export const SEVERITY_LABELS = { info: "Information", warning: "Avertissement", critical: "Critique" };

/** Show an error in the page's live region (role="alert"). */
export function showError(error, where = document.getElementById("message")) {
  if (!where) return;
  where.textContent = errorText(error);
  where.hidden = false;
}
