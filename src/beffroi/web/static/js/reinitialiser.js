// Reset page: sets a new password with the one-time token of the e-mailed link (?jeton=…).
import { api, ApiError } from "/static/js/common.js";

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
  try {
    await api("/auth/password-reset/confirm", { method: "POST", body: { token, password } });
  } catch (error) {
    button.disabled = false;
    const text = error instanceof ApiError ? error.message
      : "L'enregistrement n'a pas abouti : réessayez.";
    show(text, error instanceof ApiError && error.status === 422 ? form.password : null);
    return;
  }
  form.hidden = true;
  done.innerHTML = 'Votre mot de passe a été modifié. <a href="/connexion">Se connecter</a>';
  done.hidden = false;
  document.getElementById("links").hidden = true;
  done.querySelector("a").focus();
});
