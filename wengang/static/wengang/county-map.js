// Draws the county map on the home page from the JSON the view embeds (no request to another host).
(function () {
  "use strict";
  var el = document.getElementById("county-map");
  if (!el || !window.echarts) { return; }
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var chart = window.echarts.init(el);
  var select = document.getElementById("map-metric");

  function render(index) {
    var metric = data.metrics[index];
    var values = [];
    var max = 0;
    Object.keys(data.names).forEach(function (code) {
      var v = metric.values[code];
      if (v !== undefined) { max = Math.max(max, v); }
      values.push({ name: data.names[code], value: v === undefined ? null : v });
    });
    chart.setOption({
      tooltip: { trigger: "item", formatter: function (p) {
        return p.name + "<br>" + metric.label + "：" + (p.value == null || isNaN(p.value) ? "—" : p.value);
      } },
      visualMap: { min: 0, max: Math.max(max, 1), left: 10, bottom: 10, calculable: true,
        inRange: { color: ["#fee4e2", "#f97066", "#b42318"] } },
      series: [{ type: "map", map: "wengang-counties", roam: true, data: values,
        label: { show: true, fontSize: 11 }, emphasis: { label: { show: true } },
        itemStyle: { borderColor: "#fff", areaColor: "#eaecf0" } }]
    }, true);
  }

  fetch(el.dataset.geojson).then(function (r) { return r.json(); }).then(function (geo) {
    window.echarts.registerMap("wengang-counties", geo);
    render(0);
    el.dataset.ready = "1";
  });
  if (select) { select.addEventListener("change", function () { render(Number(select.value)); }); }
  window.addEventListener("resize", function () { chart.resize(); });
})();
