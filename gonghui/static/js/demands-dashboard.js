// 诉求看板: draws the ECharts from the json_script block (no inline script: CSP).
(function () {
  function draw() {
    var data = JSON.parse(document.getElementById("demand-charts").textContent);
    document.querySelectorAll(".gh-chart").forEach(function (el) {
      var rows = data[el.dataset.chart] || [];
      var chart = window.echarts.init(el);
      if (el.dataset.chart === "ratings") {
        chart.setOption({tooltip: {}, series: [{type: "pie", radius: "65%",
          data: rows.map(function (r) { return {name: r[0], value: r[1]}; })}]});
      } else {
        chart.setOption({tooltip: {}, grid: {left: 110, right: 20, top: 10, bottom: 20},
          xAxis: {type: "value"}, yAxis: {type: "category", inverse: true, data: rows.map(function (r) { return r[0]; })},
          series: [{type: "bar", data: rows.map(function (r) { return r[1]; }), itemStyle: {color: "#c0392b"}}]});
      }
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
