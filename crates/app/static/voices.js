// Settings → Voices, on top of pages that work without it:
//  - the library filter applies as soon as a select changes;
//  - Clone a voice: the recorder (timer, level meter, stop at 20 s, takes
//    to play or remove), "Check quality" without leaving the page, and the
//    checks before "Clone voice" (a passing report, the consent box);
//  - a voice's page follows PROCESSING → READY/FAILED without a reload.
// Loaded only on the Voices pages. No inline script: the CSP forbids it.
(function () {
  "use strict";

  // -------------------------------------------------------------------------
  // Field errors, in the markup the server writes: aria-invalid on the
  // field, a .field-error right after it named by aria-describedby.

  function setFieldError(field, message, anchor) {
    clearFieldError(field);
    var id = field.id + "-error";
    var p = document.createElement("p");
    p.className = "field-error";
    p.id = id;
    p.textContent = message;
    (anchor || field).insertAdjacentElement("afterend", p);
    field.setAttribute("aria-invalid", "true");
    var described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (described.indexOf(id) < 0) described.unshift(id);
    field.setAttribute("aria-describedby", described.join(" "));
    var wrap = field.closest(".field");
    if (wrap) wrap.classList.add("has-error");
  }

  function clearFieldError(field) {
    var id = field.id + "-error";
    var old = document.getElementById(id);
    if (old) old.remove();
    field.removeAttribute("aria-invalid");
    var described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
    if (described.length) field.setAttribute("aria-describedby", described.join(" "));
    else field.removeAttribute("aria-describedby");
    var wrap = field.closest(".field");
    if (wrap) wrap.classList.remove("has-error");
  }

  // -------------------------------------------------------------------------
  // Library: filter the cards in place; the GET form still works (and the
  // address follows, so a reload or a shared link shows the same filter).

  var library = document.querySelector("[data-library-filter]");
  if (library) {
    var cards = document.querySelectorAll("[data-library-voice]");
    var count = document.getElementById("library-count");
    var applyFilter = function () {
      var lang = library.elements.language.value;
      var gender = library.elements.gender.value;
      var shown = 0;
      cards.forEach(function (card) {
        var cardLang = (card.getAttribute("data-language") || "").toLowerCase().split("-")[0];
        var ok = (!lang || cardLang === lang.toLowerCase()) && (!gender || card.getAttribute("data-gender") === gender);
        card.hidden = !ok;
        if (ok) shown++;
      });
      if (count) count.textContent = shown === 1 ? "1 voice" : shown + " voices";
      var empty = document.getElementById("library-none");
      if (empty) empty.hidden = shown > 0;
      var params = new URLSearchParams();
      if (lang) params.set("language", lang);
      if (gender) params.set("gender", gender);
      var query = params.toString();
      history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    };
    library.addEventListener("change", applyFilter);
    library.addEventListener("submit", function (event) {
      event.preventDefault();
      applyFilter();
    });
  }

  // -------------------------------------------------------------------------
  // Clone a voice.

  var form = document.querySelector("[data-clone-form]");
  if (form) setUpCloneForm(form);

  function setUpCloneForm(form) {
    var MAX_FILES = parseInt(form.getAttribute("data-max-files"), 10) || 25;
    var MAX_BYTES = parseInt(form.getAttribute("data-max-bytes"), 10) || 10 * 1024 * 1024;
    var takesInput = document.getElementById("voice-takes");
    var filesInput = document.getElementById("voice-files");
    var cloneButton = document.getElementById("clone-submit");
    var cloneHint = document.getElementById("clone-hint");
    var checkButton = document.getElementById("check-quality");
    var checkStatus = document.getElementById("check-status");
    var consent = document.getElementById("voice-consent");
    var takes = []; // { file, url }
    // Whether the report on the page is about the samples chosen now.
    var checkedOk = reportAcceptable();
    var fresh = document.getElementById("quality-report") && document.getElementById("quality-report").hasAttribute("data-checked");

    function reportAcceptable() {
      var report = document.getElementById("quality-report");
      return Boolean(report && report.getAttribute("data-acceptable") === "true");
    }

    function allFiles() {
      var files = takes.map(function (t) { return t.file; });
      for (var i = 0; i < filesInput.files.length; i++) files.push(filesInput.files[i]);
      return files;
    }

    function updateCloneButton() {
      var reason = "";
      if (allFiles().length === 0) reason = "Record a take or choose files, then check their quality.";
      else if (!fresh) reason = "Check the samples' quality before cloning.";
      else if (!checkedOk) reason = "These samples cannot be cloned: see the quality report.";
      cloneButton.disabled = reason !== "";
      cloneHint.textContent = reason;
      cloneHint.hidden = reason === "";
    }

    // The samples changed: the report no longer speaks for them.
    function samplesChanged() {
      fresh = false;
      checkedOk = false;
      var report = document.getElementById("quality-report");
      if (report && report.hasAttribute("data-checked")) report.classList.add("stale");
      clearFieldError(filesInput);
      updateCloneButton();
    }

    // Puts the takes in the form's hidden file input, so that the form's
    // own submission (and FormData) carries them like uploaded files.
    // An empty file input still sends an empty part: leave them out.
    function syncTakes() {
      if (!window.DataTransfer) return;
      var dt = new DataTransfer();
      takes.forEach(function (t) { dt.items.add(t.file); });
      takesInput.files = dt.files;
      takesInput.disabled = takes.length === 0;
      filesInput.disabled = filesInput.files.length === 0;
    }

    // Back from the next page (the form may come from the page cache).
    window.addEventListener("pageshow", function () { filesInput.disabled = false; });

    function checkLimits() {
      var files = allFiles();
      if (files.length === 0) {
        setFieldError(filesInput, "Record a take or choose at least one file.");
        return false;
      }
      if (files.length > MAX_FILES) {
        setFieldError(filesInput, "Send at most " + MAX_FILES + " samples: remove some takes or files.");
        return false;
      }
      var big = files.filter(function (f) { return f.size > MAX_BYTES; })[0];
      if (big) {
        setFieldError(filesInput, big.name + " is larger than 10 MiB: trim it or send a compressed format.");
        return false;
      }
      clearFieldError(filesInput);
      return true;
    }

    filesInput.addEventListener("change", samplesChanged);

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter === checkButton) {
        event.preventDefault();
        if (checkLimits()) checkQuality();
        return;
      }
      // "Clone voice": the form goes as it is; the server checks everything
      // again. Refuse here what it would refuse, so the takes are not lost.
      var ok = true;
      var name = document.getElementById("voice-name");
      if (!name.value.trim()) {
        setFieldError(name, "Give the voice a name.");
        ok = false;
      } else clearFieldError(name);
      if (!consent.checked) {
        setFieldError(consent, "Confirm the consent statement to clone a voice.", consent.closest("label"));
        ok = false;
      } else clearFieldError(consent);
      if (!checkLimits() || !fresh || !checkedOk) ok = false;
      if (!ok) {
        event.preventDefault();
        updateCloneButton();
        var first = form.querySelector("[aria-invalid=true]");
        if (first) first.focus();
        return;
      }
      syncTakes();
      cloneButton.disabled = true;
      cloneButton.textContent = "Cloning…";
    });

    consent.addEventListener("change", function () {
      if (consent.checked) clearFieldError(consent);
    });

    function checkQuality() {
      checkButton.disabled = true;
      checkStatus.textContent = "Checking " + allFiles().length + (allFiles().length === 1 ? " sample…" : " samples…");
      syncTakes();
      var body = new FormData(form);
      filesInput.disabled = false;
      fetch(checkButton.formAction, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (res) {
          if (res.status === 413) throw new Error("The samples are too large: at most 10 MiB each and 25 files.");
          return res.text().then(function (html) { return { res: res, html: html }; });
        })
        .then(function (r) {
          var doc = new DOMParser().parseFromString(r.html, "text/html");
          var next = doc.getElementById("quality-report");
          if (!next) throw new Error("The check failed (HTTP " + r.res.status + "). Try again.");
          var current = document.getElementById("quality-report");
          current.replaceWith(document.importNode(next, true));
          var err = doc.getElementById("voice-files-error");
          if (err) setFieldError(filesInput, err.textContent.trim());
          else clearFieldError(filesInput);
          fresh = Boolean(next.hasAttribute("data-checked"));
          checkedOk = reportAcceptable();
          var verdict = document.getElementById("quality-verdict");
          checkStatus.textContent = verdict ? "Quality checked. " + verdict.textContent.trim() : "Quality checked.";
        })
        .catch(function (e) {
          checkStatus.textContent = (e && e.message) || "The check failed. Try again.";
        })
        .then(function () {
          checkButton.disabled = false;
          updateCloneButton();
        });
    }

    var recorder = document.querySelector("[data-recorder]");
    if (recorder) setUpRecorder(recorder, {
      add: function (file) {
        var url = URL.createObjectURL(file);
        takes.push({ file: file, url: url });
        renderTakes();
        samplesChanged();
      },
      count: function () { return takes.length; },
    });

    function renderTakes() {
      var list = document.getElementById("takes");
      list.textContent = "";
      takes.forEach(function (take, i) {
        var li = document.createElement("li");
        li.className = "take";
        var label = document.createElement("span");
        label.className = "take-name";
        label.textContent = "Take " + (i + 1) + " · " + take.file.name + " · " + formatSeconds(take.file.seconds || 0);
        var audio = document.createElement("audio");
        audio.controls = true;
        audio.preload = "metadata";
        audio.src = take.url;
        audio.setAttribute("aria-label", "Play take " + (i + 1));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button small";
        remove.textContent = "Remove";
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = " take " + (i + 1);
        remove.appendChild(hidden);
        remove.addEventListener("click", function () {
          URL.revokeObjectURL(take.url);
          takes.splice(takes.indexOf(take), 1);
          renderTakes();
          samplesChanged();
          var status = document.getElementById("record-status");
          if (status) status.textContent = "Take " + (i + 1) + " removed.";
        });
        li.appendChild(label);
        li.appendChild(audio);
        li.appendChild(remove);
        list.appendChild(li);
      });
      list.hidden = takes.length === 0;
    }

    updateCloneButton();
  }

  function formatSeconds(s) {
    var whole = Math.floor(s);
    return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
  }

  // -------------------------------------------------------------------------
  // The recorder: microphone → AudioWorklet (PCM) → WAV. An AnalyserNode
  // drives the level meter. Stops itself at data-max-seconds.

  function setUpRecorder(root, takes) {
    var canRecord = navigator.mediaDevices && navigator.mediaDevices.getUserMedia &&
      window.AudioContext && window.AudioWorkletNode;
    if (!canRecord) return; // the page says recording needs a recent browser
    root.hidden = false;
    var fallback = document.getElementById("recorder-unavailable");
    if (fallback) fallback.hidden = true;
    var start = document.getElementById("record-start");
    var stop = document.getElementById("record-stop");
    var timer = document.getElementById("record-timer");
    var meter = document.getElementById("record-level");
    var status = document.getElementById("record-status");
    var maxSeconds = parseInt(root.getAttribute("data-max-seconds"), 10) || 20;
    var workletUrl = root.getAttribute("data-worklet");
    var session = null;

    function showTime(seconds) {
      timer.textContent = formatSeconds(seconds) + " / " + formatSeconds(maxSeconds);
      timer.setAttribute("data-seconds", seconds.toFixed(1));
    }
    showTime(0);

    start.addEventListener("click", function () {
      if (session) return;
      start.disabled = true;
      status.classList.remove("error");
      status.setAttribute("role", "status");
      status.textContent = "Starting the microphone…";
      begin().catch(function (err) {
        session = null;
        start.disabled = false;
        stop.disabled = true;
        status.classList.add("error");
        status.setAttribute("role", "alert");
        status.textContent = err && (err.name === "NotAllowedError" || err.name === "SecurityError")
          ? "The microphone is not allowed. Allow it for this site in your browser's settings, or upload recordings instead."
          : err && err.name === "NotFoundError"
            ? "No microphone was found. Connect one, or upload recordings instead."
            : "The microphone could not be started" + (err && err.message ? ": " + err.message : ".");
      });
    });

    stop.addEventListener("click", function () { finish(); });

    function begin() {
      var constraints = { audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } };
      return navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
        var ctx = new AudioContext();
        return ctx.audioWorklet.addModule(workletUrl).then(function () {
          var source = ctx.createMediaStreamSource(stream);
          var analyser = ctx.createAnalyser();
          analyser.fftSize = 2048;
          var capture = new AudioWorkletNode(ctx, "pcm-capture", { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: "explicit" });
          // The capture node must reach the destination to be pulled; muted.
          var mute = ctx.createGain();
          mute.gain.value = 0;
          source.connect(analyser);
          source.connect(capture);
          capture.connect(mute);
          mute.connect(ctx.destination);
          var limit = Math.round(maxSeconds * ctx.sampleRate);
          session = { stream: stream, ctx: ctx, analyser: analyser, capture: capture, chunks: [], frames: 0, limit: limit, done: false };
          var s = session;
          capture.port.onmessage = function (event) {
            if (event.data === "flushed") {
              if (s.onFlushed) s.onFlushed();
              return;
            }
            if (s.done) return;
            var chunk = event.data;
            var room = s.limit - s.frames;
            if (chunk.length > room) chunk = chunk.subarray(0, room);
            s.chunks.push(chunk);
            s.frames += chunk.length;
            showTime(s.frames / ctx.sampleRate);
            if (s.frames >= s.limit) finish(true);
          };
          stop.disabled = false;
          status.textContent = "Recording… it stops by itself at " + maxSeconds + " seconds.";
          root.classList.add("recording");
          drawLevel(s);
        });
      });
    }

    function drawLevel(s) {
      var buf = new Float32Array(s.analyser.fftSize);
      (function frame() {
        if (s.done) {
          meter.value = 0;
          return;
        }
        s.analyser.getFloatTimeDomainData(buf);
        var sum = 0;
        for (var i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
        var rms = Math.sqrt(sum / buf.length);
        var db = rms > 0 ? 20 * Math.log10(rms) : -100;
        // -60 dBFS and below reads empty, 0 dBFS full.
        meter.value = Math.max(0, Math.min(1, (db + 60) / 60));
        requestAnimationFrame(frame);
      })();
    }

    function finish(auto) {
      var s = session;
      if (!s || s.done) return;
      stop.disabled = true;
      var wrapUp = function () {
        if (s.done) return;
        s.done = true;
        session = null;
        s.stream.getTracks().forEach(function (t) { t.stop(); });
        s.ctx.close();
        root.classList.remove("recording");
        start.disabled = false;
        var seconds = s.frames / s.ctx.sampleRate;
        if (s.frames === 0) {
          status.textContent = "Nothing was recorded. Try again.";
          showTime(0);
          return;
        }
        var n = takes.count() + 1;
        var file = new File([encodeWav(s.chunks, s.frames, s.ctx.sampleRate)], "take-" + n + ".wav", { type: "audio/wav" });
        file.seconds = seconds;
        takes.add(file);
        status.textContent = (auto ? "Stopped at " + maxSeconds + " seconds. " : "") +
          "Take " + n + " added (" + formatSeconds(seconds) + "). Record another take or check the quality.";
        showTime(0);
      };
      // Collect what the worklet still holds, but never wait long for it.
      s.onFlushed = wrapUp;
      if (auto) wrapUp();
      else {
        s.capture.port.postMessage("flush");
        setTimeout(wrapUp, 300);
      }
    }
  }

  // 16-bit PCM mono WAV.
  function encodeWav(chunks, frames, rate) {
    var buffer = new ArrayBuffer(44 + frames * 2);
    var view = new DataView(buffer);
    var writeAscii = function (offset, text) {
      for (var i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
    };
    writeAscii(0, "RIFF");
    view.setUint32(4, 36 + frames * 2, true);
    writeAscii(8, "WAVE");
    writeAscii(12, "fmt ");
    view.setUint32(16, 16, true);
    view.setUint16(20, 1, true); // PCM
    view.setUint16(22, 1, true); // mono
    view.setUint32(24, rate, true);
    view.setUint32(28, rate * 2, true);
    view.setUint16(32, 2, true);
    view.setUint16(34, 16, true);
    writeAscii(36, "data");
    view.setUint32(40, frames * 2, true);
    var offset = 44;
    chunks.forEach(function (chunk) {
      for (var i = 0; i < chunk.length; i++) {
        var x = Math.max(-1, Math.min(1, chunk[i]));
        view.setInt16(offset, x < 0 ? x * 0x8000 : x * 0x7fff, true);
        offset += 2;
      }
    });
    return buffer;
  }

  // -------------------------------------------------------------------------
  // A voice's page while PROCESSING: ask the small status endpoint every
  // two seconds; once it is READY or FAILED, fetch the page once and swap
  // in its live parts (status, details, player). Reloading shows the same.

  var live = document.querySelector("[data-voice-status-url]");
  if (live && window.fetch) {
    var url = live.getAttribute("data-voice-status-url");
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (res) {
          if (!res.ok) throw new Error("HTTP " + res.status);
          return res.json();
        })
        .then(function (body) {
          if (body.status === "PROCESSING") {
            setTimeout(poll, 2000);
            return null;
          }
          return fetch(location.pathname, { credentials: "same-origin" }).then(function (res) { return res.text(); }).then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            document.querySelectorAll("[data-live]").forEach(function (el) {
              var next = doc.getElementById(el.id);
              if (next) el.replaceWith(document.importNode(next, true));
            });
            var note = document.getElementById("voice-live-status");
            if (note) note.textContent = body.status === "READY" ? "The voice is ready." : "Cloning failed: " + (body.failure_reason || "see the details.");
          });
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 2000);
  }
})();
