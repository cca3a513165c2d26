// Bar chart of a campaign's messages by state.
(function () {
  var el = document.getElementById("campaign-chart");
  var src = document.getElementById("campaign-chart-data");
  if (!el || !src || !window.echarts) return;
  var data = JSON.parse(src.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    grid: { left: 110, right: 40, top: 10, bottom: 30 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.map(function (d) { return d.state; }) },
    series: [{ type: "bar", data: data.map(function (d) { return d.count; }), itemStyle: { color: "#1d4ed8" },
               label: { show: true, position: "right" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
