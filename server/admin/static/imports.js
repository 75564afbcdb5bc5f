// The import's progress bar: polls the run's small JSON status and reloads the page when the
// run ends (the page then shows the result and the rejected rows). Without JavaScript the page
// refreshes itself (a <noscript> meta refresh).
(function () {
  "use strict";
  var box = document.getElementById("import-status");
  if (!box) { return; }
  var url = box.getAttribute("data-url");
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        document.getElementById("import-progress").value = s.percent;
        document.getElementById("import-percent").textContent = s.percent + "%";
        document.getElementById("import-state").textContent = s.label;
        if (s.state === "done" || s.state === "failed") { window.location.reload(); return; }
        window.setTimeout(tick, 1000);
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  window.setTimeout(tick, 500);
})();
