// The /verify page: check a board (one of the closed polls, or a file) and receipts
// entirely in this browser, in a Web Worker, and print the verifier's eight lines.
(function () {
  'use strict';
  var form = document.getElementById('verify-form');
  if (!form || !window.Worker) return;
  var output = document.getElementById('verify-output');
  var bar = document.getElementById('verify-progress');
  var verdict = document.getElementById('verify-verdict');
  var button = form.querySelector('button[type=submit]');

  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve([file.name, reader.result]); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsText(file);
    });
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    var job = {};
    var boardFile = form.elements['board_file'].files[0];
    var choice = form.elements['poll'].value;
    if (boardFile) {
      var read = await readFile(boardFile);
      job.name = read[0]; job.text = read[1];
    } else if (choice) {
      var option = form.elements['poll'].selectedOptions[0];
      job.url = option.getAttribute('data-board');
      job.name = 'board-' + choice + '.json';
    } else {
      verdict.textContent = form.getAttribute('data-need-board');
      verdict.className = 'status status-error';
      verdict.setAttribute('role', 'alert');
      return;
    }
    job.fingerprint = form.elements['fingerprint'].value.trim() || null;
    job.scrutineers = form.elements['scrutineers'].value.split(/[\s,]+/).filter(Boolean);
    job.receipts = await Promise.all(Array.prototype.map.call(form.elements['receipts'].files, readFile));
    job.ballots = await Promise.all(Array.prototype.map.call(form.elements['ballot_files'].files, readFile));
    button.disabled = true;
    output.textContent = '';
    verdict.textContent = form.getAttribute('data-working');
    verdict.className = 'status';
    verdict.removeAttribute('role');
    bar.hidden = false;
    bar.value = 0;
    var worker = new Worker(form.getAttribute('data-worker'));
    worker.onerror = function (e) {
      worker.terminate();
      button.disabled = false;
      bar.hidden = true;
      verdict.textContent = form.getAttribute('data-failed') + ' ' + (e.message || 'worker error');
      verdict.className = 'status status-error';
      verdict.setAttribute('role', 'alert');
    };
    worker.onmessage = function (message) {
      var data = message.data;
      if (data.progress !== undefined) { bar.value = data.progress; return; }
      worker.terminate();
      button.disabled = false;
      bar.hidden = true;
      if (data.error) {
        verdict.textContent = form.getAttribute('data-failed') + ' ' + data.error;
        verdict.className = 'status status-error';
        verdict.setAttribute('role', 'alert');
        return;
      }
      output.textContent = data.lines.join('\n');
      verdict.textContent = form.getAttribute(data.ok ? 'data-ok' : 'data-fail');
      verdict.className = 'status ' + (data.ok ? 'status-ok' : 'status-error');
      verdict.setAttribute('role', data.ok ? 'status' : 'alert');
    };
    worker.postMessage(job);
  });
})();
