// The risks pages' forms (crise.js, appels.js, registre.js): an error shown where the user
// acted — beside the field or the button, the field marked aria-invalid, the focus on it
// (RGAA 11.10) — never at the top of a long page. One request at a time per button and the
// French network message come from /static/js/common.js (whileSending, api, errorText).
import { ApiError, api, clearFieldErrors, errorText } from "/static/js/common.js";

export { errorText };

/** `api()`, whose network failure (an ApiError of status 0) says `offline` instead of the
 * usual « rien n'a été enregistré » — for a request that may have been carried out all the
 * same, such as sending an alert. */
export async function send(path, options, offline) {
  try {
    return await api(path, options);
  } catch (error) {
    if (offline && error instanceof ApiError && error.status === 0) {
      throw new ApiError(0, { detail: offline });
    }
    throw error;
  }
}

/** Add an id to an element's aria-describedby (once). */
export function describedBy(element, id) {
  const ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  if (!ids.includes(id)) element.setAttribute("aria-describedby", [...ids, id].join(" "));
}

/** Undo `showErrors` in `form`, and hide its box. */
export function clearErrors(form, box) {
  clearFieldErrors(form, box);
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
