// A button with data-print prints the page (the A4 poster).
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) window.print();
  });
})();
