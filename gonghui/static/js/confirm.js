// Asks before a consequential action: any button or link with data-confirm="问题？" (instead of an inline onclick,
// which the Content-Security-Policy forbids). Cancel stops the click, so the form is not submitted. A form that the
// browser will refuse anyway (a required reason left empty) is not asked about: its own message shows first.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (!el) return;
    var form = el.form;
    if (form && !form.noValidate && !form.checkValidity()) return;
    if (!window.confirm(el.dataset.confirm)) e.preventDefault();
  });
})();
