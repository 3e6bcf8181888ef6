// The check-in page: a scanned QR opens …/checkin#code=K7QF-…; the code is in the
// fragment, which the browser never sends to the server (so it reaches no access
// log). Move it into the form, which POSTs it, and take it out of the address bar.
(function () {
  "use strict";
  var match = /(?:^#|&)code=([A-Za-z0-9-]{1,40})/.exec(window.location.hash);
  if (!match) return;
  var input = document.getElementById("code");
  if (input) {
    input.value = match[1];
    input.focus();
  }
  history.replaceState(null, "", window.location.pathname + window.location.search);
})();
