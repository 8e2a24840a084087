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

// Toasts: the server sends HX-Trigger {"toast": "..."}; show it bottom-left for a few seconds.
document.addEventListener("toast", (event) => {
  const toast = document.createElement("div");
  toast.className = "toast";
  toast.setAttribute("role", "status");
  toast.textContent = event.detail.value;
  document.getElementById("toasts").append(toast);
  setTimeout(() => toast.remove(), 4000);
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
  event.detail.elt.querySelectorAll?.("[data-zone-label]").forEach((label) => { label.textContent = zone; });
});

// Invitations: a chosen suggestion becomes a checked box that the form sends.
function addInvitee(button) {
  const box = document.getElementById("invitees");
  if (!box.querySelector(`input[value="${button.dataset.id}"]`)) {
    const chip = document.createElement("label");
    chip.className = "chip";
    const input = Object.assign(document.createElement("input"), { type: "checkbox", name: "invitees", value: button.dataset.id, checked: true });
    chip.append(input, " ", button.dataset.name);
    box.append(chip);
  }
  document.getElementById("invitee-results").replaceChildren();
}

// "Copy URL" buttons.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  navigator.clipboard?.writeText(button.dataset.copy);
  document.dispatchEvent(new CustomEvent("toast", { detail: { value: button.dataset.copied || "✓" } }));
});
