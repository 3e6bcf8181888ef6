/*
 * ballot.js: the deputy's ballot page (protocol yishi-ballot/1).
 *
 * No framework, no inline script: configuration comes from data-* attributes on
 * #ballot-app, and every text from <script type="application/json" id="ballot-i18n">,
 * which the server fills from voting/ballot_i18n.py in the reader's language. This file
 * holds no text of its own but NO_STRINGS, shown if that block is missing; each text is
 * looked up as this.t('…') with the key written out, so that
 * tests/voting/test_ballot_strings.py can check the keys against ballot_i18n.py.
 * Needs static/js/blindrsa.js loaded first for secret polls.
 *
 * localStorage (all values JSON):
 *   yishi-vote:<poll>:<manifest_hash>:<voter code>   (secret polls: one per deputy)
 *       written before each request it is needed for, so a reload at any moment resumes:
 *       before the token request: {"v":2,"token":b64u(64 bytes),"blinded_msg":b64u,"inv":b64u}
 *         (the same blinded_msg sent again gets the same blind signature: protocol rev 5)
 *       submitted before the token came: … ,"choices":{...}
 *       after finalize:           {"v":2,"token":b64u,"token_sig":b64u}
 *       before the cast request:  {"v":2,"token":…,"token_sig":…,"body":{"ballot":{...}}}
 *         (the identical ballot sent again gets the same receipt)
 *       removed once the receipt is kept. (Earlier pages used yishi-token:<poll>:<hash>,
 *       which is taken over once and removed.)
 *   yishi-pending:<poll>:<manifest_hash>   (named and code polls)
 *       a cast sent but not answered: {"v":1,"body":{"ballot":{...},"code"?:"..."}}
 *   yishi-receipt:<poll>:<manifest_hash>:<index>
 *       {"v":2,"receipt":"<exact body of the 201/200 answer>","voter"?:"<code>"}: the
 *       receipt only, not the ballot (the protocol's clients keep no choices after the
 *       cast); "ballot" too only when the receipt failed its check here. Records of
 *       version 1 held the ballot; it is dropped when they are read.
 */
(function () {
  'use strict';

  var PROTOCOL = 'yishi-ballot/1';

  // The one text not from the page: without the page's texts nothing else can be said.
  var NO_STRINGS = '本页缺少文字资源，不能投票。请刷新页面；如仍不行，请联系工作人员。' +
    ' This page is missing its texts, so you cannot vote here. Reload the page; if that does not help, ask the staff.';

  var CHOICES = {
    approval: ['yes', 'no', 'abstain'],
    satisfaction: ['satisfied', 'basic', 'dissatisfied', 'abstain']
  };

  var CODE_RE = /^[A-HJ-NP-Z2-9]{16}$/;

  // The choice that is not offered by "mark all the rest" (one button for each other).
  var POSITIVE = { approval: 'yes', satisfaction: 'satisfied' };

  // The missing items are named in the sticky bar only when there are this few.
  var MISSING_LISTED = 3;

  // The codes with which the server itself refuses a cast (protocol, "Voting client
  // API"): only these mean the ballot was not taken. Any other answer (a proxy's 4xx,
  // HTML, no JSON) may have come after the ballot was committed.
  var REFUSALS = ['unknown_poll', 'bad_request', 'poll_closed', 'wrong_manifest', 'bad_token_signature',
    'bad_code', 'unknown_code', 'not_in_register', 'not_your_ballot', 'not_checked_in', 'bad_choices', 'already_used'];

  /* ---------------- helpers ---------------- */

  var enc = new TextEncoder();

  function hex(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return s;
  }

  function hexToBytes(h) {
    if (typeof h !== 'string' || !/^[0-9a-f]*$/.test(h) || h.length % 2) throw new Error('bad hex');
    var out = new Uint8Array(h.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
  }

  function concatBytes() {
    var total = 0, i;
    for (i = 0; i < arguments.length; i++) total += arguments[i].length;
    var out = new Uint8Array(total), off = 0;
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], off); off += arguments[i].length; }
    return out;
  }

  function sha256(bytes) {
    return crypto.subtle.digest('SHA-256', bytes).then(function (b) { return new Uint8Array(b); });
  }

  /* RFC 8785 JCS for JSON values made of strings, finite numbers, booleans, null,
     arrays and objects. Keys are sorted by UTF-16 code units (the default sort). */
  function jcs(v) {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'boolean': return v ? 'true' : 'false';
      case 'number':
        if (!isFinite(v)) throw new Error('JCS: number not finite');
        return JSON.stringify(v);
      case 'string': return JSON.stringify(v);
      case 'object':
        if (Array.isArray(v)) return '[' + v.map(jcs).join(',') + ']';
        var keys = Object.keys(v).sort();
        var parts = [];
        for (var i = 0; i < keys.length; i++) {
          if (v[keys[i]] === undefined) continue;
          parts.push(JSON.stringify(keys[i]) + ':' + jcs(v[keys[i]]));
        }
        return '{' + parts.join(',') + '}';
      default:
        throw new Error('JCS: unsupported type ' + typeof v);
    }
  }

  function normaliseCode(s) {
    return String(s || '')
      .replace(/[\s\-\u2010-\u2015\u2212\uFF0D]/g, '')
      .replace(/[a-z]/g, function (c) { return c.toUpperCase(); });
  }

  function b64uToBytes(s) {
    return window.YishiBlindRSA ? window.YishiBlindRSA.b64u.decode(s) : localB64uDecode(s);
  }

  function localB64uDecode(s) {
    if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error('bad base64url');
    var b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
    return out;
  }

  /* RFC 9162 section 2.1.3.2 inclusion proof verification */
  async function verifyInclusion(leafHashHex, index, size, proofHex, rootHex) {
    if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size)) || index < 0 || index >= size) return false;
    var fn = index, sn = size - 1;
    var r = hexToBytes(leafHashHex);
    var one = new Uint8Array([1]);
    for (var i = 0; i < proofHex.length; i++) {
      var p = hexToBytes(proofHex[i]);
      if (p.length !== 32) return false;
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concatBytes(one, p, r));
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await sha256(concatBytes(one, r, p));
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && hex(r) === rootHex;
  }

  /* Ed25519 check where the browser supports it; null when it cannot tell. */
  async function ed25519Verify(pubB64u, sigB64u, context, obj) {
    var key;
    try {
      key = await crypto.subtle.importKey('raw', b64uToBytes(pubB64u), { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      return null;
    }
    try {
      var data = concatBytes(enc.encode(context), new Uint8Array([0]), enc.encode(jcs(obj)));
      return await crypto.subtle.verify({ name: 'Ed25519' }, key, b64uToBytes(sigB64u), data);
    } catch (e) {
      return false;
    }
  }

  /* ---------------- storage ---------------- */

  var storageOK = (function () {
    try {
      var k = 'yishi-storage-test';
      localStorage.setItem(k, '1');
      localStorage.removeItem(k);
      return true;
    } catch (e) {
      return false;
    }
  })();

  function load(key) {
    if (!storageOK) return null;
    try {
      var s = localStorage.getItem(key);
      return s ? JSON.parse(s) : null;
    } catch (e) {
      return null;
    }
  }

  function save(key, value) {
    if (!storageOK) return false;
    try {
      localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (e) {
      return false;
    }
  }

  // Runs fn alone among this browser's tabs for the key (Web Locks), or just runs it
  // where the browser has no locks.
  function withLock(key, fn) {
    if (navigator.locks && navigator.locks.request) return navigator.locks.request('yishi:' + key, fn);
    return fn();
  }

  function remove(key) {
    if (!storageOK) return;
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }

  function keysWithPrefix(prefix) {
    var out = [];
    if (!storageOK) return out;
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k && k.indexOf(prefix) === 0) out.push(k);
    }
    return out;
  }

  /* ---------------- network ---------------- */

  async function request(url, opts) {
    var res;
    try {
      res = await fetch(url, opts);
    } catch (e) {
      return { network: true, status: 0, ok: false, text: '', json: null };
    }
    var text = '';
    try { text = await res.text(); } catch (e) { return { network: true, status: res.status, ok: false, text: '', json: null }; }
    var json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    return { network: false, status: res.status, ok: res.ok, text: text, json: json };
  }

  /* ---------------- the page ---------------- */

  function BallotPage(root) {
    this.root = root;
    var d = root.dataset;
    this.poll = d.poll || '';
    this.api = (d.api || '').replace(/\/+$/, '');
    this.csrf = d.csrf || '';
    this.secrecy = d.secrecy || '';
    this.voter = d.voter || '';
    this.deputy = d.deputy || '';
    this.serverHash = (d.manifestHash || '').toLowerCase();
    this.strings = this.readStrings();
    this.form = document.getElementById('ballot-form') || root.querySelector('form');
    this.statusEl = document.getElementById('ballot-status') || this.make('div', 'ballot-status', root, true);
    this.statusEl.setAttribute('role', 'status');
    this.statusEl.setAttribute('aria-live', 'polite');
    this.manifest = null;
    this.hash = null;
    this.vote = null; // secret polls: the state kept in localStorage (see the top)
    this.busy = false;
    this.blocked = false;
  }

  /* The page's texts, or null if the block is missing or not a JSON object of strings. */
  BallotPage.prototype.readStrings = function () {
    var block = document.getElementById('ballot-i18n');
    if (!block) return null;
    try {
      var j = JSON.parse(block.textContent || '');
      return j && typeof j === 'object' && !Array.isArray(j) ? j : null;
    } catch (e) {
      return null;
    }
  };

  /* The text for `key`, with {name} filled from params. Call it with the key written out
     (never a computed key): the test of the strings finds the keys by reading this file. */
  BallotPage.prototype.t = function (key, params) {
    var s = this.strings && typeof this.strings[key] === 'string' ? this.strings[key] : key;
    return s.replace(/\{(\w+)\}/g, function (m, p) {
      return params && params[p] !== undefined ? String(params[p]) : m;
    });
  };

  BallotPage.prototype.make = function (tag, id, parent, prepend) {
    var el = document.createElement(tag);
    if (id) el.id = id;
    if (parent) {
      if (prepend) parent.insertBefore(el, parent.firstChild); else parent.appendChild(el);
    }
    return el;
  };

  BallotPage.prototype.status = function (msg, kind) {
    this.statusEl.textContent = msg || '';
    this.statusEl.className = 'ballot-status' + (kind ? ' is-' + kind : '');
    this.statusEl.hidden = !msg;
    this.alertIfError(kind === 'error' && !!msg);
  };

  /* An error is an alert (read out at once) and is brought into view: the deputy
     pressed the button at the bottom of the screen, the line is at the top. */
  BallotPage.prototype.alertIfError = function (isError) {
    var el = this.statusEl;
    el.setAttribute('role', isError ? 'alert' : 'status');
    el.setAttribute('aria-live', isError ? 'assertive' : 'polite');
    if (!isError || !el.getBoundingClientRect || !el.scrollIntoView) return;
    var box = el.getBoundingClientRect();
    if (box.top < 0 || box.bottom > (window.innerHeight || document.documentElement.clientHeight)) {
      el.scrollIntoView({ block: 'center' });
    }
  };

  /* Whether a failed cast is the server's own refusal: then the ballot was not taken. */
  BallotPage.prototype.serverRefused = function (r) {
    return !r.network && r.status >= 400 && r.status < 500 && !!r.json &&
      typeof r.json.error === 'string' && REFUSALS.indexOf(r.json.error) >= 0;
  };

  BallotPage.prototype.submitButton = function () {
    return this.form ? this.form.querySelector('[type=submit]') : null;
  };

  BallotPage.prototype.setSubmitEnabled = function (on) {
    var b = this.submitButton();
    if (b) b.disabled = !on;
  };

  BallotPage.prototype.block = function (msg) {
    this.blocked = true;
    this.setSubmitEnabled(false);
    this.status(msg, 'error');
  };

  BallotPage.prototype.key = function (kind) {
    return 'yishi-' + kind + ':' + this.poll + ':' + this.hash;
  };

  /* Why a request failed, for the user: the server's message, or ours. */
  BallotPage.prototype.reason = function (r) {
    if (r.network) return this.t('network_error');
    if (r.json && typeof r.json.message === 'string' && r.json.message) return r.json.message;
    if (r.json && typeof r.json.error === 'string') return r.json.error;
    return this.t('http_error', { status: r.status });
  };

  /* ---- start ---- */

  BallotPage.prototype.start = async function () {
    this.setSubmitEnabled(false);
    if (!this.strings) {
      this.block(NO_STRINGS);
      return;
    }
    if (!window.crypto || !crypto.subtle || !window.fetch) {
      this.block(this.t('no_webcrypto'));
      return;
    }
    if (this.form) {
      var self = this;
      this.form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        self.onSubmit();
      });
      this.form.addEventListener('change', function () { self.updateCount(); });
    }
    this.status(this.t('loading'), 'info');
    if (!(await this.loadManifest())) return;
    var receipts = this.storedReceipts();
    if (!this.form) {
      // The poll is closed: a token can no longer be used, a kept receipt still can.
      this.status('', '');
      if (this.secrecy === 'secret' && !receipts.length && (await this.fetchLostReceipt())) return;
      if (this.secrecy === 'secret') remove(this.voteKey());
      if (receipts.length) await this.showReceipt(receipts[receipts.length - 1], 'previous');
      return;
    }
    if (!this.prepareForm()) return;
    if (!storageOK) this.storageWarning = this.t('storage_unavailable');

    if (this.secrecy === 'secret') {
      await this.resumeSecret(receipts);
      return;
    }
    if (receipts.length && this.secrecy === 'named') {
      await this.showReceipt(receipts[receipts.length - 1], 'already');
      return;
    }
    var pending = load(this.key('pending'));
    if (pending && pending.body && pending.body.ballot &&
        (this.secrecy !== 'named' || pending.body.ballot.voter === this.voter)) {
      this.restorePending(pending.body);
    }
    if (!this.pendingRestored) this.status(this.storageWarning || '', this.storageWarning ? 'warning' : '');
    this.setSubmitEnabled(true);
    if (this.secrecy === 'code' && receipts.length && !this.pendingRestored) {
      await this.showReceipt(receipts[receipts.length - 1], 'previous');
    }
  };

  BallotPage.prototype.loadManifest = async function () {
    var r = await request(this.api + '/manifest', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!r.ok || !r.json || typeof r.json.manifest !== 'object' || !r.json.manifest) {
      this.block(this.t('manifest_error', { message: this.reason(r) }));
      return false;
    }
    var m = r.json.manifest;
    this.manifest = m;
    this.hash = hex(await sha256(enc.encode(jcs(m))));
    var fpEl = document.getElementById('ballot-fingerprint');
    var okKey = true, fp = '';
    try {
      var pub = b64uToBytes(m.signing_key);
      if (pub.length !== 32) okKey = false;
      fp = hex(await sha256(pub)).slice(0, 16);
    } catch (e) {
      okKey = false;
    }
    if (fpEl) fpEl.textContent = fp;
    var fpOut = document.getElementById('ballot-manifest-hash');
    if (fpOut) fpOut.textContent = this.hash;
    if (!okKey || m.protocol !== PROTOCOL || m.poll !== this.poll ||
        (this.secrecy && m.secrecy !== this.secrecy) ||
        (this.serverHash && this.serverHash !== this.hash) ||
        !CHOICES[m.ballot] || !Array.isArray(m.options) || !m.options.length ||
        (m.secrecy === 'secret' && !(m.token_key && m.token_key.n && m.token_key.e))) {
      this.block(this.t('manifest_mismatch'));
      return false;
    }
    this.secrecy = m.secrecy;
    if (r.json.manifest_sig) {
      var v = await ed25519Verify(m.signing_key, r.json.manifest_sig, PROTOCOL + ':manifest', m);
      if (v === false) {
        this.block(this.t('manifest_bad_signature'));
        return false;
      }
    }
    if (m.secrecy === 'secret' && !window.YishiBlindRSA) {
      this.block(this.t('no_webcrypto'));
      return false;
    }
    return true;
  };

  /* ---- the form ---- */

  BallotPage.prototype.radiosFor = function (id) {
    var name = 'choice-' + id;
    return Array.prototype.filter.call(
      this.form.querySelectorAll('input[type=radio]'),
      function (el) { return el.name === name; }
    );
  };

  BallotPage.prototype.prepareForm = function () {
    if (!this.form) {
      this.block(this.t('manifest_mismatch'));
      return false;
    }
    var m = this.manifest;
    var known = {};
    var values = CHOICES[m.ballot];
    var anchor = this.form.querySelector('#ballot-count') || this.submitButton();
    for (var i = 0; i < m.options.length; i++) {
      var opt = m.options[i];
      known['choice-' + opt.id] = true;
      if (!this.radiosFor(opt.id).length) this.renderOption(opt, values, anchor);
    }
    // The form must not offer anything the manifest does not hold.
    var radios = this.form.querySelectorAll('input[type=radio]');
    for (var j = 0; j < radios.length; j++) {
      if (!known[radios[j].name] || values.indexOf(radios[j].value) < 0) {
        this.block(this.t('manifest_mismatch'));
        return false;
      }
    }
    if (this.secrecy === 'code') {
      this.codeInput = document.getElementById('ballot-code') || this.form.querySelector('input[name=code]');
      if (!this.codeInput) {
        this.codeInput = this.make('input', 'ballot-code');
        this.codeInput.name = 'code';
        this.codeInput.type = 'text';
        this.codeInput.autocomplete = 'off';
        this.codeInput.setAttribute('autocapitalize', 'characters');
        this.form.insertBefore(this.codeInput, this.form.firstChild);
      }
      // A slip's QR code carries the code in the fragment (#code=…), which the
      // browser never sends to the server; fill it in and drop it from the address.
      var fromSlip = /^#code=([A-Za-z0-9 -]{1,40})$/.exec(window.location.hash || '');
      if (fromSlip && !this.codeInput.value) {
        this.codeInput.value = fromSlip[1];
        try { history.replaceState(null, '', window.location.pathname + window.location.search); } catch (e) { /* ignore */ }
      }
    }
    if (m.ballot !== 'approval') {
      var unused = document.getElementById('ballot-count');
      if (unused) unused.hidden = true;
    } else {
      this.countEl = document.getElementById('ballot-count');
      if (!this.countEl) {
        this.countEl = this.make('p', 'ballot-count');
        var btn = this.submitButton();
        if (btn && btn.parentNode) btn.parentNode.insertBefore(this.countEl, btn); else this.form.appendChild(this.countEl);
      }
      this.countEl.setAttribute('aria-live', 'polite');
    }
    this.prepareHelpers();
    this.updateCount();
    return true;
  };

  BallotPage.prototype.renderOption = function (opt, values, anchor) {
    var fs = document.createElement('fieldset');
    fs.className = 'ballot-option';
    fs.setAttribute('data-option', opt.id);
    var lg = document.createElement('legend');
    lg.textContent = opt.title;
    fs.appendChild(lg);
    for (var i = 0; i < values.length; i++) {
      var label = document.createElement('label');
      label.className = 'ballot-choice ballot-choice-' + values[i];
      var input = document.createElement('input');
      input.type = 'radio';
      input.name = 'choice-' + opt.id;
      input.value = values[i];
      label.appendChild(input);
      label.appendChild(document.createTextNode(' ' + this.choiceLabel(values[i])));
      fs.appendChild(label);
    }
    if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(fs, anchor); else this.form.appendChild(fs);
  };

  BallotPage.prototype.choiceLabel = function (value) {
    switch (value) {
      case 'yes': return this.t('choice_yes');
      case 'no': return this.t('choice_no');
      case 'abstain': return this.t('choice_abstain');
      case 'satisfied': return this.t('choice_satisfied');
      case 'basic': return this.t('choice_basic');
      case 'dissatisfied': return this.t('choice_dissatisfied');
      default: return value;
    }
  };

  BallotPage.prototype.readChoices = function () {
    var choices = {}, missing = [], yes = 0;
    var opts = this.manifest.options;
    for (var i = 0; i < opts.length; i++) {
      var rs = this.radiosFor(opts[i].id), v = null;
      for (var j = 0; j < rs.length; j++) if (rs[j].checked) v = rs[j].value;
      var box = this.optionBox(opts[i].id);
      if (v === null) missing.push(opts[i]);
      else choices[opts[i].id] = v;
      if (box) box.classList.remove('is-missing');
      if (v === 'yes') yes++;
    }
    return { choices: choices, missing: missing, yes: yes };
  };

  BallotPage.prototype.optionBox = function (id) {
    var rs = this.radiosFor(id);
    if (!rs.length) return null;
    return rs[0].closest('[data-option]') || rs[0].closest('fieldset');
  };

  BallotPage.prototype.maxYes = function () {
    var r = this.manifest.rules || {};
    return this.manifest.ballot === 'approval' && Number.isSafeInteger(r.max_yes) ? r.max_yes : null;
  };

  BallotPage.prototype.updateCount = function () {
    if (!this.manifest) return;
    var c = this.readChoices(), max = this.maxYes();
    this.updateHelpers(c);
    if (!this.countEl) return;
    var over = max !== null && c.yes > max;
    this.countEl.textContent = max === null ? this.t('yes_count_nolimit', { count: c.yes })
      : over ? this.t('over_limit', { count: c.yes, max: max })
      : this.t('yes_count', { count: c.yes, max: max });
    this.countEl.classList.toggle('is-over', over);
  };

  /* ---- filling in without thinking: "mark all the rest", what is still missing ---- */

  /* The line of what is still missing (in the sticky bar, beside the button) and one
     button for each choice but the positive one that marks every option not marked yet. */
  BallotPage.prototype.prepareHelpers = function () {
    var bar = this.form.querySelector('.sticky-bar');
    var btn = this.submitButton();
    this.missingEl = document.getElementById('ballot-missing');
    if (!this.missingEl) {
      this.missingEl = this.make('p', 'ballot-missing');
      var where = this.countEl && this.countEl.parentNode ? this.countEl.parentNode : bar || this.form;
      if (btn && btn.parentNode === where) where.insertBefore(this.missingEl, btn); else where.appendChild(this.missingEl);
    }
    this.missingEl.setAttribute('aria-live', 'polite');

    var box = document.getElementById('ballot-rest');
    if (box) box.parentNode.removeChild(box);
    box = this.make('div', 'ballot-rest');
    box.className = 'ballot-rest';
    box.setAttribute('role', 'group');
    box.setAttribute('aria-labelledby', 'ballot-rest-label');
    this.restLabel = this.make('p', 'ballot-rest-label', box);
    var buttons = this.make('div', null, box);
    buttons.className = 'ballot-rest-buttons';
    var values = CHOICES[this.manifest.ballot], positive = POSITIVE[this.manifest.ballot];
    this.restButtons = [];
    for (var i = 0; i < values.length; i++) {
      if (values[i] === positive) continue;
      var b = this.make('button', null, buttons);
      b.type = 'button';
      b.className = 'ballot-rest-button';
      b.setAttribute('data-value', values[i]);
      b.textContent = this.t('mark_rest_button', { choice: this.choiceLabel(values[i]) });
      this.restButtons.push(b);
    }
    var self = this;
    box.addEventListener('click', function (ev) {
      var target = ev.target && ev.target.closest ? ev.target.closest('button[data-value]') : null;
      if (target) self.markRest(target.getAttribute('data-value'));
    });
    if (bar && bar.parentNode === this.form) this.form.insertBefore(box, bar);
    else if (btn && btn.parentNode) btn.parentNode.insertBefore(box, btn);
    else this.form.appendChild(box);
    this.restBox = box;
  };

  /* Marks `value` on every option that has no choice yet; marked ones are left alone. */
  BallotPage.prototype.markRest = function (value) {
    if (this.done || this.blocked || !this.manifest || CHOICES[this.manifest.ballot].indexOf(value) < 0) return;
    var opts = this.manifest.options;
    for (var i = 0; i < opts.length; i++) {
      var rs = this.radiosFor(opts[i].id), chosen = false, j;
      for (j = 0; j < rs.length; j++) if (rs[j].checked) chosen = true;
      if (chosen) continue;
      for (j = 0; j < rs.length; j++) if (rs[j].value === value && !rs[j].disabled) rs[j].checked = true;
    }
    this.updateCount();
    // The button pressed is now disabled: the next step is the submit button.
    var submit = this.submitButton();
    if (submit && !submit.disabled && !this.readChoices().missing.length) submit.focus();
  };

  BallotPage.prototype.updateHelpers = function (c) {
    if (this.formError) {
      // The deputy is mending what the submit found: the bar below says what is left.
      this.formError = false;
      this.status('', '');
    }
    if (!this.missingEl) return;
    var k = c.missing.length;
    if (!k) {
      this.missingEl.textContent = this.t('missing_none', { total: this.manifest.options.length });
    } else if (k <= MISSING_LISTED) {
      var names = c.missing.map(function (o) { return o.title; }).join(this.t('list_separator'));
      this.missingEl.textContent = this.t('missing_few', { count: k, options: names });
    } else {
      this.missingEl.textContent = this.t('missing_many', { count: k });
    }
    this.missingEl.classList.toggle('is-complete', !k);
    if (this.restLabel) this.restLabel.textContent = k ? this.t('mark_rest_intro', { count: k }) : this.t('mark_rest_none');
    var locked = !!this.form.querySelector('input[type=radio]:disabled');
    for (var i = 0; i < (this.restButtons || []).length; i++) this.restButtons[i].disabled = !k || locked || !!this.done;
  };

  BallotPage.prototype.setFormLocked = function (locked) {
    if (!this.form) return;
    var els = this.form.querySelectorAll('input, button, select, textarea');
    for (var i = 0; i < els.length; i++) els[i].disabled = locked;
  };

  BallotPage.prototype.showChoices = function (ch) {
    for (var id in ch) {
      if (!Object.prototype.hasOwnProperty.call(ch, id)) continue;
      var rs = this.radiosFor(id);
      for (var j = 0; j < rs.length; j++) rs[j].checked = rs[j].value === ch[id];
    }
  };

  BallotPage.prototype.restorePending = function (body) {
    this.showChoices(body.ballot.choices || {});
    if (this.codeInput && typeof body.code === 'string') this.codeInput.value = body.code;
    this.updateCount();
    this.pendingRestored = true;
    this.status(this.t('pending_resend'), 'warning');
  };

  /* ---- token (secret polls) ---- */

  BallotPage.prototype.voteKey = function () {
    return 'yishi-vote:' + this.poll + ':' + this.hash + ':' + this.deputy;
  };

  BallotPage.prototype.saveVote = function () {
    return save(this.voteKey(), this.vote);
  };

  BallotPage.prototype.loadVote = function () {
    // A page of an earlier version kept its token under a key that names no deputy: it
    // is never taken over, since on a shared phone it may be another deputy's.
    var st = load(this.voteKey());
    return st && typeof st.token === 'string' ? st : null;
  };

  /* Where a secret vote stands after a load: receipt kept → show it; ballot sent →
     send the same ballot again; token asked for → ask again with the same blinded
     message; otherwise take a token. */
  BallotPage.prototype.resumeSecret = async function (receipts) {
    if (receipts.length) {
      remove(this.voteKey());
      await this.showReceipt(receipts[receipts.length - 1], 'already');
      return;
    }
    this.vote = this.loadVote();
    var submitted = this.vote && (this.vote.body ? this.vote.body.ballot.choices : this.vote.choices);
    if (submitted) {
      this.showChoices(submitted);
      this.updateCount();
      this.status(this.t('resuming'), 'info');
    }
    if (!(await this.ensureToken())) return;
    if (submitted) await this.castSecret(submitted);
  };

  /* A ballot sent before the close whose answer never came: the server answers an
     identical ballot with its receipt even after the close. */
  BallotPage.prototype.fetchLostReceipt = async function () {
    var st = this.loadVote();
    if (!(st && st.body && st.body.ballot)) return false;
    var r = await request(this.api + '/ballots', {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(st.body)
    });
    if ((r.status === 201 || r.status === 200) && r.json && typeof r.json.index === 'number') {
      if (await this.keepReceipt(r, st.body.ballot)) remove(this.voteKey());
      return true;
    }
    if (!this.serverRefused(r)) {
      this.status(this.t('submit_error', { message: this.reason(r) }), 'error'); // kept: the next load tries again
      return true;
    }
    return false; // refused: it was never taken
  };

  BallotPage.prototype.ensureToken = async function () {
    var B = window.YishiBlindRSA;
    var tk = this.manifest.token_key;
    var st = this.vote;
    if (st && st.token_sig) {
      var valid = false;
      try { valid = await B.verify(tk.n, tk.e, B.b64u.decode(st.token), st.token_sig); } catch (e) { valid = false; }
      if (valid) {
        this.tokenReady();
        return true;
      }
      delete st.token_sig; // not a signature of this poll's key: ask again below, if we can
    }
    // Decide on the blinded message and save it before the request, under a lock shared
    // by this deputy's tabs: a second tab opened at the same moment reads the first
    // tab's state instead of writing its own over it (the server signs only the first).
    var page = this;
    var blindError = null;
    var reused = true; // false when this request carries a message made just now
    await withLock(this.voteKey(), async function () {
      var stored = page.loadVote();
      if (stored && stored.blinded_msg && stored.inv) {
        if (st && st.choices && !stored.choices) stored.choices = st.choices;
        st = page.vote = stored;
      } else if (!(st && st.blinded_msg && st.inv)) {
        var token = B.prepare(B.randomBytes(32));
        var bl;
        try {
          bl = await B.blind(tk.n, tk.e, token);
        } catch (e) {
          blindError = e;
          return;
        }
        var fresh = { v: 2, token: B.b64u.encode(token), blinded_msg: B.b64u.encode(bl.blindedMsg), inv: B.b64u.encode(bl.inv) };
        if (st && st.choices) fresh.choices = st.choices;
        st = page.vote = fresh;
        reused = false;
      }
      // Before the request: a reload while it is in flight sends the same message again.
      page.saveVote();
    });
    if (blindError) {
      this.block(this.t('token_error', { message: blindError.message }));
      return false;
    }
    this.status(this.t('token_requesting'), 'info');
    var headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (this.csrf) headers['X-CSRFToken'] = this.csrf;
    var r = await request(this.api + '/tokens', {
      method: 'POST',
      credentials: 'same-origin',
      headers: headers,
      body: JSON.stringify({ blinded_msg: st.blinded_msg })
    });
    if (!r.ok || !r.json || typeof r.json.blind_sig !== 'string') {
      if (r.status === 409 && r.json && r.json.error === 'token_already_issued') {
        // Another tab of this browser may have taken the token meanwhile: use its state.
        var now = load(this.voteKey());
        if (now && now.token && now.token !== st.token && !this.adopted) {
          this.adopted = true;
          this.vote = now;
          return this.ensureToken();
        }
        if (!reused && now && now.token === st.token) remove(this.voteKey());
        this.vote = null;
        this.showElsewhere(reused ? this.t('token_lost') : this.t('token_elsewhere'));
        return false;
      }
      if (r.ok) r = { network: false, status: r.status, json: null };
      this.status(this.t('token_error', { message: this.reason(r) }), 'error');
      // Retry through the submit button (network, 5xx, or after checking in / logging in).
      this.setSubmitEnabled(!this.blocked && r.status !== 409 && r.status !== 422);
      return false;
    }
    var sig;
    try {
      sig = await B.finalize(tk.n, tk.e, B.b64u.decode(st.token), r.json.blind_sig, st.inv);
    } catch (e) {
      this.block(this.t('token_bad_signature'));
      return false;
    }
    st.token_sig = B.b64u.encode(sig);
    delete st.blinded_msg; // finalized: the blinding is no longer needed
    delete st.inv;
    this.saveVote();
    this.tokenReady();
    return true;
  };

  BallotPage.prototype.tokenReady = function () {
    if (!this.pendingRestored) {
      this.status(this.storageWarning ? this.t('token_ready') + ' ' + this.storageWarning : this.t('token_ready'),
                  this.storageWarning ? 'warning' : 'info');
    }
    this.setSubmitEnabled(true);
  };

  /* The server has a token for this deputy that this browser does not hold. */
  BallotPage.prototype.showElsewhere = function (message) {
    this.block(message);
    if (this.form) this.form.hidden = true;
    var box = document.getElementById('ballot-elsewhere');
    if (box) {
      box.hidden = false;
      if (box.scrollIntoView) box.scrollIntoView({ block: 'start' });
    }
  };

  /* ---- cast ---- */

  BallotPage.prototype.onSubmit = async function () {
    if (this.busy || this.blocked || !this.manifest) return;
    this.busy = true;
    this.setSubmitEnabled(false);
    try {
      await this.cast();
    } finally {
      this.busy = false;
      if (!this.blocked && !this.done) this.setSubmitEnabled(true);
    }
  };

  BallotPage.prototype.checkChoices = function () {
    var c = this.readChoices();
    if (c.missing.length) {
      for (var i = 0; i < c.missing.length; i++) {
        var box = this.optionBox(c.missing[i].id);
        if (box) box.classList.add('is-missing');
      }
      var names = c.missing.map(function (o) { return o.title; }).join(this.t('list_separator'));
      this.status(this.t('missing_choices', { count: c.missing.length, options: names }), 'error');
      this.formError = true; // cleared as soon as the deputy marks something
      var first = this.radiosFor(c.missing[0].id)[0];
      if (first) first.focus();
      return null;
    }
    var max = this.maxYes();
    if (max !== null && c.yes > max) {
      this.status(this.t('over_limit', { count: c.yes, max: max }), 'error');
      this.formError = true;
      return null;
    }
    return c.choices;
  };

  BallotPage.prototype.cast = async function () {
    if (this.secrecy === 'secret' && this.vote && this.vote.body) {
      await this.castSecret(this.vote.body.ballot.choices); // the same ballot again
      return;
    }
    var choices = this.checkChoices();
    if (!choices) return;
    if (this.secrecy === 'secret') {
      if (!(this.vote && this.vote.token_sig)) {
        if (this.vote) {
          this.vote.choices = choices; // submitted: a reload goes on with them
          this.saveVote();
        }
        if (!(await this.ensureToken())) return;
      }
      await this.castSecret(choices);
      return;
    }
    var ballot = { poll: this.poll, manifest: this.hash };
    var body = { ballot: ballot };
    var opts = { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' } };
    if (this.secrecy === 'named') {
      ballot.voter = this.voter;
      opts.credentials = 'same-origin';
      if (this.csrf) opts.headers['X-CSRFToken'] = this.csrf;
    } else {
      var code = normaliseCode(this.codeInput ? this.codeInput.value : '');
      if (!CODE_RE.test(code)) {
        this.status(this.t('code_invalid'), 'error');
        if (this.codeInput) this.codeInput.focus();
        return;
      }
      ballot.code_hash = hex(await sha256(enc.encode(code)));
      body.code = code;
      opts.credentials = 'omit';
    }
    ballot.choices = choices;
    opts.body = JSON.stringify(body);
    save(this.key('pending'), { v: 1, body: body });
    this.status(this.root.dataset.batched ? this.t('sealing') : this.t('submitting'), 'info');
    var r = await request(this.api + '/ballots', opts);
    if ((r.status === 201 || r.status === 200) && r.json && typeof r.json.index === 'number') {
      if (await this.keepReceipt(r, ballot)) remove(this.key('pending'));
      if (this.codeInput) this.codeInput.value = '';
      this.dropChoices();
      return;
    }
    if (this.serverRefused(r)) remove(this.key('pending'));
    this.status(this.t('submit_error', { message: this.reason(r) }), 'error');
  };

  /* A secret ballot: kept before it is sent, so that a reload sends the very same
     ballot again (the server answers an identical ballot with the same receipt). */
  BallotPage.prototype.castSecret = async function (choices) {
    var st = this.vote;
    if (!st.body) {
      st.body = {
        ballot: { poll: this.poll, manifest: this.hash, token: st.token, token_sig: st.token_sig, choices: choices }
      };
      delete st.choices;
      this.saveVote();
    }
    var ballot = st.body.ballot;
    this.showChoices(ballot.choices);
    this.updateCount();
    this.setChoicesLocked(true); // the ballot is in the box: only the same one can be sent again
    // The answer comes when the ballot's batch is appended (protocol rev 5): seconds,
    // at most about a minute. fetch has no timeout of its own here; a reload or a
    // network failure sends the same ballot again, which gets the same receipt.
    this.status(this.t('sealing'), 'info');
    var r = await request(this.api + '/ballots', {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(st.body)
    });
    if ((r.status === 201 || r.status === 200) && r.json && typeof r.json.index === 'number') {
      if (await this.keepReceipt(r, ballot)) {
        remove(this.voteKey()); // the token, its signature and the choices
        this.vote = null;
      }
      this.dropChoices();
      return;
    }
    if (this.serverRefused(r)) {
      // Refused for good: this ballot will never be taken; the token is spent or void.
      if (r.json && (r.json.error === 'poll_closed' || r.json.error === 'already_used')) {
        remove(this.voteKey());
        this.vote = null;
        this.block(this.t('submit_error', { message: this.reason(r) }));
        return;
      }
      delete st.body;
      this.saveVote();
      this.setChoicesLocked(false);
      this.status(this.t('submit_error', { message: this.reason(r) }), 'error');
      return;
    }
    this.status(this.t('submit_error', { message: this.reason(r) }) + ' ' + this.t('resend_same'), 'error');
  };

  /* After the cast the page no longer shows what was chosen (protocol rev 5: a shared
     phone must not show it); the receipt, and the ballot copy offered for download
     with it, remain. */
  BallotPage.prototype.dropChoices = function () {
    if (!this.form) return;
    var els = this.form.querySelectorAll('input[type=radio]');
    for (var i = 0; i < els.length; i++) {
      els[i].checked = false;
      els[i].disabled = true;
    }
  };

  BallotPage.prototype.setChoicesLocked = function (locked) {
    if (!this.form) return;
    var els = this.form.querySelectorAll('input');
    for (var i = 0; i < els.length; i++) els[i].disabled = locked;
  };

  /* Keep the receipt of an answered cast (with the ballot only if the receipt fails its
     check here) and show it; false when it could not be kept in this browser. */
  BallotPage.prototype.keepReceipt = async function (r, ballot) {
    var record = { v: 2, receipt: r.text };
    if (this.secrecy === 'secret' && this.deputy) record.voter = this.deputy;
    if (this.secrecy === 'named') record.voter = this.voter;
    var problem = await this.checkReceipt(r.json, ballot);
    if (problem) record.ballot = ballot;
    var kept = save(this.key('receipt') + ':' + r.json.index, record);
    record.parsed = r.json;
    await this.showReceipt(record, 'cast', ballot);
    return kept;
  };

  /* ---- receipts ---- */

  /* This browser's receipts of this poll (for a named or secret poll: this deputy's),
     oldest first. Version 1 records kept the ballot; it is dropped here. */
  BallotPage.prototype.storedReceipts = function () {
    var prefix = this.key('receipt') + ':';
    var who = this.secrecy === 'named' ? this.voter : this.secrecy === 'secret' ? this.deputy : '';
    var list = [];
    var ks = keysWithPrefix(prefix);
    for (var i = 0; i < ks.length; i++) {
      var rec = load(ks[i]);
      if (!rec || typeof rec.receipt !== 'string') continue;
      try { rec.parsed = JSON.parse(rec.receipt); } catch (e) { continue; }
      if (rec.v === 1) {
        var upgraded = { v: 2, receipt: rec.receipt };
        if (this.secrecy === 'named' && rec.ballot && rec.ballot.voter) upgraded.voter = rec.ballot.voter;
        save(ks[i], upgraded);
        upgraded.parsed = rec.parsed;
        rec = upgraded;
      }
      // Records of version 1 in a secret poll name no deputy; they were this browser's.
      if (who && rec.voter !== undefined && rec.voter !== who) continue;
      if (this.secrecy === 'named' && rec.voter !== who) continue;
      list.push(rec);
    }
    list.sort(function (a, b) { return a.parsed.index - b.parsed.index; });
    return list;
  };

  /* null when the receipt holds; otherwise which part failed. Without the ballot (a
     kept receipt) the leaf hash cannot be recomputed here, only the rest. */
  BallotPage.prototype.checkReceipt = async function (rc, ballot) {
    try {
      if (rc.poll !== this.poll || !rc.tree_head || rc.tree_head.poll !== this.poll) return 'poll';
      if (ballot) {
        var leaf = hex(await sha256(concatBytes(new Uint8Array([0]), enc.encode(jcs(ballot)))));
        if (leaf !== rc.leaf_hash) return 'leaf_hash';
      }
      if (!Array.isArray(rc.inclusion) ||
          !(await verifyInclusion(rc.leaf_hash, rc.index, rc.tree_head.size, rc.inclusion, rc.tree_head.root))) {
        return 'inclusion';
      }
      var sig = await ed25519Verify(this.manifest.signing_key, rc.tree_head_sig, PROTOCOL + ':tree-head', rc.tree_head);
      if (sig === false) return 'tree_head_sig';
      return null;
    } catch (e) {
      return 'format';
    }
  };

  /* ``ballot``: the ballot just cast, held in memory for this page only (its copy can
     be downloaded now); a kept receipt comes without it unless its check failed. */
  BallotPage.prototype.showReceipt = async function (record, mode, ballot) {
    var rc = record.parsed || JSON.parse(record.receipt);
    ballot = ballot || record.ballot || null;
    var box = document.getElementById('ballot-receipt');
    if (!box) {
      box = this.make('section', 'ballot-receipt');
      if (this.form && this.form.parentNode) this.form.parentNode.insertBefore(box, this.form.nextSibling);
      else this.root.appendChild(box);
    }
    if (this.statusEl.parentNode === box) box.parentNode.insertBefore(this.statusEl, box); // kept on the page
    while (box.firstChild) box.removeChild(box.firstChild);
    var problem = await this.checkReceipt(rc, ballot);

    var head = this.make('p', null, box);
    head.className = 'ballot-receipt-title';
    head.textContent = mode === 'cast' ? this.t('cast_ok')
      : mode === 'already' ? this.t('already_voted') : this.t('previous_receipt');

    var dl = this.make('dl', null, box);
    var root = rc.tree_head && typeof rc.tree_head.root === 'string' ? rc.tree_head.root : '';
    var rows = [
      [this.t('receipt_index'), String(rc.index)],
      [this.t('receipt_size'), String(rc.tree_head ? rc.tree_head.size : '')],
      [this.t('receipt_root'), root.slice(0, 16) + (root.length > 16 ? '…' : ''), root]
    ];
    for (var i = 0; i < rows.length; i++) {
      var dt = this.make('dt', null, dl);
      dt.textContent = rows[i][0];
      var dd = this.make('dd', null, dl);
      dd.textContent = rows[i][1];
      if (rows[i].length > 2) dd.title = rows[i][2];
    }
    var check = this.make('p', null, box);
    check.className = problem ? 'ballot-receipt-check is-warning' : 'ballot-receipt-check';
    check.textContent = problem ? this.t('receipt_warning', { reason: problem }) : this.t('receipt_checked');

    var links = this.make('p', null, box);
    links.className = 'ballot-receipt-downloads';
    this.downloadLink(links, 'ballot-download-receipt', this.t('download_receipt'),
      'receipt-' + this.poll + '-' + rc.index + '.json', record.receipt);
    if (ballot) {
      links.appendChild(document.createTextNode(' '));
      this.downloadLink(links, 'ballot-download-ballot', this.t('download_ballot'),
        'ballot-' + this.poll + '-' + rc.index + '.json', jcs(ballot));
    } else {
      var note = this.make('p', null, box);
      note.className = 'muted ballot-not-kept';
      note.textContent = this.t('ballot_not_kept');
    }
    box.hidden = false;

    if (mode !== 'previous') {
      this.done = true;
      this.setFormLocked(true);
      if (this.form) this.form.classList.add('is-done');
      // A kept receipt comes without the choices: an empty, locked form would only puzzle.
      if (this.form && mode === 'already') this.form.hidden = true;
      this.status(head.textContent, problem ? 'warning' : 'success');
    }
    if (mode !== 'previous') this.receiptFirst(box, head, mode);
  };

  /* After the cast (or on coming back to a cast ballot): the receipt goes first, under
     the poll's title, with the page's status line as its title (said once, not twice),
     and the button says it is done. */
  BallotPage.prototype.receiptFirst = function (box, head, mode) {
    if (head && head.parentNode === box) box.replaceChild(this.statusEl, head);
    var title = this.root.querySelector('h1');
    if (title && title.parentNode === this.root) this.root.insertBefore(box, title.nextSibling);
    else this.root.insertBefore(box, this.root.firstChild);
    box.setAttribute('tabindex', '-1');
    box.setAttribute('aria-labelledby', this.statusEl.id || 'ballot-status');
    var b = this.submitButton();
    if (b) {
      b.textContent = this.t('voted_button');
      b.disabled = true;
      b.classList.add('is-voted');
    }
    if (this.restBox) this.restBox.hidden = true;
    if (this.missingEl) this.missingEl.hidden = true;
    if (this.countEl) this.countEl.hidden = true;
    if (mode === 'cast') {
      if (box.scrollIntoView) box.scrollIntoView({ block: 'start' });
      try { box.focus({ preventScroll: true }); } catch (e) { box.focus(); }
    }
  };

  BallotPage.prototype.downloadLink = function (parent, id, label, filename, text) {
    var a = this.make('a', id, parent);
    a.className = 'ballot-download';
    a.textContent = label;
    a.download = filename;
    a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    return a;
  };

  /* ---------------- boot ---------------- */

  window.YishiBallot = Object.freeze({
    jcs: jcs,
    normaliseCode: normaliseCode,
    verifyInclusion: verifyInclusion
  });

  function boot() {
    var root = document.getElementById('ballot-app');
    if (!root) return;
    var page = new BallotPage(root);
    root._yishiBallot = page;
    page.start().catch(function (e) {
      page.block(page.t('manifest_error', { message: e && e.message ? e.message : String(e) }));
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
