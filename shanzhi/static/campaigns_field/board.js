/* Live board: draw the progress curve (ECharts) and redraw it after each htmx refresh of the numbers. */
(function () {
  "use strict";
  var el = document.getElementById("board-curve");
  if (!el || !window.echarts) { return; }
  var chart = echarts.init(el);
  var colours = {notified: "#d4a72c", in_place: "#1a7f37", reached: "#b3261e"};

  function draw() {
    var node = document.getElementById("curve-data");
    if (!node) { return; }
    var data = JSON.parse(node.textContent);
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 44, right: 24, top: 32, bottom: 32},
      xAxis: {type: "time", min: data.origin, axisLabel: {hideOverlap: true}},
      yAxis: {type: "value", minInterval: 1},
      series: data.series.map(function (s, i) {
        return {
          name: s.name, type: "line", step: "end", showSymbol: false,
          data: s.data.map(function (v, j) { return [data.times[j], v]; }),
          itemStyle: {color: colours[s.code] || "#0a58ca"},
          markLine: i === 0 ? {symbol: "none", silent: true, label: {formatter: data.origin_label},
                               lineStyle: {color: "#656d76", type: "dashed"}, data: [{xAxis: data.origin}]} : undefined
        };
      })
    }, true);
    el.dataset.drawn = String((Number(el.dataset.drawn) || 0) + 1);
  }

  draw();
  document.body.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "board-numbers") { draw(); }
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
