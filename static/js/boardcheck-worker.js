// Runs the board verifier (boardcheck.js) off the page's main thread, so a large board
// never freezes the page; posts progress (0..1) and then the report.
/* global importScripts, YishiBoardCheck */
importScripts('boardcheck.js');

self.onmessage = async function (event) {
  var job = event.data;
  try {
    var text = job.text;
    if (job.url) {
      var response = await fetch(job.url, {credentials: 'omit'});
      if (!response.ok) throw new Error('HTTP ' + response.status);
      text = await response.text();
    }
    self.postMessage({progress: 0.02});
    var report = await YishiBoardCheck.verify(text, {
      fingerprint: job.fingerprint || null,
      scrutineers: job.scrutineers || [],
      receipts: job.receipts || [],
      ballots: job.ballots || [],
      boardName: job.name || 'board',
      onProgress: function (p) { self.postMessage({progress: p}); }
    });
    self.postMessage({done: true, lines: report.lines, ok: report.ok, unreadable: !!report.unreadable});
  } catch (e) {
    self.postMessage({done: true, error: String(e && e.message || e)});
  }
};
