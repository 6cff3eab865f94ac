// A running import's progress bar (templates/imports/_body.html): polls
// GET /api/v1/imports/{id} and moves the bar and the counts; once the
// import settles, the page is loaded again for the result. Without
// JavaScript the page reloads itself (a <noscript> refresh).
(function () {
  "use strict";
  var card = document.querySelector(".import-progress[data-import-url]");
  if (!card) return;
  var running = card.dataset.state === "QUEUED" || card.dataset.state === "RUNNING";
  if (!running) return;
  var url = card.dataset.importUrl;
  var set = function (id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = String(text);
  };
  var delay = 500;
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        if (!res.ok) throw new Error("status " + res.status);
        return res.json();
      })
      .then(function (imp) {
        var bar = document.getElementById("import-bar");
        if (bar) bar.value = imp.progress.percent;
        set("import-percent", imp.progress.percent);
        set("import-rows", imp.counts.rows_read);
        set("import-created", imp.counts.created);
        set("import-updated", imp.counts.updated);
        set("import-skipped", imp.counts.skipped);
        set("import-failed", imp.counts.failed);
        var link = document.getElementById("import-errors-link");
        if (link && imp.counts.failed > 0) link.hidden = false;
        if (imp.state === "DONE" || imp.state === "FAILED") {
          window.location.reload();
          return;
        }
        delay = Math.min(delay * 1.5, 3000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // A network blip: try again a little later.
        window.setTimeout(poll, 3000);
      });
  }
  window.setTimeout(poll, delay);
})();
