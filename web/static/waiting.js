// Every page's header counts the tasks waiting for its reader; this keeps the count current while the page stays
// open (a request filed while an officer sits on the worklist has a 10-minute target), in the tab's title too, so a
// worklist left in a background tab still says "(2)" (asked less often there). On the worklist a line offers to
// load the new tasks. A login that ended stops the asking.
(function () {
  "use strict";
  var body = document.body, url = body.dataset.waitingUrl;
  if (!url || !window.fetch) { return; }
  var shown = Number(body.dataset.waiting || 0), seconds = Math.max(Number(body.dataset.pollSeconds) || 30, 1);
  var title = document.title.replace(/^\(\d+\) /, ""), timer = null, rounds = 0;

  function badge(count) {
    var link = document.getElementById("worklist-link");
    if (!link) { return; }
    var span = link.querySelector(".waiting-count");
    if (!count) { if (span) { span.remove(); } return; }
    if (!span) {
      span = document.createElement("span");
      span.className = "waiting-count";
      span.title = "tugas menunggu Anda";
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " · tugas menunggu: ";
      span.appendChild(hidden);
      span.appendChild(document.createTextNode(""));
      link.appendChild(document.createTextNode(" "));
      link.appendChild(span);
    }
    span.lastChild.textContent = String(count);
  }

  function news(count) {
    var line = document.getElementById("worklist-news");
    if (!line) { return; }
    if (count <= shown) { line.hidden = true; line.textContent = ""; return; }
    line.textContent = "";
    line.appendChild(document.createTextNode((count - shown) + " tugas baru menunggu Anda. "));
    var reload = document.createElement("a");
    reload.href = window.location.href;
    reload.textContent = "Muat ulang daftar";
    line.appendChild(reload);
    line.hidden = false;
  }

  function stop() { window.clearInterval(timer); timer = null; }

  function ask() {
    rounds += 1;
    if (document.hidden && rounds % 4) { return; }  // a tab in the background asks a quarter as often
    // a login that ended (logged out in another tab, 12 hours past) answers with a redirect: stop asking
    fetch(url, {credentials: "same-origin", redirect: "manual", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          stop();
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (!answer || typeof answer.waiting !== "number") { return; }
        badge(answer.waiting);
        news(answer.waiting);
        document.title = (answer.waiting ? "(" + answer.waiting + ") " : "") + title;
      })
      .catch(function () { /* offline for a moment: the next round asks again */ });
  }

  timer = window.setInterval(ask, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden && timer) { ask(); } });
}());
