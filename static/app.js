// Toasts: the server sends HX-Trigger {"toast": "..."}; show it bottom-left for a few seconds.
document.addEventListener("toast", (event) => {
  const toast = document.createElement("div");
  toast.className = "toast";
  toast.setAttribute("role", "status");
  toast.textContent = event.detail.value;
  document.getElementById("toasts").append(toast);
  setTimeout(() => toast.remove(), 4000);
});
