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

  /* Rates per township as bars. Labels are never cut off: the grid contains them (containLabel) and, where the
     names do not fit under the bars side by side, they are turned 45°; on a phone (narrow chart) the bars lie
     down, one row per township with its name beside it, and the chart grows with the rows. */
  function rateOption(el, rows) {
    var names = rows.map(function (r) { return r.name.replace("总工会", ""); });
    var values = rows.map(function (r) { return r.rate == null ? 0 : Math.round(r.rate * 1000) / 10; });
    var percent = {type: "value", max: 100, axisLabel: {formatter: "{value}%"}};
    var bars = {type: "bar", itemStyle: {color: "#c62828"}, data: values};
    var tooltip = {trigger: "axis", valueFormatter: function (v) { return v + "%"; }};
    var width = el.clientWidth || 600;
    if (width < 576) {
      el.style.height = (rows.length * 24 + 50) + "px";
      return {animation: false, tooltip: tooltip, grid: {left: 4, right: 40, top: 8, bottom: 8, containLabel: true},
              xAxis: {type: "value", max: 100, splitNumber: 2, axisLabel: {formatter: "{value}%"}},
              yAxis: {type: "category", inverse: true, data: names, axisLabel: {interval: 0}},
              series: [Object.assign({}, bars, {barMaxWidth: 16,
                label: {show: true, position: "right", formatter: "{c}%", fontSize: 11}})]};
    }
    el.style.height = "";
    var longest = names.reduce(function (m, n) { return Math.max(m, n.length); }, 0);
    var slot = (width - 60) / Math.max(rows.length, 1);  // pixels under each bar
    var rotate = longest * 13 > slot - 4 ? 45 : 0;
    return {animation: false, tooltip: tooltip, grid: {left: 8, right: 24, top: 24, bottom: 8, containLabel: true},
            xAxis: {type: "category", data: names, axisLabel: {rotate: rotate, interval: 0, margin: 10}},
            yAxis: percent, series: [bars]};
  }

  function rateBars(el, rows) {
    var option = rateOption(el, rows);  // first: it sets the height the chart is drawn at
    var chart = window.echarts.init(el);
    chart.setOption(option);
    window.addEventListener("resize", function () {
      chart.setOption(rateOption(el, rows), true);
      chart.resize();
    });
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

  // a header checkbox data-gh-check-all="ids" ticks every row checkbox name="ids" of its form
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    var name = el && el.getAttribute && el.getAttribute("data-gh-check-all");
    if (!name || !el.form) return;
    el.form.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (box) {
      box.checked = el.checked;
    });
  });

  // the pager's page-size choice applies at once (its 应用 button stays for keyboards and without script)
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el && el.hasAttribute && el.hasAttribute("data-gh-autosubmit") && el.form) { el.form.requestSubmit(); }
  });

  document.addEventListener("DOMContentLoaded", function () { menu(); charts(document); });
  document.addEventListener("htmx:afterSettle", function (ev) { charts(ev.target); });
})();
