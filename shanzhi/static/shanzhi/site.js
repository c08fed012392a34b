/* Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can refuse
   inline scripts and handlers: a form with data-confirm asks before it is sent. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) { return; }
    if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
  }, true);
})();

/* Leaflet's controls in the page's language on every page with a map, whichever script drew it:
   Leaflet's defaults for maps made later, and the controls of maps already drawn (run now and on load). */
(function () {
  "use strict";
  if ((document.documentElement.lang || "").indexOf("en") === 0) { return; }
  var words = { "leaflet-control-zoom-in": "放大", "leaflet-control-zoom-out": "缩小" };
  function localise() {
    if (typeof L !== "undefined" && L.Control && L.Control.Zoom) {
      L.Control.Zoom.prototype.options.zoomInTitle = words["leaflet-control-zoom-in"];
      L.Control.Zoom.prototype.options.zoomOutTitle = words["leaflet-control-zoom-out"];
    }
    Object.keys(words).forEach(function (cls) {
      document.querySelectorAll("a." + cls).forEach(function (a) {
        a.title = words[cls]; a.setAttribute("aria-label", words[cls]);
      });
    });
    document.querySelectorAll('.leaflet-control-attribution a[href="https://leafletjs.com"]').forEach(function (a) {
      a.title = "交互式地图开源库";
    });
  }
  localise();
  window.addEventListener("load", localise);
})();
