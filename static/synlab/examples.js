// The examples page: one Play button per pair (one tab stop each, instead of an audio
// player's five), one clip at a time, the button saying whether it plays.
(function () {
  "use strict";
  var playing = null;
  function stop(button) {
    var audio = document.getElementById(button.getAttribute("aria-controls"));
    audio.pause();
    audio.currentTime = 0;
    button.setAttribute("aria-pressed", "false");
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.play-example"), function (button) {
    var audio = document.getElementById(button.getAttribute("aria-controls"));
    audio.addEventListener("ended", function () { button.setAttribute("aria-pressed", "false"); });
    button.addEventListener("click", function () {
      var again = playing === button && button.getAttribute("aria-pressed") === "true";
      if (playing) { stop(playing); }
      playing = button;
      if (again) { return; }
      button.setAttribute("aria-pressed", "true");
      audio.play();
    });
  });
}());
