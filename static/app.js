// Convene's small behaviours on top of htmx, one block per concern. Words shown to people
// come from the page (rendered in their language), never from this file.

// Header menu: on narrow screens the Menu button shows and hides the navigation.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".menu-button");
  if (button) button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") !== "true");
});
document.addEventListener("keydown", (event) => {
  const button = document.querySelector(".menu-button[aria-expanded=true]");
  if (event.key === "Escape" && button && button.closest(".topbar").contains(event.target)) {
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }
});

// Toasts: bottom-left, gone after a while but never while hovered or focused; errors are
// red alerts. #toasts carries the texts (data-close, data-changed, ...).
function showToast(text, isError = false) {
  const box = document.getElementById("toasts");
  const toast = document.createElement("div");
  toast.className = isError ? "toast error" : "toast";
  toast.setAttribute("role", isError ? "alert" : "status");
  const close = Object.assign(document.createElement("button"), { type: "button", className: "toast-close" });
  close.setAttribute("aria-label", box.dataset.close);
  close.addEventListener("click", () => toast.remove());
  toast.append(Object.assign(document.createElement("span"), { textContent: text }), close);
  box.append(toast);
  let timer;
  const wait = () => {
    clearTimeout(timer);
    if (toast.matches(":hover, :focus-within")) return;
    timer = setTimeout(() => toast.remove(), isError ? 10000 : 4000);
  };
  toast.addEventListener("mouseenter", () => clearTimeout(timer));
  toast.addEventListener("focusin", () => clearTimeout(timer));
  toast.addEventListener("mouseleave", wait);
  toast.addEventListener("focusout", wait);
  wait();
}

// The server sends HX-Trigger {"toast": "..."}.
document.addEventListener("toast", (event) => showToast(event.detail.value));

// A failed request always says so (htmx leaves the page as it was).
function failureText(status) {
  const texts = document.getElementById("toasts").dataset;
  if (!status) return texts.offline;
  if ([404, 409, 410].includes(status)) return texts.changed;
  if (status === 401) return texts.signedOut;
  if (status === 400) return texts.expired; // the CSRF token no longer matches the session
  if (status === 413) return texts.tooLarge; // over MAX_UPLOAD_MB
  return texts.failed;
}
document.addEventListener("htmx:responseError", ({ detail }) => showToast(failureText(detail.xhr.status), true));
document.addEventListener("htmx:sendError", () => showToast(failureText(0), true));
document.addEventListener("htmx:timeout", () => showToast(failureText(0), true));

// A running request shows: the button that started it is disabled and spins (CSS on
// aria-busy) until the answer is in, whatever the answer.
const requests = new WeakMap(); // xhr -> how the request started, for the focus below
document.addEventListener("htmx:beforeRequest", ({ detail }) => {
  const { elt, xhr, requestConfig } = detail;
  const byPerson = Boolean(requestConfig.triggeringEvent); // polling has no triggering event
  requests.set(xhr, { elt, byPerson, opensForm: requestConfig.verb === "get" });
  const button = requestConfig.triggeringEvent?.submitter || (elt.matches("button") ? elt : null);
  if (!button) return;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  xhr.addEventListener("loadend", () => {
    const focusDropped = document.activeElement === document.body; // disabling blurs it
    button.disabled = false;
    button.removeAttribute("aria-busy");
    if (focusDropped && button.isConnected) button.focus();
  });
});

// After an in-place swap the focus goes where the person continues: the first invalid field,
// else the first field of a form that just opened, else the same control again (a status
// select in a redrawn row), else the new content itself.
let added = []; // what the current swap brought in: htmx:load fires on each new element first
document.addEventListener("htmx:load", (event) => added.push(event.target));
document.addEventListener("htmx:afterSettle", (event) => {
  const fresh = added.filter((elt) => elt !== document.body && elt.isConnected);
  added = [];
  const request = requests.get(event.detail.xhr); // out-of-band swaps carry no request
  requests.delete(event.detail.xhr);
  const active = document.activeElement;
  const personWaits = active === document.body || active === request?.elt; // not typing elsewhere
  if (!request?.byPerson || !personWaits || !fresh.length) return;
  if (document.querySelector("dialog:modal")) return; // the dialog holds the focus
  const find = (selector) => fresh
    .flatMap((elt) => [elt, ...elt.querySelectorAll(selector)])
    .find((elt) => elt.matches(selector));
  const { elt } = request;
  if (elt.matches?.("[data-combobox]")) return; // a combobox keeps the focus in its box
  // A field whose change swapped other fields in (the day form's Format) keeps the focus:
  // the arrow keys go on through its options.
  if (elt.matches?.("select, input, textarea") && elt.isConnected && active === elt) return;
  const field = find("[aria-invalid=true]")
    || (request.opensForm && find("form :is(input:not([type=hidden]), select, textarea):not(:disabled)"))
    || (elt.name && find(`${elt.localName}[name="${CSS.escape(elt.name)}"]`));
  if (field) return field.focus(); // scrolled into view: a new day's form opens below the list
  const spot = event.target; // the swapped element, or the list whose content was replaced
  if (spot.tabIndex < 0) spot.setAttribute("tabindex", "-1");
  spot.focus({ preventScroll: true });
});

// Confirmations are modal: a swapped-in <dialog data-modal> opens with showModal(), and Esc
// does what its Cancel button does.
// When its Cancel redraws the page around it, the focus goes back to the control named in
// data-return-focus (the button that opened the form that asked).
let returnFocusTo = null;
document.addEventListener("htmx:load", (event) => {
  event.target.querySelectorAll("dialog[data-modal]").forEach((dialog) => {
    dialog.addEventListener("cancel", () => dialog.querySelector("[data-cancel]").click());
    dialog.querySelector("[data-cancel]").addEventListener("click", () => {
      returnFocusTo = dialog.dataset.returnFocus || null;
    });
    dialog.showModal();
  });
});
// A clash question (views/clash_warnings.py) is added to the page for one answer: an
// earlier one, answered or dismissed, goes when the next comes (one set of its ids).
document.addEventListener("htmx:load", (event) => {
  if (!event.target.matches?.(".clash-confirm")) return;
  document.querySelectorAll(".clash-confirm").forEach((old) => {
    if (old !== event.target) old.remove();
  });
});
document.addEventListener("htmx:afterSettle", () => {
  if (!returnFocusTo || document.querySelector("dialog:modal")) return;
  const target = document.querySelector(returnFocusTo);
  returnFocusTo = null;
  target?.focus();
});

// A zone as people read it, like the server's (foundation/zones.py): its name in the page's
// language and its offset at `date`, "Moscow Standard Time (UTC+3)". Intl has no city
// names, so the browser's generic name stands in for the server's city or country.
function zoneLabel(zone, date = new Date()) {
  const part = (style) => new Intl.DateTimeFormat(document.documentElement.lang, { timeZone: zone, timeZoneName: style })
    .formatToParts(date).find((piece) => piece.type === "timeZoneName")?.value || "";
  const offset = part("shortOffset").replace(/^GMT/, "UTC");
  const name = part("longGeneric");
  return name && !name.startsWith("GMT") ? `${name} (${offset})` : offset;
}

// Public pages: times in the browser's own zone and language (on a first visit the server
// cannot know the zone; its text, with its zone name, stays when JavaScript is off).
document.addEventListener("htmx:load", (event) => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const format = new Intl.DateTimeFormat(document.documentElement.lang, {
    weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: zone,
  });
  event.target.querySelectorAll("time[data-local]").forEach((time) => {
    const start = new Date(time.dateTime);
    time.textContent = `${format.formatRange(start, new Date(time.dataset.end))} ${zoneLabel(zone, start)}`;
  });
});

// Member screens show times in the browser's time zone: tell the server which one it is.
(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && !document.cookie.includes(`tz=${zone}`)) {
    document.cookie = `tz=${zone}; path=/; max-age=31536000; SameSite=Lax`;
  }
})();

// Group session form: the start time is typed in the browser's time zone.
document.addEventListener("htmx:load", (event) => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  event.detail.elt.querySelectorAll?.("[data-browser-zone]").forEach((input) => { input.value = zone; });
  event.detail.elt.querySelectorAll?.("[data-zone-label]").forEach((label) => { label.textContent = zoneLabel(zone); });
});

// Type-aheads are one ARIA combobox (macros.html `combobox`, the "combobox with listbox
// popup" pattern). The focus and the text stay in the box while the options swap in; the
// arrow keys move through them, Enter picks one, Esc closes them, and the live region says
// how many were found. A pick adds a chip (data-combobox="many"), replaces the chip
// ("one"), becomes the box's text ("text"), or shows its label in the box while a hidden
// field carries its value ("value"). In "text" and "value" boxes Enter with no option
// chosen sends the form as usual; the chip kinds never send it from the box.
function comboboxParts(input) {
  const list = document.getElementById(input.getAttribute("aria-controls"));
  return { list, options: [...list.querySelectorAll("[role=option]")] };
}
function setActiveOption(input, option) {
  const { options } = comboboxParts(input);
  options.forEach((each) => each.setAttribute("aria-selected", each === option ? "true" : "false"));
  if (option) {
    input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  } else input.removeAttribute("aria-activedescendant");
}
function closeCombobox(input) {
  input.setAttribute("aria-expanded", "false");
  setActiveOption(input, null);
}
function announce(input, text) {
  const status = document.getElementById(input.dataset.status);
  if (status) status.textContent = text;
}
document.addEventListener("htmx:afterSwap", (event) => {
  const list = event.target;
  const input = document.querySelector(`[data-combobox][aria-controls="${CSS.escape(list.id)}"]`);
  if (!input) return;
  const { options } = comboboxParts(input);
  options.forEach((option, index) => { option.id = `${list.id}-${index}`; });
  input.setAttribute("aria-expanded", options.length && document.activeElement === input ? "true" : "false");
  setActiveOption(input, null);
  announce(input, list.querySelector("[data-combobox-found]")?.textContent.trim() || "");
});
document.addEventListener("keydown", (event) => {
  const input = event.target.closest?.("[data-combobox]");
  if (!input) return;
  const { options } = comboboxParts(input);
  const isOpen = input.getAttribute("aria-expanded") === "true";
  const active = isOpen ? options.find((option) => option.id === input.getAttribute("aria-activedescendant")) : null;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    if (!options.length) return;
    event.preventDefault();
    input.setAttribute("aria-expanded", "true");
    const at = options.indexOf(active);
    const step = event.key === "ArrowDown" ? 1 : -1;
    const next = at < 0 ? (step > 0 ? 0 : options.length - 1) : (at + step + options.length) % options.length;
    setActiveOption(input, options[next]);
  } else if (event.key === "Enter") {
    if (active) {
      event.preventDefault();
      pickOption(input, active);
    } else if (!["text", "value"].includes(input.dataset.combobox)) event.preventDefault();
  } else if (event.key === "Escape" && isOpen) {
    event.preventDefault();
    closeCombobox(input);
  }
});
document.addEventListener("mousedown", (event) => {
  if (event.target.closest("[role=listbox] [role=option]")) event.preventDefault(); // the focus stays in the box
});
document.addEventListener("click", (event) => {
  const option = event.target.closest("[role=listbox] [role=option]");
  const input = option && document.querySelector(`[data-combobox][aria-controls="${CSS.escape(option.parentElement.id)}"]`);
  if (input) pickOption(input, option);
});
document.addEventListener("focusout", (event) => {
  const input = event.target.closest?.("[data-combobox]");
  if (input) closeCombobox(input);
});
function pickOption(input, option) {
  const { value, label } = option.dataset;
  if (input.dataset.combobox === "text") {
    input.value = value;
  } else if (input.dataset.combobox === "value") {
    Object.assign(input.dataset, { label, value });
    input.value = label;
    valueField(input).value = value;
  } else {
    addChip(input, value, label);
    input.value = "";
  }
  comboboxParts(input).list.replaceChildren();
  closeCombobox(input);
  input.focus();
  announce(input, input.dataset.added ? input.dataset.added.replace("{name}", label) : label);
}
// A "value" box arrives as the plain field (its value, e.g. a zone id, works without
// JavaScript); here it becomes the search box showing the label, and a hidden field takes
// its name and value. Typing without a pick sends what was typed, which the server checks.
function valueField(input) {
  return input.parentElement.querySelector(`input[type=hidden][name="${CSS.escape(input.dataset.field)}"]`);
}
document.addEventListener("htmx:load", (event) => {
  event.detail.elt.querySelectorAll?.("[data-combobox=value][name]:not([name=q])").forEach((input) => {
    const field = Object.assign(document.createElement("input"), { type: "hidden", name: input.name, value: input.value });
    input.after(field);
    input.dataset.value = input.value;
    input.name = "q";
    input.value = input.dataset.label;
  });
});
document.addEventListener("input", (event) => {
  const input = event.target.closest?.("[data-combobox=value]");
  if (!input) return;
  const typed = input.value.trim();
  valueField(input).value = typed === input.dataset.label ? input.dataset.value : typed;
});
// The zone picker offers the browser's own zone first.
document.addEventListener("htmx:configRequest", ({ detail }) => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && detail.elt.matches?.("[data-offer-browser-zone]")) detail.parameters.browser = zone;
});
function addChip(input, value, label) {
  const box = document.getElementById(input.dataset.into);
  const single = input.dataset.combobox === "one";
  if (single) box.replaceChildren();
  if (box.querySelector(`input[value="${CSS.escape(value)}"]`)) return;
  const chip = document.createElement("label");
  chip.className = "chip";
  const choice = Object.assign(document.createElement("input"), {
    type: single ? "radio" : "checkbox", name: input.dataset.field, value, checked: true,
  });
  chip.append(choice, " ", label);
  box.append(chip);
}

// A form that adds a row resets once the row is in (not after a refusal, which re-renders it).
document.addEventListener("htmx:afterRequest", ({ detail }) => {
  const form = detail.elt.closest?.("[data-reset-after-swap-into]");
  if (form && detail.successful && detail.target?.id === form.dataset.resetAfterSwapInto) form.reset();
});

// Read-only links to copy: one click selects the whole text.
document.addEventListener("click", (event) => event.target.closest("[data-select-on-click]")?.select());

// "Copy URL" buttons.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  navigator.clipboard?.writeText(button.dataset.copy);
  showToast(button.dataset.copied || "✓");
});

// Lists whose state is in the URL (users, email log; templates/macros.html).
// A header or pager link that htmx followed is replaced by the new table: the focus goes to
// the same link in it (the current page's when "Next" is gone), so the keyboard carries on.
let listLink = null; // the data-focus-key of the list link being followed
document.addEventListener("htmx:beforeRequest", ({ detail }) => {
  listLink = detail.elt.dataset?.focusKey || null;
});
document.addEventListener("htmx:afterSettle", (event) => {
  const list = event.target; // the new table (out-of-band parts settle on their own)
  if (!listLink || !list.matches?.(".list") || !list.isConnected) return;
  const key = listLink;
  listLink = null;
  const link = list.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)
    || list.querySelector(".pager [aria-current=page]");
  link?.focus();
});
// Each filter of a list's search form applies when changed, whichever and however many there
// are (the search box has its own delayed trigger, so its change on leaving it sends nothing).
document.addEventListener("change", (event) => {
  const form = event.target.closest?.("[data-list-filters]");
  if (form && event.target.name !== "q") htmx.trigger(form, "filters-changed");
});
// htmx keeps a copy of the page for Back just before it leaves an address; by then the search
// box may already hold the next words. The copy's form shows what its own address says.
document.addEventListener("htmx:beforeHistorySave", () => {
  const shown = new URLSearchParams(location.search);
  document.querySelectorAll("[data-list-filters] input:not([type=hidden])").forEach((input) => {
    input.setAttribute("value", shown.get(input.name) ?? "");
  });
  document.querySelectorAll("[data-list-filters] select").forEach((select) => {
    const value = shown.get(select.name) ?? "";
    for (const option of select.options) option.toggleAttribute("selected", option.value === value);
  });
});
// "Select all on this page" ticks or clears the boxes named in its data-select-all.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all) return;
  // form.elements also holds the boxes that join the form with form="…" from outside it.
  Array.from(all.form.elements)
    .filter((box) => box.type === "checkbox" && box.name === all.dataset.selectAll)
    .forEach((box) => { box.checked = all.checked; });
});

// A dialog's [data-close-dialog] button closes it and leaves the page as it was.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-close-dialog]");
  if (button) button.closest("dialog").close();
});
