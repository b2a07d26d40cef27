/* The e-card's verification QR lives 10 minutes: renew only the QR box in place before it expires, instead of
   a <meta http-equiv="refresh"> that reloads the whole page under the reader (axe: meta-refresh, WCAG 2.2.1).
   A page that no longer has a QR (membership ended, session gone) is reloaded as a whole. */
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh-seconds]");
  if (!box) { return; }
  var wait = parseInt(box.getAttribute("data-refresh-seconds"), 10) * 1000;
  function renew() {
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-testid=verify-qr]");
        if (fresh) { box.innerHTML = fresh.innerHTML; } else { window.location.reload(); }
      })
      .catch(function () { /* offline: keep the card, try again later */ })
      .then(function () { window.setTimeout(renew, wait); });
  }
  window.setTimeout(renew, wait);
})();
