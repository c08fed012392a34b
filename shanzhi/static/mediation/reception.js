// The reception window: "add party" adds a row in place (the button still works without JS).
(function () {
  "use strict";
  var button = document.getElementById("add-party");
  var template = document.getElementById("party-template");
  var rows = document.getElementById("party-rows");
  var total = document.querySelector("input[name='parties-TOTAL_FORMS']");
  var max = document.querySelector("input[name='parties-MAX_NUM_FORMS']");
  if (!button || !template || !rows || !total) return;
  button.addEventListener("click", function (event) {
    var n = parseInt(total.value, 10) || 0;
    var limit = max ? parseInt(max.value, 10) : 20;
    event.preventDefault();
    if (n >= limit) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(n));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    row.querySelector(".row-no").textContent = String(n + 1);
    var role = row.querySelector("select[name$='-role']");
    if (role) role.value = "respondent";
    rows.appendChild(row);
    total.value = String(n + 1);
    var name = row.querySelector("input[name$='-name']");
    if (name) name.focus();
  });
})();
