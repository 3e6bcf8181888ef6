/*
 * The scrutineer's phone (protocol yishi-ballot/1, revision 5), on
 * templates/voting/scrutineer.html:
 *
 * - draft: make an Ed25519 key pair with WebCrypto (private key not extractable), keep
 *   it in this browser's IndexedDB, send only the raw public key (CSRF header);
 * - open or closed: fetch the signed manifest, check that it lists this phone's key
 *   (loudly, role=alert, when it does not: a server that swapped the key), keep the
 *   manifest hash, show this phone's own key fingerprint;
 * - closed: download the board, check it here with boardcheck.js (checks 1-7 must hold;
 *   8 waits for the signatures) and that its manifest is the one kept, show the count,
 *   and on the scrutineer's confirmation sign the closing under
 *   "yishi-ballot/1:cosign" and post {"key", "sig"} to /api/polls/<poll>/cosignatures.
 */
(function () {
  'use strict';
  var root = document.getElementById('scrutineer');
  if (!root) return;
  var C = window.YishiBoardCheck;
  var T = JSON.parse(document.getElementById('scrutineer-i18n').textContent);
  var d = root.dataset;
  var poll = d.poll;
  var subtle = window.crypto && window.crypto.subtle;

  function $(id) { return document.getElementById(id); }
  function say(id, text) { var el = $(id); if (el) el.textContent = text; }
  function alarm(text) {
    var el = $('scrutineer-alert');
    el.textContent = text;
    el.hidden = false;
    el.scrollIntoView({block: 'center'});
  }

  // --- IndexedDB: one record per poll {poll, privateKey, publicKey, manifestHash} ---
  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open('yishi-scrutineer', 1);
      req.onupgradeneeded = function () { req.result.createObjectStore('keys', {keyPath: 'poll'}); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function withStore(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction('keys', mode);
        var result;
        Promise.resolve(fn(tx.objectStore('keys'))).then(function (r) { result = r; });
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }
  function load() {
    return withStore('readonly', function (store) {
      return new Promise(function (resolve) {
        var req = store.get(poll);
        req.onsuccess = function () { resolve(req.result || null); };
        req.onerror = function () { resolve(null); };
      });
    });
  }
  function save(record) { return withStore('readwrite', function (store) { store.put(record); }); }

  var record = null;

  async function showOwnFingerprint() {
    if (!record) { say('own-fingerprint', '—'); return; }
    say('own-fingerprint', await C.fingerprint(record.publicKey));
  }

  async function enroll() {
    var button = $('enroll-button');
    button.disabled = true;
    try {
      var pair = await subtle.generateKey({name: 'Ed25519'}, false, ['sign', 'verify']);
      var raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
      var response = await fetch(d.enrollUrl, {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': d.csrf, 'Accept': 'application/json'},
        body: JSON.stringify({key: C.b64uEncode(raw)})
      });
      var body = await response.json().catch(function () { return {}; });
      if (response.status !== 201) { alarm(body.message || ('HTTP ' + response.status)); return; }
      record = {poll: poll, privateKey: pair.privateKey, publicKey: raw, manifestHash: null};
      await save(record);
      d.key = body.key;
      await showOwnFingerprint();
      say('scrutineer-status', T.enrolled);
      button.hidden = true;
    } catch (e) {
      alarm(String(e && e.message || e));
    } finally {
      button.disabled = false;
    }
  }

  async function draft() {
    var button = $('enroll-button');
    button.addEventListener('click', enroll);
    var own = record ? C.b64uEncode(record.publicKey) : null;
    if (record && own === d.key) { say('scrutineer-status', T.enrolled); return; }
    if (record && d.key) say('scrutineer-status', T.other_key);
    else say('scrutineer-status', d.key ? T.other_key : T.no_key + ' ' + T.enroll_now);
    button.hidden = false;
  }

  // The signed manifest lists this phone's key: keep its hash (once) and say so.
  async function checkManifest() {
    if (!record) { alarm(T.lost_key); return null; }
    var response = await fetch(d.manifestUrl, {credentials: 'omit', cache: 'no-store'});
    var body = await response.json();
    var manifest = body.manifest;
    var signingKey = C.b64u(manifest.signing_key);
    var good = await C.edVerify(signingKey, C.CONTEXT.manifest, C.canonical(manifest), body.manifest_sig);
    var own = C.b64uEncode(record.publicKey);
    var listed = good && (manifest.scrutineers || []).some(function (s) { return s.key === own; });
    if (!listed) { alarm(T.not_listed); say('manifest-status', T.not_listed); return null; }
    var hash = await C.sha256Hex(C.canonical(manifest));
    if (!record.manifestHash) { record.manifestHash = hash; await save(record); }
    if (record.manifestHash !== hash) { alarm(T.manifest_changed); return null; }
    say('manifest-status', T.listed);
    return hash;
  }

  function countTable(result, manifest) {
    var table = $('count-table');
    var keys = manifest.ballot === 'approval' ? ['yes', 'no', 'abstain'] : ['satisfied', 'basic', 'dissatisfied', 'abstain'];
    var titles = {};
    manifest.options.forEach(function (o) { titles[o.id] = o.title; });
    var head = document.createElement('tr');
    [T.option].concat(keys.map(function (k) { return T[k]; })).forEach(function (text) {
      var th = document.createElement('th'); th.scope = 'col'; th.textContent = text; head.appendChild(th);
    });
    table.tHead.appendChild(head);
    result.options.forEach(function (o) {
      var tr = document.createElement('tr');
      tr.dataset.option = o.id;
      var th = document.createElement('th'); th.scope = 'row'; th.textContent = titles[o.id]; tr.appendChild(th);
      keys.forEach(function (k) {
        var td = document.createElement('td');
        td.className = 'num';
        td.setAttribute('data-label', T[k]);  // the cards pattern on phones (site.css)
        td.textContent = o[k];
        tr.appendChild(td);
      });
      table.tBodies[0].appendChild(tr);
    });
    table.hidden = false;
    say('count-totals', T.electorate + ' ' + manifest.electorate + ' · ' + T.present + ' ' + result.present + ' · ' + T.cast + ' ' + result.cast);
  }

  async function checkBoard(kept) {
    say('board-status', T.checking);
    var response = await fetch(d.boardUrl, {credentials: 'omit', cache: 'no-store'});
    if (!response.ok) { say('board-status', T.board_error); return; }
    var report = await C.verify(await response.text(), {});
    var lines = $('check-lines');
    lines.textContent = report.lines.join('\n');
    lines.hidden = false;
    var firstSeven = report.checks.length === 8 && report.checks.slice(0, 7).every(function (c) { return !c.faults.length; });
    if (!firstSeven) { alarm(T.board_bad); say('board-status', T.board_bad); return; }
    if (report.manifestHash !== kept) { alarm(T.manifest_changed); say('board-status', T.manifest_changed); return; }
    countTable(report.board.result, report.manifest);
    var own = C.b64uEncode(record.publicKey);
    var mine = (report.board.cosignatures || []).some(function (c) { return c.key === own; });
    say('board-status', T.board_ok);
    if (mine || d.signed === 'true') { var done = $('cosign-done'); if (done) done.hidden = false; return; }
    var form = $('cosign-form');
    if (!form) return;
    form.hidden = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      cosign(report.closing, own);
    });
  }

  async function cosign(closing, own) {
    if (!$('cosign-confirm').checked) { say('board-status', T.confirm_first); $('cosign-confirm').focus(); return; }
    var button = $('cosign-button');
    button.disabled = true;
    say('board-status', T.signing);
    try {
      var message = new TextEncoder().encode(C.CONTEXT.cosign + '\u0000' + C.canonical(closing));
      var sig = new Uint8Array(await subtle.sign({name: 'Ed25519'}, record.privateKey, message));
      var response = await fetch(d.cosignUrl, {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRFToken': d.csrf, 'Accept': 'application/json'},
        body: JSON.stringify({key: own, sig: C.b64uEncode(sig)})
      });
      var body = await response.json().catch(function () { return {}; });
      if (response.status === 201 || response.status === 200) {
        say('board-status', T.signed);
        $('cosign-form').hidden = true;
        $('cosign-done').hidden = false;
        if ($('decline-section')) $('decline-section').hidden = true;
        return;
      }
      alarm(body.message || T.send_failed);
      say('board-status', body.message || T.send_failed);
    } catch (e) {
      say('board-status', T.send_failed);
    } finally {
      button.disabled = false;
    }
  }

  async function main() {
    if (!subtle || !window.indexedDB) { alarm(T.no_webcrypto); return; }
    try {
      await subtle.importKey('raw', new Uint8Array(32).fill(0x11), {name: 'Ed25519'}, false, ['verify']);
    } catch (e) {
      if (e && e.name === 'NotSupportedError') { alarm(T.no_webcrypto); return; }
    }
    record = await load();
    await showOwnFingerprint();
    if (d.state === 'draft') { await draft(); return; }
    if (!record || C.b64uEncode(record.publicKey) !== d.key) {
      if (record && !(await checkManifest())) return;
      if (!record) alarm(T.lost_key);
      else alarm(T.other_key);
      return;
    }
    var kept = await checkManifest();
    if (!kept) return;
    if (d.state === 'closed') await checkBoard(kept);
  }

  main().catch(function (e) { alarm(String(e && e.message || e)); });
})();
