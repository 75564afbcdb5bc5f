/* Service worker of the member portal: keeps the digital card usable without signal.
   The card page is network-first (fresh when online, the cached copy when not); its assets are
   served from the cache and refreshed in the background. QR tokens never pass through here:
   the page keeps its own batch, and signing out clears both (Clear-Site-Data). */
"use strict";
var CACHE = "tillclub-portal-v1";
var CARD = "/portal/card";
var ASSETS = ["/portal/static/portal.css", "/portal/static/card.js", "/portal/static/icon.svg",
              "/portal/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE)
    .then(function (cache) { return cache.addAll(ASSETS.concat([CARD])); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys()
    .then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
    })
    .then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === CARD) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(CARD, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(CARD).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (hit) {
        var update = fetch(request).then(function (response) {
          if (response.ok) { cache.put(url.pathname, response.clone()); }
          return response;
        });
        if (hit) { update.catch(function () {}); return hit; }
        return update;
      });
    }));
  }
});
