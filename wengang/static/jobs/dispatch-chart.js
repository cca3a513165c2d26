// Bar chart of the dispatch board's shortfall by key-enterprise category.
(function () {
  var el = document.getElementById("category-chart");
  var data = JSON.parse(document.getElementById("category-data").textContent);
  if (!el || !window.echarts) return;
  var chart = echarts.init(el);
  chart.setOption({
    grid: { left: 140, right: 30, top: 10, bottom: 30 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.map(function (d) { return d.category; }) },
    series: [{ type: "bar", data: data.map(function (d) { return d.shortfall; }), itemStyle: { color: "#b42318" },
               label: { show: true, position: "right" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
