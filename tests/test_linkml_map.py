"""`dict export linkml-map`: one LinkML-Map TransformationSpecification per source that passes
`linkml-map validate-spec`, lists every feature LinkML-Map lacks, and — run by LinkML-Map's own
ObjectTransformer over the real data — gives the same canonical records as our translator for every
slot it derives (a differential test against an independent implementation)."""
from __future__ import annotations

import datetime
import decimal
import shutil
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from conftest import CHINOOK, NORTHWIND, _require
from toolkit.cli import app
from toolkit.emit.linkml_map import export_linkml_map
from toolkit.plan import load_plan
from translator_support import ROOT, dict_rows, estate_and_legacy, load_translator, quoted, records_with_joins

PLAN = load_plan(ROOT)
EXPORTS = {e.source.name: e for e in export_linkml_map(PLAN, "../../dictionary/enterprise.yaml")}
EXPORTED = [pytest.param(e.source.name, d.view.name, id=f"{e.source.name}-{d.view.name}")
            for e in EXPORTS.values() for d in e.derivations if d.exported]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The specs as the command writes them, into generated/linkml-map of a copy of the project."""
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "dictionary", project / "dictionary")
    shutil.copytree(ROOT / "mappings", project / "mappings")
    result = CliRunner().invoke(app, ["export", "linkml-map", "--project", str(project)])
    assert result.exit_code == 0, result.output
    return project / "generated" / "linkml-map", result.output


@pytest.fixture(scope="module")
def data(plan):
    con = estate_and_legacy(plan, _require(CHINOOK), _require(NORTHWIND))
    yield con
    con.close()


class TypedLookup:
    """LinkML-Map's lookup contract (``lookup_row``: the first row whose key column matches the key, compared as
    text) over rows that keep their types. LinkML-Map's own file-based LookupIndex reads joined tables as text
    and turns numeric-looking text into numbers, which the export lists as a difference."""

    def __init__(self, tables: dict[str, list[dict]]):
        self.tables = tables

    def lookup_row(self, table: str, key_col: str, key_val):
        wanted = str(key_val)
        return next((row for row in self.tables[table] if row.get(key_col) is not None and str(row[key_col]) == wanted), None)


@pytest.fixture(scope="module")
def transformers(exported):
    from linkml_map.transformer.object_transformer import ObjectTransformer
    from linkml_runtime import SchemaView

    folder, _ = exported
    target = SchemaView(str(ROOT / "dictionary" / "enterprise.yaml"))
    made = {}
    for name, e in EXPORTS.items():
        tr = ObjectTransformer()
        tr.source_schemaview = SchemaView(str(folder / e.schema_file))
        tr.target_schemaview = target
        tr.load_transformer_specification(str(folder / e.spec_file))
        made[name] = tr
    return made


def test_every_spec_passes_linkml_map_validate_spec(exported):
    layout, _ = exported
    specs = [e.spec_file for e in EXPORTS.values()]
    done = subprocess.run([sys.executable, "-m", "linkml_map.cli.cli", "validate-spec", *specs],
                          cwd=layout, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for e in EXPORTS.values():
        assert f"{e.spec_file}: ok" in done.stdout
        spec = yaml.safe_load((layout / e.spec_file).read_text(encoding="utf-8"))
        assert spec["source_schema"]["source_file"] == e.schema_file
    # the validator bound the specs to the schemas: a required target slot left underived is named
    assert "Required target slot 'full_name' has no derivation" in done.stdout + done.stderr


def test_features_linkml_map_lacks_are_listed_in_the_output_and_the_spec(exported):
    folder, output = exported
    flat = " ".join(output.split())
    assert "chinook: wrote" in flat and "(8 of 9 derivations)" in flat
    assert "Household: not exported: group_by" in flat and "aggregates many source records" in flat
    assert "Customer: reject_when `Email IS NULL OR TRIM(Email) = ''` rejects records" in flat
    assert "LinkML-Map has no rejects and maps every record" in flat
    assert "REGEXP_REPLACE (LinkML-Map has no regular-expression function)" in flat
    assert "ROUND (Python's round() rounds halves to even" in flat
    spec = yaml.safe_load((folder / "chinook.transform.yaml").read_text(encoding="utf-8"))
    assert any("Household: not exported: group_by" in c for c in spec["comments"])
    customer = next(cd for cd in spec["class_derivations"] if cd["description"].startswith("derivation Customer "))
    assert any("UPPER/LOWER use Python's Unicode case mapping" in c for c in customer["comments"])
    # nothing silently dropped: every derivation is exported or listed, every slot derived or listed
    for e in EXPORTS.values():
        for d in e.derivations:
            if not d.exported:
                assert any(u.startswith("not exported") for u in d.unsupported)
                continue
            for s in d.slots:
                assert s.status != "unsupported" or any(f"slot {s.name}:" in u for u in d.unsupported)


def _number(value) -> decimal.Decimal:
    return decimal.Decimal(str(value)).quantize(decimal.Decimal("0.0001"), rounding=decimal.ROUND_HALF_UP)


def _same(ours, theirs, notes: list[str]) -> bool:
    """Equal, or equal up to a difference the export documents for this slot."""
    if ours == theirs:
        return True
    if ours is None or theirs is None:
        return False
    if isinstance(ours, (decimal.Decimal, float)) and not isinstance(theirs, (bool, str)):
        return _number(ours) == _number(theirs)          # exact decimals vs binary floats, at the slot's scale
    if isinstance(ours, str) and isinstance(theirs, str) and any("case mapping" in n or "title()" in n for n in notes):
        return ours.casefold() == theirs.casefold()      # 'STRAẞE' (SQL) vs 'STRASSE' (Python)
    return False


@pytest.mark.parametrize("source,derivation", EXPORTED)
def test_linkml_map_gives_the_same_canonical_records_as_our_translator(source, derivation, data, transformers):
    e = EXPORTS[source]
    d = next(d for d in e.derivations if d.view.name == derivation)
    view = d.view
    tr = transformers[source]
    index = [x for x in e.derivations if x.exported].index(d)
    class_derivation = tr.derived_specification.class_derivations[index]
    assert class_derivation.populated_from == view.base.table.name
    tr.lookup_index = TypedLookup({alias: dict_rows(data, f"SELECT * FROM {quoted(view.base.database_schema)}."
                                                          f"{quoted(spec['class_named'])}") for alias, spec in d.joins.items()})
    module = load_translator(PLAN, source)
    aliases = {j.ref.alias for j in view.joins}
    compared = mismatches = 0
    for record in records_with_joins(data, view):
        ours = module.translate(view.name, record)
        if isinstance(ours, module.Reject):
            continue   # LinkML-Map has no rejects: these records are listed as its missing feature
        theirs = tr.map_object({k: v for k, v in record.items() if k not in aliases}, source_type=view.base.table.name,
                               target_type=view.target.name, class_derivation=class_derivation)
        for s in d.slots:
            if s.status not in ("exact", "approximate"):
                continue
            compared += 1
            if not _same(ours[s.name], theirs.get(s.name), s.notes):
                mismatches += 1
                assert False, f"{view.name}.{s.name} of {ours['_source_key']}: ours {ours[s.name]!r}, LinkML-Map {theirs.get(s.name)!r}"
    assert compared > 0 and mismatches == 0


def test_exported_specs_are_committed_and_reproduced_byte_for_byte(exported):
    folder, _ = exported
    for path in sorted(folder.glob("*.yaml")):
        committed = ROOT / "generated" / "linkml-map" / path.name
        assert committed.exists() and committed.read_bytes() == path.read_bytes(), \
            f"generated/linkml-map/{path.name} is out of date: run `dict export linkml-map`"
