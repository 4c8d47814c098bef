// The risks pages' forms (crise.js, appels.js, registre.js): one request at a time per
// button (a double click or a second Enter sends nothing more), and an error shown where the
// user acted — beside the field or the button, the field marked aria-invalid, the focus on
// it (RGAA 11.10) — never at the top of a long page. A failure to reach the server is said
// in French, never as the browser's « Failed to fetch ».
// (Local to the risks pages: /static/js/common.js has no such helper; follow-up.js disables
// its button the same way, inline.)
import { ApiError, api } from "/static/js/common.js";

export const OFFLINE = "Connexion impossible : rien n'a été enregistré, réessayez.";

/** The request did not reach the server, or its answer did not come back whole. */
export class NetworkError extends Error {}

/** `api()`, with a network failure (fetch throws, an unreadable answer) as a NetworkError
 * saying `offline` (OFFLINE by default). */
export async function send(path, options, offline = OFFLINE) {
  try {
    return await api(path, options);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    console.error(error);
    throw new NetworkError(offline);
  }
}

/** What to tell the user about an error: the API's French message, the network failure,
 * or a general one. */
export function errorText(error) {
  if (error instanceof ApiError || error instanceof NetworkError) return error.message;
  console.error(error);
  return "Une erreur est survenue : réessayez.";
}

/** Run `work` with `button` disabled, enabled again once it has ended (whatever its end).
 * Nothing is run when the button is already disabled: a request is in flight. */
export async function whileBusy(button, work) {
  if (button.disabled) return undefined;
  button.disabled = true;
  try {
    return await work();
  } finally {
    button.disabled = false;
  }
}

/** Add an id to an element's aria-describedby (once). */
export function describedBy(element, id) {
  const ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  if (!ids.includes(id)) element.setAttribute("aria-describedby", [...ids, id].join(" "));
}

/** Undo `showErrors` in `form`, and hide its box. */
export function clearErrors(form, box) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  if (box) {
    box.hidden = true;
    box.textContent = "";
  }
}

/** Show `error` beside the form: the message and the list of its field errors in `box`
 * (placed by the form's button, with tabindex="-1"), each field error also in its field's
 * slot — `where(field)` answers `{ slot, inputs, focus }` or null — with its inputs marked
 * aria-invalid and described by the slot. The focus goes to the first bad input whose
 * `focus` is not false (a group of checkboxes: false), else to the box. */
export function showErrors(box, error, where = () => null) {
  const problems = (error instanceof ApiError && error.problem.errors) || [];
  let first = null;
  const lines = [];
  for (const { field, message } of problems) {
    lines.push(message);
    const place = where(field);
    if (!place) continue;
    const { slot, inputs = [], focus = true } = place;
    slot.textContent = slot.textContent ? `${slot.textContent} ; ${message}` : message;
    for (const input of inputs) {
      input.setAttribute("aria-invalid", "true");
      describedBy(input, slot.id);
    }
    if (focus && !first && inputs.length) first = inputs[0];
  }
  box.replaceChildren();
  const text = document.createElement("p");
  text.textContent = errorText(error);
  box.append(text);
  if (lines.length) {
    const list = document.createElement("ul");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    box.append(list);
  }
  box.hidden = false;
  (first || box).focus();
}
