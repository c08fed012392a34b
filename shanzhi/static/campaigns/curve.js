/* Draw the campaign's time curve (cumulative households reached since the start) with ECharts. */
(function () {
  "use strict";
  var el = document.getElementById("curve");
  var src = document.getElementById("curve-data");
  if (!el || !src || typeof echarts === "undefined") { return; }
  var data = JSON.parse(src.textContent || "[]");
  var total = parseInt(el.dataset.total || "0", 10);
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    grid: { left: 48, right: 16, top: 24, bottom: 36 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", boundaryGap: false, data: data.map(function (d) { return d[0]; }) },
    yAxis: { type: "value", min: 0, max: total > 0 ? total : null, minInterval: 1 },
    series: [{ name: el.dataset.label || "", type: "line", step: "end", areaStyle: { opacity: 0.15 },
               showSymbol: false, color: "#1a7f37", data: data.map(function (d) { return d[1]; }) }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.dataset.ready = String(data.length);
})();
