/*
 * deputy_polls.js: the open polls on a deputy's own page (templates/voting/_deputy_home.html).
 *
 * In a secret poll the server cannot know whether the deputy voted, only whether the
 * token was taken; this browser knows from what ballot.js keeps in localStorage:
 *   yishi-receipt:<poll>:<manifest_hash>:<index>  {"v":2,"receipt":"…","voter":"<code>"}
 *   yishi-vote:<poll>:<manifest_hash>:<code>      the token (and, once sent, "body")
 * With a receipt of this deputy: "已投票" is shown and the call to action is calm. With
 * the token here and no ballot sent: the deputy has not voted (the one token is here),
 * so the call to action stays red and says so. With a ballot sent and no receipt: calm,
 * the ballot page fetches the receipt. The texts are the page's own (hidden elements);
 * this file holds none. Receipts naming no deputy (an earlier version's) are not
 * counted: on a shared phone they may be another deputy's.
 */
(function () {
  'use strict';

  function load(key) {
    try {
      var s = window.localStorage.getItem(key);
      return s ? JSON.parse(s) : null;
    } catch (e) {
      return null;
    }
  }

  function keysWithPrefix(prefix) {
    var out = [];
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var k = window.localStorage.key(i);
        if (k && k.indexOf(prefix) === 0) out.push(k);
      }
    } catch (e) { /* no storage: nothing known here */ }
    return out;
  }

  function hasReceipt(poll, hash, voter) {
    var ks = keysWithPrefix('yishi-receipt:' + poll + ':' + hash + ':');
    for (var i = 0; i < ks.length; i++) {
      var rec = load(ks[i]);
      if (rec && typeof rec.receipt === 'string' && rec.voter === voter) return true;
    }
    return false;
  }

  function show(li, selector, on) {
    var el = li.querySelector(selector);
    if (el) el.hidden = !on;
  }

  function update(li) {
    var d = li.dataset;
    if (!d.poll || !d.manifestHash || !d.voter) return;
    var link = li.querySelector('.deputy-poll-link');
    var voted = hasReceipt(d.poll, d.manifestHash, d.voter);
    var state = d.secrecy === 'secret' ? load('yishi-vote:' + d.poll + ':' + d.manifestHash + ':' + d.voter) : null;
    var here = !voted && state && typeof state.token === 'string';
    var sent = here && !!state.body;
    if (voted) show(li, '.deputy-poll-voted', true);
    show(li, '.deputy-poll-unanswered', !!sent);
    show(li, '.deputy-poll-unsent', !!here && !sent);
    show(li, '.deputy-poll-elsewhere', !voted && !here && d.tokenTaken === 'true');
    if (link) {
      var serverVoted = !li.querySelector('.deputy-poll-voted[hidden]');
      var calm = voted || serverVoted || sent || (d.tokenTaken === 'true' && !here);
      link.classList.toggle('primary', !calm);
    }
  }

  function boot() {
    var items = document.querySelectorAll('.deputy-poll[data-poll]');
    for (var i = 0; i < items.length; i++) update(items[i]);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
  // Back from the ballot page, the browser may show this page from its cache.
  window.addEventListener('pageshow', function (ev) { if (ev.persisted) boot(); });
})();
