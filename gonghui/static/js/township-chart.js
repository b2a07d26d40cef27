// 工作台: the townships' coverage-rate bar chart. Data: the json_script block #township-coverage-data.
// (A static file, not an inline script: the Content-Security-Policy allows scripts from 'self' only.)
(function () {
  "use strict";
  function draw() {
    var data = document.getElementById("township-coverage-data");
    var el = document.getElementById("chart-township-coverage");
    if (!window.echarts || !el || !data) return;
    var rows = JSON.parse(data.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis", valueFormatter: function (v) { return v + "%"; }},
      grid: {left: 40, right: 10, bottom: 80},
      xAxis: {type: "category", data: rows.map(function (r) { return r.name.replace("总工会", ""); }), axisLabel: {rotate: 45}},
      yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
      series: [{type: "bar", itemStyle: {color: "#c62828"}, data: rows.map(function (r) { return Math.round(r.rate * 1000) / 10; })}]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
