// 组织树: a node's ▸/▾ button folds its children (htmx loads them on the first click; see _tree_nodes.html).
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var b = e.target.closest(".gh-toggle");
    if (!b) return;
    var box = document.getElementById(b.dataset.target);
    if (b.dataset.loaded) { box.hidden = !box.hidden; }
    b.dataset.loaded = "1";
    b.setAttribute("aria-expanded", box.hidden ? "false" : "true");
    b.setAttribute("aria-label", box.hidden ? "展开下级" : "收起");
    b.textContent = box.hidden ? "▸" : "▾";
  });
})();
