/* The resident's report form: filter the category tree, drop a pin on a map of the village's
   boundaries (no tile server needed), use the current position or home, and ask the server
   (htmx, #similar) for similar open cases nearby whenever category or place changes. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("report-form");
  if (!form) { return; }

  function $(sel, root) { return (root || form).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || form).querySelectorAll(sel)); }
  function askSimilar() { document.body.dispatchEvent(new CustomEvent("similar-check")); }

  /* ---- categories: search by name, English name, keywords ---- */
  var search = document.getElementById("cat-search");
  var none = document.getElementById("cat-none");
  if (search) {
    search.addEventListener("input", function () {
      var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      $all(".cat-group").forEach(function (group) {
        var any = false;
        $all(".chip", group).forEach(function (chip) {
          var hay = chip.dataset.search || "";
          var ok = words.every(function (w) { return hay.indexOf(w) !== -1; });
          chip.hidden = !ok;
          any = any || ok;
          if (ok) { shown++; }
        });
        group.hidden = !any;
      });
      if (none) { none.hidden = shown > 0; }
    });
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {  // pick the only match instead of submitting the form
        e.preventDefault();
        var visible = $all(".chip").filter(function (c) { return !c.hidden; });
        if (visible.length === 1) { $("input", visible[0]).click(); }
      }
    });
  }

  var kindTouched = false;
  $all("input[name=kind]").forEach(function (r) { r.addEventListener("change", function () { kindTouched = true; }); });
  $all("input[name=category]").forEach(function (r) {
    r.addEventListener("change", function () {
      var kind = r.closest(".chip").dataset.kind;
      if (!kindTouched && kind) {
        var target = $("input[name=kind][value=" + kind + "]");
        if (target) { target.checked = true; }
      }
      askSimilar();
    });
  });

  /* ---- the map ---- */
  var el = document.getElementById("pin-map");
  var latInput = $("input[name=lat]");
  var lonInput = $("input[name=lon]");
  var status = document.getElementById("pin-status");
  var features = JSON.parse((document.getElementById("map-features") || {}).textContent || "[]");
  var home = JSON.parse((document.getElementById("map-home") || {}).textContent || "null");
  var map = null, marker = null, homeMarker = null;

  function say(key, extra) {
    if (status) { status.textContent = (status.dataset[key] || "") + (extra ? " " + extra : ""); }
  }
  // Unit names come from the database: Leaflet gets an element holding a text node, never an HTML string.
  function textLabel(s) {
    var span = document.createElement("span");
    span.textContent = String(s == null ? "" : s);
    return span;
  }
  function where() { var r = $("input[name=where]:checked"); return r ? r.value : "pin"; }
  function setWhere(value) { var r = $("input[name=where][value=" + value + "]"); if (r) { r.checked = true; } }

  function placePin(lat, lon, pan) {
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    setWhere("pin");
    if (map) {
      if (!marker) {
        marker = L.marker([lat, lon], { draggable: true, autoPan: true }).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          placePin(p.lat, p.lng, false);
        });
      } else {
        marker.setLatLng([lat, lon]);
      }
      if (pan) { map.setView([lat, lon], Math.max(map.getZoom(), 16)); }
    }
    say("set", latInput.value + ", " + lonInput.value);
    askSimilar();
  }

  if (el && typeof L !== "undefined") {
    map = L.map(el, { zoomSnap: 0.25 });
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    } else {
      map.attributionControl.setPrefix(false);
    }
    var styles = {
      village: { color: "#1f2328", weight: 2, dashArray: "6 4", fill: false },
      grid: { color: "#1f6feb", weight: 1.5, fillColor: "#1f6feb", fillOpacity: 0.08 },
      microgrid: { color: "#8c959f", weight: 1, fillOpacity: 0.04 },
      county: { color: "#1f2328", weight: 2, fill: false },
      town: { color: "#1f6feb", weight: 1.5, fillOpacity: 0.06 }
    };
    var layer = L.geoJSON(features, {
      style: function (f) { return styles[f.properties.level] || styles.grid; },
      onEachFeature: function (f, lyr) {
        if (f.properties.level !== "microgrid") {
          lyr.bindTooltip(textLabel(f.properties.name), { sticky: true });
        }
      }
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); }
    else if (home) { map.setView([home.lat, home.lon], 16); }
    else { map.setView([30.84, 120.92], 11); }

    if (home) {
      homeMarker = L.circleMarker([home.lat, home.lon], { radius: 7, color: "#1a7f37", weight: 2, fillOpacity: 0.6 })
        .addTo(map).bindTooltip(textLabel(status ? status.dataset.home : ""));
    }
    map.on("click", function (e) { placePin(e.latlng.lat, e.latlng.lng, false); });

    var lat0 = parseFloat(latInput.value), lon0 = parseFloat(lonInput.value);
    if (isFinite(lat0) && isFinite(lon0) && where() === "pin") {
      placePin(lat0, lon0, true);
    } else {
      say(where() === "home" ? "home" : "none");
    }
  }

  $all("input[name=where]").forEach(function (r) {
    r.addEventListener("change", function () {
      if (where() === "home") {
        say("home");
        if (map && home) { map.setView([home.lat, home.lon], Math.max(map.getZoom(), 16)); }
      } else {
        say(latInput.value ? "set" : "none", latInput.value ? latInput.value + ", " + lonInput.value : "");
      }
      askSimilar();
    });
  });

  var locate = document.getElementById("locate-me");
  if (locate) {
    if (!navigator.geolocation) { locate.hidden = true; }
    locate.addEventListener("click", function () {
      say("locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        placePin(pos.coords.latitude, pos.coords.longitude, true);
      }, function () { say("failed"); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }

  /* One tap, one case: block a second submit while the first is on its way. */
  form.addEventListener("submit", function (e) {
    if (form.dataset.sending) { e.preventDefault(); return; }
    form.dataset.sending = "1";
    setTimeout(function () { delete form.dataset.sending; }, 15000);
  });

  // After htmx has started (it loads deferred), look for similar cases for a form shown again.
  window.addEventListener("load", function () {
    if ($("input[name=category]:checked")) { askSimilar(); }
  });
})();
