// The welcome page in steps: consent, then the questionnaire, then the instructions, one at a
// time, with one request at the end (what the server stores is the same as without the script,
// where the steps are one form). A step is checked before the next is shown; a problem is said
// next to its field, tied to it for screen readers, and the field gets the focus.
(function () {
  "use strict";
  var form = document.getElementById("welcome-form");
  if (!form) { return; }
  var steps = Array.prototype.slice.call(form.querySelectorAll(".welcome-step"));
  var button = form.querySelector("button[type=submit]");
  var current = 0;

  function stepWithFirstError() {
    var error = form.querySelector(".error");
    var step = error ? error.closest(".welcome-step") : null;
    return step ? steps.indexOf(step) : 0;
  }

  function show(index, moveFocus) {
    steps.forEach(function (step, number) { step.hidden = number !== index; });
    current = index;
    var last = index === steps.length - 1;
    button.textContent = last ? form.dataset.startLabel : form.dataset.continueLabel;
    if (!moveFocus) { return; }
    var heading = steps[index].querySelector("h2");
    if (last && steps.length > 1 && document.getElementById("instructions-text")) {
      button.focus();  // the button reads the instructions out (aria-describedby)
    } else if (heading) {
      heading.focus();
    }
  }

  function clearClientErrors(step) {
    step.querySelectorAll(".error").forEach(function (error) { error.remove(); });
    step.querySelectorAll("[aria-invalid]").forEach(function (field) { field.removeAttribute("aria-invalid"); });
  }

  function say(before, id, text) {
    var error = document.getElementById(id);
    if (!error) {
      error = document.createElement("p");
      error.className = "error from-page";
      error.id = id;
      before.parentNode.insertBefore(error, before);
    }
    error.textContent = text;
  }

  function consentMissing(step) {
    var box = step.querySelector("#id_consent");
    if (!box || box.checked) { return null; }
    say(box.closest("p"), "consent-error", form.dataset.needConsent);
    box.setAttribute("aria-invalid", "true");
    box.setAttribute("aria-describedby", "consent-error");
    return box;
  }

  function choiceMissing(step) {
    var first = null;
    step.querySelectorAll("fieldset.choices").forEach(function (group) {
      var radios = group.querySelectorAll("input[type=radio]");
      var chosen = Array.prototype.some.call(radios, function (radio) { return radio.checked; });
      if (chosen || !radios.length) { return; }
      var id = radios[0].name + "-error";
      say(group.querySelector("legend").nextSibling, id, form.dataset.needChoice);
      group.setAttribute("aria-describedby", id);
      radios[0].setAttribute("aria-invalid", "true");
      first = first || radios[0];
    });
    return first;
  }

  form.addEventListener("submit", function (event) {
    var step = steps[current];
    clearClientErrors(step);
    var problem = consentMissing(step) || choiceMissing(step);
    if (problem) {
      event.preventDefault();
      problem.focus();
      return;
    }
    if (current < steps.length - 1) {
      event.preventDefault();
      show(current + 1, true);
    }
  });

  show(stepWithFirstError(), false);
}());
