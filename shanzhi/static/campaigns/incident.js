/* The incident form's scope: show the inputs of the chosen way, set the radius centre by clicking the
   map, or draw a polygon by clicking its vertices (the ring is closed on submit). No tiles are needed:
   the user's unit outlines are drawn for orientation unless SHANZHI["TILE_URL"] gives a tile server. */
(function () {
  "use strict";
  var form = document.getElementById("incident-form");
  var el = document.getElementById("scope-map");
  if (!form) { return; }
  document.documentElement.classList.add("js");
  var latIn = document.getElementById("id_lat"), lonIn = document.getElementById("id_lon");
  var radiusIn = document.getElementById("id_radius_m"), polyIn = document.getElementById("id_polygon");
  var countEl = document.getElementById("vertex-count");

  function mode() {
    var checked = form.querySelector("input[name=scope_mode]:checked");
    return checked ? checked.value : "";
  }
  function showParts() {
    var m = mode();
    form.querySelectorAll(".scope-part").forEach(function (p) { p.hidden = p.dataset.mode !== m; });
    if (el) { el.hidden = m !== "radius" && m !== "polygon"; fit(); }
  }
  // A hidden map has no size: fit it to the outlines once it is shown.
  var outline = null, fitted = false;
  function fit() {
    if (!map || el.hidden) { return; }
    map.invalidateSize();
    if (outline && !fitted && !(circle || line)) { map.fitBounds(outline, { padding: [10, 10], animate: false }); fitted = true; }
  }
  form.querySelectorAll("input[name=scope_mode]").forEach(function (r) { r.addEventListener("change", showParts); });

  var map = null, marker = null, circle = null, line = null, vertices = [];
  if (el && typeof L !== "undefined") {
    map = L.map(el, { attributionControl: !!el.dataset.tileUrl }).setView([30.84, 120.92], 11);
    window.shanzhiScopeMap = map;
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    if (el.dataset.geojson) {
      fetch(el.dataset.geojson, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          var shapes = data.features.filter(function (f) { return f.geometry.type !== "Point"; });
          var layer = L.geoJSON(shapes, { interactive: false, style: { color: "#1f6feb", weight: 1.5, fillOpacity: 0.05 } }).addTo(map);
          if (layer.getBounds().isValid()) { outline = layer.getBounds(); fit(); }
          el.dataset.loaded = "1";
        })
        .catch(function () { el.dataset.loaded = "error"; });
    }
  }

  function radius() { var r = parseFloat(radiusIn.value); return isNaN(r) ? 0 : r; }
  function drawCentre() {
    if (!map) { return; }
    var lat = parseFloat(latIn.value), lon = parseFloat(lonIn.value);
    if (isNaN(lat) || isNaN(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) { return; }
    if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.circleMarker([lat, lon], { radius: 6, color: "#b3261e" }).addTo(map); }
    if (circle) { circle.setLatLng([lat, lon]).setRadius(radius()); }
    else { circle = L.circle([lat, lon], { radius: radius(), color: "#b3261e", weight: 1.5, fillOpacity: 0.1 }).addTo(map); }
  }
  function drawPolygon() {
    if (!map) { return; }
    var pts = vertices.map(function (v) { return [v[1], v[0]]; });
    if (line) { map.removeLayer(line); line = null; }
    if (pts.length >= 3) { line = L.polygon(pts, { color: "#8250df", weight: 2, fillOpacity: 0.12 }).addTo(map); }
    else if (pts.length) { line = L.polyline(pts, { color: "#8250df", weight: 2, dashArray: "4 4" }).addTo(map); }
    if (countEl) { countEl.textContent = (countEl.dataset.label || "") + " " + vertices.length; }
    el.dataset.vertices = String(vertices.length);
  }
  if (map) {
    map.on("click", function (e) {
      var m = mode();
      if (m === "radius") {
        latIn.value = e.latlng.lat.toFixed(6); lonIn.value = e.latlng.lng.toFixed(6); drawCentre();
      } else if (m === "polygon") {
        vertices.push([+e.latlng.lng.toFixed(6), +e.latlng.lat.toFixed(6)]); drawPolygon();
      }
    });
    [latIn, lonIn, radiusIn].forEach(function (i) { i.addEventListener("change", drawCentre); });
  }
  var undo = document.getElementById("undo-vertex"), clear = document.getElementById("clear-polygon");
  if (undo) { undo.addEventListener("click", function () { vertices.pop(); drawPolygon(); }); }
  if (clear) { clear.addEventListener("click", function () { vertices = []; drawPolygon(); }); }

  // A polygon sent back after an error is drawn again (without its closing point).
  if (polyIn && polyIn.value) {
    try {
      var ring = JSON.parse(polyIn.value).coordinates[0];
      if (ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1]) { ring = ring.slice(0, -1); }
      vertices = ring.map(function (p) { return [p[0], p[1]]; });
    } catch (err) { vertices = []; }
  }

  form.addEventListener("submit", function () {
    if (mode() !== "polygon") { return; }
    if (vertices.length < 3) { polyIn.value = ""; return; }
    var ring = vertices.slice();
    ring.push(vertices[0]);  // close the ring
    polyIn.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
  });

  showParts();
  drawCentre();
  if (vertices.length) { drawPolygon(); }
})();
