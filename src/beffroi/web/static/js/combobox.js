// A search-as-you-type picker: the WAI-ARIA 1.2 combobox with a listbox popup (list
// autocomplete, no automatic selection). The person types at least `minLength` characters;
// after a pause of `delay` ms the page's `search` is asked for the matching items, shown in
// the listbox; ↓/↑ move through them (aria-activedescendant: the focus stays in the input),
// Entrée picks, Échap closes; a click or a tap picks too. A live region says how many were
// found. The page gives the elements (its HTML, so that its labels and hints stay there):
//
//   <input id="x" type="text" role="combobox" aria-autocomplete="list" aria-expanded="false"
//     aria-controls="x-options" autocomplete="off">
//   <div class="combobox-popup" hidden>
//     <ul id="x-options" role="listbox" class="combobox-options" aria-labelledby="x-label"></ul>
//     <p class="combobox-note" aria-hidden="true"></p>
//   </div>
//   <span id="x-status" role="status"></span>
//
// the input and the popup inside a `.combobox` (positioned: the popup lies over what
// follows, the status line too; its note repeats for the eyes that more were found than
// listed), and
// `search(text)` resolving to {items: [{id, label, detail}], matched} (`matched`: how many
// match in all, when more than the items shown) or {items: [], message} (a reason not to
// search yet, said in the status). `messages` may change the French words: `short`,
// `failed`, and `noun`, `none` of `foundText`.
import { escapeHtml, formatNumber, newestOnly, STALE } from "/static/js/common.js";

/** The status of a search, in French: `noun` is [singular, plural], `none` the sentence
 * when nothing matches. */
export function foundText(shown, matched, { noun = ["équipement", "équipements"],
  none = "Aucun équipement ne correspond à cette recherche." } = {}) {
  if (!shown) return none;
  if (matched > shown) {
    return `${formatNumber(matched, 0)} ${noun[1]} trouvés : les ${formatNumber(shown, 0)} premiers`
      + " sont listés, précisez la recherche pour voir les autres.";
  }
  return `${formatNumber(shown, 0)} ${shown > 1 ? `${noun[1]} trouvés` : `${noun[0]} trouvé`}.`;
}

/** The display text of an item in the input: « Échelle de la Moselle (ECH-MOSELLE) ». */
export const itemText = (item) => (item.detail ? `${item.label} (${item.detail})` : item.label);

export function searchCombobox({
  input, listbox, status, search, onChange = () => {}, minLength = 2, delay = 250,
  messages = {},
}) {
  const words = {
    short: `Tapez au moins ${minLength} caractères pour chercher.`,
    failed: "La recherche n'a pas abouti : réessayez.",
    ...messages,
  };
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", listbox.id);
  input.setAttribute("autocomplete", "off");
  listbox.setAttribute("role", "listbox");
  const popup = listbox.closest(".combobox-popup") || listbox;
  const note = popup.querySelector(".combobox-note");
  popup.hidden = true;
  input.setAttribute("aria-expanded", "false");

  let items = [];
  let active = -1;
  let chosen = null;
  let timer = null;
  const read = newestOnly();

  const say = (text) => { status.textContent = text; };
  const optionId = (index) => `${listbox.id}-${index}`;

  function setActive(index) {
    active = index;
    for (const option of listbox.children) {
      const on = Number(option.dataset.index) === index;
      option.setAttribute("aria-selected", on ? "true" : "false");
      option.classList.toggle("active", on);
      if (on) option.scrollIntoView({ block: "nearest" });
    }
    if (index >= 0) input.setAttribute("aria-activedescendant", optionId(index));
    else input.removeAttribute("aria-activedescendant");
  }

  function open() {
    if (!items.length) return;
    popup.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    setActive(-1);
    popup.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  function show(found, more = "") {
    items = found;
    if (note) note.textContent = more;
    listbox.innerHTML = items.map((item, index) => `<li role="option" id="${optionId(index)}"
      data-index="${index}" aria-selected="false">${escapeHtml(item.label)}${item.detail
      ? ` <span class="combobox-detail">${escapeHtml(item.detail)}</span>` : ""}</li>`).join("");
    setActive(-1);
    if (items.length && document.activeElement === input) open();
    else close();
  }

  async function lookup() {
    clearTimeout(timer);
    const term = input.value.trim();
    if (term.length < minLength) {
      read(Promise.resolve(null));  // (an answer still awaited is no longer wanted)
      show([]);
      say(term ? words.short : "");
      return;
    }
    let found;
    try {
      found = await read(search(term));
    } catch {
      if (input.value.trim() === term) say(words.failed);
      return;
    }
    if (found === STALE || input.value.trim() !== term) return;
    const matched = found.matched ?? found.items.length;
    const text = found.message || foundText(found.items.length, matched, words);
    show(found.items, matched > found.items.length ? text : "");
    say(text);
  }

  function pick(item) {
    chosen = item;
    input.value = itemText(item);
    close();
    say("");
    onChange(item);
  }

  input.addEventListener("input", () => {
    if (chosen) {  // the text no longer names the item picked: nothing is chosen any more
      chosen = null;
      onChange(null);
    }
    clearTimeout(timer);
    timer = setTimeout(lookup, delay);
  });

  input.addEventListener("keydown", (event) => {
    const shown = !popup.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!items.length) {
        if (!chosen) lookup();  // (typed, and ↓ before the pause ended)
        return;
      }
      open();
      if (event.altKey) return;  // Alt+↓ opens the list without moving in it
      const last = items.length - 1;
      if (event.key === "ArrowDown") setActive(!shown || active >= last ? 0 : active + 1);
      else setActive(!shown || active <= 0 ? last : active - 1);
    } else if (event.key === "Enter" && shown) {
      event.preventDefault();  // (the list is open: Entrée picks, it does not send the form)
      if (active >= 0) pick(items[active]);
    } else if (event.key === "Escape" && shown) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", close);
  // Picking with the mouse or a finger: the input keeps the focus (no blur before the click).
  popup.addEventListener("mousedown", (event) => event.preventDefault());
  listbox.addEventListener("click", (event) => {
    const option = event.target.closest('[role="option"]');
    if (option) pick(items[Number(option.dataset.index)]);
  });

  return {
    /** The item picked, or null. */
    get value() { return chosen; },
    /** Show `item` as picked (editing what was saved), or nothing with null; onChange is
     * not called. */
    set(item) {
      clearTimeout(timer);
      read(Promise.resolve(null));
      chosen = item;
      input.value = item ? itemText(item) : "";
      show([]);
      say("");
    },
    /** Forget the items found (what they were found for changed); the pick stays. */
    forget() {
      clearTimeout(timer);
      read(Promise.resolve(null));
      show([]);
    },
    say,
  };
}
