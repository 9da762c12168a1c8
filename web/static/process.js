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
  var READABLE = 0.6;  // below this zoom a task's label is under 8 px high
  var viewer = new BpmnJS({ container: box });
  box.tabIndex = 0;  // the diagram takes the keyboard: arrows move it, + and - zoom, 0 shows it all
  fetch(box.dataset.source, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function (result) {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var marked = JSON.parse(box.dataset.marked || "[]").filter(function (id) { return registry.get(id); });
      function shown() {
        var view = canvas.viewbox();
        box.dataset.zoom = canvas.zoom().toFixed(2);
        box.dataset.view = Math.round(view.x) + "," + Math.round(view.y);
      }
      // The whole diagram, unless that makes its words too small to read (a phone): then readable, centred
      // on the first marked step (else the start), and "Seluruh diagram" shows it all.
      function start() {
        canvas.zoom("fit-viewport");
        if (canvas.zoom() < READABLE) {
          var target = registry.get(marked[0]) || registry.filter(function (e) { return e.type === "bpmn:StartEvent"; })[0];
          canvas.zoom(READABLE);
          if (target) {
            var view = canvas.viewbox();
            canvas.viewbox({ x: target.x + target.width / 2 - view.width / 2, y: target.y + target.height / 2 - view.height / 2,
                             width: view.width, height: view.height });
          }
        }
        shown();
      }
      start();
      document.querySelectorAll("button[data-zoom]").forEach(function (button) {
        button.addEventListener("click", function () {
          var how = button.dataset.zoom;
          if (how === "fit") { canvas.zoom("fit-viewport"); } else { canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8)); }
          shown();
        });
      });
      var drawing = box.querySelector("svg");  // one stop for the keyboard, the box: not the drawing inside it too
      if (drawing) { drawing.setAttribute("tabindex", "-1"); }
      fingers(box, canvas, shown);
      keys(box, canvas, shown);
      marked.forEach(function (id) { canvas.addMarker(id, "sorot"); });
      var credit = box.querySelector(".bjs-powered-by");  // the viewer's own link names itself only in English
      if (credit) { credit.setAttribute("aria-label", "bpmn.io, penggambar diagram ini (situs luar)"); }
      box.dataset.warnings = String(result.warnings.length);
      box.dataset.state = result.warnings.length ? "warnings" : "ok";
      if (result.warnings.length) {
        message.textContent = "Diagram tergambar dengan " + result.warnings.length + " peringatan: " +
          result.warnings.map(function (w) { return w.message; }).join("; ");
        message.hidden = false;
      }
    })
    .catch(function (error) { fail("Diagram tidak dapat digambar: " + error.message); });

  // The viewer moves with the mouse only: on a touch screen one finger drags the diagram and two pinch it.
  // The page does not scroll under a finger on the diagram (touch-action in style.css); it does around it.
  function fingers(element, canvas, shown) {
    var last = null;
    function read(touches) {
      var rect = element.getBoundingClientRect(), a = touches[0], b = touches[1] || touches[0];
      return { count: touches.length, x: (a.clientX + b.clientX) / 2 - rect.left, y: (a.clientY + b.clientY) / 2 - rect.top,
               spread: Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY) };
    }
    element.addEventListener("touchstart", function (event) { last = read(event.touches); }, { passive: true });
    element.addEventListener("touchmove", function (event) {
      if (!last) { return; }
      event.preventDefault();
      var now = read(event.touches);
      if (now.count === last.count) {
        if (now.count > 1 && last.spread > 0) {
          canvas.zoom(Math.min(4, Math.max(0.2, canvas.zoom() * now.spread / last.spread)), { x: now.x, y: now.y });
        }
        canvas.scroll({ dx: now.x - last.x, dy: now.y - last.y });
      }
      last = now;
    }, { passive: false });
    function lift(event) { last = event.touches.length ? read(event.touches) : null; shown(); }
    element.addEventListener("touchend", lift);
    element.addEventListener("touchcancel", lift);
  }

  // The keyboard moves the diagram as a mouse drags it: arrows (with Shift, further), + and -, 0 for all of it.
  function keys(element, canvas, shown) {
    var STEPS = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    element.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      var step = STEPS[event.key];
      if (step) {
        var far = event.shiftKey ? 200 : 50;
        canvas.scroll({ dx: step[0] * far, dy: step[1] * far });
      } else if (event.key === "+" || event.key === "=") {
        canvas.zoom(canvas.zoom() * 1.25);
      } else if (event.key === "-") {
        canvas.zoom(canvas.zoom() * 0.8);
      } else if (event.key === "0") {
        canvas.zoom("fit-viewport");
      } else {
        return;
      }
      event.preventDefault();  // the page itself does not scroll under the diagram
      shown();
    });
  }
}());
