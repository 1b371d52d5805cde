// Play buttons for the headphone check: one sound at a time, announced when it ends.
(function () {
  "use strict";
  var current = null;
  var status = document.getElementById("sound-status");
  Array.prototype.forEach.call(document.querySelectorAll("button.play-sound"), function (button) {
    button.addEventListener("click", function () {
      if (current) { current.pause(); }
      current = new Audio(button.dataset.src);
      current.addEventListener("ended", function () {
        if (status) { status.textContent = status.dataset.msgFinished; }
      });
      current.play();
    });
  });
}());
