"""The docs site in a real browser (Debian's Chromium, headless, driven by Playwright) from file://: pages load with
no console error and no request leaves file://, search ranks exact matches first, clicking traces lineage, and
every internal link resolves. Saves screenshots of a term page and a lineage graph in tests/artifacts/."""
from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest

from lineage_support import artifacts, docs_site, graph
from toolkit.emit.graph import summary_links

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Watch:
    """A page that records console errors, page errors, failed loads and any request outside file://."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.context.route(re.compile(r"^(?!file://).*"), self._outside)

    def _outside(self, route):
        self.problems.append(f"network: {route.request.url}")
        route.abort()

    def open(self, rel: str, ready: str | None = None):
        path, _, query = rel.partition("?")
        self.page.goto((docs_site() / path).as_uri() + (f"?{query}" if query else ""), wait_until="domcontentloaded")
        if ready:
            self.page.wait_for_selector(ready, state="attached")
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture()
def watch(browser):
    w = Watch(browser)
    yield w
    w.close()


def pages() -> list[str]:
    return sorted(p.relative_to(docs_site()).as_posix() for p in docs_site().rglob("*.html"))


def test_every_page_loads_with_no_console_error_and_no_request_outside_file(watch):
    for rel in pages():
        page = watch.open(rel)
        if page.locator("#lineage-data").count():
            page.wait_for_selector("body[data-lineage-ready]", state="attached")
        assert not watch.problems, f"{rel}: {watch.problems}"
    # the search index is loaded lazily from a local script, not fetched
    page = watch.open("index.html")
    page.fill("#search-box", "customer")
    page.wait_for_selector("#search-results li")
    assert not watch.problems, watch.problems


def test_searching_household_ranks_the_household_term_first(watch):
    page = watch.open("index.html")
    page.fill("#search-box", "household")
    page.wait_for_selector("#search-results li.hit")
    first = page.locator("#search-results li.hit").first
    assert first.get_attribute("data-kind") == "term"
    assert first.locator("a").get_attribute("href").endswith("terms/Household.html")
    hits = [a.get_attribute("href") for a in page.locator("#search-results li.hit a").all()]
    assert any(h.endswith("slots/household_id.html") for h in hits)   # partial matches follow
    # the search page gives the same order, and synonyms and labels in other languages find the term too
    page = watch.open("search.html?q=household", "body[data-search-ready]")
    assert page.locator("#search-page-results li.hit a").first.get_attribute("href").endswith("terms/Household.html")
    for query in ("家庭", "ménage", "HH"):
        page = watch.open(f"search.html?q={query}", "body[data-search-ready]")
        assert page.locator("#search-page-results li.hit a").first.get_attribute("href").endswith("terms/Household.html"), query
    assert not watch.problems, watch.problems


def expected_upstream_columns(class_name: str, slot: str) -> set[str]:
    """Legacy columns feeding a canonical slot, straight from the lineage graph (value and row lineage)."""
    g = graph()
    links = summary_links(g)
    feeding = {l.derivation for l in links if l.slot == slot and g.nodes[l.derivation]["target"] == class_name}
    return {l.column for l in links if l.derivation in feeding and (l.slot in ("", slot))}


def test_clicking_a_slot_shows_its_expected_upstream_columns(watch):
    page = watch.open("slots/phone_number.html", "body[data-lineage-ready]")
    page.click('[data-id="slot:ContactPoint.phone_number"]')
    page.wait_for_selector("#lineage-panel .upstream")
    shown = {li.get_attribute("data-id") for li in page.locator("#lineage-panel .upstream li").all()}
    columns = {s for s in shown if s.startswith("column:")}
    assert columns == expected_upstream_columns("ContactPoint", "phone_number")
    assert {"column:chinook.Customer.Phone", "column:northwind.Customers.Phone", "column:northwind.Customers.Fax"} <= columns
    assert "column:chinook.Customer.Email" not in columns     # feeds e-mail contact points, not phone numbers
    # the traced nodes are highlighted in the picture
    assert page.locator('g.node.traced[data-id="column:chinook.Customer.Phone"]').count() == 1
    assert not watch.problems, watch.problems


def test_clicking_a_legacy_column_shows_what_it_feeds(watch):
    page = watch.open("tables/chinook/Customer.html", "body[data-lineage-ready]")
    page.click('[data-id="column:chinook.Customer.Phone"]')
    page.wait_for_selector("#lineage-panel .downstream")
    down = {li.get_attribute("data-id") for li in page.locator("#lineage-panel .downstream li").all()}
    assert "slot:ContactPoint.phone_number" in down
    assert "f:chinook.ContactPointPhone.phone_number" in down
    assert not watch.problems, watch.problems


def test_groups_expand_on_click(watch):
    page = watch.open("lineage.html", "body[data-lineage-ready]")
    assert page.locator('g.node[data-id="column:chinook.Customer.Phone"]').count() == 0    # collapsed
    page.click('g.grp:has(title:text-is("chinook.Customer")) .grp-label')
    page.wait_for_selector('g.node[data-id="column:chinook.Customer.Phone"]')
    page.click('g.grp:has(title:text-is("chinook.Customer")) .grp-label')
    assert page.locator('g.node[data-id="column:chinook.Customer.Phone"]').count() == 0
    assert not watch.problems, watch.problems


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "form"):
                self.links.append(attrs[key])


def test_every_internal_link_resolves():
    site = docs_site()
    parsed: dict[Path, _Links] = {}

    def parse(path: Path) -> _Links:
        if path not in parsed:
            p = _Links()
            p.feed(path.read_text(encoding="utf-8"))
            parsed[path] = p
        return parsed[path]

    def check(origin: Path, href: str, base: Path):
        target, fragment = urldefrag(href)
        path = (base / unquote(target)).resolve() if target else origin
        assert path.is_file(), f"{origin.relative_to(site)}: {href} does not exist"
        if fragment and path.suffix == ".html":
            assert fragment in parse(path).ids, f"{origin.relative_to(site)}: #{fragment} not in {path.relative_to(site)}"

    count = 0
    for html in sorted(site.rglob("*.html")):
        links = parse(html)
        for href in links.links:
            check(html, href, html.parent)
            count += 1
        text = html.read_text(encoding="utf-8")
        data = re.search(r'<script type="application/json" id="lineage-data">(.*?)</script>', text, re.S)
        if data:   # lineage nodes and groups link to pages relative to the site root
            graph_data = json.loads(data.group(1))
            for item in graph_data["nodes"] + graph_data["groups"]:
                check(html, item[2], site)
                count += 1
    index = (site / "assets" / "search-index.js").read_text(encoding="utf-8")
    for entry in json.loads(index[len("window.DICT_SEARCH = "):].rstrip().rstrip(";")):
        check(site / "index.html", entry[2], site)
        count += 1
    assert count > 1000


def test_screenshots_of_a_term_page_and_a_lineage_graph(watch):
    out = artifacts()
    page = watch.open("terms/Customer.html", "body[data-lineage-ready]")
    page.screenshot(path=str(out / "term-customer.png"), full_page=True)
    page.click('[data-id="slot:Customer.full_name"]')
    page.wait_for_selector("#lineage-panel .upstream")
    page.locator(".lineage-section").screenshot(path=str(out / "lineage-customer-full-name.png"))
    page = watch.open("slots/phone_number.html", "body[data-lineage-ready]")
    page.click('[data-id="slot:ContactPoint.phone_number"]')
    page.wait_for_selector("#lineage-panel .upstream")
    page.locator(".lineage-section").screenshot(path=str(out / "lineage-phone-number.png"))
    for name in ("term-customer.png", "lineage-customer-full-name.png", "lineage-phone-number.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not watch.problems, watch.problems


# ------------------------------------------------------------------ navigation aids (tests/test_docs_features.py too)

def test_the_customer_page_links_to_contact_point_which_references_it(watch):
    page = watch.open("terms/Customer.html")
    link = page.locator('.referenced-by a.chip', has_text="ContactPoint")
    assert link.count() == 1
    link.click()
    page.wait_for_url(re.compile(r".*/terms/ContactPoint\.html$"))
    assert page.locator(".references a.chip", has_text="Customer").count() == 1
    assert not watch.problems, watch.problems


def test_one_dialect_bar_switches_every_folded_view_on_a_mapping_page(watch):
    page = watch.open("mappings/chinook.html")
    views = page.locator("details.sql-view")
    assert views.count() > 20 and page.locator("[data-tab-bar]").count() == 1
    views.first.locator("summary").click()
    first = views.first
    assert first.locator('pre[data-panel="duckdb"]').is_visible()
    page.locator('[data-tab-bar] button[data-tab="postgres"]').click()
    assert page.locator('[data-tab-bar] button[data-tab="postgres"]').get_attribute("aria-selected") == "true"
    assert first.locator('pre[data-panel="postgres"]').is_visible()
    assert not first.locator('pre[data-panel="duckdb"]').is_visible()
    hidden = page.locator('details.sql-view pre[data-panel="postgres"][hidden]').count()
    assert hidden == 0     # every view switched, folded or not
    assert not watch.problems, watch.problems


def test_direct_only_and_depth_narrow_the_trace_in_the_panel(watch):
    page = watch.open("slots/full_name.html", "body[data-lineage-ready]")
    page.click('[data-id="slot:Customer.full_name"]')
    page.wait_for_selector("#lineage-panel .upstream")
    every = page.locator("#lineage-panel .upstream li").count()
    page.check("[data-lineage-direct]")
    direct = page.locator("#lineage-panel .upstream li")
    assert 0 < direct.count() < every
    assert all("INDIRECT" not in li.inner_text() for li in direct.all())
    assert page.locator("#lineage path.edge.indirect").count() == 0
    page.uncheck("[data-lineage-direct]")
    page.select_option("[data-lineage-depth]", "1")
    assert 0 < page.locator("#lineage-panel .upstream li").count() < every
    assert not watch.problems, watch.problems


def test_the_estate_lineage_filters_by_system(watch):
    page = watch.open("lineage.html", "body[data-lineage-ready]")
    before = page.locator("#lineage g.grp").count()
    box = page.locator("[data-lineage-system]")
    assert box.is_visible()
    options = [o.get_attribute("value") for o in box.locator("option").all()]
    assert options[0] == "" and "chinook" in options and "northwind" in options
    box.select_option("chinook")
    groups = [g.get_attribute("data-g") for g in page.locator("#lineage g.grp").all()]
    assert 0 < len(groups) < before
    labels = page.locator("#lineage g.grp.layer0 text.grp-label").all_text_contents()
    assert labels and all(text.lstrip("▸▾ ").startswith("chinook.") for text in labels)
    box.select_option("")
    assert page.locator("#lineage g.grp").count() == before
    assert not watch.problems, watch.problems


def test_the_run_page_draws_its_chart(watch):
    page = watch.open("run.html")
    assert page.locator(".run-none, #run-chart").count() >= 1   # the committed site has no record: it says how
    assert not watch.problems, watch.problems
