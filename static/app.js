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
