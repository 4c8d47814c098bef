// The login page: opens a browser session (HttpOnly cookie) and goes where the user wanted.
import { api, ApiError } from "/static/js/common.js";

const form = document.getElementById("login-form");
const message = document.getElementById("message");

/** The message in the page's alert; the fields at fault marked invalid and described by
 * it (RGAA 11.10), the others cleared. */
function show(text, fields = []) {
  message.textContent = text;
  message.hidden = false;
  for (const field of [form.email, form.password]) {
    if (fields.includes(field)) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", "message");
    } else {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    }
  }
}

/** The fields an API refusal is about: both for wrong credentials (the pair is refused),
 * those it names for a malformed request, none when the server or the network failed. */
function faultyFields(error) {
  if (!(error instanceof ApiError)) return [];
  if (error.status === 401) return [form.email, form.password];
  const named = (error.problem.errors || []).map((e) => e.field);
  return [form.email, form.password].filter((field) => named.includes(field.name));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) {
    const missing = [!email && form.email, !password && form.password].filter(Boolean);
    show("Indiquez votre adresse e-mail et votre mot de passe.", missing);
    missing[0].focus();
    return;
  }
  try {
    await api("/auth/login", { method: "POST", body: { email, password } });
  } catch (error) {
    show(error instanceof ApiError ? error.message : "Connexion impossible : réessayez.",
      faultyFields(error));
    form.password.value = "";
    form.password.focus();
    return;
  }
  const next = new URLSearchParams(location.search).get("suite");
  location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/");
});
