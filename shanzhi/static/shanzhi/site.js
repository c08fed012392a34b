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
