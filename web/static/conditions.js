// A field that a choice makes meaningless (the form's rule: it must then be empty — the recommended action of
// a rejected request, the date of an action not carried out) is hidden and left out of what is sent while that
// choice is made. Without this script the page shows it, and what is sent leaves it out all the same
// (web/formdata.py from_form); an API client that sends it is told to clear it.
(function () {
  "use strict";
  function chosen(form, name) {
    var picked = form.querySelector('input[type=radio][name="' + CSS.escape(name) + '"]:checked');
    var select = form.querySelector('select[name="' + CSS.escape(name) + '"]');
    return picked ? picked.value : (select ? select.value : "");
  }
  function update(form) {
    form.querySelectorAll("[data-empty-when]").forEach(function (field) {
      var meaningless = chosen(form, field.getAttribute("data-empty-when")) === field.getAttribute("data-value");
      field.hidden = meaningless;
      field.querySelectorAll("input, select, textarea").forEach(function (control) {
        if (meaningless && !control.disabled) {
          control.disabled = true;
          control.dataset.hiddenByChoice = "1";
        } else if (!meaningless && control.dataset.hiddenByChoice) {  // (not one the page itself disabled)
          control.disabled = false;
          delete control.dataset.hiddenByChoice;
        }
      });
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-empty-when]")) { return; }
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
}());
