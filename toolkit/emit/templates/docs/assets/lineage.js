/* Lineage pictures of the dict docs site. The layout (layers, order, coordinates) is computed when the
   site is built; this script only draws it, re-stacks a layer when a group is expanded or collapsed,
   and traces a node's upstream and downstream when it is clicked. No network, no libraries. */
(function () {
  "use strict";
  var holder = document.getElementById("lineage-data");
  var canvas = document.getElementById("lineage");
  var panel = document.getElementById("lineage-panel");
  if (!holder || !canvas) return;
  var data = JSON.parse(holder.textContent);
  var root = document.body.getAttribute("data-root") || "";
  var M = data.metrics, LAYER_X = M[0], NODE_W = M[1], HEADER_H = M[2], ROW_H = M[3], GAP = M[4], PAD = M[5];
  var groups = data.groups, nodes = data.nodes, edges = data.edges, gedges = data.gedges;
  var SUB = data.subtypes, EXPR = data.exprs;
  var NG = groups.length, NN = nodes.length;
  var collapsed = new Uint8Array(NG), gy = new Float64Array(NG), index = new Int32Array(NN);
  var layers = [[], [], []];
  for (var g = 0; g < NG; g++) {
    collapsed[g] = groups[g][4];
    gy[g] = groups[g][5];
    layers[groups[g][3]].push(g);
    var ms = groups[g][6];
    for (var i = 0; i < ms.length; i++) index[ms[i]] = i;
  }
  // adjacency: node -> incoming / outgoing edge ids; row-level edges point at a derivation group
  var inE = [], outE = [], inG = [], k;
  for (k = 0; k < NN; k++) { inE.push([]); outE.push([]); }
  for (k = 0; k < NG; k++) inG.push([]);
  for (k = 0; k < edges.length; k++) { outE[edges[k][0]].push(k); inE[edges[k][1]].push(k); }
  var outG = [];
  for (k = 0; k < NN; k++) outG.push([]);
  for (k = 0; k < gedges.length; k++) { outG[gedges[k][0]].push(k); inG[gedges[k][1]].push(k); }
  var selected = -1, up = null, down = null;
  // view options: DIRECT edges only, how many hops a trace follows (0: all), one system's tables and derivations
  var directOnly = false, depth = 0, system = "", hidden = new Uint8Array(NG), SYS = data.systems || [];
  function shown(sub) { return !directOnly || sub < 3; }

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function fit(s, width) {   // cut by code points: an emoji's two UTF-16 halves stay together
    var max = Math.floor(width / 7), chars = Array.from(s);
    return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : s;
  }
  function restack(layer) {
    var y = PAD, list = layers[layer];
    for (var i = 0; i < list.length; i++) {
      var g = list[i];
      gy[g] = y;
      if (hidden[g]) continue;
      y += HEADER_H + (collapsed[g] ? 0 : ROW_H * groups[g][6].length) + GAP;
    }
  }
  function height() {
    var h = 0;
    for (var l = 0; l < 3; l++) {
      var list = layers[l].filter(function (x) { return !hidden[x]; });
      if (!list.length) continue;
      var g = list[list.length - 1];
      h = Math.max(h, gy[g] + HEADER_H + (collapsed[g] ? 0 : ROW_H * groups[g][6].length) + GAP);
    }
    return h + PAD;
  }
  function gx(g) { return PAD + groups[g][3] * LAYER_X; }
  function anchor(n, right) {   // where an edge meets node n: the node, or its group's header when collapsed
    var g = nodes[n][3];
    var y = collapsed[g] ? gy[g] + HEADER_H / 2 : gy[g] + HEADER_H + index[n] * ROW_H + ROW_H / 2;
    return [gx(g) + (right ? NODE_W : 0), y];
  }
  function path(a, b) {
    var dx = Math.max(40, (b[0] - a[0]) / 2);
    return "M" + a[0] + " " + a[1] + "C" + (a[0] + dx) + " " + a[1] + " " + (b[0] - dx) + " " + b[1] + " " + b[0] + " " + b[1];
  }

  function render() {
    var parts = [], w = PAD * 2 + 2 * LAYER_X + NODE_W, h = height(), seen = {};
    parts.push('<svg width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + " " + h + '">');
    parts.push('<g class="edges">');
    function edge(a, b, sub, lit) {
      var key = a[0] + "," + a[1] + "," + b[0] + "," + b[1] + (sub < 3 ? "d" : "i");
      if (seen[key] && !lit) return;
      seen[key] = 1;
      parts.push('<path class="edge ' + (sub < 3 ? "direct" : "indirect") + (lit ? " lit" : "") + '" d="' + path(a, b) + '"/>');
    }
    var k, e;
    for (k = 0; k < edges.length; k++) {
      e = edges[k];
      if (!shown(e[2]) || hidden[nodes[e[0]][3]] || hidden[nodes[e[1]][3]]) continue;
      edge(anchor(e[0], true), anchor(e[1], false), e[2], up && ((up[e[1]] || e[1] === selected) && (up[e[0]])) ||
           down && ((down[e[0]] || e[0] === selected) && down[e[1]]));
    }
    for (k = 0; k < gedges.length; k++) {
      e = gedges[k];
      if (!shown(e[2]) || hidden[nodes[e[0]][3]] || hidden[e[1]]) continue;
      var g = e[1], lit = false;
      if (up && up[e[0]]) lit = (selected >= 0 && nodes[selected][3] === g) || groupTraced(g, up);
      if (down && (e[0] === selected || down[e[0]])) lit = lit || groupTraced(g, down);
      edge(anchor(e[0], true), [gx(g), gy[g] + HEADER_H / 2], e[2], lit);
    }
    parts.push("</g>");
    for (var l = 0; l < 3; l++) {
      var list = layers[l];
      for (var i = 0; i < list.length; i++) {
        var gi = list[i], grp = groups[gi], x = gx(gi), y = gy[gi], ms = grp[6];
        if (hidden[gi]) continue;
        var traced = (up && groupTraced(gi, up)) || (down && groupTraced(gi, down)) || (selected >= 0 && nodes[selected][3] === gi);
        parts.push('<g class="grp layer' + l + (collapsed[gi] ? " collapsed" : "") + (traced ? " traced" : "") + '" data-g="' + gi + '">');
        parts.push('<rect class="grp-box" x="' + x + '" y="' + y + '" width="' + NODE_W + '" height="' +
                   (HEADER_H + (collapsed[gi] ? 0 : ROW_H * ms.length)) + '" rx="5"/>');
        parts.push('<text class="grp-label" x="' + (x + 8) + '" y="' + (y + 17) + '">' +
                   (ms.length ? (collapsed[gi] ? "▸ " : "▾ ") : "") + esc(fit(grp[1], NODE_W - 50)) +
                   (ms.length ? ' <tspan class="count">' + ms.length + "</tspan>" : "") + "<title>" + esc(grp[1]) + "</title></text>");
        parts.push("</g>");
        if (collapsed[gi]) continue;
        for (var j = 0; j < ms.length; j++) {
          var n = ms[j], node = nodes[n], ny = y + HEADER_H + j * ROW_H;
          var cls = "node kind" + node[4] + (node[5] ? " focus" : "") + (n === selected ? " selected" : "") +
                    ((up && up[n]) || (down && down[n]) ? " traced" : "");
          parts.push('<g class="' + cls + '" data-n="' + n + '" data-id="' + esc(node[0]) + '">' +
                     '<rect x="' + (x + 4) + '" y="' + (ny + 1) + '" width="' + (NODE_W - 8) + '" height="' + (ROW_H - 3) + '" rx="3"/>' +
                     '<text x="' + (x + 12) + '" y="' + (ny + 15) + '">' + esc(fit(node[1], NODE_W - 24)) +
                     "<title>" + esc(label(n)) + "</title></text></g>");
        }
      }
    }
    parts.push("</svg>");
    canvas.innerHTML = parts.join("");
  }
  function groupTraced(g, set) {
    var ms = groups[g][6];
    for (var i = 0; i < ms.length; i++) if (set[ms[i]]) return true;
    return false;
  }
  function label(n) {
    var node = nodes[n], grp = groups[node[3]];
    if (node[4] === 0) return grp[1] + "." + node[1];
    if (node[4] === 1) return grp[1] + " · " + node[1];
    return grp[1] + "." + node[1];
  }

  // tracing: upstream follows edges into a node and, for a derivation's fields, the row-level edges into
  // the derivation; downstream the reverse
  function trace(start, upward) {
    var found = {}, queue = [start], how = {}, hops = {};
    hops[start] = 0;
    function reach(other, e, from) {
      if (!found[other] && other !== start) { found[other] = 1; hops[other] = hops[from] + 1; queue.push(other); }
    }
    while (queue.length) {
      var n = queue.shift(), k, e, other;
      if (depth && hops[n] >= depth) continue;
      if (upward) {
        var list = inE[n];
        for (k = 0; k < list.length; k++) {
          e = edges[list[k]]; other = e[0];
          if (!shown(e[2])) continue;
          note(how, other, e);
          reach(other, e, n);
        }
        if (nodes[n][4] === 1) {
          var rows = inG[nodes[n][3]];
          for (k = 0; k < rows.length; k++) {
            e = gedges[rows[k]]; other = e[0];
            if (!shown(e[2])) continue;
            note(how, other, e);
            reach(other, e, n);
          }
        }
      } else {
        var outs = outE[n];
        for (k = 0; k < outs.length; k++) {
          e = edges[outs[k]]; other = e[1];
          if (!shown(e[2])) continue;
          if (!found[other] && other !== start) note(how, other, e);
          reach(other, e, n);
        }
        var og = outG[n];
        for (k = 0; k < og.length; k++) {
          e = gedges[og[k]];
          if (!shown(e[2])) continue;
          var ms = groups[e[1]][6];
          for (var m = 0; m < ms.length; m++) {
            other = ms[m];
            if (!found[other] && other !== start) note(how, other, e);
            reach(other, e, n);
          }
        }
      }
    }
    return [found, how];
  }
  function note(how, n, e) {
    var text = (e[2] < 3 ? "DIRECT " : "INDIRECT ") + SUB[e[2]];
    if (!how[n]) how[n] = {};
    how[n][text] = EXPR[e[3]];
  }
  function listing(title, cls, set, how) {
    var ids = Object.keys(set).map(Number);
    ids.sort(function (a, b) { return nodes[a][4] - nodes[b][4] || (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0); });
    var kinds = ["legacy column", "derivation", "canonical slot"];
    var html = '<section class="' + cls + '"><h3>' + title + " (" + ids.length + ")</h3><ul>";
    for (var i = 0; i < ids.length; i++) {
      var n = ids[i], h = how[n] || {}, subs = Object.keys(h).sort();
      html += '<li data-id="' + esc(nodes[n][0]) + '" class="kind' + nodes[n][4] + '"><span class="k">' + kinds[nodes[n][4]] +
              '</span> <a href="' + esc(root + nodes[n][2]) + '">' + esc(label(n)) + "</a>";
      for (var s = 0; s < subs.length; s++) html += ' <span class="sub" title="' + esc(h[subs[s]]) + '">' + esc(subs[s]) + "</span>";
      html += "</li>";
    }
    return html + "</ul></section>";
  }
  function select(n) {
    selected = n;
    var u = trace(n, true), d = trace(n, false);
    up = u[0]; down = d[0];
    render();
    if (panel) {
      panel.innerHTML = '<h3 class="sel" data-id="' + esc(nodes[n][0]) + '"><a href="' + esc(root + nodes[n][2]) + '">' +
        esc(label(n)) + "</a></h3>" + listing("Upstream", "upstream", up, u[1]) + listing("Downstream", "downstream", down, d[1]);
    }
  }
  function toggle(g) {
    if (!groups[g][6].length) { window.location.href = root + groups[g][2]; return; }
    collapsed[g] = collapsed[g] ? 0 : 1;
    restack(groups[g][3]);
    render();
  }
  canvas.addEventListener("click", function (ev) {
    var t = ev.target.closest ? ev.target.closest("[data-n],[data-g]") : null;
    if (!t) return;
    if (t.hasAttribute("data-n")) select(Number(t.getAttribute("data-n")));
    else toggle(Number(t.getAttribute("data-g")));
  });
  canvas.addEventListener("dblclick", function (ev) {
    var t = ev.target.closest ? ev.target.closest("[data-n]") : null;
    if (t) window.location.href = root + nodes[Number(t.getAttribute("data-n"))][2];
  });
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("[data-lineage]") : null;
    if (!b) return;
    var value = b.getAttribute("data-lineage") === "collapse" ? 1 : 0;
    for (var g = 0; g < NG; g++) if (groups[g][6].length) collapsed[g] = value;
    for (var l = 0; l < 3; l++) restack(l);
    render();
  });
  // the view options, wired with DOM calls: a system's name goes in as text, never as markup
  function retrace() {
    for (var l = 0; l < 3; l++) restack(l);
    if (selected >= 0) select(selected); else render();
  }
  function setSystem(name) {
    system = name || "";
    var g, k;
    for (g = 0; g < NG; g++) hidden[g] = system && SYS[g] && SYS[g] !== system ? 1 : 0;
    if (system) {   // a class stays when one of the system's derivations feeds it
      var fed = new Uint8Array(NG);
      for (k = 0; k < edges.length; k++) {
        var a = nodes[edges[k][0]][3], b = nodes[edges[k][1]][3];
        if (SYS[a] === system && !SYS[b]) fed[b] = 1;
      }
      for (g = 0; g < NG; g++) if (!SYS[g]) hidden[g] = fed[g] ? 0 : 1;
    }
    retrace();
  }
  var systemBox = document.querySelector("[data-lineage-system]");
  var names = SYS.filter(function (x, i) { return x && SYS.indexOf(x) === i; }).sort();
  if (systemBox && names.length > 1) {
    for (var si = 0; si < names.length; si++) {
      var option = document.createElement("option");
      option.value = names[si];
      option.textContent = names[si];
      systemBox.appendChild(option);
    }
    systemBox.closest(".lineage-system").hidden = false;
    systemBox.addEventListener("change", function () { setSystem(systemBox.value); });
  }
  var directBox = document.querySelector("[data-lineage-direct]");
  if (directBox) directBox.addEventListener("change", function () { directOnly = directBox.checked; retrace(); });
  var depthBox = document.querySelector("[data-lineage-depth]");
  if (depthBox) depthBox.addEventListener("change", function () { depth = Number(depthBox.value) || 0; retrace(); });

  render();
  window.__lineageReadyAt = performance.now();
  document.body.setAttribute("data-lineage-ready", "1");
  window.dictLineage = { select: function (id) { for (var n = 0; n < NN; n++) if (nodes[n][0] === id) { select(n); return true; } return false; },
                         toggle: toggle, groups: groups, nodes: nodes,
                         view: function (o) {
                           if ("direct" in o) { directOnly = !!o.direct; if (directBox) directBox.checked = directOnly; }
                           if ("depth" in o) { depth = Number(o.depth) || 0; if (depthBox) depthBox.value = String(depth); }
                           if ("system" in o) setSystem(o.system); else retrace();
                         },
                         traced: function () { return [up ? Object.keys(up).length : 0, down ? Object.keys(down).length : 0]; },
                         visibleGroups: function () { var v = []; for (var g = 0; g < NG; g++) if (!hidden[g]) v.push(groups[g][0]); return v; } };
})();
