"""The docs site: a page per term, slot, system, table, column and mapping file, with metadata, lineage, SQL per
dialect, translators, coverage and search; offline (no network) and byte-identical on rebuild."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser

from lineage_support import ROOT, docs_files, plan
from toolkit import dialects
from toolkit.emit import docs as docs_generator
from toolkit.emit.docs import Site, _translator_code


def page(rel: str) -> str:
    return docs_files()[f"docs/{rel}"]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def graph_data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="lineage-data">(.*?)</script>', html, re.S).group(1))


def test_a_page_for_every_term_slot_system_table_column_and_mapping_file():
    files, p = docs_files(), plan()
    site = Site(p)
    expected = set(site.class_url.values()) | set(site.slot_url.values()) | set(site.system_url.values()) | \
        set(site.mapping_url.values()) | set(site.table_url.values()) | set(site.column_url.values())
    assert {f"docs/{rel}" for rel in expected} <= set(files)
    assert len(site.class_url) == len(p.dictionary.classes)
    assert len(site.column_url) == sum(len(t.columns) for s in p.sources for t in s.schema.tables.values())
    for rel in ("index.html", "coverage.html", "lineage.html", "search.html", "assets/search-index.js"):
        assert f"docs/{rel}" in files


def test_term_page_shows_definition_labels_steward_pii_and_synonyms():
    html = page("terms/Customer.html")
    text = text_of(html)
    assert "A person or organisation that has bought" in text
    assert '<dd lang="zh" class="label-zh">客户</dd>' in html
    assert '<dd lang="fr" class="label-fr">client</dd>' in html
    assert "Customer Data Office" in text and "personal" in text
    for synonym in ("account holder", "party", "CUST"):
        assert f'<span class="chip">{synonym}</span>' in html
    assert 'id="lineage-data"' in html


def test_slot_page_shows_each_sources_expression_and_the_enum_values():
    html = page("slots/phone_number.html")
    assert "TRIM(Phone)" in html and "TRIM(Fax)" in html
    assert '<dd lang="zh"' in html
    tier = page("slots/customer_tier.html")
    assert "Permissible values of CustomerTier" in tier and "<code>gold</code>" in tier


def test_column_page_shows_where_it_goes_and_what_a_change_breaks():
    text = text_of(page("columns/chinook/Customer/Phone.html"))
    assert "ContactPoint.phone_number" in text and "TRIM(Phone)" in text
    assert "DIRECT TRANSFORMATION" in text and "Phone IS NOT NULL" in text
    assert "chinook__contact_point_phone__staged" in text   # impact: views
    fax = text_of(page("columns/chinook/Customer/Fax.html"))
    assert "No mapping reads this column into a canonical slot." in fax


def test_mapping_page_shows_expressions_sql_in_every_dialect_and_the_translator_section():
    html = page("mappings/chinook.html")
    assert "TRIM(FirstName) || &#39; &#39; || TRIM(LastName)" in html
    for name in dialects.names():
        assert f'data-panel="{name}"' in html, f"no {name} SQL"
    assert html.count('data-panel="duckdb"') >= 3 * len(plan().source("chinook").views)
    assert 'CREATE OR REPLACE VIEW "chinook__customer__staged"' in html.replace("&#34;", '"').replace("&quot;", '"')
    assert "<h3>Translator</h3>" in html


def test_translator_code_is_found_per_derivation_in_the_python_generators_output():
    household = next(v for v in plan().views() if v.source == "chinook" and v.name == "Household")
    module = ("def customer(record):\n    return record\n\n\n"
              "def household__staged(record):\n    return None\n\n\n"
              "def household(record):\n    raise NotTranslatable('grouped')\n")
    path, code = _translator_code({"python/chinook.py": module, "python/northwind.py": "def household(r):\n    pass\n"},
                                  household)
    assert path == "python/chinook.py"
    assert code.startswith("def household__staged(record):") and "def household(record):" in code
    assert "def customer" not in code


def test_mapping_page_shows_the_translator_when_a_python_generator_is_registered():
    site = Site(plan())
    html = page("mappings/chinook.html")
    if site.translators:
        path, code = site.translators["derivation:chinook.ContactPointPhone"]
        assert path == "python/chinook.py" and "def contact_point_phone(" in code
        assert "def contact_point_phone(" in html and "python/chinook.py" in html
    else:   # no python generator, or it cannot run: the page says why instead of failing the build
        assert site.translator_note != "ok" and site.translator_note.split(" (")[0] in html


def test_coverage_matrix_has_every_slot_by_every_system_and_lists_unmapped_columns():
    html = page("coverage.html")
    p = plan()
    rows = re.findall(r"<tr><td>(\w+)</td><td><a [^>]*><code>(\w+)</code>", html)
    assert len(rows) == sum(len(c.slots) for c in p.dictionary.classes.values())
    header = re.search(r"<thead><tr><th>class</th><th>slot</th>(.*?)</tr></thead>", html, re.S).group(1)
    assert re.findall(r">([\w]+)</a></th>", header) == [s.name for s in p.sources]
    assert 'class="cell mapped"' in html and 'class="cell none"' in html
    unmapped = html.split('id="unmapped"')[1]
    assert ">Fax</code>" in unmapped           # chinook keeps a fax number no mapping uses
    assert "columns/chinook/Customer/Fax.html" in unmapped
    assert "columns/chinook/Customer/Phone.html" not in unmapped


def test_lineage_pictures_are_laid_out_at_build_time_with_columns_grouped_by_table():
    data = graph_data(page("slots/phone_number.html"))
    groups, nodes = data["groups"], data["nodes"]
    for n in nodes:
        group = groups[n[3]]
        if n[0].startswith("column:"):
            assert group[0] == "table:" + n[0].split(":", 1)[1].rsplit(".", 1)[0]
    assert all(isinstance(g[5], (int, float)) for g in groups)      # y computed here, not in the browser
    assert {g[3] for g in groups} == {0, 1, 2}
    overview = graph_data(page("lineage.html"))
    assert all(g[4] == 1 for g in overview["groups"] if g[6])        # everything starts collapsed
    assert len([n for n in overview["nodes"] if n[0].startswith("column:")]) == \
        sum(len(t.columns) for s in plan().sources for t in s.schema.tables.values())


def test_search_index_covers_terms_synonyms_labels_and_columns():
    index = page("assets/search-index.js")
    entries = json.loads(index[len("window.DICT_SEARCH = "):].rstrip().rstrip(";"))
    by_title = {e[0]: e for e in entries}
    household = by_title["Household"]
    assert household[1] == "term" and household[2] == "terms/Household.html"
    assert {"家庭", "ménage", "HH"} <= set(household[3].split("\u001f"))
    assert any(e[1] == "column" and e[0] == "chinook.Customer.Phone" for e in entries)


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.refs.append((tag, value))


def test_no_page_or_script_reaches_the_network():
    for rel, text in docs_files().items():
        if rel.endswith(".html"):
            parser = _Refs()
            parser.feed(text)
            for tag, ref in parser.refs:
                assert not re.match(r"^[a-z][a-z0-9+.-]*:", ref) and not ref.startswith("//"), f"{rel}: {tag} {ref}"
        if rel.endswith(".js"):
            for banned in ("fetch(", "XMLHttpRequest", "http://", "https://", "import(", "WebSocket"):
                assert banned not in text, f"{rel} uses {banned}"
        if rel.endswith(".css"):
            assert "url(" not in text and "@import" not in text


def test_the_docs_site_is_built_not_committed():
    """The site is built in CI and published (docs/ci/dict-pull-request.yml); `dict check` compares what is
    committed and leaves the site out unless asked (`--target docs`)."""
    from toolkit.emit.generate import committed_generators, generator_of

    tracked = subprocess.run(["git", "ls-files", "generated/docs"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked == ""
    assert "generated/docs/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "docs" not in committed_generators() and not generator_of("docs").committed
    assert "upload" in (ROOT / "docs" / "ci" / "dict-pull-request.yml").read_text(encoding="utf-8")


def test_docs_do_not_depend_on_the_hash_seed(tmp_path):
    env = dict(os.environ, PYTHONHASHSEED="777")
    subprocess.run([sys.executable, "-m", "toolkit.cli", "generate", "docs", "--project", str(ROOT),
                    "--out", str(tmp_path)], check=True, env=env, capture_output=True)
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_bytes().decode("utf-8")
             for p in sorted((tmp_path / "docs").rglob("*")) if p.is_file()}
    assert set(fresh) == set(docs_files())
    for rel, text in sorted(fresh.items()):
        if text != docs_files()[rel]:
            line = next(i for i, (a, b) in enumerate(zip(text.splitlines() + [""], docs_files()[rel].splitlines() + [""])) if a != b)
            raise AssertionError(f"{rel} line {line + 1} differs:\n{text.splitlines()[line][:300]}\n"
                                 f"{docs_files()[rel].splitlines()[line][:300]}")


def test_docs_generator_is_registered_and_reads_only_the_plan():
    from toolkit.emit.generate import generator_names

    assert {"docs", "lineage"} <= set(generator_names())
    source = open(docs_generator.__file__, encoding="utf-8").read()
    assert "SchemaView" not in source and "import yaml" not in source and "load_yaml" not in source
