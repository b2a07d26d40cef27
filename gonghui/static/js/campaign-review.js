// The review page from the keyboard: j/k move between candidate pairs, a accepts (same firm), r rejects.
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll(".gh-review"));
  if (!cards.length) return;
  var i = 0;
  function focus(n) {
    i = Math.max(0, Math.min(cards.length - 1, n));
    cards.forEach(function (c, k) { c.classList.toggle("border-danger", k === i); });
    cards[i].focus();
  }
  focus(0);
  document.addEventListener("keydown", function (e) {
    if (e.target.closest("input, textarea, select")) return;
    if (e.key === "j") { focus(i + 1); e.preventDefault(); }
    else if (e.key === "k") { focus(i - 1); e.preventDefault(); }
    else if (e.key === "a") { cards[i].querySelector(".gh-accept").click(); }
    else if (e.key === "r") { cards[i].querySelector(".gh-reject").click(); }
  });
})();
