"""`dict translate`: records stream in (JSON Lines or CSV), canonical records out, rejects aside, and the
reconciliation at the end proves nothing was lost, malformed input lines included."""
from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from conftest import CHINOOK, _require
from toolkit.cli import app
from translator_support import ROOT, dict_rows

runner = CliRunner()


@pytest.fixture(scope="module")
def chinook_rows():
    import duckdb

    con = duckdb.connect()
    from toolkit.run.engines.duckdb import attach
    from toolkit.plan import load_plan

    plan = load_plan(ROOT)
    attach(con, plan.source("chinook"), _require(CHINOOK))
    customers = dict_rows(con, 'SELECT * FROM "chinook"."Customer" ORDER BY "CustomerId"')
    employees = dict_rows(con, 'SELECT * FROM "chinook"."Employee"')
    con.close()
    return customers, employees


def _jsonl(path, rows, extra_lines=()):
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
        for line in extra_lines:
            fh.write(line + "\n")
    return path


def _invoke(*args):
    return runner.invoke(app, ["translate", "--project", str(ROOT), *args])


def test_translate_reconciles_every_record_including_malformed_lines(tmp_path, chinook_rows):
    customers, employees = chinook_rows
    source = _jsonl(tmp_path / "customers.jsonl", customers, ["{not json", "[1, 2]", '"just text"'])
    joined = _jsonl(tmp_path / "employees.jsonl", employees)
    result = _invoke("--source", "chinook", "--class", "Customer", "-i", str(source), "-o", str(tmp_path / "out.jsonl"),
                     "--join", f"rep={joined}")
    assert result.exit_code == 0, result.output
    assert "chinook.Customer: 62 records in = 59 canonical out + 3 rejected (3 malformed input line(s))" in result.output
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    rejects = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(out) == 59 and len(rejects) == 3
    assert {r["_line"] for r in rejects} == {60, 61, 62}
    assert rejects[0]["_reject_reason"].startswith("line 60: not valid JSON") and rejects[0]["_input"] == "{not json"
    first = next(r for r in out if r["_source_key"] == "1")
    assert first["support_agent"] == "Jane Peacock" and first["id"] == "chinook:Customer:1"


def test_translate_runs_every_derivation_of_a_class_and_reconciles_each(tmp_path, chinook_rows):
    customers, _ = chinook_rows
    source = _jsonl(tmp_path / "customers.jsonl", customers)
    result = _invoke("--source", "chinook", "--class", "ContactPoint", "-i", str(source), "-o", str(tmp_path / "cp.jsonl"))
    assert result.exit_code == 0, result.output
    assert "chinook.ContactPointPhone: 59 records in = 58 canonical out + 1 rejected" in result.output
    assert "excluded by filter: Phone IS NOT NULL" in result.output
    derivations = {json.loads(line)["_derivation"] for line in (tmp_path / "cp.jsonl").read_text().splitlines()}
    assert derivations == {"ContactPointEmail", "ContactPointPhone", "ContactPointAddress"}


def test_translate_reads_csv_and_rejects_rows_with_the_wrong_number_of_fields(tmp_path):
    path = tmp_path / "lines.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["InvoiceLineId", "InvoiceId", "TrackId", "UnitPrice", "Quantity"])
        w.writerow([1, 1, 2, "0.99", 1])
        w.writerow([2, 1, 4, "0.99", "three"])
        w.writerow([3, 2, 6])
        w.writerow([4, 2, 8, "", 2])
    result = _invoke("--source", "chinook", "--class", "TransactionLine", "-i", str(path), "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 0, result.output
    assert "4 records in = 1 canonical out + 3 rejected (1 malformed input line(s))" in result.output
    rejects = [json.loads(l) for l in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    reasons = {r["_line"]: r["_reject_reason"] for r in rejects}
    assert reasons[3] == "column Quantity: 'three' is not a valid integer value"
    assert reasons[4] == "line 4: 3 fields, but the header has 5"
    # an empty CSV field is NULL, and InvoiceLine.UnitPrice is NOT NULL: the table could not hold the row
    assert reasons[5] == "column UnitPrice has no value, but it is NOT NULL in table InvoiceLine"
    assert {r["_rule"] for r in rejects if r["_line"] == 5} == {"input"}
    out = {json.loads(l)["_source_key"]: json.loads(l) for l in (tmp_path / "out.jsonl").read_text().splitlines()}
    assert out["1"]["line_amount"] == "0.9900"          # decimals keep every digit, as text


def test_translate_refuses_grouped_classes_and_says_why(tmp_path):
    result = _invoke("--source", "chinook", "--class", "Household", "-i", str(_jsonl(tmp_path / "x.jsonl", [])))
    assert result.exit_code == 1
    assert "aggregation a record-by-record translator cannot compute" in result.output
    assert "chinook__household" in result.output


@pytest.mark.slow
def test_translate_names_unknown_sources_and_classes(tmp_path):
    result = _invoke("--source", "chinok", "--class", "Customer")
    assert result.exit_code == 1 and "no mapping for source 'chinok'" in result.output
    result = _invoke("--source", "chinook", "--class", "Account")
    assert result.exit_code == 1 and "classes it maps" in result.output


def test_translate_streams_stdin_to_stdout(tmp_path, chinook_rows, monkeypatch):
    customers, _ = chinook_rows
    monkeypatch.chdir(tmp_path)
    text = "".join(json.dumps(r, default=str) + "\n" for r in customers[:3])
    result = runner.invoke(app, ["translate", "--project", str(ROOT), "--source", "chinook", "--class", "Customer"], input=text)
    assert result.exit_code == 0, result.output
    lines = [l for l in result.stdout.splitlines() if l.startswith("{")]
    assert [json.loads(l)["_source_key"] for l in lines] == ["1", "2", "3"]
    assert (tmp_path / "rejects.jsonl").exists()
