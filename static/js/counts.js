// Refreshes the 应到 / 实到 counts on a staff page every few seconds. The count of cast
// ballots (and its "as of" time) comes from the server as published: it changes at most
// every 30 s while a poll is open (protocol rev 5); check-in and token counts are live.
(function () {
  var box = document.getElementById('session-counts') || document.getElementById('poll-turnout');
  if (!box || !window.fetch) return;
  function refresh() {
    fetch(box.dataset.url, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        box.querySelectorAll('[data-count]').forEach(function (el) {
          var v = data[el.dataset.count];
          if (v !== undefined) el.textContent = v;
        });
      })
      .catch(function () {});
  }
  setInterval(refresh, 5000);
})();
