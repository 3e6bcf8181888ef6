// The hall screen (issue 16.1): polls the screen's JSON every few seconds, updates the
// counts and the scrutineers' signatures in place, shows a note while the network is
// down and keeps retrying, and reloads the page when the poll on screen changes (a poll
// opened or closed).
(function () {
  "use strict";
  var root = document.getElementById("hall");
  if (!root) return;
  var src = root.getAttribute("data-src");
  var view = root.getAttribute("data-view");
  var every = Math.max(1, parseInt(root.getAttribute("data-refresh"), 10) || 3) * 1000;
  var offline = document.getElementById("hall-offline");
  var words = {};
  var tpl = document.getElementById("hall-words");
  if (tpl) {
    tpl.content.querySelectorAll("[data-word]").forEach(function (el) {
      words[el.getAttribute("data-word")] = el.textContent;
    });
  }

  function setText(el, text) {
    if (el && el.textContent !== String(text)) el.textContent = String(text);
  }

  function badge(kind, text) {
    var span = document.createElement("span");
    span.className = kind === "pending" ? "hall-muted" : "badge " + (kind === "signed" ? "badge-ok" : "badge-warn");
    span.textContent = text;
    return span;
  }

  function update(data) {
    if (data.view !== view) {
      window.location.reload();
      return;
    }
    ["electorate", "present", "issued", "cast", "cast_as_of"].forEach(function (name) {
      if (data[name] === undefined || data[name] === null) return;
      root.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
        setText(el, data[name]);
      });
    });
    var s = data.scrutiny;
    if (s && data.state === "closed") {
      var summary = document.getElementById("hall-signed");
      if (summary && words.summary) {
        var parts = words.summary.split("{}");
        if (parts.length === 3) setText(summary, parts[0] + s.signed + parts[1] + s.count + parts[2]);
      }
      s.lines.forEach(function (line, i) {
        var cell = root.querySelector('[data-scrutineer="' + i + '"] [data-field="sig"]');
        if (!cell) return;
        var kind = line.signed ? "signed" : line.declined ? "declined" : "pending";
        if (cell.getAttribute("data-kind") === kind) return;
        cell.setAttribute("data-kind", kind);
        cell.replaceChildren(badge(kind, words[kind] || kind));
      });
    }
  }

  function tick() {
    fetch(src, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (offline) offline.hidden = true;
        root.removeAttribute("data-offline");
        update(data);
      })
      .catch(function () {
        if (offline) offline.hidden = false;
        root.setAttribute("data-offline", "1");
      })
      .then(function () {
        window.setTimeout(tick, every);
      });
  }

  window.setTimeout(tick, every);
})();
