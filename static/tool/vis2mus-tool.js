// The Vis2Mus browser tool (templates/tool/vis2mus.html). Every change of the form (a slider
// moved with the mouse or the arrow keys, another anchor, the other mode) asks the server for
// that combination; the server answers from its cache or has a worker render it, and the page
// asks again (every POLL_MS, later every SLOW_POLL_MS) until the picture and the clip are
// ready, then shows them and plays the clip. Only the latest request's answer is shown.
// Without script the form still works: "Show" loads the page for the chosen values.
(function () {
  "use strict";
  var form = document.getElementById("tool-form");
  if (!form || !window.fetch) { return; }
  var result = document.getElementById("tool-result");
  var status = document.getElementById("tool-status");
  var notes = document.getElementById("tool-notes");
  var picture = document.getElementById("tool-picture");
  var clip = document.getElementById("tool-clip");
  var midi = document.getElementById("tool-midi");
  var autoplay = document.getElementById("autoplay");
  var POLL_MS = 100;  // a slider move is usually ready within a few of these
  var FAST_POLLS_MS = 3000;  // after this, ask less often (a first fuse, a busy worker)
  var SLOW_POLL_MS = 500;
  var SETTLE_MS = 120;  // arrow keys held down: ask once the slider rests
  var GIVE_UP_MS = 30000;  // no worker has taken the request: say so and stop asking
  var RENDERING = "A worker is rendering this (the first fuse of a sketch and a style takes longer)…";
  var waitingSince = null;
  var latest = 0;
  var settleTimer = null;
  var pollTimer = null;
  // What the server said about the values the page was opened with (e.g. a clamped slider)
  // stays on screen until the researcher changes something.
  var carried = Array.prototype.map.call(notes.querySelectorAll("p"), function (line) {
    return line.textContent;
  });

  function query() {
    return new URLSearchParams(new FormData(form)).toString();
  }

  function signed(value) {
    var number = Number(value);
    return (number > 0 ? "+" : "") + number.toFixed(2);
  }

  function showValue(slider) {
    document.getElementById(slider.id + "-value").textContent = signed(slider.value);
  }

  function showMode() {
    var mode = form.elements.mode.value;
    form.querySelectorAll("fieldset[data-mode]").forEach(function (fieldset) {
      fieldset.hidden = fieldset.dataset.mode !== mode;
    });
  }

  function say(text, problems) {
    status.textContent = text;
    notes.textContent = "";
    var fresh = (problems || []).filter(function (line) { return carried.indexOf(line) < 0; });
    carried.concat(fresh).forEach(function (line) {
      var paragraph = document.createElement("p");
      paragraph.textContent = line;
      notes.appendChild(paragraph);
    });
  }

  function valuesText(values) {
    return "brightness " + signed(values.brightness) + ", contrast " + signed(values.contrast);
  }

  function show(id, reply, play, started) {
    if (reply.status === "refused") {
      result.dataset.key = reply.key;
      result.dataset.status = "refused";
      say("This combination cannot be shown.", [reply.message].concat(reply.notes));
      return;
    }
    picture.src = reply.picture_url;
    picture.hidden = false;
    // Ready once the new picture can be drawn (a failed load still shows the rest).
    picture.decode().catch(function () {}).then(function () {
      if (id === latest) { showReady(reply, play, started); }
    });
  }

  function showReady(reply, play, started) {
    var seconds = (performance.now() - started) / 1000;
    result.dataset.key = reply.key;
    result.dataset.status = "ready";
    picture.alt = "The picture at " + valuesText(reply.values);
    if (reply.clip_url) {
      if (clip.getAttribute("src") !== reply.clip_url) { clip.src = reply.clip_url; }
      clip.setAttribute("aria-label", "The music at " + valuesText(reply.values));
      clip.hidden = false;
      midi.href = reply.midi_url;
      midi.hidden = false;
      if (play) { clip.play().catch(function () { /* the browser wants a click first */ }); }
    } else {
      clip.removeAttribute("src");
      clip.hidden = true;
      midi.hidden = true;
    }
    say("Ready after " + seconds.toFixed(1) + " s: " + valuesText(reply.values) + ".", reply.notes);
  }

  function ask(id, parameters, started, play) {
    fetch(form.dataset.renderUrl + "?" + parameters, {
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (reply) { return { ok: response.ok, reply: reply }; });
    }).then(function (answer) {
      if (id !== latest) { return; }  // a newer change replaced this request
      var reply = answer.reply;
      if (!answer.ok) {
        result.dataset.status = "refused";
        say(reply.message || reply.error || "The request was refused.", reply.problems);
        return;
      }
      if (reply.status === "pending") {
        result.dataset.status = "pending";
        if (reply.rendering) {
          waitingSince = null;
          if (status.textContent !== RENDERING) { say(RENDERING, reply.notes); }
        } else if (waitingSince === null) {
          waitingSince = performance.now();
        } else if (performance.now() - waitingSince > GIVE_UP_MS) {
          say("No worker has taken this request for " + Math.round(GIVE_UP_MS / 1000) + " s: is a cpu worker running? Move a slider to try again.");
          return;
        }
        var pause = performance.now() - started < FAST_POLLS_MS ? POLL_MS : SLOW_POLL_MS;
        pollTimer = setTimeout(function () { ask(id, parameters, started, play); }, pause);
        return;
      }
      show(id, reply, play, started);
    }).catch(function () {
      if (id === latest) { say("The server could not be reached. Move a slider to try again."); }
    });
  }

  function requestRender() {
    clearTimeout(pollTimer);
    latest += 1;
    var parameters = query();
    history.replaceState(null, "", "?" + parameters);
    result.dataset.status = "pending";
    waitingSince = null;
    carried = [];
    say("Rendering…");
    ask(latest, parameters, performance.now(), autoplay.checked);
  }

  form.addEventListener("input", function (event) {
    if (event.target.type === "range") { showValue(event.target); }
  });
  form.addEventListener("change", function (event) {
    if (event.target === autoplay) { return; }
    if (event.target.name === "mode") { showMode(); }
    clearTimeout(settleTimer);
    settleTimer = setTimeout(requestRender, SETTLE_MS);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(settleTimer);
    requestRender();
  });

  showMode();
  if (result.dataset.status === "pending") {
    latest += 1;
    ask(latest, query(), performance.now(), false);
  }
}());
