// Asks before a consequential action: any button or link with data-confirm="问题？" (instead of an inline onclick,
// which the Content-Security-Policy forbids). Cancel stops the click, so the form is not submitted.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) e.preventDefault();
  });
})();
