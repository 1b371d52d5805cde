// The study pages of the admin (a static file: the Content-Security-Policy allows no inline
// script). Copy buttons for the participant links; on the add form, the "Design params"
// reference shows only the chosen kind's parameters and can fill in their defaults.
(function () {
  "use strict";

  function copyLinks() {
    var status = document.querySelector(".copy-status");
    Array.prototype.forEach.call(document.querySelectorAll("button.copy-link"), function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      button.hidden = false;
      button.addEventListener("click", function () {
        field.select();
        var done = function () { status.textContent = "Copied: " + field.value; };
        var manual = function () {
          var copied = false;
          try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
          status.textContent = copied ? "Copied: " + field.value
            : "The link is selected: press Ctrl+C (or Cmd+C) to copy it.";
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, manual);
        } else {
          manual();
        }
      });
    });
  }

  function designParams() {
    var kind = document.getElementById("id_kind");
    var box = document.getElementById("id_design_params");
    var sections = document.querySelectorAll(".design-kind");
    if (!kind || !box || !sections.length) { return; }
    function showChosen() {
      Array.prototype.forEach.call(sections, function (section) {
        section.hidden = section.getAttribute("data-kind") !== kind.value;
      });
    }
    Array.prototype.forEach.call(sections, function (section) {
      var button = section.querySelector("button.fill-defaults");
      button.hidden = false;
      button.addEventListener("click", function () {
        var defaults = JSON.parse(section.getAttribute("data-defaults"));
        box.value = JSON.stringify(defaults, null, 2);
        box.focus();
      });
    });
    kind.addEventListener("change", showChosen);
    showChosen();
  }

  function start() { copyLinks(); designParams(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
