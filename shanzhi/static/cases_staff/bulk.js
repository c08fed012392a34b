/* Select every row of the list for bulk dispatch. */
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll("#bulk input[name=ids]").forEach(function (box) { box.checked = all.checked; });
  });
})();
