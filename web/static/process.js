// Draws the deployed BPMN with the vendored bpmn-js viewer and marks the steps named in data-marked.
// The container's data-state says how it went: "ok", "warnings" (drawn, but the modeler complained) or "error".
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  var message = document.getElementById("diagram-message");
  if (!box) { return; }

  function fail(text) {
    box.dataset.state = "error";
    message.textContent = text;
    message.hidden = false;
  }

  if (typeof BpmnJS === "undefined") {
    fail("Penampil diagram tidak dapat dimuat.");
    return;
  }
  var viewer = new BpmnJS({ container: box });
  fetch(box.dataset.source, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function (result) {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      document.querySelectorAll("[data-zoom]").forEach(function (button) {
        button.addEventListener("click", function () {
          var how = button.dataset.zoom;
          if (how === "fit") { canvas.zoom("fit-viewport"); return; }
          canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
        });
      });
      JSON.parse(box.dataset.marked || "[]").forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, "sorot"); }
      });
      box.dataset.warnings = String(result.warnings.length);
      box.dataset.state = result.warnings.length ? "warnings" : "ok";
      if (result.warnings.length) {
        message.textContent = "Diagram tergambar dengan " + result.warnings.length + " peringatan: " +
          result.warnings.map(function (w) { return w.message; }).join("; ");
        message.hidden = false;
      }
    })
    .catch(function (error) { fail("Diagram tidak dapat digambar: " + error.message); });
}());
