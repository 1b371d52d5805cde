// Forced-choice trials: play the clip, count plays, wait for the end when required, choose
// with the mouse or the number keys, confirm with Enter. P plays the first clip that must be
// heard; R plays the first reference clip (a pair shown for reference, e.g. the anchor pair of
// a transformation test), which may be heard again but need not be. The answer goes to the
// server with fetch, which replies with the next trial rendered by the server (the same
// fragment the page includes, templates/participant/trial_screen.html), swapped in place: one
// request per answer.
// Without fetch, or when it fails, the form posts normally and the server shows the next page.
// Each trial arrives with its neutral instruction; the reprimand (data-listen-first) is said only
// after an answer that came too early. Key hints (.key-hint, and the status lines that name keys)
// show only once a key was pressed in this tab: a touch or mouse user never sees them.
//
// Clips play through Web Audio where the browser has it: each clip is decoded once and started
// on the audio clock, so the moment the last required clip ends is known on the clock the
// listener hears, and the answer's time is mapped onto that clock (audio-clock reaction time,
// sent as audio_rt_ms). Without Web Audio, or when a clip cannot be decoded, the <audio>
// element plays it and only the page-clock reaction time (rt_ms) is sent.
(function () {
  "use strict";
  var form = document.getElementById("trial-form");
  if (!form) { return; }
  var data = form.dataset;
  var requireListen = data.requireListen === "true";
  var status = document.getElementById("listen-status");
  var submit = document.getElementById("submit-answer");
  var START_LEAD_S = 0.05;  // schedule slightly ahead so the clip starts on the audio clock
  var AudioContextClass = window.AudioContext || window.webkitAudioContext;
  var context = AudioContextClass ? new AudioContextClass() : null;
  var decodedClips = {};  // url -> Promise of an AudioBuffer
  var current = null;  // the clip playing through Web Audio: {clip, source, startsAt, duration}
  var state;
  var KEYBOARD_USED = "synlab-keyboard-used";  // sessionStorage: a key was pressed in this tab

  function radios() { return Array.prototype.slice.call(form.querySelectorAll('input[name="choice"]')); }
  function clips() { return Array.prototype.slice.call(form.querySelectorAll("audio.clip")); }
  function trialType() { return document.getElementById("trial-screen").dataset.trialType; }
  function optionClips() { return Array.prototype.slice.call(form.querySelectorAll("audio.option-clip")); }
  function referenceClips() { return Array.prototype.slice.call(form.querySelectorAll("audio.reference-clip")); }
  function mustHear() {
    // Audio prompt (and a clip judged with a picture): the prompt clip. Image prompt: every
    // option clip (not the references). Audio prompt with audio options: the prompt, then
    // every option clip (so P plays the prompt).
    var promptFirst = trialType() === "audio_to_image" || trialType() === "pair_judgement";
    if (trialType() === "audio_to_audio") { return [document.getElementById("prompt-audio")].concat(optionClips()); }
    return promptFirst ? [document.getElementById("prompt-audio")] : optionClips();
  }
  function allHeard() { return mustHear().every(function (clip) { return state.heard[clip.id]; }); }
  function canAnswer() { return !requireListen || allHeard(); }
  function say(text) { status.textContent = text; }
  function screenData() { return document.getElementById("trial-screen").dataset; }
  function instruction() { return requireListen ? screenData().instruction : ""; }

  // ----- key hints, only for people who use the keyboard -----
  function keyboardUsed() { return document.documentElement.classList.contains("keyboard-used"); }
  function noteKeyboardUse() {
    if (keyboardUsed()) { return; }
    document.documentElement.classList.add("keyboard-used");
    try { window.sessionStorage.setItem(KEYBOARD_USED, "true"); } catch (ignored) { /* storage off */ }
  }
  function rememberedKeyboardUse() {
    try { return window.sessionStorage.getItem(KEYBOARD_USED) === "true"; } catch (ignored) { return false; }
  }
  // The message that names keys for keyboard users, or its wording without keys.
  function keyedMessage(name) { return keyboardUsed() ? data[name] : data[name + "Pointer"]; }
  function newState() {
    return {
      heard: {}, furthest: {}, plays: 0, pauses: 0, hidden: false, readySince: null, sent: false,
      listenedAt: null  // audio-clock second at which the last required clip ended
    };
  }

  function refresh() {
    var open = canAnswer();
    submit.disabled = !open || state.sent;
    submit.setAttribute("aria-disabled", String(submit.disabled));
    if (open && state.readySince === null) { state.readySince = performance.now(); }
  }

  function noteHeard(clip, share) {
    state.furthest[clip.id] = Math.max(state.furthest[clip.id] || 0, Math.min(1, Math.max(0, share)));
  }

  function clipEnded(clip, endedAtAudioClock) {
    var before = allHeard();
    state.furthest[clip.id] = 1;
    state.heard[clip.id] = true;
    if (!before && allHeard() && endedAtAudioClock !== undefined) { state.listenedAt = endedAtAudioClock; }
    say(allHeard() ? keyedMessage("msgFinished") : data.msgPlayOthers);
    refresh();
  }

  // ----- Web Audio playback -----
  function decodeBytes(bytes) {
    return new Promise(function (resolve, reject) { context.decodeAudioData(bytes, resolve, reject); });
  }

  function decoded(url) {
    if (!decodedClips[url]) {
      decodedClips[url] = fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) { throw new Error("clip " + response.status); }
        return response.arrayBuffer();
      }).then(decodeBytes);
    }
    return decodedClips[url];
  }

  function stopCurrent(countAsPause) {
    if (!current) { return; }
    var playing = current;
    current = null;
    playing.stopped = true;
    var share = (context.currentTime - playing.startsAt) / playing.duration;
    noteHeard(playing.clip, share);
    if (countAsPause && share > 0 && share < 1) { state.pauses += 1; }
    try { playing.source.stop(); } catch (ignored) { /* it had not started yet */ }
  }

  function startBuffer(clip, buffer) {
    var source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    var playing = { clip: clip, source: source, startsAt: context.currentTime + START_LEAD_S,
                    duration: buffer.duration, stopped: false };
    source.onended = function () {
      if (playing.stopped) { return; }
      if (current === playing) { current = null; }
      clipEnded(clip, playing.startsAt + playing.duration);
    };
    source.start(playing.startsAt);
    current = playing;
  }

  // The audio-clock second the listener was hearing at a performance.now() instant.
  function audioClockAt(performanceTime) {
    var stamp = context.getOutputTimestamp ? context.getOutputTimestamp() : null;
    if (stamp && stamp.performanceTime > 0) {
      return stamp.contextTime + (performanceTime - stamp.performanceTime) / 1000;
    }
    var latency = context.outputLatency || context.baseLatency || 0;
    return context.currentTime - latency - (performance.now() - performanceTime) / 1000;
  }

  function audioReactionMs(performanceTime) {
    if (!context || state.listenedAt === null) { return ""; }
    return String(Math.round((audioClockAt(performanceTime) - state.listenedAt) * 1000));
  }

  function preloadClips() {
    if (!context || !window.fetch) { return; }
    clips().forEach(function (clip) { decoded(clip.src).catch(function () { watchElement(clip); }); });
  }

  // ----- <audio> element playback (no Web Audio) -----
  function playElement(clip) {
    clip.currentTime = 0;
    var attempt = clip.play();
    if (attempt && attempt.catch) { attempt.catch(function () { say(data.msgNotStarted); }); }
  }

  function watchElement(clip) {
    if (clip.dataset.watched) { return; }
    clip.dataset.watched = "true";
    clip.preload = "auto";
    clip.addEventListener("timeupdate", function () {
      if (clip.duration > 0) { noteHeard(clip, clip.currentTime / clip.duration); }
    });
    clip.addEventListener("pause", function () {
      if (!clip.ended && clip.currentTime > 0) { state.pauses += 1; }
    });
    clip.addEventListener("ended", function () { clipEnded(clip); });
  }

  function play(clip) {
    stopCurrent(current !== null && current.clip !== clip);
    clips().forEach(function (other) { if (other !== clip) { other.pause(); } });
    state.plays += 1;
    if (!context || !window.fetch) { playElement(clip); return; }
    var trialState = state;
    if (context.state === "suspended") { context.resume(); }  // allowed: this is a key press or click
    decoded(clip.src).then(function (buffer) {
      if (state !== trialState) { return; }
      stopCurrent(false);
      startBuffer(clip, buffer);
    }, function () {
      if (state !== trialState) { return; }
      watchElement(clip);
      playElement(clip);
    });
  }

  function anyPlaying() {
    return current !== null || clips().some(function (clip) { return !clip.paused && !clip.ended; });
  }

  function choose(index) {
    var all = radios();
    if (index < 0 || index >= all.length) { return; }
    all[index].checked = true;
    all[index].focus();
  }

  function element(tag, attributes) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  function show(next, progressPercent) {
    stopCurrent(false);
    decodedClips = {};  // let the last trial's decoded audio go (the HTTP cache keeps the bytes)
    state = newState();
    var fragment = document.createElement("template");
    fragment.innerHTML = next.html.trim();
    document.getElementById("trial-screen").replaceWith(fragment.content.firstElementChild);
    var heading = document.getElementById("trial-heading");
    document.title = heading.textContent;
    startWatching();
    var bar = document.querySelector("progress.progress");
    if (bar) {
      bar.value = progressPercent;
      bar.textContent = progressPercent + "%";
    }
    next.prefetch.forEach(function (url) { document.head.appendChild(element("link", { rel: "prefetch", href: url })); });
    say(instruction());
    refresh();
    heading.focus();
  }

  function sendAnswer() {
    var fields = {};  // sent as JSON: the server parses no multipart body per answer
    new FormData(form).forEach(function (value, name) { fields[name] = value; });
    fetch(data.answerUrl, {
      method: "POST", body: JSON.stringify(fields), credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value }
    }).then(function (response) {
      return response.json().then(function (reply) { return { ok: response.ok, code: response.status, reply: reply }; });
    }).then(function (result) {
      if (result.code === 503) {  // the database is restarting: the same answer again, soon
        say(result.reply.error || "");
        window.setTimeout(sendAnswer, 1000 * (result.reply.retry_after_s || 5));
        return;
      }
      if (!result.ok) {
        say(result.reply.error || "");
        if (result.code === 409 || result.code === 403) { window.location.assign(result.reply.redirect || window.location.href); }
        state.sent = false;
        refresh();
        return;
      }
      if (!result.reply.next) { window.location.assign(result.reply.redirect); return; }
      // A grouping board has its own page and script (grouping.js): load it.
      if (result.reply.next.trial_type === "grouping") { window.location.assign(result.reply.redirect); return; }
      show(result.reply.next, result.reply.progress_percent);
    }).catch(function () {
      say(data.msgNetwork);
      form.submit();  // the server keeps one answer per trial, so sending again is safe
    });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button.play");
    if (button) { play(document.getElementById(button.dataset.audio)); }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden && anyPlaying()) { state.hidden = true; }
  });

  document.addEventListener("keydown", function (event) {
    noteKeyboardUse();
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (key === "p" || key === "P") {
      event.preventDefault();
      if (mustHear().length) { play(mustHear()[0]); }
    } else if (key === "r" || key === "R") {
      event.preventDefault();
      if (referenceClips().length) { play(referenceClips()[0]); }
    } else if (/^[1-6]$/.test(key)) {
      event.preventDefault();
      choose(parseInt(key, 10) - 1);
    } else if (key === "Enter" && event.target.tagName !== "BUTTON") {
      event.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(submit); } else { form.submit(); }
    }
  });

  form.addEventListener("submit", function (event) {
    var chosen = radios().some(function (radio) { return radio.checked; });
    if (state.sent) { event.preventDefault(); return; }
    if (!canAnswer()) { event.preventDefault(); say(screenData().listenFirst); return; }
    if (!chosen) { event.preventDefault(); say(keyedMessage("msgChooseFirst")); return; }
    state.sent = true;
    if (current) { noteHeard(current.clip, (context.currentTime - current.startsAt) / current.duration); }
    form.elements.rt_ms.value = String(Math.round(event.timeStamp - (state.readySince || 0)));
    form.elements.audio_rt_ms.value = audioReactionMs(event.timeStamp);
    form.elements.plays.value = String(state.plays);
    form.elements.heard_to_end.value = allHeard() ? "true" : "";
    var shares = mustHear().map(function (clip) { return state.furthest[clip.id] || 0; });
    form.elements.fraction_heard.value = shares.length ? String(Math.min.apply(null, shares)) : "";
    form.elements.pauses.value = String(state.pauses);
    form.elements.hidden_while_playing.value = state.hidden ? "true" : "";
    form.elements.client_sent_at.value = new Date().toISOString();
    refresh();
    if (window.fetch && window.FormData) {
      event.preventDefault();
      sendAnswer();
    }
  });

  // A page shown again from the back-forward cache must not resubmit a stale answer.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });
  // Web Audio decodes and plays the clips; otherwise the <audio> elements load and play them.
  function startWatching() {
    if (context && window.fetch) { preloadClips(); } else { clips().forEach(watchElement); }
  }

  if (rememberedKeyboardUse()) { noteKeyboardUse(); }
  state = newState();
  startWatching();
  refresh();
}());
