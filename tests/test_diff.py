"""dict diff: every dictionary and mapping change since a git revision, classified as breaking or
compatible, with the mappings, views, lineage and generated files it touches.

Each test works on a throwaway git repository holding this project's dictionary and mappings:
`main` is the committed project, a branch makes the architect's change.
"""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from projects import copy_project, edit, git, init_repo
from toolkit.cli import app as app_
from toolkit.analyze.diff import BREAKING, COMPATIBLE
from toolkit.analyze.diff import diff_revision as full_diff_revision
from toolkit.emit.generate import generate, generator_names

runner = CliRunner()
DICTIONARY = "dictionary/enterprise.yaml"
CHINOOK = "mappings/chinook.yaml"
NORTHWIND = "mappings/northwind.yaml"


# Most tests compare only the SQL generator's files: rendering every generator (docs is a big
# site) twice per diff adds nothing to what these tests check.
SQL_ONLY = ["sql"]


def diff_revision(root, rev=None, targets=SQL_ONLY):
    return full_diff_revision(root, rev, targets=targets)


@pytest.fixture(scope="module")
def base_repo(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("diff-base") / "repo")
    # these tests remove and rename support_agent; the golden-record rules that keep it together with its
    # id would make those edits invalid dictionaries (tests/test_golden.py covers that rule)
    edit(root / DICTIONARY, ", support_agent_id+support_agent", "")
    generate(root, SQL_ONLY)
    return init_repo(root)


@pytest.fixture()
def repo(base_repo, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(base_repo, root)
    git(root, "checkout", "-q", "-b", "feature")
    return root


def changes(report, kind=None, severity=None):
    return [c for c in report.changes if (kind is None or c.kind == kind) and (severity is None or c.severity == severity)]


def one(report, kind):
    found = changes(report, kind)
    assert len(found) == 1, [(c.kind, c.subject) for c in report.changes]
    return found[0]


def cli(root, *args):
    return runner.invoke(app_, ["diff", "--project", str(root), "--only", "sql", *args])


def test_unchanged_branch_has_no_changes(repo):
    report = diff_revision(repo)
    assert report.changes == ()
    assert report.generated_changes == ()
    result = cli(repo, "--fail-on", "any")
    assert result.exit_code == 0, result.output
    assert "0 breaking, 0 compatible" in result.output


def test_removing_a_slot_is_breaking_and_lists_mappings_views_lineage_and_generated_files(repo):
    edit(repo / DICTIONARY, "      - support_agent\n", "")
    edit(repo / CHINOOK, "      support_agent:\n        expr: rep.FirstName || ' ' || rep.LastName\n", "")
    git(repo, "commit", "-qam", "drop support agent")

    report = diff_revision(repo)

    change = one(report, "removed-slot")
    assert change.severity == BREAKING and change.subject == "Customer.support_agent"
    assert (change.file, change.side) == (DICTIONARY, "old")
    touched = {(m.file, m.what) for m in change.touches.mappings}
    assert (CHINOOK, "chinook Customer.support_agent") in touched
    assert (NORTHWIND, "northwind Customer.support_agent (unmapped)") in touched
    chinook_line = next(m.line for m in change.touches.mappings if m.file == CHINOOK)
    base_text = git(repo, "show", f"main:{CHINOOK}").splitlines()
    assert base_text[chinook_line - 1].strip() == "support_agent:"
    assert {"customer", "chinook__customer", "chinook__customer__staged", "chinook__customer__rejects",
            "northwind__customer"} <= set(change.touches.views)
    assert "chinook.Employee.FirstName -> Customer.support_agent [chinook Customer]" in change.touches.lineage
    assert {"generated/sql/duckdb/chinook.sql", "generated/sql/duckdb/integrated.sql"} <= set(change.touches.generated)
    sql = {f for f in report.generated_changes if f.startswith("generated/sql/")}
    assert sql == {"generated/sql/duckdb/chinook.sql", "generated/sql/duckdb/integrated.sql",
                   "generated/sql/duckdb/northwind.sql", "generated/sql/duckdb/golden.sql"}   # golden_customer too
    # the slot derivation that went with it is not reported twice
    assert not changes(report, "removed-slot-derivation")


def test_fail_on_breaking_sets_the_exit_code_for_ci(repo):
    edit(repo / CHINOOK, "          Austria: AT\n", "          Austria: DE\n")
    assert cli(repo, "--fail-on", "never").exit_code == 0
    assert cli(repo).exit_code == 1   # breaking is the default: a CI step fails without being told to
    result = cli(repo, "--fail-on", "breaking")
    assert result.exit_code == 1
    assert "BREAKING" in result.output and "changed-code-map-target" in result.output
    assert "chinook code 'Austria' of Household.country_code now maps to 'DE' (was 'AT')" in result.output


def test_changed_code_map_target_points_at_the_code_and_every_slot_using_it(repo):
    edit(repo / CHINOOK, "          Austria: AT\n", "          Austria: DE\n")
    report = diff_revision(repo)
    found = changes(report, "changed-code-map-target")
    # the country list is a YAML anchor shared by four slots
    assert {c.subject for c in found} == {"chinook Household.country_code", "chinook ContactPointAddress.country_code",
                                          "chinook Transaction.country_code", "chinook Employee.country_code"}
    line = next(i for i, l in enumerate((repo / CHINOOK).read_text().splitlines(), 1) if "Austria: DE" in l)
    assert {(c.file, c.line) for c in found} == {(CHINOOK, line)}
    transaction = next(c for c in found if "Transaction" in c.subject)
    assert transaction.touches.views == ("chinook__transaction", "chinook__transaction__rejects",
                                         "chinook__transaction__staged", "transaction")
    edges = list(transaction.touches.lineage)
    assert not any(e.startswith("generated/") for e in edges)   # edges only; files are under touches.generated
    assert edges == ["chinook.Invoice.BillingCountry -> Transaction.country_code [chinook Transaction]"]


def test_compatible_changes_do_not_fail_ci(repo):
    edit(repo / DICTIONARY, "      - member_count\n", "      - member_count\n      - customer_since\n")  # new optional slot
    edit(repo / DICTIONARY, "      platinum:\n", "      diamond:\n        description: Above platinum.\n      platinum:\n")
    edit(repo / DICTIONARY, "The number of customers grouped into the household.",
         "How many customers the household groups.")
    edit(repo / CHINOOK, "filter: Phone IS NOT NULL", "filter: Phone IS NOT NULL AND TRIM(Phone) <> ''")
    report = diff_revision(repo)
    assert not report.breaking, [(c.kind, c.subject) for c in report.breaking]
    kinds = {(c.kind, c.subject) for c in report.compatible}
    assert ("new-optional-slot", "Household.customer_since") in kinds
    assert ("new-permissible-value", "enum CustomerTier: diamond") in kinds
    assert ("changed-description", "member_count") in kinds
    assert ("changed-row-rules", "chinook ContactPointPhone") in kinds
    assert cli(repo, "--fail-on", "breaking").exit_code == 0
    assert cli(repo, "--fail-on", "any").exit_code == 1


def test_removed_permissible_value_lists_the_mappings_that_produce_it(repo):
    edit(repo / DICTIONARY, "      fax:\n        description: A facsimile number.\n        meaning: schema:faxNumber\n", "")
    report = diff_revision(repo)
    change = one(report, "removed-permissible-value")
    assert change.subject == "enum ContactPointType: fax"
    assert [(m.file, m.what) for m in change.touches.mappings] == [(NORTHWIND, "northwind ContactPointFax.contact_type")]
    assert "northwind__contact_point_fax" in change.touches.views
    # the working tree no longer validates: the report says so, and CI fails on it
    assert any("'fax' is not a permissible value" in p.message for p in report.new_problems)
    assert report.fails("breaking")


def test_making_a_slot_required_is_breaking(repo):
    edit(repo / DICTIONARY, "  birth_date:\n", "  birth_date:\n    required: true\n")
    assert "required: true\n    title: Birth" in (repo / DICTIONARY).read_text()
    report = diff_revision(repo)
    change = one(report, "new-required-slot")
    assert change.subject == "Customer.birth_date" and change.severity == BREAKING
    assert any("required slot 'birth_date'" in p.message for p in report.new_problems)


def test_narrowing_a_range_to_an_enum_is_breaking_and_widening_back_is_not(repo):
    category = "      used for reporting and merchandising.\n    range: "
    edit(repo / DICTIONARY, category + "string\n", category + "CustomerTier\n")
    report = diff_revision(repo)
    change = one(report, "narrowed-range")
    assert change.subject == "Product.product_category"
    assert "range narrowed to enum CustomerTier (was string)" in change.message
    git(repo, "commit", "-qam", "narrow")
    edit(repo / DICTIONARY, category + "CustomerTier\n", category + "string\n")
    widened = diff_revision(repo, "HEAD")
    assert [(c.kind, c.severity) for c in widened.changes if c.subject == "Product.product_category"] == \
        [("widened-range", COMPATIBLE)]


def test_changing_a_type_is_breaking(repo):
    edit(repo / DICTIONARY, "    The number of customers grouped into the household.\n    range: integer\n",
         "    The number of customers grouped into the household.\n    range: decimal\n")
    change = one(diff_revision(repo), "changed-type")
    assert change.subject == "Household.member_count"
    assert "column type changes from integer to decimal" in change.message


def test_renaming_a_slot_is_reported_once_as_a_rename(repo):
    edit(repo / DICTIONARY, "  support_agent:\n", "  account_manager:\n")
    edit(repo / DICTIONARY, "      - support_agent\n", "      - account_manager\n")
    edit(repo / DICTIONARY, "      - AccountManager\n", "      - AccountManager\n      - support_agent\n")
    edit(repo / CHINOOK, "      support_agent:\n", "      account_manager:\n")
    report = diff_revision(repo)
    change = one(report, "renamed-slot")
    assert change.severity == BREAKING
    assert "slot 'support_agent' was renamed to 'account_manager' (used by Customer)" == change.message
    # the class's new slot and the mapping that follows the rename are part of the rename
    assert [c.kind for c in report.changes] == ["renamed-slot"]
    assert {m.what for m in change.touches.mappings} >= {"chinook Customer.account_manager",
                                                         "northwind Customer.account_manager (unmapped)"}


def test_changing_a_source_key_is_breaking_and_reaches_the_global_ids_built_from_it(repo):
    edit(repo / CHINOOK, "  Customer:\n    populated_from: Customer\n",
         "  Customer:\n    populated_from: Customer\n    source_key: [Email]\n")
    change = one(diff_revision(repo), "changed-key")
    assert change.subject == "chinook Customer"
    assert "source_key [Email] (was [])" in change.message
    what = {m.what for m in change.touches.mappings}
    # GLOBAL_ID('Customer', CustomerId) in other derivations no longer matches the customer's id
    assert {"chinook ContactPointEmail.customer_id", "chinook Transaction.customer_id"} <= what


def test_a_primary_key_change_in_the_source_schema_changes_identifiers(repo):
    edit(repo / "mappings/chinook.source.yaml", "  Genre:\n    primary_key:\n    - GenreId\n",
         "  Genre:\n    primary_key:\n    - Name\n")
    edit(repo / "mappings/chinook.source.yaml", "  Track:\n    primary_key:\n    - TrackId\n",
         "  Track:\n    primary_key:\n    - Name\n")
    report = diff_revision(repo)
    assert [c.subject for c in changes(report, "changed-key")] == ["chinook Product"]
    assert {c.subject for c in changes(report, "changed-primary-key")} == {"chinook.Genre", "chinook.Track"}


def test_removing_a_derivation_is_breaking(repo):
    text = (repo / NORTHWIND).read_text()
    start = text.index("  ContactPointFax:\n")
    end = text.index("\n  ContactPoint", start + 5) + 1
    (repo / NORTHWIND).write_text(text[:start] + text[end:])
    change = one(diff_revision(repo), "removed-derivation")
    assert change.subject == "northwind ContactPointFax" and change.side == "old"
    assert "northwind__contact_point_fax__rejects" in change.touches.views


def test_default_base_is_the_merge_base_with_main(repo):
    edit(repo / CHINOOK, "          Austria: AT\n", "          Austria: DE\n")
    git(repo, "commit", "-qam", "feature change")
    git(repo, "checkout", "-q", "main")
    edit(repo / NORTHWIND, "title: ", "title: Renamed ")
    git(repo, "commit", "-qam", "main moved on")
    git(repo, "checkout", "-q", "feature")

    report = diff_revision(repo)
    assert report.base_commit == git(repo, "merge-base", "HEAD", "main").strip()
    assert {c.kind for c in report.changes} == {"changed-code-map-target"}  # not main's later title change
    against_main = diff_revision(repo, "main")
    assert ("changed-description", "northwind") in {(c.kind, c.subject) for c in against_main.changes}


def test_project_in_a_subfolder_of_the_repository(tmp_path):
    repo = tmp_path / "repo"
    copy_project(repo / "data" / "dict")
    init_repo(repo)
    edit(repo / "data" / "dict" / CHINOOK, "          Austria: AT\n", "          Austria: DE\n")
    report = diff_revision(repo / "data" / "dict", "HEAD")
    assert {c.kind for c in report.changes} == {"changed-code-map-target"}


def test_json_for_bots(repo):
    edit(repo / DICTIONARY, "      - support_agent\n", "")
    result = cli(repo, "--format", "json", "--fail-on", "breaking")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["summary"]["breaking"] >= 1
    change = next(c for c in data["changes"] if c["kind"] == "removed-slot")
    assert change["severity"] == "breaking" and change["file"] == DICTIONARY
    assert {"file": CHINOOK, "what": "chinook Customer.support_agent"}.items() <= change["touches"]["mappings"][0].items()
    assert set(change["touches"]) == {"mappings", "views", "translators", "lineage", "generated"}
    assert any("class 'Customer' has no slot 'support_agent'" in p for p in data["problems"]["working_tree"])


def test_unknown_revision_and_missing_repository_are_clear_errors(repo, tmp_path):
    result = cli(repo, "no-such-branch")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no-such-branch" in result.output or "git rev-parse" in result.output
    lonely = copy_project(tmp_path / "not-a-repo")
    result = cli(lonely)
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_translators_of_the_touched_source_are_listed(repo, monkeypatch):
    """Files of the translator generator (`dict generate python`) that belong to the changed source."""
    from toolkit.emit import generate as registry

    if "python" not in generator_names():   # until the translator generator lands, a stand-in with its layout
        def translators(plan, **_):
            return {f"python/{s.name}.py": "\n".join(f"{v.name}: {sp.name} = {sp.expr.text if sp.expr else None}"
                                                     for v in s.views for sp in v.slots) for s in plan.sources}
        monkeypatch.setitem(registry.GENERATORS, "python", registry.Generator("python", translators, lambda **_: ("python",)))
    generate(repo, ["python"])
    edit(repo / CHINOOK, "expr: TRIM(FirstName)\n", "expr: UPPER(TRIM(FirstName))\n")
    change = one(diff_revision(repo, targets=["python"]), "changed-derivation")
    assert change.subject == "chinook Customer.given_name" and change.severity == COMPATIBLE
    assert change.touches.translators and all("chinook" in t for t in change.touches.translators)
    assert not [t for t in change.touches.translators if "northwind" in t]


def test_github_format_marks_a_breaking_change_on_its_mapping_line(repo):
    edit(repo / CHINOOK, "          Austria: AT\n", "          Austria: DE\n")
    result = cli(repo, "--format", "github")
    assert result.exit_code == 1   # --fail-on breaking is the default
    line = next(l for l in result.output.splitlines() if "changed-code-map-target" in l)
    number = int(line.split(",line=")[1].split("::")[0])
    assert line.startswith("::error file=mappings/chinook.yaml,line=")
    assert "Austria: DE" in (repo / CHINOOK).read_text(encoding="utf-8").splitlines()[number - 1]


# ------------------------------------------------------------------ renames shown as renames, with their evidence

def test_a_renamed_source_column_is_one_rename_with_its_evidence_not_removed_and_added(repo):
    edit(repo / "mappings/chinook.source.yaml", "      Company:\n        type: NVARCHAR(80)\n",
         "      CompanyName:\n        type: NVARCHAR(80)\n")
    edit(repo / CHINOOK, "CASE WHEN Company IS NULL", "CASE WHEN CompanyName IS NULL")
    edit(repo / CHINOOK, "        populated_from: Company\n", "        populated_from: CompanyName\n")
    report = diff_revision(repo)
    assert not changes(report, "removed-source-column") and not changes(report, "new-source-column")
    change = one(report, "renamed-source-column")
    assert change.subject == "chinook.Customer.CompanyName" and change.severity == COMPATIBLE
    assert change.message == ("column 'Customer.Company' of chinook's source schema was renamed to "
                              "'Customer.CompanyName': the mappings follow it")
    evidence = dict(change.evidence)
    assert evidence["same type"] == "NVARCHAR(80)" and float(evidence["name similarity"]) >= 0.7
    assert evidence["same position"] == "4"
    assert change.as_dict()["evidence"]["same type"] == "NVARCHAR(80)"
    result = cli(repo)
    assert "renamed-source-column  chinook.Customer.CompanyName" in result.output
    assert "  evidence:    name similarity 0.78; same type NVARCHAR(80); same position 4" in result.output


def test_a_column_renamed_in_place_is_a_rename_but_a_new_type_is_removed_and_added(repo):
    source = repo / "mappings/chinook.source.yaml"
    edit(source, "      Fax:\n        type: NVARCHAR(24)\n", "      Facsimile:\n        type: NVARCHAR(24)\n")
    text = (repo / CHINOOK).read_text()
    (repo / CHINOOK).write_text(text.replace("Fax", "Facsimile"))
    report = diff_revision(repo)
    renamed = [c for c in changes(report, "renamed-source-column") if c.subject.startswith("chinook.Customer.")]
    assert [c.subject for c in renamed] == ["chinook.Customer.Facsimile"], [(c.kind, c.subject) for c in report.changes]
    assert dict(renamed[0].evidence)["same position"]

    git(repo, "checkout", "-q", "--", ".")
    edit(source, "      Fax:\n        type: NVARCHAR(24)\n", "      Facsimile:\n        type: INTEGER\n")
    (repo / CHINOOK).write_text(text.replace("Fax", "Facsimile"))
    report = diff_revision(repo)
    kinds = {c.kind for c in report.changes if c.subject.startswith("chinook.Customer.F")}
    assert kinds == {"removed-source-column", "new-source-column"}


def test_a_renamed_derivation_is_one_breaking_rename_that_names_its_old_and_new_views(repo):
    edit(repo / NORTHWIND, "  ContactPointFax:\n", "  ContactPointFacsimile:\n")
    report = diff_revision(repo)
    assert not changes(report, "removed-derivation") and not changes(report, "new-derivation")
    change = one(report, "renamed-derivation")
    assert change.severity == BREAKING and change.subject == "northwind ContactPointFacsimile"
    assert "derivation 'ContactPointFax' of northwind was renamed to 'ContactPointFacsimile'" in change.message
    assert {"northwind__contact_point_fax", "northwind__contact_point_facsimile"} <= set(change.touches.views)
    evidence = dict(change.evidence)
    assert evidence["same target class"] == "ContactPoint" and evidence["shared slot derivations"] == "5 of 5"


def test_a_slot_renamed_without_an_alias_is_recognised_by_its_name_and_shape(repo):
    edit(repo / DICTIONARY, "  support_agent:\n", "  support_agent_name:\n")
    edit(repo / DICTIONARY, "      - support_agent\n", "      - support_agent_name\n")
    edit(repo / DICTIONARY, "      The name of the support or sales representative assigned to look after\n",
         "      Who looks after the customer: the support or sales representative assigned to\n")
    edit(repo / CHINOOK, "      support_agent:\n", "      support_agent_name:\n")
    report = diff_revision(repo)
    change = one(report, "renamed-slot")
    assert change.message.startswith("slot 'support_agent' was renamed to 'support_agent_name'")
    evidence = dict(change.evidence)
    assert float(evidence["name similarity"]) >= 0.8 and evidence["same range"] == "string"
    assert "same description" not in evidence
    assert not changes(report, "removed-slot") and not changes(report, "new-optional-slot")


def test_lineage_touches_are_edges_and_generated_files_are_listed_apart(repo):
    edit(repo / DICTIONARY, "      - support_agent\n", "")
    edit(repo / CHINOOK, "      support_agent:\n        expr: rep.FirstName || ' ' || rep.LastName\n", "")
    result = cli(repo, "--format", "json")
    assert result.exit_code == 1   # breaking, and --fail-on defaults to breaking
    data = json.loads(result.output)
    for change in data["changes"]:
        assert all(" -> " in edge and not edge.startswith("generated/") for edge in change["touches"]["lineage"])
        assert all(path.startswith("generated/") for path in change["touches"]["generated"])
    assert any(change["touches"]["lineage"] for change in data["changes"])


def test_target_is_the_deprecated_spelling_of_only_and_warns(repo):
    edit(repo / CHINOOK, "          Austria: AT\n", "          Austria: DE\n")
    only = runner.invoke(app_, ["diff", "-p", str(repo), "--only", "sql", "--format", "json"])
    old = runner.invoke(app_, ["diff", "-p", str(repo), "--target", "sql", "--format", "json"])
    assert only.exit_code == old.exit_code
    warning, rest = old.output.split("\n", 1)
    assert warning.startswith("warning: --target is deprecated here: use --only") and rest == only.output
