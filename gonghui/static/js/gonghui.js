/* The console shell: remembers which menu groups are folded; draws the 工作台 charts (data from json_script). */
(function () {
  "use strict";
  var KEY = "gh-menu-folded";

  function folded() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }

  function menu() {
    document.querySelectorAll("[data-gh-menu-group]").forEach(function (group) {
      var key = group.getAttribute("data-gh-menu-group");
      if (folded().indexOf(key) >= 0 && !group.querySelector("[aria-current=page]")) {
        group.classList.remove("show");
        document.querySelectorAll("[data-bs-target='#" + group.id + "']").forEach(function (t) {
          t.setAttribute("aria-expanded", "false"); t.classList.add("collapsed");
        });
      }
      group.addEventListener("hidden.bs.collapse", function () {
        var f = folded(); if (f.indexOf(key) < 0) f.push(key);
        try { localStorage.setItem(KEY, JSON.stringify(f)); } catch (e) { /* private mode */ }
      });
      group.addEventListener("shown.bs.collapse", function () {
        var f = folded().filter(function (k) { return k !== key; });
        try { localStorage.setItem(KEY, JSON.stringify(f)); } catch (e) { /* private mode */ }
      });
    });
  }

  function rateBars(el, rows) {
    var chart = window.echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: {trigger: "axis", valueFormatter: function (v) { return v + "%"; }},
      grid: {left: 40, right: 10, bottom: 80},
      xAxis: {type: "category", data: rows.map(function (r) { return r.name.replace("总工会", ""); }),
              axisLabel: {rotate: 45, interval: 0}},
      yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
      series: [{type: "bar", itemStyle: {color: "#c62828"},
                data: rows.map(function (r) { return Math.round(r.rate * 1000) / 10; })}]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function charts(scope) {
    if (!window.echarts) return;
    (scope || document).querySelectorAll("[data-gh-chart]").forEach(function (el) {
      if (el.ghChart) return;
      var data = document.getElementById(el.getAttribute("data-gh-chart-data"));
      if (!data) return;
      el.ghChart = true;
      if (el.getAttribute("data-gh-chart") === "rate-bars") rateBars(el, JSON.parse(data.textContent));
    });
  }

  document.addEventListener("DOMContentLoaded", function () { menu(); charts(document); });
  document.addEventListener("htmx:afterSettle", function (ev) { charts(ev.target); });
})();
