// The clerk's scan page: a phone's QR scanner app or a keyboard-wedge scanner types the card's token into the
// field and presses Enter (no script needed). Where the browser has BarcodeDetector, a camera button scans the
// QR code in the page itself and sends the form. No external library.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) { return; }
  var input = form.querySelector("[data-scan-target]");
  var button = document.getElementById("camera-scan");
  var video = document.getElementById("scan-video");
  if (input) { input.focus(); }
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !button || !video) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector;
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
      var tick = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length && codes[0].rawValue) {
            var value = codes[0].rawValue;
            var hash = value.lastIndexOf("/");  // a card may carry a URL ending in the token
            input.value = hash >= 0 ? value.slice(hash + 1) : value;
            stop();
            form.submit();
          } else {
            window.requestAnimationFrame(tick);
          }
        }).catch(function () { window.requestAnimationFrame(tick); });
      };
      tick();
    }).catch(function () { button.hidden = true; });
  });
}());
