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

// Send the current CSRF token with every htmx request, read from the cookie rather than from the page:
// signing in again in another tab (after the session ended mid-edit, see config.middleware) rotates it,
// and the form still open here must save with the new one.
// The cookie's name is in the page: "__Host-csrftoken" in production, "csrftoken" over http in development.
function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-cookie-name"]');
  const prefix = `${meta ? meta.content : "csrftoken"}=`;
  const cookie = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return cookie ? decodeURIComponent(cookie.slice(prefix.length)) : null;
}

document.addEventListener("htmx:configRequest", (event) => {
  const token = csrfToken();
  if (token) {
    event.detail.headers["X-CSRFToken"] = token;
    if (event.detail.formData && event.detail.formData.has("csrfmiddlewaretoken")) {
      event.detail.formData.set("csrfmiddlewaretoken", token);
    }
  }
});

// Once a request goes through again, the "you were signed out" notice has done its job.
document.addEventListener("htmx:afterRequest", (event) => {
  const notice = document.getElementById("session-notice");
  if (notice && event.detail.xhr && event.detail.xhr.status < 300) {
    notice.replaceChildren();
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

// A link to an item's comments (from the worklist's mentions) opens them; htmx then loads the thread.
document.addEventListener("DOMContentLoaded", () => {
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target && target.matches("details.item-comments")) {
    target.open = true;
  }
});
