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
})();
