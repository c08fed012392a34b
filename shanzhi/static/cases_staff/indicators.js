/* Case indicators: a custom date switches the period to "custom"; the weekly chart (ECharts). */
(function () {
  var form = document.getElementById("period-form");
  form.querySelectorAll("input[type=date]").forEach(function (input) {
    input.addEventListener("change", function () { form.elements.period.value = "custom"; });
  });
  var data = JSON.parse(document.getElementById("weekly-data").textContent);
  var el = document.getElementById("weekly-chart");
  if (!window.echarts || !el) { return; }
  var chart = echarts.init(el, null, {renderer: "svg"});
  chart.setOption({
    tooltip: {trigger: "axis"},
    grid: {left: 40, right: 16, top: 16, bottom: 40},
    xAxis: {type: "category", data: data.weeks},
    yAxis: {type: "value", minInterval: 1},
    series: [{name: data.title, type: "bar", data: data.counts, itemStyle: {color: "#b3261e"}}]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
