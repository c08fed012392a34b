/* Walk list: put the phone's current position into every form's hidden lat/lon (also after htmx swaps). */
(function () {
  "use strict";
  var status = document.getElementById("geo-status");
  var last = null;

  function say(key) {
    if (status && status.dataset[key]) { status.textContent = status.dataset[key]; }
  }

  function fill(root) {
    if (!last) { return; }
    (root || document).querySelectorAll("input.geo-lat").forEach(function (el) { el.value = last.lat; });
    (root || document).querySelectorAll("input.geo-lon").forEach(function (el) { el.value = last.lon; });
  }

  if (navigator.geolocation) {
    say("locating");
    var opts = {enableHighAccuracy: true, maximumAge: 60000, timeout: 20000};
    navigator.geolocation.watchPosition(function (pos) {
      last = {lat: pos.coords.latitude.toFixed(6), lon: pos.coords.longitude.toFixed(6)};
      fill(document);
      say("ok");
    }, function () { if (!last) { say("failed"); } }, opts);
  } else {
    say("failed");
  }

  // A household's card comes back after each tap: give its new forms the position too.
  document.body.addEventListener("htmx:afterSettle", function () { fill(document); });
  window.shanzhiWalkFill = fill;
})();

/* Walk list offline: a service worker keeps this page and its files; each outcome tap is queued on the
   phone (localStorage) with its own idempotency key and the time it was recorded, and sent when the
   network answers. The server keeps one visit per key, so a retry or a second sync never doubles one. */
(function () {
  "use strict";
  var bar = document.getElementById("walk-offline");
  if (!bar) { return; }
  var STORE = "shanzhi.walk.queue." + bar.dataset.user;
  var netStatus = document.getElementById("net-status");
  var syncStatus = document.getElementById("sync-status");
  var syncNow = document.getElementById("sync-now");
  var syncing = null;

  function text(name, values) {
    var s = bar.dataset[name] || "";
    Object.keys(values || {}).forEach(function (k) { s = s.split("%(" + k + ")s").join(values[k]); });
    return s;
  }

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }

  function save(items) { window.localStorage.setItem(STORE, JSON.stringify(items)); }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID().replace(/-/g, ""); }
    var a = new Uint8Array(16);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Show what is waiting: the count, and on each household's card the outcome not yet sent.
  function show() {
    var items = load();
    var mine = items.filter(function (it) { return it.campaign === bar.dataset.campaign; });
    syncStatus.dataset.count = String(mine.length);
    if (mine.length) { syncStatus.dataset.had = "1"; }
    if (syncing && mine.length) {
      syncStatus.textContent = text("syncing", {n: mine.length});
    } else {
      syncStatus.textContent = mine.length ? text("pending", {n: mine.length}) : (syncStatus.dataset.had ? text("synced") : "");
    }
    syncNow.hidden = !mine.length || !navigator.onLine;
    netStatus.textContent = navigator.onLine ? (bar.dataset.readyShown ? text("ready") : "") : text("offline");
    document.querySelectorAll("li.target-card").forEach(function (li) {
      var waiting = mine.filter(function (it) { return it.target === li.dataset.target; });
      var note = li.querySelector(".queued-note");
      li.classList.toggle("queued", waiting.length > 0);
      if (note) {
        note.hidden = !waiting.length;
        note.textContent = waiting.length ? text("queued", {outcome: waiting.map(function (it) { return it.label; }).join("、")}) : "";
      }
    });
  }

  function queue(form, button) {
    var data = new FormData(form);
    var li = form.closest("li.target-card");
    var items = load();
    items.push({
      key: newKey(), url: form.getAttribute("action"), campaign: bar.dataset.campaign, target: li.dataset.target,
      outcome: button.value, label: button.textContent.trim(), met_whom: data.get("met_whom") || "",
      note: data.get("note") || "", lat: data.get("lat") || "", lon: data.get("lon") || "",
      recorded_at: new Date().toISOString()
    });
    save(items);
    form.reset();
    show();
  }

  // The case categories are in the page once: a household's "raise a need" form takes them when opened.
  var categories = document.getElementById("case-categories");
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!categories || !details.classList || !details.classList.contains("raise") || !details.open) { return; }
    details.querySelectorAll("select.case-category").forEach(function (select) {
      if (select.options.length <= 1) { select.appendChild(categories.content.cloneNode(true)); }
    });
  }, true);

  // The card the server sends back replaces the household's card (and its reached count).
  function replaceCard(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var card = tpl.content.querySelector("li.target-card");
    var reached = tpl.content.querySelector("#reached-count");
    if (card) {
      var old = document.getElementById(card.id);
      if (old) {
        old.replaceWith(card);
        if (window.htmx) { window.htmx.process(card); }
        if (window.shanzhiWalkFill) { window.shanzhiWalkFill(card); }
      }
    }
    var count = document.getElementById("reached-count");
    if (reached && count) { count.textContent = reached.textContent; }
  }

  function send(item) {
    var body = new FormData();
    ["outcome", "met_whom", "note", "lat", "lon", "recorded_at"].forEach(function (k) { body.append(k, item[k]); });
    body.append("idempotency_key", item.key);
    body.append("csrfmiddlewaretoken", csrfToken());
    return fetch(item.url, {method: "POST", body: body, credentials: "same-origin",
                            headers: {"HX-Request": "true", "X-CSRFToken": csrfToken()}});
  }

  var freshToken = false;
  function refreshToken() {
    return fetch(window.location.pathname, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.text(); }).then(function (html) {
        var m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
        if (!m) { throw new Error("csrf"); }
        document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (el) { el.value = m[1]; });
      });
  }

  function drop(key) { save(load().filter(function (it) { return it.key !== key; })); }

  // Send the queue in order; stop at the first network failure (the rest waits for the next chance).
  function sync() {
    if (syncing) { return syncing; }
    if (!navigator.onLine) { show(); return Promise.resolve(); }
    // One tab of the phone sends at a time (the others find the queue emptied); the keys cover the rest.
    var run = function (work) {
      return navigator.locks ? navigator.locks.request("shanzhi-walk-sync", work) : work();
    };
    var next = function () {
      var item = load().filter(function (it) { return it.campaign === bar.dataset.campaign; })[0];
      show();
      if (!item) { return Promise.resolve(); }
      return send(item).then(function (response) {
        // Logged out meanwhile (sent to the log-in page) or a server fault: keep it for later.
        if (response.redirected || response.status >= 500) { throw new Error("later"); }
        if (response.status === 403) {
          return response.text().then(function (t) {
            if (t.indexOf("CSRF") < 0) { drop(item.key); return next(); }
            if (freshToken) { throw new Error("csrf"); }
            freshToken = true;  // the kept page's token is stale: take one from a fresh copy, then retry
            return refreshToken().then(next);
          });
        }
        return response.text().then(function (html) {
          drop(item.key);  // recorded, refused (shown on the card) or no longer ours: either way done
          if (response.ok) { replaceCard(html); }
          return next();
        });
      });
    };
    syncing = run(next).catch(function () { return null; }).then(function () { syncing = null; show(); });
    return syncing;
  }
  window.shanzhiWalkSync = sync;

  // One tap on an outcome: queued first, then sent when possible (the page never waits on the network).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("visit")) { return; }
    var button = event.submitter;
    if (!button || button.name !== "outcome") { return; }
    var photo = form.querySelector("input[type=file]");
    if (photo && photo.files && photo.files.length && navigator.onLine) { return; }  // a photo goes as a form
    event.preventDefault();
    event.stopPropagation();
    queue(form, button);
    sync();
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-online-only]");
    if (button && !navigator.onLine) {
      event.preventDefault();
      event.stopPropagation();
      window.alert(text("callOffline"));
    }
  }, true);

  // Logging out here: the kept copy of the list goes first, so the next person on this phone finds none.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.forgotten ||
        new URL(form.action, window.location.href).pathname !== bar.dataset.logout) { return; }
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!worker) { return; }
    event.preventDefault();
    form.dataset.forgotten = "1";
    var sent = false;
    var done = function () { if (!sent) { sent = true; form.submit(); } };
    var channel = new MessageChannel();
    channel.port1.onmessage = done;
    worker.postMessage({type: "forget"}, [channel.port2]);
    window.setTimeout(done, 1500);
  }, true);

  syncNow.addEventListener("click", function () { sync(); });
  window.addEventListener("online", function () { sync(); });
  window.addEventListener("offline", show);
  window.addEventListener("storage", function (event) { if (event.key === STORE) { show(); } });  // another tab
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { sync(); } });

  // Keep this page and its files for offline use (the worker fetches them itself).
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(bar.dataset.sw, {scope: bar.dataset.scope.replace(/mine\/$/, "")})
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (reg) {
        if (!navigator.onLine || !reg.active) { return null; }
        var urls = [window.location.pathname];
        document.querySelectorAll("script[src], link[rel=stylesheet][href]").forEach(function (el) {
          urls.push(el.getAttribute("src") || el.getAttribute("href"));
        });
        return new Promise(function (resolve) {
          var channel = new MessageChannel();
          channel.port1.onmessage = function () { resolve(); };
          reg.active.postMessage({type: "keep", urls: urls}, [channel.port2]);
        }).then(function () {
          bar.dataset.readyShown = "1";
          document.documentElement.dataset.offlineReady = "1";
          show();
        });
      }).catch(function () { return null; });
  }

  show();
  sync();
})();
