// Password page: sets a password with the one-time token of an e-mailed link (?jeton=…),
// a reset link (bfr_…) or an invitation link (bfv_…, which also accepts the invitation).
import { api, ApiError, errorText, escapeHtml, whileSending } from "/static/js/common.js";

const MIN_LENGTH = 8;
const form = document.getElementById("new-password-form");
const message = document.getElementById("message");
const done = document.getElementById("done");
const token = new URLSearchParams(location.search).get("jeton");

// What describes each field when it is valid (the page's own aria-describedby).
const DESCRIBED = { password: "rules", confirmation: "" };

/** The field back to valid: not marked, described by its own help only. */
function clearField(field) {
  field.removeAttribute("aria-invalid");
  if (DESCRIBED[field.name]) field.setAttribute("aria-describedby", DESCRIBED[field.name]);
  else field.removeAttribute("aria-describedby");
}

/** The message in the page's alert; `field`, when the fault is there, marked invalid,
 * described by the message too (RGAA 11.10) and focused. */
function show(text, field) {
  message.textContent = text;
  message.hidden = false;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", `${DESCRIBED[field.name]} message`.trim());
    field.focus();
  }
}

/** A link that cannot serve (unknown, expired, already used): the form goes, and focus to
 * the way out — asking for a new link — instead of being lost with the hidden button. */
function deadLink(text) {
  form.hidden = true;
  show(text);
  document.querySelector("#links a").focus();
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
  for (const field of [form.password, form.confirmation]) clearField(field);
  const password = form.password.value;
  if (password.length < MIN_LENGTH) {
    show(`Mot de passe trop court : ${MIN_LENGTH} caractères au moins.`, form.password);
    return;
  }
  if (password !== form.confirmation.value) {
    show("Les deux mots de passe ne sont pas identiques.", form.confirmation);
    return;
  }
  let answer;
  await whileSending(form.querySelector("button"), async () => {
    try {
      answer = await api("/auth/password-reset/confirm", { method: "POST", body: { token, password } });
    } catch (error) {
      const text = errorText(error, "L'enregistrement n'a pas abouti : réessayez.");
      if (error instanceof ApiError && error.status === 400) deadLink(text);
      else show(text, error instanceof ApiError && error.status === 422 ? form.password : null);
    }
  });
  if (!answer) return;
  form.hidden = true;
  done.innerHTML = `${escapeHtml(answer.detail)} <a href="/connexion">Se connecter</a>`;
  done.hidden = false;
  document.getElementById("links").hidden = true;
  done.querySelector("a").focus();
});
