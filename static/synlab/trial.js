// One forced-choice trial: play the clip, count plays, wait for the end when required,
// choose with the mouse or the number keys, confirm with Enter. No framework, no build step.
(function () {
  "use strict";
  var form = document.getElementById("trial-form");
  if (!form) { return; }
  var requireListen = form.dataset.requireListen === "true";
  var trialType = form.dataset.trialType;
  var status = document.getElementById("listen-status");
  var submit = document.getElementById("submit-answer");
  var radios = Array.prototype.slice.call(form.querySelectorAll('input[name="choice"]'));
  var clips = Array.prototype.slice.call(form.querySelectorAll("audio.clip"));
  var heard = {};
  var plays = 0;
  var pauses = 0;
  var furthest = {};
  var hiddenWhilePlaying = false;
  var readySince = null;
  var sent = false;

  function mustHear() {
    // Audio prompt: the prompt clip. Image prompt: every option clip.
    return trialType === "audio_to_image" ? clips.slice(0, 1) : clips;
  }
  function allHeard() {
    return mustHear().every(function (clip) { return heard[clip.id]; });
  }
  function canAnswer() { return !requireListen || allHeard(); }
  function say(text) { status.textContent = text; }

  function refresh() {
    var open = canAnswer();
    submit.disabled = !open || sent;
    submit.setAttribute("aria-disabled", String(submit.disabled));
    if (open && readySince === null) { readySince = performance.now(); }
  }

  function play(clip) {
    clips.forEach(function (other) { if (other !== clip) { other.pause(); } });
    clip.currentTime = 0;
    plays += 1;
    var attempt = clip.play();
    if (attempt && attempt.catch) {
      attempt.catch(function () { say(form.dataset.msgNotStarted); });
    }
  }

  function anyPlaying() {
    return clips.some(function (clip) { return !clip.paused && !clip.ended; });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && anyPlaying()) { hiddenWhilePlaying = true; }
  });

  clips.forEach(function (clip) {
    clip.addEventListener("timeupdate", function () {
      if (clip.duration > 0) {
        furthest[clip.id] = Math.max(furthest[clip.id] || 0, clip.currentTime / clip.duration);
      }
    });
    clip.addEventListener("pause", function () {
      if (!clip.ended && clip.currentTime > 0) { pauses += 1; }
    });
    clip.addEventListener("ended", function () {
      furthest[clip.id] = 1;
      heard[clip.id] = true;
      say(allHeard() ? form.dataset.msgFinished : form.dataset.msgPlayOthers);
      refresh();
    });
  });

  Array.prototype.forEach.call(form.querySelectorAll("button.play"), function (button) {
    button.addEventListener("click", function () { play(document.getElementById(button.dataset.audio)); });
  });

  function choose(index) {
    if (index < 0 || index >= radios.length) { return; }
    radios[index].checked = true;
    radios[index].focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (key === "p" || key === "P") {
      event.preventDefault();
      if (clips.length) { play(clips[0]); }
    } else if (/^[1-6]$/.test(key)) {
      event.preventDefault();
      choose(parseInt(key, 10) - 1);
    } else if (key === "Enter" && event.target.tagName !== "BUTTON") {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit(submit) : form.submit();
    }
  });

  form.addEventListener("submit", function (event) {
    var chosen = radios.some(function (radio) { return radio.checked; });
    if (sent) { event.preventDefault(); return; }
    if (!canAnswer()) { event.preventDefault(); say(form.dataset.msgListenFirst); return; }
    if (!chosen) { event.preventDefault(); say(form.dataset.msgChooseFirst); return; }
    sent = true;
    form.elements.rt_ms.value = String(Math.round(performance.now() - (readySince || 0)));
    form.elements.plays.value = String(plays);
    form.elements.heard_to_end.value = allHeard() ? "true" : "";
    var heardShares = mustHear().map(function (clip) { return furthest[clip.id] || 0; });
    form.elements.fraction_heard.value = heardShares.length ? String(Math.min.apply(null, heardShares)) : "";
    form.elements.pauses.value = String(pauses);
    form.elements.hidden_while_playing.value = hiddenWhilePlaying ? "true" : "";
    form.elements.client_sent_at.value = new Date().toISOString();
    refresh();
  });

  // A page shown again from the back-forward cache must not resubmit a stale answer.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });
  refresh();
}());
