// The login page: opens a browser session (HttpOnly cookie) and goes where the user wanted.
import { api, ApiError } from "/static/js/common.js";

const form = document.getElementById("login-form");
const message = document.getElementById("message");

function show(text) {
  message.textContent = text;
  message.hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) {
    show("Indiquez votre adresse e-mail et votre mot de passe.");
    (email ? form.password : form.email).focus();
    return;
  }
  try {
    await api("/auth/login", { method: "POST", body: { email, password } });
  } catch (error) {
    show(error instanceof ApiError ? error.message : "Connexion impossible : réessayez.");
    form.password.value = "";
    form.password.focus();
    return;
  }
  const next = new URLSearchParams(location.search).get("suite");
  location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/");
});
