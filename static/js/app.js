// Careweave's own script is small on purpose: htmx does the rest.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
  // "Cancel" on an add form: close it and give focus back to the "Add …" button it came from.
  const cancel = event.target.closest("[data-cancel-add]");
  const slot = cancel && cancel.closest(".item-add");
  if (slot) {
    event.preventDefault();
    cancel.closest("form").remove();
    const add = slot.querySelector("[data-add-item]");
    add.hidden = false;
    add.focus();
  }
});

// Escape in an open form does what its "Cancel" does.
document.addEventListener("keydown", (event) => {
  const form = event.key === "Escape" && event.target.closest(".item-form");
  if (form) {
    event.preventDefault();
    form.querySelector(".form-actions a").click();
  }
});

// A plan-page request that was redirected means the session ended (LoginRequiredMiddleware): go to the
// sign-in page it ended on, which comes back to the same form, rather than swap it into a row.
document.addEventListener("htmx:beforeSwap", (event) => {
  const { xhr, elt, requestConfig } = event.detail;
  const asked = new URL(requestConfig.path, window.location.href).pathname;
  if (elt.closest(".plan-section") && xhr.responseURL && new URL(xhr.responseURL).pathname !== asked) {
    event.detail.shouldSwap = false;
    window.location.assign(xhr.responseURL);
  }
});

// After a swap, move focus to what the server marked with data-focus: in a form, the conflict
// notice, else the first field with an error, else the first field; otherwise the element itself
// (the row just saved, or put back by "Cancel").
function focusMarked() {
  const marked = document.querySelector("[data-focus]");
  if (!marked) {
    return;
  }
  marked.removeAttribute("data-focus");
  if (marked !== document.activeElement && marked.contains(document.activeElement)) {
    return; // Already at work in the new content: leave the focus where it is.
  }
  let target = marked;
  if (marked.matches("form")) {
    target =
      marked.querySelector(".conflict") ||
      marked.querySelector('[aria-invalid="true"]') ||
      marked.querySelector("input:not([type=hidden]), select, textarea");
  }
  if (target) {
    target.focus();
  }
}

document.addEventListener("htmx:afterSettle", focusMarked);
document.addEventListener("DOMContentLoaded", focusMarked);
