// The add/edit dialog (core/_dialog.html): after htmx puts a form into it, focus the first field with an error
// (else the first field), so a keyboard or screen-reader user lands where the work is; an emptied dialog says so.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (ev) {
    var box = document.getElementById("gh-dialog-content");
    if (!box || !box.contains(ev.target)) return;
    var field = box.querySelector(".is-invalid") || box.querySelector("input:not([type=hidden]), select, textarea");
    if (field) field.focus();
  });
  document.addEventListener("hidden.bs.modal", function (ev) {
    if (ev.target.id !== "gh-dialog") return;
    var box = document.getElementById("gh-dialog-content");
    if (box) box.innerHTML = '<div class="modal-body"><h2 class="h6 mb-0" id="gh-dialog-title">正在加载…</h2></div>';
  });
})();
