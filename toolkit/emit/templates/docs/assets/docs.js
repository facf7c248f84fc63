/* dict docs site: dialect tabs and in-browser search. Works from file://: the search index is a local
   script loaded on first use, never fetched. */
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "";

  // one dialect choice for every SQL block on the page
  document.addEventListener("click", function (ev) {
    var tab = ev.target.closest ? ev.target.closest("[data-tab]") : null;
    if (!tab) return;
    var name = tab.getAttribute("data-tab");
    var boxes = document.querySelectorAll("[data-tabs]");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i], buttons = box.querySelectorAll("[data-tab]"), panels = box.querySelectorAll("[data-panel]"), has = false, j;
      for (j = 0; j < panels.length; j++) if (panels[j].getAttribute("data-panel") === name) has = true;
      if (!has && !box.hasAttribute("data-tab-bar")) continue;
      for (j = 0; j < buttons.length; j++) buttons[j].setAttribute("aria-selected", buttons[j].getAttribute("data-tab") === name ? "true" : "false");
      for (j = 0; j < panels.length; j++) panels[j].hidden = panels[j].getAttribute("data-panel") !== name;
    }
  });

  // ------------------------------------------------------------------ search
  var RANK = { term: 0, slot: 1, system: 2, mapping: 3, table: 4, column: 5 };
  var prepared = null, waiting = [];
  function norm(s) { return String(s || "").normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim(); }
  function load(done) {
    if (prepared) { done(prepared); return; }
    waiting.push(done);
    if (waiting.length > 1) return;
    var script = document.createElement("script");
    script.src = root + "assets/search-index.js";
    script.onload = function () {
      prepared = (window.DICT_SEARCH || []).map(function (e) {
        return { title: e[0], kind: e[1], url: e[2], t: norm(e[0]), names: e[3].split("\u001f").map(norm), d: norm(e[4]), raw: e };
      });
      var w = waiting; waiting = [];
      for (var i = 0; i < w.length; i++) w[i](prepared);
    };
    document.head.appendChild(script);
  }
  function words(s) { return s.split(/[^\p{L}\p{N}]+/u); }
  function startsWord(text, q) {
    if (text.indexOf(q) === 0) return true;
    var ws = words(text);
    for (var i = 0; i < ws.length; i++) if (ws[i].indexOf(q) === 0) return true;
    return false;
  }
  // tiers: exact title, exact name (synonym, label, identifier), title word prefix, name word prefix,
  // title substring, name substring, description; then terms before slots before columns
  function score(e, q) {
    if (e.t === q) return [0, ""];
    var i;
    for (i = 0; i < e.names.length; i++) if (e.names[i] === q) return [1, e.raw[3].split("\u001f")[i]];
    if (startsWord(e.t, q)) return [2, ""];
    for (i = 0; i < e.names.length; i++) if (startsWord(e.names[i], q)) return [3, e.raw[3].split("\u001f")[i]];
    if (e.t.indexOf(q) >= 0) return [4, ""];
    for (i = 0; i < e.names.length; i++) if (e.names[i].indexOf(q) >= 0) return [5, e.raw[3].split("\u001f")[i]];
    if (e.d.indexOf(q) >= 0) return [6, ""];
    return null;
  }
  function search(entries, query, limit) {
    var q = norm(query), hits = [];
    if (!q) return hits;
    for (var i = 0; i < entries.length; i++) {
      var s = score(entries[i], q);
      if (s) hits.push({ e: entries[i], tier: s[0], via: s[1] });
    }
    hits.sort(function (a, b) {
      return a.tier - b.tier || RANK[a.e.kind] - RANK[b.e.kind] || a.e.title.length - b.e.title.length ||
        (a.e.title < b.e.title ? -1 : a.e.title > b.e.title ? 1 : 0);
    });
    return hits.slice(0, limit);
  }
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"); }
  function item(h) {
    return '<li class="hit tier' + h.tier + '" data-kind="' + h.e.kind + '"><a href="' + esc(root + h.e.url) + '"><span class="k">' + h.e.kind +
      "</span> " + esc(h.e.title) + (h.via && h.via !== h.e.title ? ' <small>(' + esc(h.via) + ")</small>" : "") + "</a></li>";
  }
  window.dictSearch = function (query, limit, done) { load(function (entries) { done(search(entries, query, limit || 20)); }); };

  var box = document.getElementById("search-box"), results = document.getElementById("search-results");
  if (box && results) {
    var show = function () {
      var query = box.value;
      load(function (entries) {
        if (box.value !== query) return;
        var hits = search(entries, query, 12);
        results.innerHTML = hits.map(item).join("") || (norm(query) ? '<li class="none">No match</li>' : "");
        results.hidden = !norm(query);
      });
    };
    box.addEventListener("input", show);
    box.addEventListener("focus", function () { load(function () {}); });
    document.addEventListener("click", function (ev) { if (!ev.target.closest || !ev.target.closest(".search")) results.hidden = true; });
  }
  var pageResults = document.getElementById("search-page-results");
  if (pageResults) {
    var m = /[?&]q=([^&]*)/.exec(window.location.search), q = m ? decodeURIComponent(m[1].replace(/\+/g, " ")) : "";
    if (box) box.value = q;
    load(function (entries) {
      var hits = search(entries, q, 200);
      pageResults.innerHTML = hits.map(item).join("") || '<li class="none">No match for “' + esc(q) + "”</li>";
      document.body.setAttribute("data-search-ready", "1");
    });
  }
})();
