/* Digital card: shows the current pre-minted QR token, refreshes the batch while online,
   and falls back to the printed barcode when no token is valid (no signal for too long). */
(function () {
  "use strict";
  var root = document.getElementById("card");
  if (!root) { return; }
  var KEY = "tillclub-card-tokens";
  var REFRESH_BELOW_MS = 35 * 60 * 1000; // fetch a new batch when less than this is covered
  var MARGIN_MS = 20 * 1000; // never show a code about to expire at the till
  var qr = document.getElementById("qr");
  var status = document.getElementById("qr-status");

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: "/portal/" }).catch(function () {});
  }

  function load() {
    try {
      var data = JSON.parse(window.localStorage.getItem(KEY) || "null");
      if (data && data.card_number === root.dataset.card && Array.isArray(data.tokens)) { return data; }
    } catch (e) { /* corrupt copy: ignore, refetch */ }
    return null;
  }

  function pick(data, now) {
    var best = null;
    (data ? data.tokens : []).forEach(function (t) {
      var from = Date.parse(t.not_before), until = Date.parse(t.expires_at);
      if (from <= now && now < until - MARGIN_MS && (!best || from > Date.parse(best.not_before))) { best = t; }
    });
    return best;
  }

  function coveredUntil(data) {
    var last = 0;
    (data ? data.tokens : []).forEach(function (t) { last = Math.max(last, Date.parse(t.expires_at)); });
    return last;
  }

  function render() {
    var now = Date.now();
    var token = pick(load(), now);
    if (token) {
      if (qr.dataset.token !== token.token) {
        qr.innerHTML = token.svg; // SVG made by our server from the token; no markup from users
        qr.dataset.token = token.token;
      }
      qr.hidden = false;
      root.classList.remove("offline");
      var until = new Date(Date.parse(token.expires_at));
      var hhmm = until.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
      status.textContent = root.dataset.msgValid.replace("{time}", hhmm);
    } else {
      qr.innerHTML = "";
      delete qr.dataset.token;
      qr.hidden = true;
      root.classList.add("offline");
      status.textContent = root.dataset.msgOffline;
    }
  }

  function refresh(force) {
    var data = load();
    if (!force && data && coveredUntil(data) - Date.now() > REFRESH_BELOW_MS) { return Promise.resolve(); }
    return fetch(root.dataset.tokensUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { status.textContent = root.dataset.msgSignin; return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (json) {
        if (json) { window.localStorage.setItem(KEY, JSON.stringify(json)); }
        render();
      })
      .catch(function () { render(); });
  }

  render();
  refresh(false);
  window.setInterval(render, 5000);
  window.setInterval(function () { refresh(false); }, 60000);
  window.addEventListener("online", function () { refresh(false); });
})();
