// run lineage.js with a minimal DOM: argv[2] = script, stdin = {"data": ..., "steps": [...]}
const fs = require("fs");
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const el = (extra) => Object.assign({ textContent: "", innerHTML: "", addEventListener() {}, getAttribute() { return ""; },
                                       setAttribute() {} }, extra || {});
const holder = el({ textContent: JSON.stringify(input.data) }), canvas = el(), panel = el();
global.window = {};
global.document = { getElementById: (id) => ({ "lineage-data": holder, lineage: canvas, "lineage-panel": panel })[id] || null,
                    querySelector: () => null, addEventListener() {}, body: el() };
new Function(fs.readFileSync(process.argv[2], "utf8"))();
const L = window.dictLineage, out = [];
for (const step of input.steps) {
  if (step.select) L.select(step.select);
  if (step.view) L.view(step.view);
  out.push({ traced: L.traced(), visible: L.visibleGroups().length, panel: panel.innerHTML.length, svg: canvas.innerHTML.length });
}
console.log(JSON.stringify(out));
