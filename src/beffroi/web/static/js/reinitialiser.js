// Password page: sets a password with the one-time token of an e-mailed link (?jeton=…),
// a reset link (bfr_…) or an invitation link (bfv_…, which also accepts the invitation).
import { api, ApiError, escapeHtml } from "/static/js/common.js";

const MIN_LENGTH = 8;
const form = document.getElementById("new-password-form");
const message = document.getElementById("message");
const done = document.getElementById("done");
const token = new URLSearchParams(location.search).get("jeton");

function show(text, field) {
  message.textContent = text;
  message.hidden = false;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

if (!token) {
  form.hidden = true;
  show("Ce lien est incomplet : ouvrez le lien reçu par e-mail ou demandez-en un nouveau.");
} else if (token.startsWith("bfv_")) {
  document.title = "Bienvenue — Beffroi";
  document.querySelector("h1").textContent = "Bienvenue sur Beffroi";
  document.getElementById("rules").textContent = "Vous êtes invité(e) à rejoindre un "
    + "territoire. Choisissez votre mot de passe (8 caractères au moins) : l'invitation "
    + "sera acceptée du même coup.";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.hidden = true;
  for (const field of [form.password, form.confirmation]) field.removeAttribute("aria-invalid");
  const password = form.password.value;
  if (password.length < MIN_LENGTH) {
    show(`Mot de passe trop court : ${MIN_LENGTH} caractères au moins.`, form.password);
    return;
  }
  if (password !== form.confirmation.value) {
    show("Les deux mots de passe ne sont pas identiques.", form.confirmation);
    return;
  }
  const button = form.querySelector("button");
  button.disabled = true;
  let answer;
  try {
    answer = await api("/auth/password-reset/confirm", { method: "POST", body: { token, password } });
  } catch (error) {
    button.disabled = false;
    const text = error instanceof ApiError ? error.message
      : "L'enregistrement n'a pas abouti : réessayez.";
    show(text, error instanceof ApiError && error.status === 422 ? form.password : null);
    return;
  }
  form.hidden = true;
  done.innerHTML = `${escapeHtml(answer.detail)} <a href="/connexion">Se connecter</a>`;
  done.hidden = false;
  document.getElementById("links").hidden = true;
  done.querySelector("a").focus();
});
