// A grouping board (templates/participant/grouping_board.html): sort the items into groups.
//
// Keyboard: each item has a handle (a button). Space or Enter picks the item up; the arrow keys
// move it to the next or previous place (the items to sort, Group 1, Group 2, ...), a digit to
// that group (0: back to the items to sort); Space or Enter puts it down, Escape takes it back
// to where it was picked up. P plays the clip of the item that has the focus.
// Pointer (mouse, pen, finger): drag a handle onto a group; or tap a handle to pick the item
// up and tap a group to put it there. Every move is said in the live region (#grouping-live).
//
// Each clip plays through its <audio> element, one at a time. Before the board is sent every
// item must be in a group and every clip heard to the end (or, when the study does not ask
// for full listening, played). The placements go to the answer endpoint as JSON text, an
// object from each item's screen position to its group number; the server checks them
// (studies.grouping_answers) and the page then loads the next task. Until it is sent the board
// is kept in sessionStorage, so a reload does not lose the sorting or the clips heard.
(function () {
  "use strict";
  var form = document.getElementById("grouping-form");
  if (!form) { return; }
  var data = form.dataset;
  var screen = document.getElementById("trial-screen");
  var words = screen.dataset;
  var live = document.getElementById("grouping-live");
  var status = document.getElementById("listen-status");
  var submit = document.getElementById("submit-answer");
  var groupsBox = document.getElementById("grouping-groups");
  var openButton = document.getElementById("open-group");
  var requireListen = data.requireListen === "true";
  var told = words.groupsTold === "true";
  var maxGroups = parseInt(words.groups, 10) || 0;
  var trialId = form.elements.trial.value;
  var storageKey = "synlab-grouping-" + trialId;
  var readySince = performance.now();
  var state = { heard: {}, played: {}, furthest: {}, plays: 0, pauses: 0, hidden: false, sent: false };
  var grabbed = null;  // {item, from}: the item picked up with the keys or a tap
  var drag = null;  // a pointer drag in progress

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }
  function say(text) { live.textContent = ""; window.setTimeout(function () { live.textContent = text; }, 30); }
  function tell(text) { status.textContent = text; }
  function all(selector, root) { return Array.prototype.slice.call((root || form).querySelectorAll(selector)); }
  function items() { return all(".grouping-item"); }
  function places() { return all(".grouping-place"); }
  function clips() { return all("audio.item-clip"); }
  function placeOf(item) { return item.closest(".grouping-place"); }
  function placeNumber(place) { return parseInt(place.dataset.group, 10); }
  function itemName(item) { return fill(words.msgItem, { n: parseInt(item.dataset.position, 10) + 1 }); }
  function placeName(place) {
    var number = placeNumber(place);
    return number === 0 ? words.msgPool : fill(words.msgGroup, { n: number });
  }
  function placeByNumber(number) {
    return places().filter(function (place) { return placeNumber(place) === number; })[0] || null;
  }
  function handle(item) { return item.querySelector(".item-handle"); }
  function unsorted() { return all(".grouping-item", placeByNumber(0)); }

  // ----- groups -----
  function addGroup() {
    var number = places().length;  // the pool is place 0
    if (number > maxGroups) { return null; }
    var section = document.createElement("section");
    section.className = "grouping-place grouping-group";
    section.dataset.group = String(number);
    section.setAttribute("aria-labelledby", "place-" + number + "-heading");
    var heading = document.createElement("h2");
    heading.id = "place-" + number + "-heading";
    heading.textContent = fill(words.msgGroup, { n: number });
    var list = document.createElement("ul");
    list.className = "grouping-items";
    section.appendChild(heading);
    section.appendChild(list);
    groupsBox.appendChild(section);
    if (openButton) { openButton.hidden = places().length > maxGroups; }
    return section;
  }

  function moveTo(item, place) {
    place.querySelector(".grouping-items").appendChild(item);
    all(".grouping-place").forEach(function (other) { other.classList.remove("drop-target"); });
    save();
  }

  // ----- picking up and putting down (keys and taps) -----
  function pickUp(item) {
    if (grabbed) { putDown(); }
    grabbed = { item: item, from: placeOf(item) };
    item.classList.add("grabbed");
    handle(item).setAttribute("aria-pressed", "true");
    say(fill(words.msgPicked, { item: itemName(item), place: placeName(grabbed.from) }));
  }

  function putDown() {
    if (!grabbed) { return; }
    var item = grabbed.item;
    grabbed = null;
    item.classList.remove("grabbed");
    handle(item).setAttribute("aria-pressed", "false");
    announceDrop(item);
    refresh();
  }

  function announceDrop(item) {
    var place = placeOf(item);
    if (placeNumber(place) === 0) {
      say(fill(words.msgCancelled, { item: itemName(item), place: placeName(place) }));
      return;
    }
    var left = unsorted().length;
    var message = left ? words.msgDropped : words.msgDroppedAll;
    say(fill(message, { item: itemName(item), place: placeName(place), left: left }));
  }

  function cancel() {
    if (!grabbed) { return; }
    var item = grabbed.item;
    moveTo(item, grabbed.from);
    grabbed = null;
    item.classList.remove("grabbed");
    handle(item).setAttribute("aria-pressed", "false");
    handle(item).focus();
    say(fill(words.msgCancelled, { item: itemName(item), place: placeName(placeOf(item)) }));
    refresh();
  }

  function moveGrabbed(place) {
    var item = grabbed.item;
    moveTo(item, place);
    handle(item).focus();
    say(fill(words.msgMoved, { item: itemName(item), place: placeName(place) }));
  }

  function step(direction) {
    var all_places = places();
    var index = all_places.indexOf(placeOf(grabbed.item));
    var next = index + direction;
    if (next >= all_places.length && !told && all_places.length <= maxGroups) {
      var opened = addGroup();
      say(fill(words.msgOpened, { group: placeName(opened) }));
      moveGrabbed(opened);
      return;
    }
    next = (next + all_places.length) % all_places.length;
    moveGrabbed(all_places[next]);
  }

  // ----- pointer drag -----
  function placeAt(x, y) {
    var under = document.elementFromPoint(x, y);
    return under ? under.closest(".grouping-place") : null;
  }

  function startDrag(event, item) {
    drag = { item: item, x: event.clientX, y: event.clientY, moved: false, pointer: event.pointerId };
    handle(item).setPointerCapture(event.pointerId);
  }

  function dragMove(event) {
    if (!drag || event.pointerId !== drag.pointer) { return; }
    var dx = event.clientX - drag.x;
    var dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 8) { return; }
    drag.moved = true;
    drag.item.classList.add("dragging");
    drag.item.style.transform = "translate(" + dx + "px, " + dy + "px)";
    var target = placeAt(event.clientX, event.clientY);
    places().forEach(function (place) { place.classList.toggle("drop-target", place === target); });
  }

  function endDrag(event) {
    if (!drag || event.pointerId !== drag.pointer) { return; }
    var item = drag.item;
    var moved = drag.moved;
    drag = null;
    item.classList.remove("dragging");
    item.style.transform = "";
    if (!moved) { return; }  // a tap: the click that follows picks the item up or puts it down
    item.dataset.dragged = "true";  // the click this release makes is not a tap
    window.setTimeout(function () { delete item.dataset.dragged; }, 0);
    var target = placeAt(event.clientX, event.clientY);
    if (grabbed && grabbed.item === item) { grabbed = null; item.classList.remove("grabbed"); handle(item).setAttribute("aria-pressed", "false"); }
    if (target) { moveTo(item, target); }
    announceDrop(item);
    refresh();
  }

  // ----- clips -----
  function play(clip) {
    clips().forEach(function (other) { if (other !== clip) { other.pause(); } });
    watch(clip);
    state.plays += 1;
    state.played[clip.id] = true;
    clip.currentTime = 0;
    var attempt = clip.play();
    if (attempt && attempt.catch) { attempt.catch(function () { tell(data.msgNotStarted); }); }
    save();
  }

  function watch(clip) {
    if (clip.dataset.watched) { return; }
    clip.dataset.watched = "true";
    clip.preload = "auto";
    clip.addEventListener("timeupdate", function () {
      if (clip.duration > 0) { noteHeard(clip, clip.currentTime / clip.duration); }
    });
    clip.addEventListener("pause", function () { if (!clip.ended && clip.currentTime > 0) { state.pauses += 1; } });
    clip.addEventListener("ended", function () {
      noteHeard(clip, 1);
      state.heard[clip.id] = true;
      clip.closest(".grouping-item").classList.add("heard");
      save();
      refresh();
    });
  }

  function noteHeard(clip, share) {
    state.furthest[clip.id] = Math.max(state.furthest[clip.id] || 0, Math.min(1, Math.max(0, share)));
  }

  function notReady(rule) {  // item numbers in order, wherever the items now are on the board
    return clips().filter(function (clip) { return !rule[clip.id]; }).map(function (clip) {
      return parseInt(clip.closest(".grouping-item").dataset.position, 10) + 1;
    }).sort(function (a, b) { return a - b; }).map(String);
  }

  // ----- the answer -----
  function placements() {
    var placed = {};
    items().forEach(function (item) { placed[item.dataset.position] = placeNumber(placeOf(item)); });
    return placed;
  }

  function problem() {
    var left = unsorted().map(function (item) { return parseInt(item.dataset.position, 10) + 1; })
      .sort(function (a, b) { return a - b; }).map(String);
    if (left.length) { return fill(data.msgUnsorted, { items: left.join(", ") }); }
    var unheard = notReady(requireListen ? state.heard : state.played);
    if (unheard.length) { return fill(requireListen ? data.msgListenAll : data.msgPlayAll, { items: unheard.join(", ") }); }
    return "";
  }

  function refresh() {
    submit.setAttribute("aria-disabled", String(state.sent || problem() !== ""));
    submit.disabled = state.sent;
  }

  function fillReadings(event) {
    var shares = clips().map(function (clip) { return state.furthest[clip.id] || 0; });
    var elements = form.elements;
    elements.placements.value = JSON.stringify(placements());
    elements.rt_ms.value = String(Math.round(event.timeStamp - readySince));
    elements.plays.value = String(state.plays);
    elements.heard_to_end.value = notReady(state.heard).length === 0 ? "true" : "";
    elements.fraction_heard.value = shares.length ? String(Math.min.apply(null, shares)) : "";
    elements.pauses.value = String(state.pauses);
    elements.hidden_while_playing.value = state.hidden ? "true" : "";
    elements.client_sent_at.value = new Date().toISOString();
  }

  function send() {
    var fields = {};
    new FormData(form).forEach(function (value, name) { fields[name] = value; });
    fetch(data.answerUrl, {
      method: "POST", body: JSON.stringify(fields), credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value }
    }).then(function (response) {
      return response.json().then(function (reply) { return { ok: response.ok, code: response.status, reply: reply }; });
    }).then(function (result) {
      if (result.code === 503) {
        tell(result.reply.error || "");
        window.setTimeout(send, 1000 * (result.reply.retry_after_s || 5));
        return;
      }
      if (!result.ok) {
        tell(result.reply.error || "");
        if (result.code === 409 || result.code === 403) { window.location.assign(result.reply.redirect || window.location.href); return; }
        state.sent = false;
        refresh();
        return;
      }
      forget();
      window.location.assign(result.reply.redirect);
    }).catch(function () {
      tell(data.msgNetwork);
      form.submit();  // the server keeps one answer per trial, so sending again is safe
    });
  }

  // ----- kept across a reload until sent -----
  function save() {
    try {
      window.sessionStorage.setItem(storageKey, JSON.stringify({
        placements: placements(), groups: places().length - 1, heard: state.heard, played: state.played
      }));
    } catch (ignored) { /* storage off */ }
  }

  function forget() { try { window.sessionStorage.removeItem(storageKey); } catch (ignored) { /* storage off */ } }

  function restore() {
    var kept = null;
    try { kept = JSON.parse(window.sessionStorage.getItem(storageKey) || "null"); } catch (ignored) { kept = null; }
    if (!kept || typeof kept !== "object") { return; }
    while (places().length - 1 < Math.min(kept.groups || 0, maxGroups)) { addGroup(); }
    items().forEach(function (item) {
      var place = placeByNumber((kept.placements || {})[item.dataset.position]);
      if (place) { place.querySelector(".grouping-items").appendChild(item); }
    });
    state.heard = kept.heard || {};
    state.played = kept.played || {};
    clips().forEach(function (clip) {
      if (state.heard[clip.id]) { state.furthest[clip.id] = 1; clip.closest(".grouping-item").classList.add("heard"); }
    });
  }

  // ----- events -----
  form.addEventListener("click", function (event) {
    var play_button = event.target.closest("button.play");
    if (play_button) { play(document.getElementById(play_button.dataset.audio)); return; }
    var item_handle = event.target.closest(".item-handle");
    if (item_handle) {
      var item = item_handle.closest(".grouping-item");
      if (item.dataset.dragged) { delete item.dataset.dragged; return; }
      if (grabbed && grabbed.item === item) { putDown(); } else { pickUp(item); }
      return;
    }
    if (event.target.closest("#open-group")) {
      var opened = addGroup();
      if (opened) { say(fill(words.msgOpened, { group: placeName(opened) })); save(); }
      return;
    }
    var place = event.target.closest(".grouping-place");
    if (place && grabbed) {  // tap an item, then tap its group
      var moving = grabbed.item;
      moveTo(moving, place);
      putDown();
      handle(moving).focus();
    }
  });

  form.addEventListener("pointerdown", function (event) {
    var item_handle = event.target.closest(".item-handle");
    if (!item_handle || event.button > 0 || state.sent) { return; }
    startDrag(event, item_handle.closest(".grouping-item"));
  });
  form.addEventListener("pointermove", dragMove);
  form.addEventListener("pointerup", endDrag);
  form.addEventListener("pointercancel", function (event) {
    if (!drag || event.pointerId !== drag.pointer) { return; }
    drag.item.classList.remove("dragging");
    drag.item.style.transform = "";
    drag = null;
  });

  document.addEventListener("keydown", function (event) {
    document.documentElement.classList.add("keyboard-used");
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (grabbed) {
      if (key === "ArrowRight" || key === "ArrowDown") { event.preventDefault(); step(1); return; }
      if (key === "ArrowLeft" || key === "ArrowUp") { event.preventDefault(); step(-1); return; }
      if (key === "Escape") { event.preventDefault(); cancel(); return; }
      if (/^[0-9]$/.test(key)) {
        event.preventDefault();
        var number = parseInt(key, 10);
        var place = placeByNumber(number);
        if (!place && !told && number === places().length && number <= maxGroups) { place = addGroup(); }
        if (place) { moveGrabbed(place); }
        return;
      }
      if (key === "Tab") { putDown(); return; }
    }
    if (key === "p" || key === "P") {
      var here = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".grouping-item") : null;
      var clip = here ? here.querySelector("audio.item-clip") : null;
      if (clip) { event.preventDefault(); play(clip); }
    }
  });

  document.addEventListener("visibilitychange", function () {
    var playing = clips().some(function (clip) { return !clip.paused && !clip.ended; });
    if (document.hidden && playing) { state.hidden = true; }
  });

  form.addEventListener("submit", function (event) {
    if (state.sent) { event.preventDefault(); return; }
    var why = problem();
    if (why) { event.preventDefault(); tell(why); return; }
    if (grabbed) { putDown(); }
    fillReadings(event);
    state.sent = true;
    tell(data.msgSending);
    refresh();
    if (window.fetch && window.FormData) {
      event.preventDefault();
      send();
    }
  });

  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });

  if (!clips().length) { tell(data.msgSortOnly); }  // pictures only: nothing to play
  var shown = told ? maxGroups : Math.min(2, maxGroups);
  for (var number = 0; number < shown; number += 1) { addGroup(); }
  restore();
  refresh();
}());
