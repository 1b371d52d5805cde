// A form sent back with an error puts the keyboard and screen reader on the first field in
// error (its message is tied to it by aria-describedby), not on the top of the page.
(function () {
  "use strict";
  var invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid) { invalid.focus(); }
}());
