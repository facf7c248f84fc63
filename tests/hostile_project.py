"""A small project whose every name is hostile to HTML, JavaScript, file systems and diagram text.

Each case text becomes a canonical slot (``s<i>_<text>``, dots made '_'; slot names may not hold '.'), a legacy
column named exactly ``<text>``, a synonym and the slot's title and description. The class, table, derivation,
dictionary and mapping titles combine several payloads. The project validates: hostile names are legal names,
so every generator must write them safely.
"""
from __future__ import annotations

import json
from pathlib import Path

# (case id, text): each is a name that must be written as the text it is
HOSTILE = [
    ("script-end", "</script><img src=x onerror=alert(1)>"),
    ("comment-script", "x<!--<script>"),
    ("cdata-end", "y]]>"),
    ("line-separators", "a\u2028b\u2029c"),
    ("quotes", "q'\"end"),
    ("template-literal", "`${alert(1)}`"),
    ("mustache", "{{7*7}}{%raw%}"),
    ("javascript-url", "javascript:alert(1)"),
    ("path-traversal", "../../../tmp/x"),
    ("emoji", "😀👨\u200d👩\u200d👧"),
    ("entities", "&lt;b&gt;&amp;&#60;"),
    ("svg-onload", "<svg onload=alert(1)>"),
    ("title-end", "</title><style>body{display:none}</style>"),
    ("long-name", "L" * 300),
    ("device-name", "CON"),
    ("dots", ".."),
    ("escaped-script", "\\u003c/script>\\"),
    ("bidi-override", "\u202eevil"),
    ("mermaid-entity", "#quot;#lt;b#gt;"),
]

CLASS = "K</script><!--<script>"
TABLE = "T</script><!--<script>"
DERIVATION = "D</script><!--<script>\u2028😀"
SOURCE = "hostile"


def slot_name(i: int, text: str) -> str:
    return f"s{i}_{text}".replace(".", "_")


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON is YAML); U+2028/U+2029 escaped, as YAML 1.1 reads them as line breaks."""
    return json.dumps(text, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def write_project(root: Path) -> Path:
    slots = [slot_name(i, text) for i, (_id, text) in enumerate(HOSTILE)]
    texts = [text for _id, text in HOSTILE]
    dictionary = [
        "id: https://example.org/hostile", "name: " + _q("h</title><script>alert(1)</script>"),
        "title: " + _q("T</script>"), "version: " + _q("1<b>2"), "default_range: string",
        "imports: [linkml:types]", "prefixes: {linkml: https://w3id.org/linkml/}", "default_prefix: hostile",
        "classes:", f"  {_q(CLASS)}:", "    title: " + _q("javascript:alert(2)"),
        "    description: " + _q("d</script><!--<script>\u2028`${x}`"),
        "    aliases: [" + ", ".join(_q(t) for t in texts) + "]",
        "    annotations: {steward: " + _q("<b>steward</b>") + ", pii: " + _q("x\" onmouseover=\"alert(1)") + "}",
        "    slots: [id, " + ", ".join(_q(s) for s in slots) + "]",
        "slots:", "  id: {identifier: true, range: string}"]
    for s, t in zip(slots, texts):
        dictionary.append(f"  {_q(s)}: {{range: string, title: {_q(t)}, description: {_q(t)}, aliases: [{_q(t + ' alias')}]}}")
    source = ["source: " + SOURCE, "dialect: sqlite", "tables:", f"  {_q(TABLE)}:", "    description: " + _q("</script>"),
              "    primary_key: [Id]", "    columns:", "      Id: {type: INTEGER, nullable: false}"]
    source += [f"      {_q(t)}: {{type: VARCHAR(10), nullable: true}}" for t in texts]
    mapping = ["source: " + SOURCE, "title: " + _q("Host</script><!--<script>"), "description: " + _q("${x} {{y}} `z`"),
               "class_derivations:", f"  {_q(DERIVATION)}:", f"    target_class: {_q(CLASS)}",
               f"    populated_from: {_q(TABLE)}", "    slot_derivations:"]
    mapping += [f"      {_q(s)}: {{populated_from: {_q(t)}}}" for s, t in zip(slots, texts)]
    files = {"dictionary/hostile.yaml": dictionary, f"mappings/{SOURCE}.source.yaml": source,
             f"mappings/{SOURCE}.yaml": mapping}
    for rel, lines in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def not_mysql() -> str:
    """Every dialect that can carry these names: not MySQL/MariaDB, which refuses their emoji (characters outside
    the BMP), nor BigQuery, which reads a '.' in a name as a path even quoted: both refusals are by design."""
    from toolkit import dialects

    return ",".join(d for d in dialects.names() if d not in ("mysql", "bigquery"))
