/* Check-in and check-out on the phone: the position goes with the time when the phone gives it (the hidden
   lat/lon fields of form.geo-form); without it the step still works, with the time only. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.geo-form");
  if (!forms.length || !navigator.geolocation) { return; }
  navigator.geolocation.getCurrentPosition(function (pos) {
    forms.forEach(function (form) {
      var lat = form.querySelector("input[name=lat]"), lon = form.querySelector("input[name=lon]");
      if (lat && lon) {
        lat.value = pos.coords.latitude.toFixed(6);
        lon.value = pos.coords.longitude.toFixed(6);
        form.dataset.located = "1";
      }
    });
  }, function () {}, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
})();
