// The filing form says, as soon as the disputed domain is typed, that the agency already has a running case
// about it (a second request for the same dispute is the commonest duplicate): before sending, not after.
// The note joins the field's hint, which the field is described by, so a screen reader reads it with the field.
(function () {
  "use strict";
  var form = document.getElementById("case-form"), input = document.getElementById("f-domain.name");
  var hint = document.getElementById("hint-domain.name");
  if (!form || !input || !hint || !window.fetch || !form.dataset.sameDomainUrl) { return; }
  var asked = null;

  function show(found) {
    var note = document.getElementById("same-domain");
    if (!found.running || !found.running.length) { if (note) { note.remove(); } return; }
    if (!note) {
      note = document.createElement("small");
      note.id = "same-domain";
      note.className = "hint warning";
      note.setAttribute("role", "status");
      hint.appendChild(note);
    }
    note.textContent = "Instansi Anda sudah mengajukan sengketa untuk " + found.domain + ": ";
    found.running.forEach(function (c, i) {
      if (i) { note.appendChild(document.createTextNode(", ")); }
      var link = document.createElement("a");
      link.href = c.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = c.case_number;
      note.appendChild(link);
    });
    note.appendChild(document.createTextNode(" (masih berjalan; terbuka di tab baru). Tidak perlu mengajukan " +
      "lagi: perkembangannya dapat dipantau di halaman kasus itu."));
  }

  function check() {
    var typed = input.value.trim();
    if (typed === asked) { return; }
    asked = typed;
    if (!typed) { show({}); return; }
    fetch(form.dataset.sameDomainUrl + "?domain=" + encodeURIComponent(typed), {credentials: "same-origin"})
      .then(function (answer) { return answer.ok ? answer.json() : {}; })
      .then(function (found) { if (asked === typed) { show(found); } })
      .catch(function () {});  // only a warning: the filing itself checks nothing here
  }

  input.addEventListener("change", check);
  input.addEventListener("blur", check);
  if (input.value.trim()) { check(); }  // a refused form came back with the domain filled in
}());
