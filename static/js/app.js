// Careweave's own script is small on purpose: htmx does the rest.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
