// 议事 Yishi: the board verifier in the browser (yishi-ballot/1, revision 5).
//
// The same eight checks as `python -m voting.verify` (shared/ballot-protocol.md, "The
// verifier"), run entirely in the page with WebCrypto (SHA-256, Ed25519, RSA-PSS):
// nothing is sent anywhere. For a board that passes, the eight lines are the command
// line's, word for word; for a board that does not, the same checks fail (the detail
// lines may be worded more briefly). The scrutineers' pages use this same file.
//
// YishiBoardCheck.verify(text, {fingerprint, scrutineers, receipts: [[name, text]],
//   ballots: [[name, text]], onProgress}) -> Promise<{lines, ok, checks, board}>
(function (global) {
  'use strict';

  var MAX_INT = 9007199254740991;
  var MAX_DETAILS = 25;
  var TOKEN_LENGTH = 64;
  var CHECK_NAMES = {1: 'manifest', 2: 'ballots', 3: 'duplicates', 4: 'register', 5: 'closing', 6: 'result', 7: 'receipts', 8: 'cosignatures'};
  var BOARD_MEMBERS = ['manifest', 'manifest_sig', 'register', 'codes', 'ballots', 'result', 'closing', 'closing_sig', 'paper', 'cosignatures'];
  var MANIFEST_MEMBERS = ['protocol', 'poll', 'title', 'ballot', 'secrecy', 'options', 'rules', 'electorate', 'signing_key', 'opened_at'];
  var CHOICE_VALUES = {approval: ['yes', 'no', 'abstain'], satisfaction: ['satisfied', 'basic', 'dissatisfied', 'abstain']};
  var BASES = ['electorate', 'present', 'cast'];
  var SMALL_ORDER = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000080',
    '0100000000000000000000000000000000000000000000000000000000000000',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
  ];
  var CONTEXT = {
    manifest: 'yishi-ballot/1:manifest', treeHead: 'yishi-ballot/1:tree-head',
    closing: 'yishi-ballot/1:closing', cosign: 'yishi-ballot/1:cosign'
  };
  var IDENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  var OPTION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
  var HASH_RE = /^[0-9a-f]{64}$/;
  var TIME_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/;
  var FRACTION_RE = /^[1-9][0-9]*\/[1-9][0-9]*$/;
  var FINGERPRINT_RE = /^[0-9a-fA-F]{16}$/;
  var encoder = new TextEncoder();
  var subtle = global.crypto.subtle;

  // --- JSON as the verifier reads it ------------------------------------------------

  function Invalid(reason) { this.reason = reason; }

  function Fault(detail) { this.detail = detail; }

  // A strict reader: JSON that is not I-JSON (a repeated member name, a fraction, an
  // exponent, a negative or too large integer) becomes an Invalid value where it is,
  // so the check that owns it reports it; text that is not JSON at all throws.
  function parse(text) {
    var i = 0;
    function ws() { while (i < text.length && ' \t\n\r'.indexOf(text[i]) >= 0) i++; }
    function fail(msg) { throw new SyntaxError(msg + ' at ' + i); }
    function value(depth) {
      if (depth > 512) fail('nested too deeply');
      ws();
      var c = text[i];
      if (c === '{') return object(depth);
      if (c === '[') return array(depth);
      if (c === '"') return string();
      if (c === 't' && text.substr(i, 4) === 'true') { i += 4; return true; }
      if (c === 'f' && text.substr(i, 5) === 'false') { i += 5; return false; }
      if (c === 'n' && text.substr(i, 4) === 'null') { i += 4; return null; }
      return number();
    }
    function object(depth) {
      i++;
      var obj = {}, seen = Object.create(null), dup = null;
      ws();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        var key = string();
        ws();
        if (text[i] !== ':') fail('expected :');
        i++;
        var v = value(depth + 1);
        if (seen[key] && dup === null) dup = key;
        seen[key] = true;
        Object.defineProperty(obj, key, {value: v, enumerable: true, writable: true, configurable: true});
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; break; }
        fail('expected , or }');
      }
      return dup === null ? obj : new Invalid('duplicate member name ' + JSON.stringify(dup));
    }
    function array(depth) {
      i++;
      var out = [];
      ws();
      if (text[i] === ']') { i++; return out; }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; break; }
        fail('expected , or ]');
      }
      return out;
    }
    function string() {
      var start = i;
      i++;
      for (;;) {
        var c = text.charCodeAt(i);
        if (isNaN(c)) fail('unterminated string');
        if (c === 34) break;
        if (c === 92) i += 2; else { if (c < 32) fail('control character in a string'); i++; }
      }
      i++;
      var s = JSON.parse(text.slice(start, i));
      return /[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/.test(s) ? new Invalid('a lone surrogate') : s;
    }
    function number() {
      var m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
      if (!m || !m[0] || m[0] === '-') fail('unexpected character');
      i += m[0].length;
      if (m[2] || m[3]) return new Invalid('number with a fraction or exponent');
      if (m[0][0] === '-') return new Invalid('negative number');
      if (m[0].length > 16 || Number(m[0]) > MAX_INT) return new Invalid('integer larger than 2^53-1');
      return Number(m[0]);
    }
    var v = value(0);
    ws();
    if (i !== text.length) fail('trailing text');
    return v;
  }

  function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Invalid); }
  function isInt(v) { return typeof v === 'number' && Number.isInteger(v); }
  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }

  // RFC 8785 (JCS) for the values the protocol has (integers only).
  function canonical(v) {
    if (v instanceof Invalid) throw new Fault('not I-JSON');
    if (v === null || v === true || v === false) return String(v);
    if (typeof v === 'number') return String(v);
    if (typeof v === 'string') return JSON.stringify(v);
    if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
    var keys = Object.keys(v).sort();
    return '{' + keys.map(function (k) { return JSON.stringify(k) + ':' + canonical(v[k]); }).join(',') + '}';
  }
  function canonicalOrNull(v) { try { return canonical(v); } catch (e) { return null; } }
  function utf8(s) { return encoder.encode(s); }

  function hex(bytes) {
    var out = '';
    for (var k = 0; k < bytes.length; k++) out += (bytes[k] < 16 ? '0' : '') + bytes[k].toString(16);
    return out;
  }
  function fromHex(h) {
    var out = new Uint8Array(h.length / 2);
    for (var k = 0; k < out.length; k++) out[k] = parseInt(h.substr(2 * k, 2), 16);
    return out;
  }
  function concat(a, b, c) {
    var out = new Uint8Array(a.length + b.length + (c ? c.length : 0));
    out.set(a, 0); out.set(b, a.length); if (c) out.set(c, a.length + b.length);
    return out;
  }
  function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    for (var k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
    return true;
  }

  // Canonical base64url without padding (no non-zero trailing bits); throws Fault.
  function b64u(s) {
    if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Fault('must be canonical base64url');
    var std = s.replace(/-/g, '+').replace(/_/g, '/');
    var bin = atob(std + '===='.slice(0, (4 - s.length % 4) % 4));
    var out = new Uint8Array(bin.length);
    for (var k = 0; k < bin.length; k++) out[k] = bin.charCodeAt(k);
    if (b64uEncode(out) !== s) throw new Fault('must be canonical base64url');
    return out;
  }
  function b64uEncode(bytes) {
    var bin = '';
    for (var k = 0; k < bytes.length; k++) bin += String.fromCharCode(bytes[k]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  async function sha256(bytes) { return new Uint8Array(await subtle.digest('SHA-256', bytes)); }
  async function sha256Hex(text) { return hex(await sha256(utf8(text))); }

  // --- Merkle tree (RFC 9162 section 2.1) --------------------------------------------

  var ZERO = new Uint8Array([0]), ONE = new Uint8Array([1]);
  function leafHash(bytes) { return sha256(concat(ZERO, bytes)); }
  function nodeHash(l, r) { return sha256(concat(ONE, l, r)); }

  async function merkleRoot(leaves, lo, hi) {
    if (lo === undefined) { lo = 0; hi = leaves.length; }
    var n = hi - lo;
    if (n === 0) return sha256(new Uint8Array(0));
    if (n === 1) return leaves[lo];
    var k = 1;
    while (k * 2 < n) k *= 2;
    var parts = await Promise.all([merkleRoot(leaves, lo, lo + k), merkleRoot(leaves, lo + k, hi)]);
    return nodeHash(parts[0], parts[1]);
  }

  async function verifyInclusion(leaf, index, size, proof, root) {
    if (index >= size) return false;
    var fn = index, sn = size - 1, r = leaf;
    for (var k = 0; k < proof.length; k++) {
      if (sn === 0) return false;
      var p = proof[k];
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && equalBytes(r, root);
  }

  // --- signatures --------------------------------------------------------------------

  var edKeys = new Map();
  async function edVerify(keyBytes, context, canonicalText, sigText) {
    var sig;
    try { sig = b64u(sigText); } catch (e) { return false; }
    if (sig.length !== 64 || keyBytes.length !== 32) return false;
    var id = hex(keyBytes), key = edKeys.get(id);
    try {
      if (!key) { key = await subtle.importKey('raw', keyBytes, {name: 'Ed25519'}, false, ['verify']); edKeys.set(id, key); }
      return await subtle.verify({name: 'Ed25519'}, key, sig, concat(utf8(context), ZERO, utf8(canonicalText)));
    } catch (e) { return false; }
  }

  function keyProblem(key) {
    var y = key.slice(); y[31] &= 0x7f;
    // y >= 2^255 - 19: the top bytes are 0x7f ff … ff and the lowest byte is >= 0xed.
    var big = y[31] === 0x7f && y[0] >= 0xed;
    for (var k = 1; k < 31 && big; k++) if (y[k] !== 0xff) big = false;
    if (big) return 'is not canonical (its y value is not below 2^255 - 19)';
    if (SMALL_ORDER.indexOf(hex(key)) >= 0) return 'encodes a point of small order';
    return null;
  }

  async function fingerprint(key) { return hex(await sha256(key)).slice(0, 16); }

  // --- the protocol's rules ----------------------------------------------------------

  function what(v) {
    if (v instanceof Invalid) return 'a value that is not I-JSON (' + v.reason + ')';
    var t = canonicalOrNull(v);
    if (t === null) return String(v);
    return t.length <= 60 ? t : t.slice(0, 57) + '...';
  }
  function members(v, field, required, optional) {
    if (!isObject(v)) throw new Fault(field + ': must be an object, not ' + what(v));
    required.slice().sort().forEach(function (name) {
      if (!has(v, name)) throw new Fault(field + ': member \'' + name + '\' is missing');
    });
    Object.keys(v).forEach(function (name) {
      if (required.indexOf(name) < 0 && (optional || []).indexOf(name) < 0) throw new Fault(field + ': unknown member \'' + name + '\'');
    });
    return v;
  }
  function integer(v, field, lo, hi) {
    lo = lo || 0; hi = hi === undefined ? MAX_INT : hi;
    if (!isInt(v) || v < lo || v > hi) throw new Fault(field + ': must be an integer from ' + lo + ' to ' + hi + ', not ' + what(v));
    return v;
  }
  function text(v, field) { if (typeof v !== 'string' || !v) throw new Fault(field + ': must be a non-empty string, not ' + what(v)); return v; }
  function oneOf(v, field, allowed) { if (typeof v !== 'string' || allowed.indexOf(v) < 0) throw new Fault(field + ': must be one of ' + allowed.join(', ') + ', not ' + what(v)); return v; }
  function ident(v, field) { if (typeof v !== 'string' || !IDENT_RE.test(v)) throw new Fault(field + ': must be 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit, not ' + what(v)); return v; }
  function hashHex(v, field) { if (typeof v !== 'string' || !HASH_RE.test(v)) throw new Fault(field + ': must be 64 lowercase hex characters, not ' + what(v)); return v; }
  function isTime(v) {
    var m = typeof v === 'string' && TIME_RE.exec(v);
    if (!m) return false;
    var y = +m[1], mo = +m[2], d = +m[3];
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || +m[4] > 23 || +m[5] > 59 || +m[6] > 59) return false;
    var days = [31, (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    return d <= days[mo - 1];
  }
  function time(v, field) { if (!isTime(v)) throw new Fault(field + ': must be a time YYYY-MM-DDTHH:MM:SSZ, not ' + what(v)); return v; }
  function bytesOf(v, field, length) {
    var out;
    try { out = b64u(v); } catch (e) { throw new Fault(field + ': must be canonical base64url'); }
    if (out.length !== length) throw new Fault(field + ': must be ' + length + ' bytes, not ' + out.length);
    return out;
  }
  function edKey(v, field) {
    var key = bytesOf(v, field, 32), problem = keyProblem(key);
    if (problem) throw new Fault(field + ': ' + problem);
    return key;
  }
  function bool(v, field) { if (typeof v !== 'boolean') throw new Fault(field + ': must be true or false, not ' + what(v)); return v; }
  function fraction(s) { var p = s.split('/'); return [BigInt(p[0]), BigInt(p[1])]; }

  function rsaNumbers(tk) {
    if (!isObject(tk) || Object.keys(tk).sort().join() !== 'e,n') throw new Fault('manifest.token_key: token_key must have exactly the members "n" and "e"');
    var n = bytesMinimal(tk.n, 'manifest.token_key'), e = bytesMinimal(tk.e, 'manifest.token_key');
    if (hex(e) !== '010001') throw new Fault('manifest.token_key: token_key.e must be 65537');
    var bits = n.length * 8 - Math.clz32(n[0]) + 24;
    if (bits < 2048 || bits > 4096 || (n[n.length - 1] & 1) === 0) throw new Fault('manifest.token_key: token_key.n must be an odd number of 2048 to 4096 bits');
    return {n: tk.n, e: tk.e, length: n.length};
  }
  function bytesMinimal(v, field) {
    var b;
    try { b = b64u(v); } catch (e) { throw new Fault(field + ': ' + e.detail); }
    if (b.length === 0 || b[0] === 0) throw new Fault(field + ': an integer must be minimal big-endian bytes');
    return b;
  }

  function validateManifest(m) {
    var secrecy = isObject(m) ? m.secrecy : undefined;
    var required = MANIFEST_MEMBERS.concat(secrecy === 'secret' ? ['token_key'] : []);
    members(m, 'manifest', required, ['scrutineers', 'cosign_threshold', 'paper']);
    if (m.protocol !== 'yishi-ballot/1') throw new Fault('manifest.protocol: must be \'yishi-ballot/1\', not ' + what(m.protocol));
    ident(m.poll, 'manifest.poll');
    text(m.title, 'manifest.title');
    var kind = oneOf(m.ballot, 'manifest.ballot', ['approval', 'satisfaction']);
    oneOf(m.secrecy, 'manifest.secrecy', ['secret', 'named', 'code']);
    if (!Array.isArray(m.options) || !m.options.length) throw new Fault('manifest.options: must be a non-empty array, not ' + what(m.options));
    var seen = {};
    m.options.forEach(function (o, k) {
      var f = 'manifest.options[' + k + ']';
      members(o, f, ['id', 'title']);
      if (typeof o.id !== 'string' || !OPTION_RE.test(o.id)) throw new Fault(f + '.id: must be 1-32 characters of A-Z a-z 0-9 . _ - starting with a letter or digit, not ' + what(o.id));
      if (seen[o.id]) throw new Fault(f + '.id: duplicate option id');
      seen[o.id] = true;
      text(o.title, f + '.title');
    });
    var count = m.options.length;
    if (kind === 'approval') {
      var r = members(m.rules, 'manifest.rules', ['threshold'], ['max_yes', 'seats']);
      var t = members(r.threshold, 'manifest.rules.threshold', ['base', 'more_than']);
      oneOf(t.base, 'manifest.rules.threshold.base', BASES);
      oneOf(t.more_than, 'manifest.rules.threshold.more_than', ['1/2', '2/3']);
      if (has(r, 'max_yes')) integer(r.max_yes, 'manifest.rules.max_yes', 0, count);
      if (has(r, 'seats')) integer(r.seats, 'manifest.rules.seats', 1, count);
    } else {
      var s = members(m.rules, 'manifest.rules', ['grade_base'], ['rectify_below']);
      oneOf(s.grade_base, 'manifest.rules.grade_base', BASES);
      if (has(s, 'rectify_below')) {
        var v = s.rectify_below;
        if (typeof v !== 'string' || v.length > 20 || !FRACTION_RE.test(v) || fraction(v)[0] > fraction(v)[1]) throw new Fault('manifest.rules.rectify_below: must be a fraction a/b with 1 <= a <= b, not ' + what(v));
      }
    }
    integer(m.electorate, 'manifest.electorate', 1);
    var signingKey = edKey(m.signing_key, 'manifest.signing_key');
    if (has(m, 'scrutineers')) {
      if (!Array.isArray(m.scrutineers) || m.scrutineers.length < 1 || m.scrutineers.length > 9) throw new Fault('manifest.scrutineers: must be an array of 1 to 9 entries, not ' + what(m.scrutineers));
      var keys = {};
      m.scrutineers.forEach(function (e, k) {
        var f = 'manifest.scrutineers[' + k + ']';
        members(e, f, ['name', 'key']);
        text(e.name, f + '.name');
        var key = hex(edKey(e.key, f + '.key'));
        if (key === hex(signingKey)) throw new Fault(f + '.key: must not be the poll\'s signing_key');
        if (keys[key]) throw new Fault(f + '.key: is the key of another scrutineer');
        keys[key] = true;
      });
      if (!has(m, 'cosign_threshold')) throw new Fault('manifest: member \'cosign_threshold\' is missing (the manifest has scrutineers)');
      integer(m.cosign_threshold, 'manifest.cosign_threshold', 1, m.scrutineers.length);
    } else if (has(m, 'cosign_threshold')) {
      throw new Fault('manifest.cosign_threshold: only a manifest with scrutineers has it');
    }
    if (has(m, 'paper')) {
      if (m.paper !== true) throw new Fault('manifest.paper: must be true when present, not ' + what(m.paper));
      if (m.secrecy !== 'secret' && m.secrecy !== 'named') throw new Fault('manifest.paper: only secret and named polls may have paper ballots');
      if (!m.scrutineers || m.scrutineers.length < 2) throw new Fault('manifest.paper: paper ballots need at least two scrutineers to enter them');
    }
    if (m.secrecy === 'secret') rsaNumbers(m.token_key);
    time(m.opened_at, 'manifest.opened_at');
  }

  function validateChoices(m, choices, field) {
    field = field || 'ballot.choices';
    if (!isObject(choices)) throw new Fault(field + ': must be an object, not ' + what(choices));
    var allowed = CHOICE_VALUES[m.ballot];
    m.options.forEach(function (o) {
      if (!has(choices, o.id)) throw new Fault(field + '.' + o.id + ': is missing: every option needs a choice');
      if (allowed.indexOf(choices[o.id]) < 0) throw new Fault(field + '.' + o.id + ': must be one of ' + allowed.join(', ') + ', not ' + what(choices[o.id]));
    });
    var ids = m.options.map(function (o) { return o.id; });
    Object.keys(choices).forEach(function (k) { if (ids.indexOf(k) < 0) throw new Fault(field + '.' + k + ': is not an option of this poll'); });
    var limit = m.ballot === 'approval' ? m.rules.max_yes : undefined;
    if (limit !== undefined) {
      var yes = ids.filter(function (id) { return choices[id] === 'yes'; }).length;
      if (yes > limit) throw new Fault(field + ': ' + yes + ' options marked yes, at most ' + limit + ' allowed');
    }
  }

  var BALLOT_MEMBERS = {
    secret: ['poll', 'manifest', 'token', 'token_sig', 'choices'],
    named: ['poll', 'manifest', 'voter', 'choices'],
    code: ['poll', 'manifest', 'code_hash', 'choices']
  };

  function ballotShape(m, b, sigLength) {
    members(b, 'ballot', BALLOT_MEMBERS[m.secrecy]);
    ident(b.poll, 'ballot.poll');
    hashHex(b.manifest, 'ballot.manifest');
    if (!isObject(b.choices)) throw new Fault('ballot.choices: must be an object, not ' + what(b.choices));
    Object.keys(b.choices).forEach(function (k) {
      if (typeof b.choices[k] !== 'string') throw new Fault('ballot.choices.' + k + ': must be a string, not ' + what(b.choices[k]));
    });
    if (m.secrecy === 'secret') return {key: bytesOf(b.token, 'ballot.token', TOKEN_LENGTH), sig: bytesOf(b.token_sig, 'ballot.token_sig', sigLength)};
    if (m.secrecy === 'named') return {key: ident(b.voter, 'ballot.voter')};
    return {key: hashHex(b.code_hash, 'ballot.code_hash')};
  }

  var REGISTER_MEMBERS = {secret: ['voter', 'name', 'present', 'token_issued'], named: ['voter', 'name', 'present']};
  function registerEntry(secrecy, e, field) {
    members(e, field, REGISTER_MEMBERS[secrecy], ['paper']);
    ident(e.voter, field + '.voter');
    text(e.name, field + '.name');
    var present = bool(e.present, field + '.present');
    var issued = secrecy === 'secret' ? bool(e.token_issued, field + '.token_issued') : false;
    if (issued && !present) throw new Fault(field + ': token_issued is true but present is false');
    if (has(e, 'paper')) {
      if (e.paper !== true) throw new Fault(field + '.paper: must be true when present, not ' + what(e.paper));
      if (!present) throw new Fault(field + ': paper is true but present is false');
      if (issued) throw new Fault(field + ': voted on paper but token_issued is true');
    }
  }

  function validateClosing(c, secrecy) {
    var listing = secrecy === 'code' ? 'codes' : 'register';
    members(c, 'closing', ['poll', 'manifest', 'size', 'root', 'closed_at', listing, 'result'], ['paper']);
    ident(c.poll, 'closing.poll');
    hashHex(c.manifest, 'closing.manifest');
    integer(c.size, 'closing.size');
    hashHex(c.root, 'closing.root');
    time(c.closed_at, 'closing.closed_at');
    hashHex(c[listing], 'closing.' + listing);
    hashHex(c.result, 'closing.result');
    if (has(c, 'paper')) hashHex(c.paper, 'closing.paper');
    return c;
  }

  function validateReceipt(r, field) {
    members(r, field, ['poll', 'index', 'leaf_hash', 'tree_head', 'tree_head_sig', 'inclusion']);
    ident(r.poll, field + '.poll');
    integer(r.index, field + '.index');
    hashHex(r.leaf_hash, field + '.leaf_hash');
    var t = members(r.tree_head, field + '.tree_head', ['poll', 'size', 'root', 'timestamp']);
    ident(t.poll, field + '.tree_head.poll');
    integer(t.size, field + '.tree_head.size');
    hashHex(t.root, field + '.tree_head.root');
    time(t.timestamp, field + '.tree_head.timestamp');
    if (t.poll !== r.poll) throw new Fault(field + '.tree_head.poll: differs from the receipt\'s poll');
    if (r.index >= t.size) throw new Fault(field + '.index: must be below tree_head.size');
    bytesOf(r.tree_head_sig, field + '.tree_head_sig', 64);
    if (!Array.isArray(r.inclusion)) throw new Fault(field + '.inclusion: must be an array, not ' + what(r.inclusion));
    r.inclusion.forEach(function (node, k) { hashHex(node, field + '.inclusion[' + k + ']'); });
    return r;
  }

  // --- the count -----------------------------------------------------------------------

  function tally(m, counts, cast, present, paper) {
    var ids = m.options.map(function (o) { return o.id; });
    var base = {electorate: m.electorate, present: present, cast: cast}[m.ballot === 'approval' ? m.rules.threshold.base : m.rules.grade_base];
    var head = {cast: cast, present: present, base: base};
    if (paper) { head.paper = paper[0]; head.spoiled = paper[1]; }
    if (m.ballot === 'approval') {
      var f = fraction(m.rules.threshold.more_than);
      var passing = ids.filter(function (id) { return BigInt(counts[id].yes) * f[1] > f[0] * BigInt(base); });
      var ranked = passing.slice().sort(function (a, b) { return counts[b].yes - counts[a].yes || ids.indexOf(a) - ids.indexOf(b); });
      var seats = m.rules.seats, elected, tied = [];
      if (seats === undefined || ranked.length <= seats) elected = ranked;
      else {
        var last = counts[ranked[seats - 1]].yes;
        if (last === counts[ranked[seats]].yes) {
          elected = ranked.filter(function (id) { return counts[id].yes > last; });
          tied = passing.filter(function (id) { return counts[id].yes === last; });
        } else elected = ranked.slice(0, seats);
      }
      head.options = ids.map(function (id) {
        return {id: id, yes: counts[id].yes, no: counts[id].no, abstain: counts[id].abstain,
          passed: passing.indexOf(id) >= 0, elected: elected.indexOf(id) >= 0, tied: tied.indexOf(id) >= 0};
      });
      head.elected = elected;
      head.tied = tied;
      return head;
    }
    var below = m.rules.rectify_below !== undefined ? fraction(m.rules.rectify_below) : null;
    head.options = ids.map(function (id) {
      var c = counts[id], valid = c.satisfied + c.basic + c.dissatisfied, rate = '0/0', grade = null, rectify = false;
      if (valid > 0) {
        var a = c.satisfied + c.basic, g = gcd(a, valid);
        rate = (a / g) + '/' + (valid / g);
        grade = c.satisfied * 2 > base ? 'satisfied' : (a * 2 > base ? 'basic' : 'dissatisfied');
        rectify = below !== null && BigInt(a) * below[1] < below[0] * BigInt(valid);
      }
      return {id: id, satisfied: c.satisfied, basic: c.basic, dissatisfied: c.dissatisfied, abstain: c.abstain, rate: rate, grade: grade, rectify: rectify};
    });
    return head;
  }
  function gcd(a, b) { while (b) { var t = a % b; a = b; b = t; } return a || 1; }

  function differences(expected, actual, path) {
    if (isObject(expected)) {
      if (!isObject(actual)) return [path + ': board has ' + what(actual) + ', recount gives an object'];
      var out = [];
      Object.keys(expected).forEach(function (k) {
        if (!has(actual, k)) out.push(path + '.' + k + ': missing (recount gives ' + what(expected[k]) + ')');
        else out = out.concat(differences(expected[k], actual[k], path + '.' + k));
      });
      Object.keys(actual).forEach(function (k) { if (!has(expected, k)) out.push(path + '.' + k + ': unknown member'); });
      return out;
    }
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual)) return [path + ': board has ' + what(actual) + ', recount gives an array'];
      if (expected.length !== actual.length || !expected.every(isObject)) {
        return canonicalOrNull(expected) === canonicalOrNull(actual) && actual.every(function (v) { return typeof v === 'string'; })
          ? [] : [path + ': board says ' + what(actual) + ', recount gives ' + what(expected)];
      }
      var all = [];
      expected.forEach(function (e, k) { all = all.concat(differences(e, actual[k], path + '[' + k + ']')); });
      return all;
    }
    if (typeof expected === typeof actual && expected === actual) return [];
    return [path + ': board says ' + what(actual) + ', recount gives ' + what(expected)];
  }

  // --- the checks -------------------------------------------------------------------------

  function Check(number) { this.number = number; this.name = CHECK_NAMES[number]; this.summary = ''; this.note = ''; this.faults = []; }
  Check.prototype.fail = function (detail) { this.faults.push(detail); };
  Check.prototype.lines = function () {
    if (!this.faults.length) return ['ok ' + this.number + ' ' + this.name + this.summary];
    var n = this.faults.length;
    var head = 'FAIL ' + this.number + ' ' + this.name + ': ' + n + ' problem' + (n > 1 ? 's' : '') + (this.note ? '; ' + this.note : '');
    var out = [head].concat(this.faults.slice(0, MAX_DETAILS).map(function (f) { return '    ' + f; }));
    if (n > MAX_DETAILS) out.push('    … and ' + (n - MAX_DETAILS) + ' more');
    return out;
  };

  function faultText(e) { if (e instanceof Fault) return e.detail; throw e; }
  function ballotDetail(d) { return d.replace(/^ballot: /, '').replace(/^ballot\./, ''); }

  async function verifyBoard(board, opts) {
    opts = opts || {};
    var progress = opts.onProgress || function () {};
    var checks = {};
    for (var n = 1; n <= 8; n++) checks[n] = new Check(n);
    var isBoard = isObject(board);
    var B = isBoard ? board : {};
    var manifest = null, manifestHash = null, signingKey = null, fp = null;
    // 1 -------------------------------------------------------------------------------
    var c1 = checks[1];
    if (!isBoard) c1.fail('board: must be a JSON object');
    if (!has(B, 'manifest')) c1.fail('manifest: missing');
    else { try { validateManifest(B.manifest); manifest = B.manifest; } catch (e) { c1.fail(faultText(e)); } }
    if (isObject(B.manifest)) {
      try { var sk = b64u(B.manifest.signing_key); if (sk.length === 32) { signingKey = sk; fp = await fingerprint(sk); } } catch (e) { /* reported above */ }
    }
    var manifestText = has(B, 'manifest') ? canonicalOrNull(B.manifest) : null;
    if (has(B, 'manifest') && manifestText === null) c1.fail('manifest: not I-JSON, so it has no canonical form');
    if (manifestText !== null) manifestHash = await sha256Hex(manifestText);
    if (!has(B, 'manifest_sig')) c1.fail('manifest_sig: missing');
    else if (!signingKey || manifestText === null) c1.fail('manifest_sig: cannot be checked without a valid manifest.signing_key');
    else if (!(await edVerify(signingKey, CONTEXT.manifest, manifestText, B.manifest_sig))) c1.fail('manifest_sig: does not verify under manifest.signing_key');
    var expected = opts.fingerprint;
    if (expected) {
      if (!FINGERPRINT_RE.test(expected)) c1.fail('--fingerprint: \'' + expected + '\' is not 16 hex digits');
      else if (fp !== expected.toLowerCase()) c1.fail('fingerprint ' + (fp || 'unknown') + ' is not the expected ' + expected.toLowerCase());
    }
    c1.summary = ': well-formed, signature holds, fingerprint ' + (fp || 'unknown') + (expected ? ' as expected' : '');
    c1.note = 'fingerprint ' + (fp || 'unknown');
    var prints = [];
    if (manifest && manifest.scrutineers) {
      for (var s = 0; s < manifest.scrutineers.length; s++) prints.push(await fingerprint(b64u(manifest.scrutineers[s].key)));
      c1.summary += ', scrutineers ' + prints.join(', ') + ' (' + manifest.cosign_threshold + ' needed)';
    }
    if (opts.scrutineers && opts.scrutineers.length) {
      var bad = opts.scrutineers.filter(function (v) { return !FINGERPRINT_RE.test(v); });
      bad.forEach(function (v) { c1.fail('--scrutineer: \'' + v + '\' is not 16 hex digits'); });
      if (!bad.length && manifest) {
        var wanted = {};
        opts.scrutineers.forEach(function (v) { wanted[v.toLowerCase()] = true; });
        Object.keys(wanted).sort().forEach(function (v) { if (prints.indexOf(v) < 0) c1.fail('scrutineer ' + v + ' is expected but not in the manifest (a key was replaced or left out)'); });
        prints.forEach(function (v) { if (!wanted[v]) c1.fail('scrutineer ' + v + ' is in the manifest but was not expected'); });
        if (!c1.faults.length) c1.summary += ' as expected';
      }
    }
    progress(0.05);

    // 2 and 3 ----------------------------------------------------------------------------
    var c2 = checks[2], c3 = checks[3];
    var ballots = null, leaves = [], counts = null, counted = 0, invalid = [], electronic = {}, firstUse = {};
    if (!has(B, 'ballots')) c2.fail('ballots: missing');
    else if (!Array.isArray(B.ballots)) c2.fail('ballots: must be an array, not ' + what(B.ballots));
    else ballots = B.ballots;
    var register = Array.isArray(B.register) ? B.register : null;
    var registerMap = {};
    (register || []).forEach(function (e) { if (isObject(e) && typeof e.voter === 'string') registerMap[e.voter] = e; });
    var names = {secret: 'token', named: 'voter', code: 'code hash'};
    if (ballots) {
      var texts = [];
      for (var b = 0; b < ballots.length; b++) texts.push(canonicalOrNull(ballots[b]));
      leaves = await Promise.all(texts.map(function (t) { return t === null ? null : leafHash(utf8(t)); }));
    }
    progress(0.2);
    if (ballots && manifest) {
      var faults = [];
      counts = {};
      manifest.options.forEach(function (o) { counts[o.id] = {}; CHOICE_VALUES[manifest.ballot].forEach(function (v) { counts[o.id][v] = 0; }); });
      var codeSet = null;
      if (manifest.secrecy === 'named' && !register) c2.fail('voters not checked: the register is missing or not an array (check 4)');
      if (manifest.secrecy === 'code') {
        if (Array.isArray(B.codes)) { codeSet = {}; B.codes.forEach(function (h) { if (typeof h === 'string') codeSet[h] = true; }); }
        else c2.fail('code hashes not checked: codes is missing or not an array (check 4)');
      }
      var sigLength = manifest.secrecy === 'secret' ? rsaNumbers(manifest.token_key).length : 0;
      var tokens = [];
      ballots.forEach(function (ballot, i) {
        var cred = null;
        try { cred = ballotShape(manifest, ballot, sigLength); } catch (e) { faults.push([i, 'ballot ' + i + ': ' + ballotDetail(faultText(e))]); }
        if (cred) {
          if (ballot.poll !== manifest.poll) faults.push([i, 'ballot ' + i + ': poll is ' + what(ballot.poll) + ', not this poll']);
          else if (ballot.manifest !== manifestHash) faults.push([i, 'ballot ' + i + ': manifest is not this poll\'s manifest hash']);
        }
        var choices = isObject(ballot) ? ballot.choices : undefined;
        try {
          validateChoices(manifest, choices);
          if (counts) { Object.keys(choices).forEach(function (k) { counts[k][choices[k]]++; }); counted++; }
        } catch (e) {
          var d = faultText(e);
          counts = null; invalid.push(i);
          if (cred) faults.push([i, 'ballot ' + i + ': ' + ballotDetail(d)]);
        }
        if (!cred) return;
        var key = manifest.secrecy === 'secret' ? hex(cred.key) : cred.key;
        if (manifest.secrecy === 'secret') tokens.push([i, cred.key, cred.sig]);
        else if (manifest.secrecy === 'named' && register) {
          var entry = registerMap[key];
          if (!entry) faults.push([i, 'ballot ' + i + ': voter \'' + key + '\' is not in the register']);
          else if (entry.present !== true) faults.push([i, 'ballot ' + i + ': voter \'' + key + '\' is not marked present']);
        } else if (manifest.secrecy === 'code' && codeSet && !codeSet[key]) faults.push([i, 'ballot ' + i + ': code_hash is not in codes']);
        if (has(firstUse, key)) c3.fail('ballot ' + i + ': same ' + names[manifest.secrecy] + (manifest.secrecy === 'named' ? ' \'' + key + '\'' : '') + ' as ballot ' + firstUse[key]);
        else firstUse[key] = i;
      });
      if (manifest.secrecy === 'named') electronic = firstUse;
      if (tokens.length) {
        var rsa = await subtle.importKey('jwk', {kty: 'RSA', n: manifest.token_key.n, e: manifest.token_key.e, alg: 'PS384', ext: true},
          {name: 'RSA-PSS', hash: 'SHA-384'}, false, ['verify']);
        var done = 0, step = Math.max(1, Math.floor(tokens.length / 20));
        var results = await Promise.all(tokens.map(function (t) {
          return subtle.verify({name: 'RSA-PSS', saltLength: 48}, rsa, t[2], t[1]).then(function (ok) {
            done++; if (done % step === 0) progress(0.2 + 0.6 * done / tokens.length);
            return ok;
          });
        }));
        results.forEach(function (ok, k) { if (!ok) faults.push([tokens[k][0], 'ballot ' + tokens[k][0] + ': token_sig does not verify under manifest.token_key']); });
      }
      faults.sort(function (a, b) { return a[0] - b[0]; }).forEach(function (f) { c2.fail(f[1]); });
      c2.summary = ': ' + ballots.length + ' well-formed ballots, ' + {secret: 'every token signature valid', named: 'every voter in the register and present', code: 'every code hash in codes'}[manifest.secrecy];
      c3.summary = ': no ' + names[manifest.secrecy] + ' used twice';
    } else if (!manifest) {
      c2.fail('not checked: the manifest is not valid (check 1)');
      c3.fail('not checked: the manifest is not valid (check 1)');
    } else {
      c3.fail('not checked: ballots is not an array (check 2)');
    }
    // paper (rev 5)
    var paperCount = null, spoiled = null;
    if (manifest && ballots && has(B, 'paper') && manifest.secrecy !== 'code') {
      try {
        var p = members(B.paper, 'paper', ['ballots', 'spoiled']);
        integer(p.spoiled, 'paper.spoiled');
        if (!Array.isArray(p.ballots)) throw new Fault('paper.ballots: must be an array, not ' + what(p.ballots));
        var previous = null, voters = [], choiceList = [];
        p.ballots.forEach(function (entry, k) {
          var f = 'paper.ballots[' + k + ']', ch, key;
          if (manifest.secrecy === 'named') {
            members(entry, f, ['voter', 'choices']);
            key = ident(entry.voter, f + '.voter');
            ch = entry.choices;
            validateChoices(manifest, ch, f + '.choices');
          } else {
            ch = entry;
            validateChoices(manifest, ch, f);
            key = canonical(ch);
          }
          if (previous !== null && compareKeys(key, previous, manifest.secrecy) < 0) throw new Fault(f + ': is out of order');
          previous = key;
          choiceList.push(ch);
          if (manifest.secrecy === 'named') voters.push(key);
        });
        var seenPaper = {};
        voters.forEach(function (v, k) {
          var entry = registerMap[v];
          if (register && (!entry || entry.paper !== true)) c2.fail('paper.ballots[' + k + ']: voter \'' + v + '\' is not in the register with paper');
          if (has(seenPaper, v)) c3.fail('paper.ballots[' + k + ']: voter \'' + v + '\' has a paper ballot already (' + seenPaper[v] + ')');
          else seenPaper[v] = k;
          if (has(electronic, v)) c3.fail('paper.ballots[' + k + ']: voter \'' + v + '\' also has electronic ballot ' + electronic[v]);
        });
        if (manifest.secrecy === 'named') {
          Object.keys(registerMap).forEach(function (v) {
            if (registerMap[v].paper === true && has(electronic, v) && !has(seenPaper, v)) c3.fail('voter \'' + v + '\' is marked paper in the register but has an electronic ballot');
          });
        }
        paperCount = choiceList.length; spoiled = p.spoiled;
        if (counts) { choiceList.forEach(function (ch) { Object.keys(ch).forEach(function (k) { counts[k][ch[k]]++; }); }); counted += choiceList.length; }
        c2.summary += '; ' + paperCount + ' paper ballots, ' + spoiled + ' spoiled';
      } catch (e) { c2.fail(faultText(e)); }
    }
    progress(0.85);

    // 4 --------------------------------------------------------------------------------------
    var c4 = checks[4], present = null;
    if (!manifest) c4.fail('not checked: the manifest is not valid (check 1)');
    else {
      var secrecy = manifest.secrecy, listing = secrecy === 'code' ? 'codes' : 'register', other = secrecy === 'code' ? 'register' : 'codes';
      if (secrecy === 'code') c4.name = 'codes';
      if (has(B, other)) c4.fail(other + ': not allowed in a ' + secrecy + ' poll (a board has ' + listing + ')');
      if (!has(B, listing)) c4.fail(listing + ': missing');
      else if (secrecy === 'code') {
        if (has(B, 'paper')) c4.fail('paper: not allowed in a code poll');
        var codes = B.codes;
        if (!Array.isArray(codes)) c4.fail('codes: must be an array, not ' + what(codes));
        else {
          var prev = null;
          codes.forEach(function (h, k) {
            if (typeof h !== 'string' || !HASH_RE.test(h)) { c4.fail('codes[' + k + ']: must be 64 lowercase hex characters, not ' + what(h)); return; }
            if (prev !== null && !(prev < h)) c4.fail('codes[' + k + ']: not after the one before (codes are strictly ascending)');
            prev = h;
          });
          present = codes.length;
          if (codes.length !== manifest.electorate) c4.fail('codes: ' + codes.length + ' codes, but manifest.electorate is ' + manifest.electorate);
          var cast = ballots ? ballots.length : null;
          if (cast !== null && cast > codes.length) c4.fail(cast + ' ballots is more than ' + codes.length + ' codes');
          c4.summary = ': ' + (cast !== null ? cast : '?') + ' ballots <= ' + codes.length + ' codes = ' + manifest.electorate + ' electorate';
        }
      } else if (!register) c4.fail('register: must be an array, not ' + what(B.register));
      else {
        var previousVoter = null;
        register.forEach(function (e, k) {
          try { registerEntry(secrecy, e, 'register[' + k + ']'); } catch (err) { c4.fail(faultText(err)); }
          var v = isObject(e) ? e.voter : null;
          if (typeof v === 'string') {
            if (previousVoter !== null && !(previousVoter < v)) c4.fail('register[' + k + ']: voter \'' + v + '\' is not after \'' + previousVoter + '\' (the register is strictly ascending)');
            previousVoter = v;
          }
        });
        present = register.filter(function (e) { return isObject(e) && e.present === true; }).length;
        var issued = register.filter(function (e) { return isObject(e) && e.token_issued === true; }).length;
        if (register.length !== manifest.electorate) c4.fail('register: ' + register.length + ' entries, but manifest.electorate is ' + manifest.electorate);
        var chain = [[ballots ? ballots.length : null, 'ballots']];
        if (secrecy === 'secret') chain.push([issued, 'tokens issued']);
        chain.push([present, 'present'], [manifest.electorate, 'electorate']);
        for (var q = 0; q + 1 < chain.length; q++) {
          if (chain[q][0] !== null && chain[q + 1][0] !== null && chain[q][0] > chain[q + 1][0]) c4.fail(chain[q][0] + ' ' + chain[q][1] + ' is more than ' + chain[q + 1][0] + ' ' + chain[q + 1][1]);
        }
        c4.summary = ': ' + chain.filter(function (x) { return x[0] !== null; }).map(function (x) { return x[0] + ' ' + x[1]; }).join(' <= ') + ' = ' + register.length + ' entries';
        var flags = register.filter(function (e) { return isObject(e) && e.paper === true; }).length;
        if (!manifest.paper) {
          if (has(B, 'paper')) c4.fail('paper: not allowed: the manifest does not allow paper ballots');
          if (flags) c4.fail('register: ' + flags + ' entries marked paper, but the manifest does not allow paper ballots');
        } else {
          if (has(B, 'paper') && paperCount !== null) {
            if (paperCount === 0 && spoiled === 0) c4.fail('paper: present but empty (no ballot and none spoiled): it must be left out');
            if (flags !== paperCount + spoiled) c4.fail('register: ' + flags + ' entries marked paper, but paper has ' + paperCount + ' ballots and ' + spoiled + ' spoiled');
          } else if (!has(B, 'paper') && flags) c4.fail('register: ' + flags + ' entries marked paper, but the board has no paper ballots');
          if (secrecy === 'secret' && issued + flags > present) c4.fail(issued + ' tokens issued and ' + flags + ' paper voters are more than ' + present + ' present');
          c4.summary += ', ' + flags + ' voted on paper';
        }
      }
    }

    // 5 ---------------------------------------------------------------------------------------
    var c5 = checks[5], closing = null, closedAt = null;
    Object.keys(B).forEach(function (k) { if (BOARD_MEMBERS.indexOf(k) < 0) c5.fail('board: unknown member \'' + k + '\''); });
    if (!isBoard) c5.fail('board: must be a JSON object');
    if (!manifest) c5.fail('not checked: the manifest is not valid (check 1)');
    else if (!has(B, 'closing')) c5.fail('closing: missing');
    else {
      try { closing = validateClosing(B.closing, manifest.secrecy); } catch (e) { c5.fail(faultText(e)); }
      if (closing) {
        if (closing.poll !== manifest.poll) c5.fail('closing.poll: \'' + closing.poll + '\' is not manifest.poll');
        if (closing.manifest !== manifestHash) c5.fail('closing.manifest: is not the manifest\'s hash');
        if (!ballots) c5.fail('closing.root: not checked: ballots is not an array (check 2)');
        else {
          if (closing.size !== ballots.length) c5.fail('closing.size: ' + closing.size + ', but the board has ' + ballots.length + ' ballots');
          var missing = leaves.indexOf(null);
          if (missing >= 0) c5.fail('closing.root: not checked: ballot ' + missing + ' is not I-JSON');
          else if (hex(await merkleRoot(leaves)) !== closing.root) c5.fail('closing.root: is not the Merkle root of the board\'s ' + ballots.length + ' ballots in order');
        }
        var names5 = [manifest.secrecy === 'code' ? 'codes' : 'register', 'result'];
        for (var z = 0; z < names5.length; z++) {
          var nm = names5[z];
          if (!has(B, nm)) { c5.fail('closing.' + nm + ': not checked: the board has no ' + nm); continue; }
          var t5 = canonicalOrNull(B[nm]);
          if (t5 === null) { c5.fail('closing.' + nm + ': not checked: the board\'s ' + nm + ' is not I-JSON'); continue; }
          if ((await sha256Hex(t5)) !== closing[nm]) c5.fail('closing.' + nm + ': is not the hash of the board\'s ' + nm);
        }
        if (!has(B, 'paper')) { if (has(closing, 'paper')) c5.fail('closing.paper: present, but the board has no paper'); }
        else if (!has(closing, 'paper')) c5.fail('closing.paper: missing (the board has paper)');
        else {
          var tp = canonicalOrNull(B.paper);
          if (tp === null) c5.fail('closing.paper: not checked: the board\'s paper is not I-JSON');
          else if ((await sha256Hex(tp)) !== closing.paper) c5.fail('closing.paper: is not the hash of the board\'s paper');
        }
        if (closing.closed_at < manifest.opened_at) c5.fail('closing.closed_at: is before manifest.opened_at');
        closedAt = closing.closed_at;
        if (!has(B, 'closing_sig')) c5.fail('closing_sig: missing');
        else if (!signingKey || !(await edVerify(signingKey, CONTEXT.closing, canonical(closing), B.closing_sig))) c5.fail('closing_sig: does not verify under manifest.signing_key');
        c5.summary = ': manifest hash, Merkle root and size, register/codes' + (has(closing, 'paper') ? ', paper' : '') + ' and result hashes match; signature holds';
        if (c5.faults.length) closing = null;
      }
    }

    // 6 ----------------------------------------------------------------------------------------
    var c6 = checks[6];
    if (!manifest) c6.fail('not checked: the manifest is not valid (check 1)');
    else if (!ballots) c6.fail('not checked: ballots is not an array (check 2)');
    else if (!counts) c6.fail('not checked: ballot ' + invalid.slice(0, 5).join(', ') + (invalid.length > 5 ? ' …' : '') + ' cannot be counted (check 2)');
    else if (present === null) c6.fail('not checked: no valid ' + (manifest.secrecy === 'code' ? 'codes' : 'register') + ' to count those present (check 4)');
    else if (!has(B, 'result')) c6.fail('result: missing');
    else if (has(B, 'paper') && paperCount === null) c6.fail('not checked: paper is not valid (check 2)');
    else {
      var recount = tally(manifest, counts, counted, present, has(B, 'paper') ? [paperCount, spoiled] : null);
      differences(recount, B.result, 'result').forEach(function (d) { c6.fail(d); });
      c6.summary = ': the recount of ' + recount.cast + ' ballots matches';
    }

    // 7 -------------------------------------------------------------------------------------------
    var c7 = checks[7], receipts = opts.receipts || [], files = opts.ballots || [];
    if (!receipts.length && !files.length) c7.summary = ' (none given)';
    else if (!manifest || !signingKey) c7.fail('not checked: the manifest is not valid (check 1)');
    else {
      var heads = [];
      for (var r = 0; r < receipts.length; r++) {
        var name = receipts[r][0], rec = receipts[r][1];
        try { validateReceipt(rec, name); } catch (e) { c7.fail(faultText(e)); continue; }
        var head = rec.tree_head, okr = true;
        if (rec.poll !== manifest.poll) { c7.fail(name + ': poll \'' + rec.poll + '\' is not this board\'s poll'); okr = false; }
        if (!(await edVerify(signingKey, CONTEXT.treeHead, canonical(head), rec.tree_head_sig))) { c7.fail(name + ': tree_head_sig does not verify under the poll\'s key'); okr = false; }
        if (head.timestamp < manifest.opened_at) c7.fail(name + ': tree_head.timestamp is before manifest.opened_at');
        if (closedAt === null) c7.fail(name + ': time not checked: the closing is not valid (check 5)');
        else if (head.timestamp > closedAt) c7.fail(name + ': tree_head.timestamp is after closing.closed_at');
        heads.push([head.size, head.timestamp, name]);
        var proofOk = await verifyInclusion(fromHex(rec.leaf_hash), rec.index, head.size, rec.inclusion.map(fromHex), fromHex(head.root));
        if (!proofOk) { c7.fail(name + ': inclusion proof does not show leaf ' + rec.index + ' in the tree of size ' + head.size); okr = false; }
        if (!ballots) { c7.fail(name + ': not checked against the board: no ballots array'); continue; }
        if (head.size > leaves.length) { c7.fail(name + ': tree_head.size ' + head.size + ' is larger than the board\'s ' + leaves.length + ' ballots'); continue; }
        if (!okr) continue;
        var firstMissing = leaves.indexOf(null);
        if (firstMissing >= 0 && firstMissing < head.size) { c7.fail(name + ': not checked: ballot ' + firstMissing + ' is not I-JSON'); continue; }
        var leaf = leaves[rec.index];
        if (!leaf || hex(leaf) !== rec.leaf_hash) c7.fail(name + ': ballot ' + rec.index + ' on the board does not have the receipt\'s leaf_hash (changed or replaced)');
        if (hex(await merkleRoot(leaves, 0, head.size)) !== head.root) c7.fail(name + ': the board\'s first ' + head.size + ' ballots do not have the receipt\'s root');
      }
      heads.sort(function (a, b) { return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0); });
      var latest = null, pending = [], current = null;
      heads.forEach(function (h) {
        if (h[0] !== current) {
          pending.concat(latest ? [latest] : []).forEach(function (x) { if (!latest || x[0] > latest[0]) latest = x; });
          pending = []; current = h[0];
        }
        if (latest && h[1] < latest[0]) c7.fail(h[2] + ': tree head of size ' + h[0] + ' is timestamped before the smaller head in ' + latest[1]);
        pending.push([h[1], h[2]]);
      });
      for (var f = 0; f < files.length; f++) {
        if (f >= receipts.length) { c7.fail(files[f][0] + ': no matching --receipt'); continue; }
        var ft = canonicalOrNull(files[f][1]);
        if (ft === null) { c7.fail(files[f][0] + ': not I-JSON, so it has no leaf hash'); continue; }
        var claimed = isObject(receipts[f][1]) ? receipts[f][1].leaf_hash : null;
        if (hex(await leafHash(utf8(ft))) !== claimed) c7.fail(files[f][0] + ': its leaf hash is not the leaf_hash of ' + receipts[f][0]);
      }
      c7.summary = ': ' + receipts.length + ' ' + (receipts.length === 1 ? 'receipt holds' : 'receipts hold') + ' on the final board' + (files.length ? ', ' + files.length + ' ballot file(s) match' : '');
    }

    // 8 (rev 5) ------------------------------------------------------------------------------------
    var c8 = checks[8];
    if (!manifest) c8.fail('not checked: the manifest is not valid (check 1)');
    else if (!manifest.scrutineers) {
      if (has(B, 'cosignatures')) c8.fail('cosignatures: present, but the manifest has no scrutineers');
      else c8.summary = ' (no scrutineers)';
    } else if (!has(B, 'cosignatures')) c8.fail('cosignatures: missing (the manifest has scrutineers)');
    else if (!Array.isArray(B.cosignatures)) c8.fail('cosignatures: must be an array, not ' + what(B.cosignatures));
    else {
      var keys = manifest.scrutineers.map(function (e) { return hex(b64u(e.key)); });
      var signed = {}, last = -1;
      for (var k = 0; k < B.cosignatures.length; k++) {
        var entry8 = B.cosignatures[k], field = 'cosignatures[' + k + ']', key8;
        try { members(entry8, field, ['key', 'sig']); key8 = bytesOf(entry8.key, field + '.key', 32); bytesOf(entry8.sig, field + '.sig', 64); }
        catch (e) { c8.fail(faultText(e)); continue; }
        var where = keys.indexOf(hex(key8));
        if (where < 0) { c8.fail(field + ': key ' + (await fingerprint(key8)) + ' is not one of the manifest\'s scrutineers'); continue; }
        if (signed[where]) { c8.fail(field + ': scrutineer \'' + manifest.scrutineers[where].name + '\' has signed already'); continue; }
        if (where < last) c8.fail(field + ': out of order (cosignatures follow the manifest\'s order of scrutineers)');
        last = Math.max(last, where);
        if (!closing) { c8.fail(field + ': not checked: the closing is not valid (check 5)'); continue; }
        if (!(await edVerify(key8, CONTEXT.cosign, canonical(closing), entry8.sig))) { c8.fail(field + ': the signature of \'' + manifest.scrutineers[where].name + '\' does not verify over the closing'); continue; }
        signed[where] = true;
      }
      var count8 = Object.keys(signed).length, need = manifest.cosign_threshold, total = keys.length;
      if (!c8.faults.length) {
        if (count8 < need) {
          c8.note = 'not attested yet (too few signatures), which is not the same as forged';
          for (var w = 0; w < total; w++) {
            if (!signed[w]) c8.fail(manifest.scrutineers[w].name + ' (' + prints[w] + ') has not signed: ' + count8 + ' of ' + total + ' signed, ' + need + ' needed');
          }
        } else c8.summary = ' (' + count8 + ' of ' + total + ' scrutineers, ' + need + ' needed)';
      }
    }
    progress(1);
    var list = [1, 2, 3, 4, 5, 6, 7, 8].map(function (x) { return checks[x]; });
    var lines = [];
    list.forEach(function (c) { lines = lines.concat(c.lines()); });
    return {lines: lines, ok: list.every(function (c) { return !c.faults.length; }), checks: list, board: isBoard ? board : null,
      manifest: manifest, manifestHash: manifestHash, closing: closing, counts: counts};
  }

  function compareKeys(a, b, secrecy) {
    if (secrecy === 'named') return a < b ? -1 : a > b ? 1 : 0;
    var x = utf8(a), y = utf8(b), n = Math.min(x.length, y.length);
    for (var k = 0; k < n; k++) if (x[k] !== y[k]) return x[k] - y[k];
    return x.length - y.length;
  }

  // Read a board, receipts and ballot files given as text, as the command line does:
  // a file that is not JSON is "unreadable" (no status lines).
  async function verify(textOfBoard, opts) {
    opts = opts || {};
    function read(name, t) {
      try { return parse(String(t).replace(/^\ufeff/, '')); } catch (e) { throw new Error('unreadable: ' + name + ': ' + e.message); }
    }
    var board;
    try {
      board = read(opts.boardName || 'board', textOfBoard);
      var receipts = (opts.receipts || []).map(function (r) { return [r[0], read(r[0], r[1])]; });
      var files = (opts.ballots || []).map(function (b) { return [b[0], read(b[0], b[1])]; });
    } catch (e) {
      return {lines: [e.message], ok: false, unreadable: true, checks: []};
    }
    return verifyBoard(board, {fingerprint: opts.fingerprint, scrutineers: opts.scrutineers, receipts: receipts, ballots: files, onProgress: opts.onProgress});
  }

  global.YishiBoardCheck = {verify: verify, verifyBoard: verifyBoard, parse: parse, canonical: canonical, fingerprint: fingerprint,
    keyProblem: keyProblem, sha256Hex: sha256Hex, b64u: b64u, b64uEncode: b64uEncode, edVerify: edVerify, CONTEXT: CONTEXT};
})(typeof self !== 'undefined' ? self : this);
