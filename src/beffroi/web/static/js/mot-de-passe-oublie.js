// Forgotten password: asks for a reset link; the answer is the same for every address.
import { api, ApiError, errorText, whileSending } from "/static/js/common.js";

const form = document.getElementById("reset-form");
const message = document.getElementById("message");
const done = document.getElementById("done");

/** The address field marked invalid and described by the message (RGAA 11.10), or not. */
function markEmail(invalid) {
  if (invalid) {
    form.email.setAttribute("aria-invalid", "true");
    form.email.setAttribute("aria-describedby", "message");
  } else {
    form.email.removeAttribute("aria-invalid");
    form.email.removeAttribute("aria-describedby");
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.hidden = true;
  markEmail(false);
  const email = form.email.value.trim();
  if (!email || !email.includes("@")) {
    message.textContent = "Indiquez une adresse e-mail valide, par exemple nom@commune.fr.";
    message.hidden = false;
    markEmail(true);
    form.email.focus();
    return;
  }
  await whileSending(form.querySelector("button"), async () => {
    try {
      const answer = await api("/auth/password-reset", { method: "POST", body: { email } });
      done.textContent = answer.detail + " Pensez à regarder dans les courriers indésirables.";
      done.hidden = false;
      form.hidden = true;
    } catch (error) {
      message.textContent = errorText(error, "La demande n'a pas abouti : réessayez.");
      message.hidden = false;
      if (error instanceof ApiError && error.status === 422) {
        markEmail(true);
        form.email.focus();
      }
    }
  });
});
