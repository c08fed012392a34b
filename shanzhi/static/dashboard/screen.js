/* The command centre's map: the units one level down, coloured by the indicator the operator picks, with
   a legend. The page gives the GeoJSON endpoint (scoped and computed on the server, legend included);
   names and values from the database go into the map as text nodes, never as HTML. No tiles unless the
   page gives a tile URL (SHANZHI_TILE_URL): a blank background otherwise. */
(function () {
  "use strict";
  var el = document.getElementById("screen-map");
  if (!el || typeof L === "undefined") { return; }
  var picker = document.getElementById("map-indicator");
  var legendBox = document.getElementById("map-legend");

  var map = L.map(el, { zoomSnap: 0.25, attributionControl: true });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  } else {
    map.attributionControl.setPrefix(false);
  }
  var layers = L.layerGroup().addTo(map);
  var fitted = false;

  function text(s) { return document.createTextNode(String(s == null ? "" : s)); }

  function label(p) {
    var box = document.createElement("span");
    var b = document.createElement("b");
    b.appendChild(text(p.name));
    box.appendChild(b);
    box.appendChild(document.createElement("br"));
    box.appendChild(text(p.text));
    return box;
  }

  function drawLegend(data) {
    while (legendBox.firstChild) { legendBox.removeChild(legendBox.firstChild); }
    var title = document.createElement("p");
    title.className = "legend-title";
    title.appendChild(text(data.indicator.name));
    title.title = data.indicator.definition;
    legendBox.appendChild(title);
    var list = document.createElement("ul");
    data.legend.concat([data.no_data]).forEach(function (item) {
      var li = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.backgroundColor = item.color;  // CSSOM, not an inline style attribute from data
      li.appendChild(swatch);
      li.appendChild(text(item.text));
      list.appendChild(li);
    });
    legendBox.appendChild(list);
    legendBox.dataset.indicator = data.indicator.key;
  }

  function draw(data) {
    layers.clearLayers();
    var own = data.features.filter(function (f) { return f.properties.kind === "self"; });
    var rest = data.features.filter(function (f) { return f.properties.kind !== "self"; });
    var ownLayer = L.geoJSON(own, {
      interactive: false, style: { color: "#9fb3c8", weight: 2, dashArray: "6 4", fill: false }
    });
    var layer = L.geoJSON(rest, {
      style: function (f) {
        return { color: "#0b1726", weight: 1.5, fillColor: f.properties.color, fillOpacity: 0.8 };
      },
      onEachFeature: function (f, lyr) {
        lyr.bindTooltip(label(f.properties), { permanent: rest.length <= 40, direction: "center",
                                               className: "screen-label" });
        lyr.on("click", function () { window.location.href = f.properties.url; });
        lyr.on("mouseover", function () { lyr.setStyle({ weight: 3, color: "#ffffff" }); });
        lyr.on("mouseout", function () { lyr.setStyle({ weight: 1.5, color: "#0b1726" }); });
      }
    });
    ownLayer.addTo(layers);
    layer.addTo(layers);
    if (!fitted) {
      var bounds = ownLayer.getBounds();
      if (layer.getLayers().length) {
        bounds = bounds.isValid() ? bounds.extend(layer.getBounds()) : layer.getBounds();
      }
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12] }); } else { map.setView([30.84, 120.92], 10); }
      fitted = true;
    }
    drawLegend(data);
    el.dataset.indicator = data.indicator.key;
    el.dataset.loaded = String(layer.getLayers().length);
  }

  function load(key) {
    el.dataset.loaded = "";
    var url = el.dataset.geojson + "&indicator=" + encodeURIComponent(key);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(draw)
      .catch(function () {
        if (!fitted) { map.setView([30.84, 120.92], 10); fitted = true; }
        el.dataset.loaded = "error";
      });
  }

  if (picker) {
    picker.addEventListener("change", function () {
      load(picker.value);
      if (window.history && window.URL) {
        var u = new URL(window.location.href);
        u.searchParams.set("indicator", picker.value);
        window.history.replaceState(null, "", u.toString());
      }
      // the period links and the custom-period form keep the indicator picked
      Array.prototype.forEach.call(document.querySelectorAll(".periods > a"), function (a) {
        var link = new URL(a.href, window.location.href);
        link.searchParams.set("indicator", picker.value);
        a.href = link.pathname + link.search;
      });
      Array.prototype.forEach.call(document.querySelectorAll(".custom-period input[name=indicator]"), function (i) {
        i.value = picker.value;
      });
    });
    load(picker.value);
  }
})();
