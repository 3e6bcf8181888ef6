/*
 * blindrsa.js: client side of RFC 9474 RSABSSA-SHA384-PSS-Randomized
 * (protocol yishi-ballot/1, "Primitives" and "Ballot").
 *
 * A small, dependency-free implementation using BigInt and WebCrypto
 * (crypto.subtle for SHA-384 and for the final RSA-PSS verification,
 * crypto.getRandomValues for randomness). No private-key operation ever runs
 * here: the client only computes r^e mod n, r^-1 mod n and z * r^-1 mod n.
 *
 * Exposes window.YishiBlindRSA:
 *   prepare(msgBytes) -> Uint8Array                       (32 random bytes || msg)
 *   blind(nB64u, eB64u, prepared, opts?) -> Promise<{blindedMsg: Uint8Array, inv: Uint8Array}>
 *       opts (test hook): {salt: Uint8Array(48), r: Uint8Array | BigInt | b64url string}
 *   finalize(nB64u, eB64u, prepared, blindSig, inv) -> Promise<Uint8Array>
 *       blindSig: Uint8Array or b64url string; inv: Uint8Array or b64url string.
 *       Rejects (Error) unless the result verifies as RSA-PSS SHA-384, salt 48.
 *   verify(nB64u, eB64u, prepared, sig) -> Promise<boolean>
 *   emsaPssEncode(msg, emBits, salt) -> Promise<Uint8Array>
 *   b64u.encode(bytes) -> string, b64u.decode(string) -> Uint8Array (no padding, strict)
 *   hex.encode(bytes) -> string, hex.decode(string) -> Uint8Array
 *
 * The blinding state {blindedMsg, inv} is JSON-serialisable via b64u.encode.
 */
(function (global) {
  'use strict';

  var HASH = 'SHA-384';
  var H_LEN = 48;
  var S_LEN = 48;
  var PREFIX_LEN = 32;
  var MIN_BITS = 2048;
  var MAX_BITS = 4096;

  function subtle() {
    var c = global.crypto;
    if (!c || !c.subtle) {
      throw new Error('WebCrypto is not available (a secure context, https or localhost, is required)');
    }
    return c.subtle;
  }

  function randomBytes(len) {
    var out = new Uint8Array(len);
    var chunk = 65536;
    for (var i = 0; i < len; i += chunk) {
      global.crypto.getRandomValues(out.subarray(i, Math.min(len, i + chunk)));
    }
    return out;
  }

  function toBytes(x, what) {
    if (x instanceof Uint8Array) return x;
    if (x instanceof ArrayBuffer) return new Uint8Array(x);
    if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    if (Array.isArray(x)) return Uint8Array.from(x);
    throw new TypeError((what || 'value') + ' must be bytes (Uint8Array)');
  }

  function concat() {
    var total = 0, i;
    for (i = 0; i < arguments.length; i++) total += arguments[i].length;
    var out = new Uint8Array(total), off = 0;
    for (i = 0; i < arguments.length; i++) {
      out.set(arguments[i], off);
      off += arguments[i].length;
    }
    return out;
  }

  /* ---------- base64url (RFC 4648 section 5, no padding, canonical) ---------- */

  var B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  var B64U_REV = (function () {
    var t = {};
    for (var i = 0; i < B64U.length; i++) t[B64U.charAt(i)] = i;
    return t;
  })();

  function b64uEncode(bytes) {
    bytes = toBytes(bytes, 'b64u.encode input');
    var out = '', i = 0, n = bytes.length;
    for (; i + 2 < n; i += 3) {
      var v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      out += B64U[(v >> 18) & 63] + B64U[(v >> 12) & 63] + B64U[(v >> 6) & 63] + B64U[v & 63];
    }
    if (n - i === 1) {
      var a = bytes[i] << 16;
      out += B64U[(a >> 18) & 63] + B64U[(a >> 12) & 63];
    } else if (n - i === 2) {
      var b = (bytes[i] << 16) | (bytes[i + 1] << 8);
      out += B64U[(b >> 18) & 63] + B64U[(b >> 12) & 63] + B64U[(b >> 6) & 63];
    }
    return out;
  }

  function b64uDecode(str) {
    if (typeof str !== 'string') throw new TypeError('b64u.decode input must be a string');
    var len = str.length;
    if (len % 4 === 1) throw new Error('invalid base64url length');
    var vals = new Array(len);
    for (var k = 0; k < len; k++) {
      var v = B64U_REV[str.charAt(k)];
      if (v === undefined) throw new Error('invalid base64url character');
      vals[k] = v;
    }
    var outLen = Math.floor(len * 3 / 4);
    var out = new Uint8Array(outLen), o = 0, i = 0;
    for (; i + 3 < len; i += 4) {
      var w = (vals[i] << 18) | (vals[i + 1] << 12) | (vals[i + 2] << 6) | vals[i + 3];
      out[o++] = (w >> 16) & 255; out[o++] = (w >> 8) & 255; out[o++] = w & 255;
    }
    var rest = len - i;
    if (rest === 2) {
      if (vals[i + 1] & 15) throw new Error('non-canonical base64url');
      out[o++] = ((vals[i] << 2) | (vals[i + 1] >> 4)) & 255;
    } else if (rest === 3) {
      if (vals[i + 2] & 3) throw new Error('non-canonical base64url');
      var x = (vals[i] << 18) | (vals[i + 1] << 12) | (vals[i + 2] << 6);
      out[o++] = (x >> 16) & 255; out[o++] = (x >> 8) & 255;
    }
    return out;
  }

  function hexEncode(bytes) {
    bytes = toBytes(bytes, 'hex.encode input');
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return s;
  }

  function hexDecode(str) {
    if (typeof str !== 'string' || str.length % 2 || /[^0-9a-fA-F]/.test(str)) {
      throw new Error('invalid hex');
    }
    var out = new Uint8Array(str.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(str.substr(2 * i, 2), 16);
    return out;
  }

  function bytesOrB64u(x, what) {
    return typeof x === 'string' ? b64uDecode(x) : toBytes(x, what);
  }

  /* ---------- big integers ---------- */

  function os2ip(bytes) {
    var h = hexEncode(bytes);
    return h.length ? BigInt('0x' + h) : 0n;
  }

  function i2osp(x, len) {
    if (x < 0n) throw new Error('integer out of range');
    var h = x.toString(16);
    if (h.length > 2 * len) throw new Error('integer too large');
    while (h.length < 2 * len) h = '0' + h;
    return hexDecode(h);
  }

  function bitLength(x) {
    return x === 0n ? 0 : x.toString(2).length;
  }

  /* square-and-multiply, right to left */
  function modPow(base, exp, mod) {
    if (mod === 1n) return 0n;
    var result = 1n;
    base %= mod;
    if (base < 0n) base += mod;
    while (exp > 0n) {
      if (exp & 1n) result = (result * base) % mod;
      exp >>= 1n;
      if (exp > 0n) base = (base * base) % mod;
    }
    return result;
  }

  /* extended Euclid; returns null when gcd(a, m) != 1 */
  function modInverse(a, m) {
    a %= m;
    if (a < 0n) a += m;
    var oldR = a, r = m, oldS = 1n, s = 0n, q, t;
    while (r !== 0n) {
      q = oldR / r;
      t = r; r = oldR - q * r; oldR = t;
      t = s; s = oldS - q * s; oldS = t;
    }
    if (oldR !== 1n) return null;
    oldS %= m;
    return oldS < 0n ? oldS + m : oldS;
  }

  function gcd(a, b) {
    while (b !== 0n) {
      var t = a % b; a = b; b = t;
    }
    return a;
  }

  /* ---------- public key ---------- */

  function parseKey(nB64u, eB64u) {
    var nBytes = b64uDecode(nB64u);
    var eBytes = b64uDecode(eB64u);
    var n = os2ip(nBytes);
    var e = os2ip(eBytes);
    var bits = bitLength(n);
    if (bits < MIN_BITS || bits > MAX_BITS) throw new Error('RSA modulus must have 2048 to 4096 bits');
    if ((n & 1n) === 0n) throw new Error('RSA modulus must be odd');
    if (e !== 65537n) throw new Error('RSA public exponent must be 65537');
    var modLen = Math.ceil(bits / 8);
    return {
      n: n,
      e: e,
      bits: bits,
      modLen: modLen,
      // minimal big-endian encodings, as JWK wants them
      nB64u: b64uEncode(i2osp(n, modLen)),
      eB64u: b64uEncode(i2osp(e, Math.ceil(bitLength(e) / 8)))
    };
  }

  /* ---------- EMSA-PSS-ENCODE (RFC 8017 section 9.1.1), SHA-384 / MGF1-SHA-384 ---------- */

  function digest(bytes) {
    return subtle().digest(HASH, bytes).then(function (buf) { return new Uint8Array(buf); });
  }

  async function mgf1(seed, maskLen) {
    var out = new Uint8Array(maskLen);
    var counter = 0, off = 0;
    while (off < maskLen) {
      var c = new Uint8Array([(counter >>> 24) & 255, (counter >>> 16) & 255, (counter >>> 8) & 255, counter & 255]);
      var h = await digest(concat(seed, c));
      out.set(h.subarray(0, Math.min(h.length, maskLen - off)), off);
      off += h.length;
      counter++;
    }
    return out;
  }

  async function emsaPssEncode(msg, emBits, salt) {
    msg = toBytes(msg, 'message');
    salt = toBytes(salt, 'salt');
    var emLen = Math.ceil(emBits / 8);
    var sLen = salt.length;
    if (emLen < H_LEN + sLen + 2) throw new Error('encoding error');
    var mHash = await digest(msg);
    var h = await digest(concat(new Uint8Array(8), mHash, salt));
    var psLen = emLen - sLen - H_LEN - 2;
    var db = concat(new Uint8Array(psLen), new Uint8Array([1]), salt);
    var mask = await mgf1(h, emLen - H_LEN - 1);
    for (var i = 0; i < db.length; i++) db[i] ^= mask[i];
    db[0] &= 0xff >>> (8 * emLen - emBits);
    return concat(db, h, new Uint8Array([0xbc]));
  }

  /* ---------- RFC 9474 operations ---------- */

  function prepare(msg) {
    msg = toBytes(msg, 'message');
    return concat(randomBytes(PREFIX_LEN), msg);
  }

  function scalarFrom(x, what) {
    if (typeof x === 'bigint') return x;
    return os2ip(bytesOrB64u(x, what));
  }

  function randomInvertible(key) {
    // uniform in [1, n) by rejection sampling, retried if not invertible
    var topMask = 0xff >>> (8 * key.modLen - key.bits);
    for (var tries = 0; tries < 1000; tries++) {
      var b = randomBytes(key.modLen);
      b[0] &= topMask;
      var r = os2ip(b);
      if (r === 0n || r >= key.n) continue;
      var inv = modInverse(r, key.n);
      if (inv !== null) return { r: r, inv: inv };
    }
    throw new Error('could not find a blinding factor');
  }

  async function blind(nB64u, eB64u, prepared, opts) {
    opts = opts || {};
    var key = parseKey(nB64u, eB64u);
    prepared = toBytes(prepared, 'prepared message');
    var salt = opts.salt !== undefined && opts.salt !== null ? toBytes(opts.salt, 'salt') : randomBytes(S_LEN);
    if (salt.length !== S_LEN) throw new Error('salt must be 48 bytes');
    var encoded = await emsaPssEncode(prepared, key.bits - 1, salt);
    var m = os2ip(encoded);
    if (gcd(m, key.n) !== 1n) throw new Error('invalid input');
    var r, inv;
    if (opts.r !== undefined && opts.r !== null) {
      r = scalarFrom(opts.r, 'r');
      if (r <= 0n || r >= key.n) throw new Error('r out of range');
      inv = modInverse(r, key.n);
      if (inv === null) throw new Error('r is not invertible mod n');
    } else {
      var pair = randomInvertible(key);
      r = pair.r;
      inv = pair.inv;
    }
    var x = modPow(r, key.e, key.n);
    var z = (m * x) % key.n;
    return { blindedMsg: i2osp(z, key.modLen), inv: i2osp(inv, key.modLen) };
  }

  function importKey(key) {
    return subtle().importKey(
      'jwk',
      { kty: 'RSA', n: key.nB64u, e: key.eB64u, alg: 'PS384', ext: true },
      { name: 'RSA-PSS', hash: HASH },
      false,
      ['verify']
    );
  }

  async function verifyWithKey(key, prepared, sig) {
    if (sig.length !== key.modLen) return false;
    var k = await importKey(key);
    return subtle().verify({ name: 'RSA-PSS', saltLength: S_LEN }, k, sig, prepared);
  }

  async function verify(nB64u, eB64u, prepared, sig) {
    var key = parseKey(nB64u, eB64u);
    return verifyWithKey(key, toBytes(prepared, 'prepared message'), bytesOrB64u(sig, 'signature'));
  }

  async function finalize(nB64u, eB64u, prepared, blindSig, inv) {
    var key = parseKey(nB64u, eB64u);
    prepared = toBytes(prepared, 'prepared message');
    var zBytes = bytesOrB64u(blindSig, 'blind signature');
    if (zBytes.length !== key.modLen) throw new Error('blind signature has the wrong length');
    var z = os2ip(zBytes);
    if (z >= key.n) throw new Error('blind signature out of range');
    var invInt = scalarFrom(inv, 'inv');
    if (invInt <= 0n || invInt >= key.n) throw new Error('inv out of range');
    var s = (z * invInt) % key.n;
    var sig = i2osp(s, key.modLen);
    var ok = await verifyWithKey(key, prepared, sig);
    if (!ok) throw new Error('invalid signature: the blind signature does not verify');
    return sig;
  }

  global.YishiBlindRSA = Object.freeze({
    prepare: prepare,
    blind: blind,
    finalize: finalize,
    verify: verify,
    emsaPssEncode: emsaPssEncode,
    randomBytes: randomBytes,
    b64u: Object.freeze({ encode: b64uEncode, decode: b64uDecode }),
    hex: Object.freeze({ encode: hexEncode, decode: hexDecode })
  });
})(typeof window !== 'undefined' ? window : globalThis);
