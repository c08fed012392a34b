/* Draw a unit's outline, its children and (for a micro-grid) its households on a Leaflet map.
   Works with no tile server: the boundaries are drawn on a plain background unless the page
   gives a tile URL (settings.SHANZHI["TILE_URL"]). */
/* Leaflet's controls in the page's language (<html lang>): zoom titles and the attribution prefix.
   Set on Leaflet's defaults, so every map made after this runs speaks Chinese on a zh-hans page. */
(function () {
  "use strict";
  if (typeof L === "undefined" || (document.documentElement.lang || "").indexOf("en") === 0) { return; }
  L.Control.Zoom.prototype.options.zoomInTitle = "放大";
  L.Control.Zoom.prototype.options.zoomOutTitle = "缩小";
  L.Control.Attribution.prototype.options.prefix =
    '<a href="https://leafletjs.com" title="交互式地图开源库" lang="en">Leaflet</a>';
})();

(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }

  var map = L.map(el, { zoomSnap: 0.25, attributionControl: true });
  window.shanzhiMap = map;
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  } else {
    map.attributionControl.setPrefix(false);
  }

  var labelHouseholds = el.dataset.labelHouseholds || "户数";
  var labelResidents = el.dataset.labelResidents || "人数";
  var palette = ["#b3261e", "#1f6feb", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7ea4", "#6e7781"];

  // Names come from the database: they go into the map as text nodes, never as HTML.
  function text(s) { return document.createTextNode(String(s == null ? "" : s)); }
  function label(s) {
    var span = document.createElement("span");
    span.appendChild(text(s));
    return span;
  }

  function tooltip(p) {
    var box = document.createElement("span");
    var b = document.createElement("b");
    b.appendChild(text(p.name));
    box.appendChild(b);
    if (p.kind === "child") {
      box.appendChild(document.createElement("br"));
      box.appendChild(text(labelHouseholds + " " + p.households + " · " + labelResidents + " " + p.residents));
    } else if (p.kind === "household") {
      box.appendChild(document.createElement("br"));
      box.appendChild(text(p.number));
    }
    return box;
  }

  fetch(el.dataset.geojson, { credentials: "same-origin", headers: { "Accept": "application/geo+json" } })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      var own = data.features.filter(function (f) { return f.properties.kind === "self"; });
      var rest = data.features.filter(function (f) { return f.properties.kind !== "self"; });
      var ownLayer = L.geoJSON(own, {
        interactive: false,
        style: { color: "#1f2328", weight: 2, dashArray: "6 4", fill: false }
      }).addTo(map);
      var i = 0;
      var polygons = rest.filter(function (f) { return f.geometry.type !== "Point"; }).length;
      var labelled = polygons > 0 && polygons <= 40;  // names on the map while they stay readable
      var layer = L.geoJSON(rest, {
        style: function () {
          var c = palette[i++ % palette.length];
          return { color: c, weight: 1.5, fillColor: c, fillOpacity: 0.18 };
        },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 5, color: "#b3261e", weight: 1, fillOpacity: 0.8 });
        },
        onEachFeature: function (f, lyr) {
          if (labelled && f.geometry.type !== "Point") {
            lyr.bindTooltip(label(f.properties.name), { permanent: true, direction: "center", className: "unit-label" });
          } else {
            lyr.bindTooltip(tooltip(f.properties), { sticky: f.geometry.type !== "Point" });
          }
          if (f.properties.url) {
            lyr.on("click", function () { window.location.href = f.properties.url; });
          }
          if (f.geometry.type !== "Point") {
            lyr.on("mouseover", function () { lyr.setStyle({ fillOpacity: 0.4 }); });
            lyr.on("mouseout", function () { lyr.setStyle({ fillOpacity: 0.18 }); });
          }
        }
      }).addTo(map);
      var bounds = ownLayer.getBounds();
      if (layer.getLayers().length) {
        bounds = bounds.isValid() ? bounds.extend(layer.getBounds()) : layer.getBounds();
      }
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
      else { map.setView([30.84, 120.92], 10); }
      el.dataset.loaded = String(layer.getLayers().length);
    })
    .catch(function () {
      map.setView([30.84, 120.92], 10);
      el.dataset.loaded = "error";
    });
})();
