/* The walk list's service worker (scope /campaigns/): keeps each walk page and the static files it uses,
   so a responsible person can reload the list and tap outcomes with no network. Outcomes themselves are
   queued by the page (static/campaigns_field/walk.js), never here: this worker only answers GETs. */
"use strict";
var CACHE = "shanzhi-walk-v1";
var WALK = /^\/campaigns\/\d+\/walk\/$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("shanzhi-walk-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(request, response) {
  if (response && response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

function pageKey(url) { return new Request(url.origin + url.pathname); }

// The page asks, once it has loaded online, to keep itself and its scripts and styles.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  var port = event.ports && event.ports[0];
  if (data.type === "forget") {  // logging out (walk.js): the next person on this phone finds no list kept
    event.waitUntil(caches.delete(CACHE).then(function () { if (port) { port.postMessage({ok: true}); } }));
    return;
  }
  if (data.type !== "keep" || !Array.isArray(data.urls)) { return; }
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(data.urls.map(function (u) {
      var url = new URL(u, self.location.origin);
      if (url.origin !== self.location.origin) { return null; }
      var key = WALK.test(url.pathname) ? pageKey(url) : new Request(url.href);
      return fetch(url.href, {credentials: "same-origin", cache: "no-cache"}).then(function (response) {
        if (response.ok && !response.redirected) { return cache.put(key, response); }
        return null;
      }).catch(function () { return null; });
    }));
  }).then(function () { if (port) { port.postMessage({ok: true}); } }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method !== "GET") { return; }
  if (WALK.test(url.pathname)) {
    // The walk page: the network first (it is fresh), the kept copy when there is none. Sent to the
    // log-in page instead (logged out, session over): the kept copy is dropped, not shown.
    var key = pageKey(url);
    event.respondWith(fetch(request).then(function (response) {
      if (response.redirected || response.type === "opaqueredirect") { caches.open(CACHE).then(function (cache) { cache.delete(key); }); return response; }
      return keep(key, response);
    }).catch(function () {
      return caches.match(key).then(function (hit) {
        return hit || new Response("<!doctype html><meta charset=utf-8><title>离线</title><p>当前离线，且本机没有保存该清单。请联网后再打开。</p>",
                                   {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    // Static files: the kept copy at once, refreshed in the background when the network answers.
    event.respondWith(caches.match(request).then(function (hit) {
      var fresh = fetch(request).then(function (response) { return keep(request, response); });
      if (hit) { fresh.catch(function () { return null; }); return hit; }
      return fresh;
    }));
  }
});
