// 扫码入会: as the worker types an employer, fetch matching ones (the input's data-src) into its <datalist>.
(function () {
  "use strict";
  var input = document.getElementById("f-emp"), list = document.getElementById("employers"), timer;
  if (!input || !list || !window.fetch) return;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 1) return;
      fetch(input.dataset.src + "?q=" + encodeURIComponent(q))
        .then(function (r) { return r.text(); })
        .then(function (html) { list.innerHTML = html; });
    }, 250);
  });
})();
