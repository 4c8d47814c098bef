// Forgotten password: asks for a reset link; the answer is the same for every address.
import { api, ApiError } from "/static/js/common.js";

const form = document.getElementById("reset-form");
const message = document.getElementById("message");
const done = document.getElementById("done");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.hidden = true;
  const email = form.email.value.trim();
  if (!email || !email.includes("@")) {
    message.textContent = "Indiquez une adresse e-mail valide, par exemple nom@commune.fr.";
    message.hidden = false;
    form.email.focus();
    return;
  }
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const answer = await api("/auth/password-reset", { method: "POST", body: { email } });
    done.textContent = answer.detail + " Pensez à regarder dans les courriers indésirables.";
    done.hidden = false;
    form.hidden = true;
  } catch (error) {
    message.textContent = error instanceof ApiError ? error.message
      : "La demande n'a pas abouti : réessayez.";
    message.hidden = false;
    button.disabled = false;
  }
});
