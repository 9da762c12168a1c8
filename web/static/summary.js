// A link in a refused form's summary gives the cursor to the field it names, with the field's label in view:
// following an anchor alone only scrolls, and the officer would still have to find and click the control.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) { return; }
    var control = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!control) { return; }
    event.preventDefault();
    var field = control.closest(".field, fieldset") || control;
    field.scrollIntoView({block: "start"});
    if (typeof control.focus === "function") { control.focus({preventScroll: true}); }
  });
}());
