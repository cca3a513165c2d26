// Bar chart of the 131 completion rate (%) per county or township, with the case count in the tooltip.
(function () {
  var el = document.getElementById("rate-chart");
  var source = document.getElementById("rate-data");
  if (!el || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    grid: { left: 120, right: 50, top: 10, bottom: 30 },
    tooltip: {
      trigger: "axis",
      formatter: function (items) {
        var d = data[items[0].dataIndex];
        return d.name + "<br>" + d.rate + "% (" + d.complete + " / " + d.cases + ")";
      }
    },
    xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    yAxis: { type: "category", inverse: true, data: data.map(function (d) { return d.name; }) },
    series: [{ type: "bar", data: data.map(function (d) { return d.rate; }), itemStyle: { color: "#1570ef" },
               label: { show: true, position: "right", formatter: "{c}%" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
