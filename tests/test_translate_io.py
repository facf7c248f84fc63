"""`dict translate` never loses or destroys: hostile streams, outputs that are inputs, failures midway.

Every hostile stream case puts its bad bytes between good records and checks: the exit code, no
traceback, `records in = canonical out + rejected`, the good records before *and after* the bad line
come out, the bad line is a reject naming its line and the problem, both outputs are strict JSON
(RFC 8259: no NaN/Infinity tokens, no lone surrogates, UTF-8), the input is byte for byte intact
and no temporary file is left behind.
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.core.errors import DictError
from toolkit.core.output import staged_files
from toolkit.run.translate import LineSource, check_paths, read_jsonl, to_json
from translator_support import ROOT

runner = CliRunner()
_PLANS: dict = {}
SUMMARY = re.compile(r"(\w+)\.(\w+): (\d+) records in = (\d+) canonical out \+ (\d+) rejected")


@pytest.fixture(autouse=True)
def one_plan(monkeypatch):
    """The project is loaded once for all cases (plans are immutable): the cases test the stream, not loading."""
    import toolkit.plan

    load = toolkit.plan.load_plan
    monkeypatch.setattr(toolkit.plan, "load_plan", lambda root: _PLANS.get(root) or _PLANS.setdefault(root, load(root)))


def customer(key: int, **change) -> dict:
    record = {"CustomerId": key, "FirstName": f"Ann{key}", "LastName": "Lee", "Email": f"ann{key}@example.org",
              "Country": "France", "Address": "1 rue Haute", "PostalCode": "75001"}
    record.update(change)
    return {k: v for k, v in record.items() if v is not ...}


def jsonl(*records: dict) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


GOOD_BEFORE = jsonl(customer(1))
GOOD_AFTER = jsonl(customer(2), customer(3))
CSV_HEADER = b"InvoiceLineId,InvoiceId,TrackId,UnitPrice,Quantity\n"
CSV_BEFORE = b"1,1,2,0.99,1\n"
CSV_AFTER = b"2,1,4,0.99,1\n3,2,6,1.99,2\n"

# (case id, bad bytes placed between good records, reason expected in the reject, extra CLI args)
JSONL_CASES = [
    ("utf8-invalid-byte", b'{"CustomerId": 90, "FirstName": "\xff"}\n', "not valid UTF-8: byte 0xff", ()),
    ("utf8-truncated-sequence", b'{"CustomerId": 90, "FirstName": "\xc3"}\n', "not valid UTF-8: byte 0xc3", ()),
    ("utf8-overlong-slash", b'{"CustomerId": 90, "FirstName": "\xc0\xaf"}\n', "not valid UTF-8: byte 0xc0", ()),
    ("utf8-encoded-surrogate", b'{"CustomerId": 90, "FirstName": "\xed\xa0\x80"}\n', "not valid UTF-8: byte 0xed", ()),
    ("utf8-latin1-file-line", "{\"CustomerId\": 90, \"FirstName\": \"José\"}\n".encode("latin-1"), "not valid UTF-8", ()),
    ("lone-high-surrogate", b'{"CustomerId": 90, "FirstName": "\\ud800", "LastName": "x", "Email": "e@x.org"}\n',
     "lone surrogate \\ud800", ()),
    ("lone-low-surrogate-in-key", b'{"CustomerId": 90, "\\udc00": 1}\n', "lone surrogate \\udc00", ()),
    ("reversed-surrogate-pair", b'{"CustomerId": 90, "FirstName": "\\udc00\\ud800"}\n', "lone surrogate", ()),
    ("surrogate-deep-in-join-row", b'{"CustomerId": 90, "rep": [{"LastName": "\\uDBFF"}]}\n', "lone surrogate \\udbff", ()),
    ("nesting-100k-arrays", b"[" * 100_000 + b"\n", "nested more than 64 levels", ()),
    ("nesting-100k-objects", b'{"a":' * 100_000 + b"\n", "not valid JSON", ()),
    ("nesting-200-objects-parseable", b'{"CustomerId": 90, "x": ' + b'{"a": ' * 200 + b"1" + b"}" * 201 + b"\n",
     "nested more than 64 levels", ()),
    ("integer-5000-digits", b'{"CustomerId": ' + b"7" * 5000 + b"}\n", "an integer longer than", ()),
    ("integer-5000-digits-negative-nested", b'{"CustomerId": 90, "x": [-' + b"1" * 5000 + b"]}\n", "an integer longer than", ()),
    ("nan-token", b'{"CustomerId": NaN}\n', "NaN is not a JSON value", ()),
    ("infinity-token", b'{"CustomerId": 90, "Total": -Infinity}\n', "-Infinity is not a JSON value", ()),
    ("not-json", b"{not json\n", "not valid JSON: Expecting property name", ()),
    ("truncated-json", b'{"CustomerId": 90, "FirstName": "Ann\n', "not valid JSON", ()),
    ("two-objects-on-one-line", b'{"CustomerId": 90} {"CustomerId": 91}\n', "not valid JSON: Extra data", ()),
    ("json-array", b"[1, 2]\n", "a record must be a JSON object, not list", ()),
    ("json-string", b'"just text"\n', "a record must be a JSON object, not str", ()),
    ("json-null", b"null\n", "a record must be a JSON object, not NoneType", ()),
    ("nul-byte-in-string", b'{"CustomerId": 90, "FirstName": "a\x00b"}\n', "Invalid control character", ()),
    ("nul-byte-outside-string", b'{"CustomerId": 90}\x00\n', "not valid JSON", ()),
    ("nul-bytes-only", b"\x00\x00\x00\n", "not valid JSON", ()),
    ("over-long-line", b'{"CustomerId": 90, "FirstName": "' + b"x" * 100_000 + b'"}\n',
     "longer than 4096 bytes (100035 bytes", ("--max-line-bytes", "4096")),
    ("over-long-line-6mb-multibyte", b'{"a": "' + "é".encode() * 3_000_000 + b'"}\n',
     "longer than 1048576 bytes", ("--max-line-bytes", "1048576")),
    ("missing-primary-key", jsonl(customer(..., CustomerId=...)), "column CustomerId has no value, but it is the primary key", ()),
    ("null-primary-key", jsonl(customer(90, CustomerId=None)), "column CustomerId has no value", ()),
    ("duplicate-key-last-is-null", b'{"CustomerId": 90, "CustomerId": null, "LastName": "x", "Email": "e@x.org"}\n',
     "column CustomerId has no value", ()),
    ("null-not-null-column", jsonl(customer(90, LastName=None)), "column LastName has no value, but it is NOT NULL in table Customer", ()),
    ("missing-not-null-column", jsonl(customer(90, FirstName=...)), "column FirstName has no value, but it is NOT NULL", ()),
    ("key-of-wrong-type", jsonl(customer(90, CustomerId={"nested": 1})), "column CustomerId: {'nested': 1} is not a valid integer", ()),
    ("control-characters-line", b"\x1b[31m\x07\x08\n", "not valid JSON", ()),
]

# streams whose odd bytes are not errors: every record comes out, blank lines are counted apart
ACCEPTED_CASES = [
    ("bom-at-start", b"\xef\xbb\xbf", b"", 0),
    ("blank-and-whitespace-lines", b"", b"\n   \n\t\r\n\n", 4),
    ("crlf-line-ends", b"", jsonl(customer(90)).replace(b"\n", b"\r\n"), 0),
    ("unicode-line-separators-in-values", b"", jsonl(customer(90, FirstName="a\u2028b\u2029c\x85d")), 0),
    ("emoji-and-escaped-pair", b"", b'{"CustomerId": 90, "FirstName": "\\ud83d\\ude00 \xf0\x9f\x98\x80", "LastName": "x", '
                                   b'"Email": "e@x.org"}\n', 0),
]

CSV_CASES = [
    ("csv-invalid-utf8-row", b"90,1,4,0.\xff9,1\n", "not valid UTF-8: byte 0xff", ()),
    ("csv-nul-byte", b'90,1,4,"0.9\x009",1\n', "a NUL byte", ()),
    ("csv-too-few-fields", b"90,1,4\n", "3 fields, but the header has 5", ()),
    ("csv-too-many-fields", b"90,1,4,0.99,1,extra\n", "6 fields, but the header has 5", ()),
    ("csv-empty-key-field", b",1,4,0.99,1\n", "column InvoiceLineId has no value, but it is the primary key", ()),
    ("csv-empty-not-null-field", b"90,1,4,,1\n", "column UnitPrice has no value, but it is NOT NULL", ()),
    ("csv-over-long-record", b'90,1,4,"' + b"9" * 50_000 + b'",1\n', "longer than 4096 bytes", ("--max-line-bytes", "4096")),
    ("csv-over-long-multiline-record", b'90,1,4,"' + b"9\n" * 5_000 + b'",1\n', "longer than 4096 bytes",
     ("--max-line-bytes", "4096")),
    ("csv-huge-integer-field", b"90,1," + b"9" * 5000 + b",0.99,1\n", "is not a valid integer value", ()),
]


def run(tmp_path, data: bytes, *args: str, name: str = "in.jsonl", klass: str = "Customer"):
    source = tmp_path / name
    source.write_bytes(data)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["translate", "--project", str(ROOT), "--source", "chinook", "--class", klass,
                                 "-i", str(source), "-o", str(out), *args])
    return result, source, out, tmp_path / "out.rejects.jsonl"


def strict_lines(path) -> list[dict]:
    """The file's records, refusing anything RFC 8259 refuses (NaN, Infinity, lone surrogates, bad UTF-8)."""
    def refuse(token):
        raise AssertionError(f"{path.name}: bare {token} is not JSON")

    text = path.read_bytes().decode("utf-8")
    assert text == "" or text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert len(text.splitlines()) == len(lines), "a value holds a character Unicode splits lines on"
    records = [json.loads(line, parse_constant=refuse) for line in lines]
    for record in records:
        json.dumps(record, ensure_ascii=False).encode("utf-8")     # a lone surrogate (even escaped) fails here
    return records


def check_run(result, source, data, out, rejects_path, good_keys, name_prefix="chinook.Customer"):
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    summary = SUMMARY.search(result.output)
    assert summary and f"{summary[1]}.{summary[2]}" == name_prefix, result.output
    records_in, canonical, rejected = map(int, summary.groups()[2:])
    assert records_in == canonical + rejected
    produced = strict_lines(out)
    rejects = strict_lines(rejects_path)
    assert len(produced) == canonical and len(rejects) == rejected
    assert {r["_source_key"] for r in produced} >= set(good_keys)
    assert source.read_bytes() == data, "the input was changed"
    assert not [p.name for p in source.parent.iterdir() if p.name.endswith(".tmp")], "a temporary file was left"
    return produced, rejects


@pytest.mark.unit
@pytest.mark.parametrize("case, bad, reason, args", JSONL_CASES, ids=[c[0] for c in JSONL_CASES])
def test_a_hostile_jsonl_line_is_one_reject_and_the_stream_goes_on(tmp_path, case, bad, reason, args):
    data = GOOD_BEFORE + bad + GOOD_AFTER
    result, source, out, rejects_path = run(tmp_path, data, *args)
    _, rejects = check_run(result, source, data, out, rejects_path, {"1", "2", "3"})
    assert [r["_line"] for r in rejects] == [2], rejects
    assert reason in rejects[0]["_reject_reason"], rejects[0]["_reject_reason"]
    assert rejects[0]["_rule"] == "input"
    assert "4 records in = 3 canonical out + 1 rejected (1 malformed input line(s))" in result.output or \
        "4 records in = 3 canonical out + 1 rejected\n" in result.output   # a record the table could not hold


@pytest.mark.unit
@pytest.mark.parametrize("case, prefix, middle, blank", ACCEPTED_CASES, ids=[c[0] for c in ACCEPTED_CASES])
def test_odd_but_valid_streams_come_out_whole(tmp_path, case, prefix, middle, blank):
    data = prefix + GOOD_BEFORE + middle + GOOD_AFTER
    result, source, out, rejects_path = run(tmp_path, data)
    produced, rejects = check_run(result, source, data, out, rejects_path, {"1", "2", "3"})
    assert rejects == []
    assert all(r["id"] == f"chinook:Customer:{r['_source_key']}" for r in produced)
    assert (f"{blank} blank line(s) skipped" in result.output) == bool(blank)


@pytest.mark.unit
@pytest.mark.parametrize("case, bad, reason, args", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_a_hostile_csv_record_is_one_reject_and_the_stream_goes_on(tmp_path, case, bad, reason, args):
    data = CSV_HEADER + CSV_BEFORE + bad + CSV_AFTER
    result, source, out, rejects_path = run(tmp_path, data, *args, name="lines.csv", klass="TransactionLine")
    _, rejects = check_run(result, source, data, out, rejects_path, {"1", "2", "3"}, "chinook.TransactionLine")
    assert [r["_line"] for r in rejects] == [3], rejects
    assert reason in rejects[0]["_reject_reason"], rejects[0]["_reject_reason"]


@pytest.mark.unit
def test_a_csv_header_with_a_byte_order_mark_keeps_its_first_column(tmp_path):
    data = b"\xef\xbb\xbf" + CSV_HEADER + CSV_BEFORE + CSV_AFTER
    result, source, out, rejects_path = run(tmp_path, data, name="lines.csv", klass="TransactionLine")
    produced, rejects = check_run(result, source, data, out, rejects_path, {"1", "2", "3"}, "chinook.TransactionLine")
    assert rejects == [] and [r["id"] for r in produced] == [f"chinook:TransactionLine:{k}" for k in (1, 2, 3)]


@pytest.mark.unit
def test_a_csv_header_that_names_a_column_twice_refuses_the_file_and_writes_nothing(tmp_path):
    (tmp_path / "out.jsonl").write_text("previous\n")
    result, source, out, rejects_path = run(tmp_path, b"InvoiceLineId,InvoiceLineId\n1,2\n", name="d.csv", klass="TransactionLine")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "d.csv:1: the CSV header names 'InvoiceLineId' twice" in result.output
    assert out.read_text() == "previous\n" and not rejects_path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "out.jsonl"]


@pytest.mark.unit
def test_a_tsv_file_is_read_with_tabs(tmp_path):
    data = CSV_HEADER.replace(b",", b"\t") + CSV_BEFORE.replace(b",", b"\t")
    result, source, out, rejects_path = run(tmp_path, data, name="lines.tsv", klass="TransactionLine")
    produced, _ = check_run(result, source, data, out, rejects_path, {"1"}, "chinook.TransactionLine")
    assert produced[0]["unit_price"] == "0.9900"


@pytest.mark.unit
def test_nan_and_infinite_floats_are_strict_json_text(tmp_path):
    data = b"".join(b'{"OrderID": 1, "ProductID": %d, "UnitPrice": "1.5", "Quantity": 2, "Discount": %s}\n' % (p, d)
                    for p, d in ((2, b"1e999"), (3, b'"NaN"'), (4, b'"-inf"'), (5, b"0.25")))   # 1e999: a float infinity
    source = tmp_path / "od.jsonl"
    source.write_bytes(data)
    result = runner.invoke(app, ["translate", "--project", str(ROOT), "--source", "northwind", "--class", "TransactionLine",
                                 "-i", str(source), "-o", str(tmp_path / "out.jsonl")])
    produced, rejects = check_run(result, source, data, tmp_path / "out.jsonl", tmp_path / "out.rejects.jsonl", {"1|5"},
                                  "northwind.TransactionLine")
    assert [r["_input"]["Discount"] for r in rejects] == ["Infinity", "NaN", "-inf"]
    assert to_json({"a": float("nan"), "b": [float("inf"), {"c": -float("inf")}]}) == \
        b'{"a": "NaN", "b": ["Infinity", {"c": "-Infinity"}]}\n'


# ----------------------------------------------------------------------------- outputs that are inputs

def _links(tmp_path):
    data = GOOD_BEFORE + GOOD_AFTER
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    (tmp_path / "sym.jsonl").symlink_to(source)
    os.link(source, tmp_path / "hard.jsonl")
    (tmp_path / "sub").mkdir()
    (tmp_path / "emp.jsonl").write_text('{"EmployeeId": 3, "FirstName": "Jane", "LastName": "Peacock"}\n')
    (tmp_path / "emp-link.jsonl").symlink_to(tmp_path / "emp.jsonl")
    return source, data


# (case id, CLI args (IN is the input), the message)
SAME_FILE_CASES = [
    ("output-is-input", ["-o", "IN"], "--output:1: --output IN is the same file as --input IN"),
    ("rejects-is-input", ["-o", "DIR/o.jsonl", "--rejects", "IN"], "--rejects IN is the same file as --input IN"),
    ("output-is-symlink-to-input", ["-o", "DIR/sym.jsonl"], "--output DIR/sym.jsonl is the same file as --input IN"),
    ("output-is-hard-link-to-input", ["-o", "DIR/hard.jsonl"], "--output DIR/hard.jsonl is the same file as --input IN"),
    ("output-through-dot-dot", ["-o", "DIR/sub/../in.jsonl"], "is the same file as --input IN"),
    ("rejects-is-output", ["-o", "DIR/o.jsonl", "--rejects", "DIR/o.jsonl"], "--rejects DIR/o.jsonl is the same file as --output"),
    ("rejects-is-output-via-dot-dot", ["-o", "DIR/o.jsonl", "--rejects", "DIR/sub/../o.jsonl"], "is the same file as --output"),
    ("rejects-is-symlink-to-input", ["-o", "DIR/o.jsonl", "--rejects", "DIR/sym.jsonl"], "--rejects DIR/sym.jsonl is the same file as --input IN"),
    ("both-on-standard-output", ["-o", "-", "--rejects", "-"], "--output and --rejects would both write to standard output"),
    ("output-is-join-file", ["-o", "DIR/emp.jsonl", "--join", "rep=DIR/emp.jsonl"], "--output DIR/emp.jsonl is the same file as --join rep DIR/emp.jsonl"),
    ("rejects-is-link-to-join-file", ["-o", "DIR/o.jsonl", "--rejects", "DIR/emp-link.jsonl", "--join", "rep=DIR/emp.jsonl"],
     "--rejects DIR/emp-link.jsonl is the same file as --join rep DIR/emp.jsonl"),
    ("output-is-hard-link-to-stdin-default-rejects", ["-o", "-", "--rejects", "DIR/hard.jsonl"], "--rejects DIR/hard.jsonl is the same file as --input IN"),
]


@pytest.mark.unit
@pytest.mark.parametrize("case, args, message", SAME_FILE_CASES, ids=[c[0] for c in SAME_FILE_CASES])
def test_an_output_that_is_an_input_or_the_other_output_is_refused_before_anything_is_read(tmp_path, case, args, message):
    source, data = _links(tmp_path)
    before = {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()}
    args = [a.replace("IN", str(source)).replace("DIR", str(tmp_path)) for a in args]
    result = runner.invoke(app, ["translate", "--project", str(ROOT), "--source", "chinook", "--class", "Customer",
                                 "-i", str(source), *args])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message.replace("IN", str(source)).replace("DIR", str(tmp_path)) in result.output, result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error")]) == 1
    assert {p.name: (p.read_bytes() if p.is_file() else None) for p in tmp_path.iterdir()} == before
    assert source.read_bytes() == data


@pytest.mark.unit
def test_standard_streams_redirected_to_the_input_are_refused(tmp_path):
    source, _ = _links(tmp_path)
    with open(source, "rb") as stdin, open(tmp_path / "hard.jsonl", "ab") as stdout:
        with pytest.raises(DictError, match="--output.*is the same file as --input \\(standard input\\)"):
            check_paths({"--input": None}, {"--output": tmp_path / "sym.jsonl", "--rejects": tmp_path / "r"}, stdin, stdout)
        with pytest.raises(DictError, match="standard output is the same file as --input"):
            check_paths({"--input": source}, {"--output": tmp_path / "o", "--rejects": tmp_path / "r"}, io.BytesIO(), stdout)
        with pytest.raises(DictError, match="--output \\(standard output\\) is the same file as --input"):
            check_paths({"--input": source}, {"--output": None, "--rejects": tmp_path / "r"}, io.BytesIO(), stdout)
    with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as stdout:   # devices are never a conflict
        check_paths({"--input": None, "--join rep": os.devnull}, {"--output": os.devnull, "--rejects": tmp_path / "r"},
                    stdin, stdout)


def test_output_redirected_from_the_input_by_the_shell_is_refused(tmp_path):
    source, data = _links(tmp_path)
    with open(source, "rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "toolkit.cli", "translate", "--project", str(ROOT), "-s", "chinook",
                               "-c", "Customer", "-o", str(tmp_path / "sym.jsonl")], stdin=stdin, capture_output=True,
                              cwd=ROOT, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "is the same file as --input (standard input)" in done.stderr
    assert source.read_bytes() == data


# ----------------------------------------------------------------------------- whole or nothing

@pytest.mark.unit
def test_a_failure_midway_leaves_the_previous_outputs_and_no_temporary_file(tmp_path):
    data = GOOD_BEFORE + GOOD_AFTER
    (tmp_path / "r.jsonl").write_text("previous rejects\n")
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    result = runner.invoke(app, ["translate", "--project", str(ROOT), "-s", "chinook", "-c", "Customer", "-i", str(source),
                                 "-o", "/dev/full", "--rejects", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "/dev/full:1: cannot write: No space left on device" in result.output
    assert (tmp_path / "r.jsonl").read_text() == "previous rejects\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "r.jsonl"]


@pytest.mark.unit
@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError, ValueError])
def test_staged_files_appear_whole_or_not_at_all(tmp_path, failure):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("old a\n")
    os.chmod(first, 0o640)
    with pytest.raises(failure):
        with staged_files(first, second) as (fa, fb):
            fa.write(b"new a\n")
            fb.write(b"new b\n")
            assert first.read_text() == "old a\n" and not second.exists()
            raise failure("midway")
    assert first.read_text() == "old a\n" and sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]
    with staged_files(first, second) as (fa, fb):
        fa.write(b"new a\n")
        fb.write(b"new b\n")
    assert first.read_text() == "new a\n" and second.read_text() == "new b\n"
    assert first.stat().st_mode & 0o777 == 0o640          # the replaced file keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.jsonl"]


@pytest.mark.unit
def test_a_symlinked_output_stays_a_link_and_a_device_is_written_in_place(tmp_path):
    data = GOOD_BEFORE
    (tmp_path / "real.jsonl").write_text("old\n")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "real.jsonl")
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    result = runner.invoke(app, ["translate", "--project", str(ROOT), "-s", "chinook", "-c", "Customer", "-i", str(source),
                                 "-o", str(tmp_path / "link.jsonl"), "--rejects", os.devnull])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "link.jsonl").is_symlink()
    assert json.loads((tmp_path / "real.jsonl").read_text())["_source_key"] == "1"
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)


# ----------------------------------------------------------------------------- reading in bounded memory

@pytest.mark.unit
def test_an_over_long_line_is_read_past_in_chunks_and_the_next_line_is_whole():
    stream = io.BytesIO(b"\xef\xbb\xbf" + b'{"a": 1}\n' + b"x" * 5_000_000 + b"\n" + b'{"b": 2}\n' + b"y" * 70)
    lines = LineSource(stream, cap=1000)
    got = [(line.number, len(line.data), line.size) for line in lines]
    assert got == [(1, 9, 0), (2, 200, 5_000_000), (3, 9, 0), (4, 70, 0)]
    assert lines.bytes_read == len(stream.getvalue())


@pytest.mark.unit
def test_blank_lines_are_counted_apart_from_records():
    lines = LineSource(io.BytesIO(b'\n{"a": 1}\n \t\r\n{"b": 2}\n\n'))
    assert [item.line for item in read_jsonl(lines)] == [2, 4]
    assert lines.blank == 3
