// A link that reads as a checkbox (role=checkbox: the worklist's "Hanya yang terlambat") answers the Space key
// as a checkbox does; Enter already follows it.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var toggle = event.target;
    if (event.key !== " " || !toggle.matches || !toggle.matches("a[role=checkbox]")) { return; }
    event.preventDefault();
    toggle.click();
  });
}());
