// 行动看板: the funnel and completion by township month by month, from the page's JSON (no inline script: CSP).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var data = document.getElementById("campaign-chart");
    if (!data || !window.echarts) return;
    var d = JSON.parse(data.textContent);
    var funnel = window.echarts.init(document.getElementById("chart-funnel"));
    funnel.setOption({
      animation: false, tooltip: {trigger: "item"},
      series: [{type: "funnel", sort: "none", left: "10%", width: "80%", label: {formatter: "{b}：{c}"},
                itemStyle: {color: "#c62828"}, data: d.funnel}]
    });
    var progress = window.echarts.init(document.getElementById("chart-progress"));
    progress.setOption({
      animation: false, tooltip: {trigger: "axis", valueFormatter: function (v) { return v + "%"; }},
      legend: {type: "scroll", bottom: 0}, grid: {left: 40, right: 10, bottom: 50},
      xAxis: {type: "category", data: d.months}, yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
      series: d.series.map(function (s) { return {type: "line", name: s.name.replace("总工会", ""), data: s.data}; })
    });
    window.addEventListener("resize", function () { funnel.resize(); progress.resize(); });
  });
})();
