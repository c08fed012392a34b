/* Pick a location by clicking the map (or the device position); fills the lat/lon inputs.
   Draws the user's unit outlines for orientation; no tiles unless SHANZHI["TILE_URL"] is set. */
(function () {
  "use strict";
  var el = document.getElementById("pin-map");
  var latIn = document.getElementById("id_lat"), lonIn = document.getElementById("id_lon");
  if (!el || !latIn || !lonIn || typeof L === "undefined") { return; }
  var map = L.map(el, { attributionControl: !!el.dataset.tileUrl }).setView([30.84, 120.92], 10);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  var marker = null;
  function place(lat, lon, pan) {
    latIn.value = lat.toFixed(6);
    lonIn.value = lon.toFixed(6);
    if (marker) { marker.setLatLng([lat, lon]); }
    else { marker = L.circleMarker([lat, lon], { radius: 9, color: "#b3261e", weight: 2, fillOpacity: 0.7 }).addTo(map); }
    if (pan) { map.panTo([lat, lon]); }
    el.dataset.pinned = "1";
  }
  map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, false); });
  function fromInputs() {
    var lat = parseFloat(latIn.value), lon = parseFloat(lonIn.value);
    if (!isNaN(lat) && !isNaN(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) { place(lat, lon, true); }
  }
  latIn.addEventListener("change", fromInputs);
  lonIn.addEventListener("change", fromInputs);
  var use = document.getElementById("use-position");
  if (use && navigator.geolocation) {
    use.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) { place(p.coords.latitude, p.coords.longitude, true); });
    });
  } else if (use) { use.hidden = true; }
  var clear = document.getElementById("clear-pin");
  if (clear) {
    clear.addEventListener("click", function () {
      latIn.value = ""; lonIn.value = "";
      if (marker) { map.removeLayer(marker); marker = null; }
      delete el.dataset.pinned;
    });
  }
  if (el.dataset.geojson) {
    fetch(el.dataset.geojson, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var shapes = data.features.filter(function (f) { return f.geometry.type !== "Point"; });
        var layer = L.geoJSON(shapes, { interactive: false, style: { color: "#1f6feb", weight: 1.5, fillOpacity: 0.05 } }).addTo(map);
        if (layer.getBounds().isValid() && !marker) { map.fitBounds(layer.getBounds(), { padding: [10, 10], animate: false }); }
        el.dataset.loaded = "1";
      })
      .catch(function () { el.dataset.loaded = "error"; });
  }
  fromInputs();
})();
