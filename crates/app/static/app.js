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

// Settings → Audit Log. "Load more" fetches the next page and appends its
// rows (the link works without this). Export buttons stream the download
// with a live row count and a Cancel button, then save it from a Blob.
document.addEventListener("click", function (event) {
  var more = event.target.closest("a[data-load-more]");
  if (!more || !window.fetch || !window.DOMParser) return;
  event.preventDefault();
  more.setAttribute("aria-disabled", "true");
  fetch(more.href, { credentials: "same-origin" }).then(function (res) {
    if (!res.ok) throw new Error("HTTP " + res.status);
    return res.text();
  }).then(function (html) {
    var next = new DOMParser().parseFromString(html, "text/html");
    var rows = document.getElementById("audit-rows");
    next.querySelectorAll("#audit-rows tr[data-entry-id]").forEach(function (row) {
      rows.appendChild(document.importNode(row, true));
    });
    var nextLink = next.querySelector("a[data-load-more]");
    if (nextLink) {
      more.href = nextLink.getAttribute("href");
      more.removeAttribute("aria-disabled");
    } else {
      var row = document.getElementById("load-more-row");
      if (row) row.remove();
    }
  }).catch(function () {
    window.location.href = more.href; // fall back to the plain link
  });
});

(function () {
  "use strict";
  var exporting = null;
  var BYTE_NEWLINE = 10, BYTE_QUOTE = 34;

  function formatCount(n) {
    return n.toLocaleString("en-US") + (n === 1 ? " row" : " rows");
  }

  function fileName(res, fallback) {
    var header = res.headers.get("content-disposition") || "";
    var m = header.match(/filename="?([^";]+)"?/);
    return m ? m[1] : fallback;
  }

  function finish(progress, bar) {
    progress.hidden = true;
    bar.removeAttribute("value");
    exporting = null;
    document.querySelectorAll("a[data-export]").forEach(function (a) { a.removeAttribute("aria-disabled"); });
  }

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("#export-cancel");
    if (cancel && exporting) {
      exporting.abort();
      return;
    }
    var link = event.target.closest("a[data-export]");
    if (!link || !window.fetch || !window.AbortController || !window.ReadableStream || !window.Blob) return;
    event.preventDefault();
    if (exporting) return;
    var status = document.getElementById("export-status");
    var progress = document.getElementById("export-progress");
    var bar = document.getElementById("export-bar");
    var csv = link.getAttribute("data-export") === "csv";
    var controller = new AbortController();
    exporting = controller;
    document.querySelectorAll("a[data-export]").forEach(function (a) { a.setAttribute("aria-disabled", "true"); });
    progress.hidden = false;
    status.textContent = "Exporting…";
    var rows = 0, newlines = 0, inQuotes = false, lastShown = 0;
    var chunks = [];
    fetch(link.href, { credentials: "same-origin", signal: controller.signal }).then(function (res) {
      if (!res.ok || !res.body) {
        return res.json().catch(function () { return {}; }).then(function (problem) {
          throw new Error(problem.detail || "The export failed (HTTP " + res.status + ").");
        });
      }
      var name = fileName(res, csv ? "audit-log.csv" : "audit-log.jsonl");
      var type = (res.headers.get("content-type") || "application/octet-stream").split(";")[0];
      var reader = res.body.getReader();
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) return { name: name, type: type };
          var bytes = step.value;
          chunks.push(bytes);
          // Rows end at newlines; in CSV, not at those inside quoted fields.
          for (var i = 0; i < bytes.length; i++) {
            var b = bytes[i];
            if (b === BYTE_QUOTE && csv) inQuotes = !inQuotes;
            else if (b === BYTE_NEWLINE && !inQuotes) newlines++;
          }
          rows = csv ? Math.max(0, newlines - 1) : newlines;
          var now = Date.now();
          if (now - lastShown > 500) {
            lastShown = now;
            status.textContent = formatCount(rows) + " exported…";
          }
          return pump();
        });
      }
      return pump();
    }).then(function (file) {
      var url = URL.createObjectURL(new Blob(chunks, { type: file.type }));
      chunks = [];
      var a = document.createElement("a");
      a.href = url;
      a.download = file.name;
      a.hidden = true;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      status.textContent = "Export finished: " + formatCount(rows) + " saved as " + file.name + ".";
      finish(progress, bar);
    }).catch(function (err) {
      chunks = [];
      status.textContent = err && err.name === "AbortError"
        ? "Export cancelled after " + formatCount(rows) + "; nothing was saved."
        : (err && err.message) || "The export failed.";
      finish(progress, bar);
    });
  });
})();

// Webhook forms. A dialog whose form was refused opens again on load, with
// its field error. Checking an event type chooses "Only the types checked";
// choosing "All events" clears the checks.
(function () {
  "use strict";
  document.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) {
    if (typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    var fieldset = input.closest && input.closest(".events-field");
    if (!fieldset) return;
    if (input.name === "event_types" && input.checked) {
      var some = fieldset.querySelector("input[name=events][value=some]");
      if (some) some.checked = true;
    } else if (input.name === "events" && input.value === "all" && input.checked) {
      fieldset.querySelectorAll("input[name=event_types]").forEach(function (box) { box.checked = false; });
    }
  });
})();

// Print buttons (the invoice page): data-print opens the browser's print
// dialog; the print stylesheet leaves only the invoice.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) window.print();
});
// Settings → Subscription top-up: the slider (shown only with this script)
// and the number box stay in step, and the price and the confirm button
// follow the amount. The server prices the top-up again on submit.
(function () {
  "use strict";
  var form = document.querySelector("[data-top-up]");
  if (!form) return;
  var slider = form.querySelector("[data-top-up-slider]");
  var number = form.querySelector("[data-top-up-number]");
  var price = form.querySelector("[data-top-up-price]");
  var confirm = form.querySelector("[data-top-up-confirm]");
  var centsPer1000 = parseInt(form.getAttribute("data-cents-per-1000"), 10) || 0;
  var min = parseInt(slider.min, 10), max = parseInt(slider.max, 10);
  var group = function (n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); };
  var money = function (cents) { return "$" + group(Math.floor(cents / 100)) + "." + String(cents % 100).padStart(2, "0"); };
  var update = function (credits) {
    if (!(credits >= min && credits <= max)) {
      price.textContent = "—";
      confirm.textContent = "Buy credits";
      return;
    }
    var cents = Math.ceil(credits * centsPer1000 / 1000);
    price.textContent = money(cents);
    confirm.textContent = "Buy " + group(credits) + " credits for " + money(cents);
  };
  var typed = function () {
    var n = parseInt(number.value.replace(/[,\s_]/g, ""), 10);
    return /^\s*[\d,\s_]+\s*$/.test(number.value) ? n : NaN;
  };
  slider.hidden = false;
  slider.addEventListener("input", function () {
    number.value = slider.value;
    update(parseInt(slider.value, 10));
  });
  number.addEventListener("input", function () {
    var n = typed();
    if (n >= min && n <= max) slider.value = String(n);
    update(n);
  });
  update(typed());
})();
