// A background job's page (core/jobs.py): keeps the <progress> bar and the count up to
// date from the job's JSON status, and reloads the page once the job has ended so
// the server shows its result. Without JavaScript the page refreshes itself.
(function () {
  var box = document.getElementById('job');
  if (!box || !window.fetch) return;
  document.querySelectorAll('.no-js-only').forEach(function (el) { el.hidden = true; });
  if (box.dataset.state !== 'queued' && box.dataset.state !== 'running') return;
  var bar = document.getElementById('job-progress');
  var count = document.getElementById('job-count');
  var state = document.getElementById('job-state');
  function poll() {
    fetch(box.dataset.url, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { setTimeout(poll, 3000); return; }
        if (data.total) {
          bar.max = data.total;
          bar.value = data.done;
          bar.textContent = data.percent + '%';
          count.textContent = data.done + ' / ' + data.total;
        }
        state.textContent = data.state_label;
        if (data.finished) { window.location.reload(); return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
