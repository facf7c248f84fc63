"""The docs site of a project whose names are hostile (`</script>`, `<!--<script>`, `]]>`, U+2028/U+2029, quotes,
backticks, `${`, `{{ }}`, `javascript:`, `../`, emoji, ...), opened page by page in headless Chromium: every page
runs its scripts (search answers, lineage draws and traces) with no console or page error and no dialog, no element
or script is injected, links stay relative, and each hostile name is shown as the very text it is.
Also: inline data, file names and Mermaid labels are safe by construction, whatever the name."""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
from typer.testing import CliRunner

from hostile_project import CLASS, DERIVATION, HOSTILE, SOURCE, TABLE, not_mysql, slot_name, write_project
from test_browser import Watch, browser  # noqa: F401  (the Chromium fixture)
from toolkit.cli import app
from toolkit.emit.docs import Site, _json_compact
from toolkit.emit.lineage import _mtext
from toolkit.emit.graph import column_id
from toolkit.core.output import file_stem
from toolkit.plan import load_plan

IDS = [case for case, _text in HOSTILE]
SAFE_SCRIPTS = {"assets/docs.js", "assets/lineage.js", "assets/search-index.js"}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = write_project(tmp_path_factory.mktemp("hostile-docs"))
    result = CliRunner().invoke(app, ["generate", "all", "--dialect", not_mysql(), "--project", str(root)])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def site(project) -> Site:
    return Site(load_plan(project))


@pytest.fixture(scope="module")
def docs(project) -> Path:
    return project / "generated" / "docs"


class HostileWatch(Watch):
    """Watch over the hostile project's site; any dialog (alert, confirm) means injected code ran."""

    def __init__(self, browser, root: Path):
        super().__init__(browser)
        self.root = root
        self.page.on("dialog", self._dialog)
        self.page.set_default_timeout(10_000)

    def _dialog(self, dialog):
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def open(self, rel: str, ready: str | None = None):
        path, _, query = rel.partition("?")
        self.page.goto((self.root / path).as_uri() + (f"?{query}" if query else ""), wait_until="load")
        if ready:
            self.page.wait_for_selector(ready, state="attached")
        return self.page


@pytest.fixture()
def watch(browser, docs):  # noqa: F811
    w = HostileWatch(browser, docs)
    yield w
    w.close()


def by_attr(page, attr: str, value: str):
    """The element whose ``attr`` is exactly ``value`` (no CSS escaping of hostile text)."""
    handle = page.evaluate_handle("([a, v]) => Array.from(document.querySelectorAll('[' + a + ']'))"
                                  ".find(e => e.getAttribute(a) === v) || null", [attr, value])
    element = handle.as_element()
    assert element is not None, f"no element with {attr}={value!r}"
    return element


# what a page may hold: the scripts the generator writes, no element a name could have smuggled in
_AUDIT = """() => {
  const bad = [];
  for (const s of document.scripts) {
    const src = s.getAttribute('src');
    if (src === null ? !(s.type === 'application/json' && s.id === 'lineage-data') : !/^(\\.\\.\\/)*assets\\/[a-z-]+\\.js$/.test(src))
      bad.push('script ' + (src || s.type + '#' + s.id));
  }
  for (const e of document.querySelectorAll('img, iframe, object, embed, style, link:not([rel=stylesheet]), base, meta[http-equiv], form:not(.search)'))
    bad.push('element ' + e.tagName);
  for (const e of document.querySelectorAll('*'))
    for (const a of e.attributes) if (/^on/i.test(a.name)) bad.push('handler ' + e.tagName + ' ' + a.name);
  for (const a of document.querySelectorAll('[href]')) {
    const h = a.getAttribute('href');
    if (/^[a-z][a-z0-9+.-]*:/i.test(h) || h.startsWith('//')) bad.push('href ' + h);
  }
  return {bad: bad, scripts: Array.from(document.scripts).map(s => s.getAttribute('src') || '#' + s.id),
          title: document.title, text: document.body.textContent, lineage: !!document.getElementById('lineage-data'),
          ready: document.body.hasAttribute('data-lineage-ready')};
}"""


def pages(docs: Path) -> list[str]:
    return sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.html"))


def test_every_page_runs_its_scripts_with_nothing_injected(watch, docs, site):
    rels = pages(docs)
    assert len(rels) >= 2 * len(HOSTILE) + 8   # a slot and a column page per hostile name, and the rest
    for rel in rels:
        page = watch.open(rel)
        audit = page.evaluate(_AUDIT)
        if audit["lineage"]:
            page.wait_for_selector("body[data-lineage-ready]", state="attached")
            drawn = page.evaluate("() => [document.querySelectorAll('#lineage svg g.grp').length, "
                                  "JSON.parse(document.getElementById('lineage-data').textContent).groups.length]")
            assert drawn[0] == drawn[1] > 0, f"{rel}: lineage drew {drawn[0]} of {drawn[1]} groups"
        assert audit["bad"] == [], f"{rel}: {audit['bad']}"
        assert "assets/docs.js" in " ".join(audit["scripts"]), f"{rel}: docs.js missing ({audit['scripts']})"
        assert "Generated by dict generate docs" in audit["text"], f"{rel}: the page after its data is gone"
        assert not watch.problems, f"{rel}: {watch.problems}"


def test_inline_lineage_data_reads_back_exactly_what_the_generator_laid_out(watch, site):
    rel = site.slot_url[slot_name(1, HOSTILE[1][1])]
    page = watch.open(rel, "body[data-lineage-ready]")
    shown = page.evaluate("() => JSON.parse(document.getElementById('lineage-data').textContent)")
    expected = site.graph_data(focus_slots=[f"slot:{CLASS}.{slot_name(1, HOSTILE[1][1])}"])
    assert shown == json.loads(json.dumps(expected))
    assert not watch.problems, watch.problems


@pytest.mark.parametrize("text", [t for _c, t in HOSTILE], ids=IDS)
def test_a_hostile_name_is_shown_as_text_on_its_pages_and_in_its_title(watch, site, text):
    slot = slot_name(IDS.index(next(c for c, t in HOSTILE if t == text)), text)
    page = watch.open(site.slot_url[slot], "body[data-lineage-ready]")
    assert page.locator("h1").first.text_content().startswith(text) or text in page.locator("main").text_content()
    assert text in page.title()                       # the slot's title is the hostile text
    assert slot in page.locator(".crumbs").text_content()
    page = watch.open(site.column_url[column_id(SOURCE, TABLE, text)])
    assert f"{SOURCE}.{TABLE}.{text}" in page.title()
    assert page.locator(".crumbs").text_content().endswith(text)
    assert not watch.problems, watch.problems


@pytest.mark.parametrize("text", [t for _c, t in HOSTILE], ids=IDS)
def test_search_finds_a_hostile_name_and_shows_it_as_text(watch, site, text):
    slot = slot_name(IDS.index(next(c for c, t in HOSTILE if t == text)), text)
    page = watch.open("index.html")
    page.fill("#search-box", text)
    page.wait_for_selector("#search-results li.hit")
    hits = page.evaluate("() => Array.from(document.querySelectorAll('#search-results li.hit a'))"
                         ".map(a => [a.getAttribute('href'), a.textContent])")
    column_href = site.column_url[column_id(SOURCE, TABLE, text)]
    assert any(href == column_href and text in label for href, label in hits), hits
    assert any(href == site.slot_url[slot] for href, _label in hits), hits
    # the search page takes the query from its address, percent-encoded
    from urllib.parse import quote

    page = watch.open(f"search.html?q={quote(text)}", "body[data-search-ready]")
    assert page.locator("#search-box").input_value() == text
    assert page.locator("#search-page-results li.hit").count() >= 1
    assert page.evaluate(_AUDIT)["bad"] == []
    assert not watch.problems, watch.problems


def test_clicking_a_hostile_column_traces_it_to_its_hostile_slot(watch, site):
    text = HOSTILE[0][1]
    page = watch.open(site.table_url[(SOURCE, TABLE)], "body[data-lineage-ready]")
    by_attr(page, "data-id", column_id(SOURCE, TABLE, text)).click()
    page.wait_for_selector("#lineage-panel .downstream")
    down = page.evaluate("() => Array.from(document.querySelectorAll('#lineage-panel .downstream li'))"
                         ".map(li => [li.getAttribute('data-id'), li.querySelector('a').textContent])")
    slot = slot_name(0, text)
    assert [f"slot:{CLASS}.{slot}", f"{CLASS}.{slot}"] in down, down
    assert page.locator("#lineage-panel .sel").text_content() == f"{SOURCE}.{TABLE}.{text}"
    assert page.evaluate(_AUDIT)["bad"] == []
    assert not watch.problems, watch.problems


def test_long_labels_are_cut_between_characters_not_inside_an_emoji(watch, site):
    page = watch.open("lineage.html", "body[data-lineage-ready]")
    page.click("[data-lineage=expand]")
    labels = page.evaluate("() => Array.from(document.querySelectorAll('#lineage svg text')).map(t => t.firstChild.textContent)")
    assert any(DERIVATION[:5] in label for label in labels)
    assert not any(re.search("[\ud800-\udfff]", label) for label in labels), "a label holds half a surrogate pair"
    assert not watch.problems, watch.problems


def test_every_link_and_lineage_target_stays_inside_the_site(docs):
    for html in docs.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for href in re.findall(r'(?:href|src)="([^"]*)"', text):
            target, _fragment = urldefrag(href)
            assert not re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I), f"{html.name}: {href}"
            if target:
                path = (html.parent / unquote(target)).resolve()
                assert path.is_relative_to(docs) and path.is_file(), f"{html.name}: {href}"


# ---------------------------------------------------------------------- by construction, no browser

PAYLOADS = [t for _c, t in HOSTILE] + ["</SCRIPT >", "<!--", "-->", "\ud83d", "\u2028", "a\u0000b"]


@pytest.mark.unit
@pytest.mark.parametrize("text", PAYLOADS)
def test_inline_json_holds_no_character_that_could_end_a_script_and_reads_back_the_same(text):
    data = {"k" + text: [text, {"n": text * 2}]}
    inline = _json_compact(data)
    assert not set(inline) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(inline) == data


@pytest.mark.unit
@pytest.mark.parametrize("text", PAYLOADS + ["nul", "COM1.txt", "LPT9", ".hidden", "a/b", "a\\b", "é" * 200, "x" * 300])
def test_file_stems_are_plain_short_distinct_and_never_a_path(text):
    stem = file_stem(text)
    assert re.fullmatch(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]|\.(?!\.))*", stem) and not stem.endswith("."), stem
    assert len(stem) <= 90
    assert stem.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(10)} | \
        {f"LPT{i}" for i in range(10)}
    assert file_stem(text + "!") != stem and file_stem(text) == stem


@pytest.mark.unit
@pytest.mark.parametrize("text", PAYLOADS)
def test_mermaid_labels_carry_no_markup_quote_or_line_break(text):
    label = _mtext(text)
    inner = label[1:-1]
    assert label[0] == label[-1] == '"' and not set(inner) & set('"<>&`\u2028\u2029')
    named = {"quot": '"', "lt": "<", "gt": ">", "amp": "&"}
    decoded = re.sub(r"#(\d+|quot|lt|gt|amp);", lambda m: named.get(m.group(1)) or chr(int(m.group(1))), inner)
    assert decoded == text


def test_generated_file_names_of_a_hostile_project_stay_in_their_folders(project):
    generated = project / "generated"
    files = [p for p in generated.rglob("*") if p.is_file()]
    assert len(files) > 50
    lowered = set()
    for path in files:
        rel = path.relative_to(generated).as_posix()
        assert all(part not in ("", ".", "..") and not part.startswith(".") for part in rel.split("/")), rel
        assert all(len(part.encode("utf-8")) <= 120 for part in rel.split("/")), rel
        assert unicodedata.is_normalized("NFC", rel)
        assert rel.lower() not in lowered, f"{rel} collides with another file on a case-insensitive disk"
        lowered.add(rel.lower())
