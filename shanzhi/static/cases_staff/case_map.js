/* A small map with the case's pin over the outlines of its grid. No tiles unless the page gives
   a tile URL (SHANZHI["TILE_URL"]). */
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  if (!el || typeof L === "undefined") { return; }
  var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
  if (isNaN(lat) || isNaN(lon)) { return; }
  var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.tileUrl }).setView([lat, lon], 15);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  var pin = L.circleMarker([lat, lon], { radius: 9, color: "#b3261e", weight: 2, fillOpacity: 0.7 });
  function done() { pin.addTo(map); el.dataset.loaded = "1"; }
  if (!el.dataset.geojson) { done(); return; }
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      var shapes = data.features.filter(function (f) { return f.geometry.type !== "Point"; });
      var layer = L.geoJSON(shapes, {
        interactive: false,
        style: function (f) {
          return f.properties.kind === "self" ? { color: "#1f2328", weight: 2, dashArray: "6 4", fill: false }
            : { color: "#1f6feb", weight: 1, fillOpacity: 0.06 };
        }
      }).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds.extend([lat, lon]), { padding: [10, 10], maxZoom: 17, animate: false }); }
      done();
    })
    .catch(done);
})();
