// Small enhancements on top of server-rendered pages; everything works
// without this file. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  // Profile Modal and other dialogs: links with data-open-dialog open a
  // native <dialog> instead of navigating.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && typeof dialog.showModal === "function") {
        event.preventDefault();
        closeMenus();
        dialog.showModal();
        var first = dialog.querySelector("input:not([type=hidden]):not([readonly]), button");
        if (first) first.focus();
      }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      var parent = closer.closest("dialog");
      if (parent) parent.close();
      return;
    }
    // Clicking outside an open menu closes it.
    document.querySelectorAll("details.menu-host[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  function closeMenus() {
    document.querySelectorAll("details.menu-host[open]").forEach(function (menu) {
      menu.removeAttribute("open");
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = document.querySelector("details.menu-host[open]");
      if (open) {
        open.removeAttribute("open");
        var summary = open.querySelector("summary");
        if (summary) summary.focus();
      }
    }
  });

  // Toasts: dismissable, and gone after a few seconds (errors stay longer).
  function dismiss(toast) {
    toast.classList.add("leaving");
    setTimeout(function () { toast.remove(); }, 200);
  }
  document.querySelectorAll(".toast").forEach(function (toast) {
    var close = toast.querySelector(".toast-close");
    if (close) close.addEventListener("click", function () { dismiss(toast); });
    var delay = toast.classList.contains("toast-error") ? 10000 : 5000;
    setTimeout(function () { dismiss(toast); }, delay);
  });
})();

// Role dropdowns save on change; their button stays for keyboards and no-JS.
document.addEventListener("change", function (event) {
  var select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

// Copy buttons: data-copy names the element whose text is copied. The
// button says "Copied" for a moment; a status message tells screen readers.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var original = button.getAttribute("data-label") || button.innerHTML;
    button.setAttribute("data-label", original);
    button.textContent = "Copied";
    button.setAttribute("aria-live", "polite");
    setTimeout(function () { button.innerHTML = original; }, 2000);
  });
});
