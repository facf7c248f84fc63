"""Streaming records through a source's translator: `dict translate` as a library call.

Records come in as JSON Lines or CSV, canonical records go out as strict JSON Lines, rejects to a
separate JSON Lines file. Nothing is lost: input is read as bytes, one bounded line at a time, and every
line that is not blank ends up as a canonical record or a reject naming the line and the problem
(invalid UTF-8, not JSON, too deep, too long, a lone surrogate, a missing key or NOT NULL column, a CSV
row with the wrong number of fields), so the counts reconcile (records in = canonical out + rejected)
for every derivation. Nothing is destroyed: ``check_paths`` refuses outputs that are an input or each
other, and the command writes through ``output.staged_files`` (renamed into place on success only).
"""
from __future__ import annotations

import csv
import datetime
import decimal
import io
import json
import math
import os
import re
import stat
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, NamedTuple

from sqlglot import exp

from toolkit.core.errors import DictError, Problem
from toolkit.emit.python import source_module
from toolkit.plan import Plan, ViewPlan


@dataclass
class Tally:
    """Reconciliation of one derivation over one input."""

    derivation: str
    records_in: int = 0
    canonical: int = 0
    rejected: int = 0
    malformed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.records_in == self.canonical + self.rejected


@dataclass(frozen=True)
class InputRecord:
    line: int                       # 1-based line (JSONL) or row line (CSV) in the input
    record: dict | None             # None: the line could not be read
    problem: str = ""               # why it could not be read
    raw: str = ""


def load_translator(plan: Plan, source: str) -> types.ModuleType:
    """The source's translator module, compiled from the plan exactly as `dict generate python` writes it."""
    text = source_module(plan, plan.source(source))
    module = types.ModuleType(f"dict_translator_{source}")
    exec(compile(text, f"generated/python/{source}.py", "exec"), module.__dict__)
    return module


def choose_derivations(plan: Plan, source: str, target_class: str, derivation: str | None) -> list[ViewPlan]:
    """The derivations of ``target_class`` in ``source`` that one stream of records feeds (one driving table)."""
    try:
        src = plan.source(source)
    except KeyError:
        raise DictError(Problem("--source", 1, f"no mapping for source '{source}'",
                                f"mapped sources: {', '.join(s.name for s in plan.sources)}")) from None
    views = [v for v in src.views if v.target.name == target_class]
    if not views:
        classes = sorted({v.target.name for v in src.views})
        raise DictError(Problem("--class", 1, f"source '{source}' has no derivation of class '{target_class}'",
                                f"classes it maps: {', '.join(classes)}"))
    if derivation:
        views = [v for v in views if v.name == derivation]
        if not views:
            raise DictError(Problem("--derivation", 1, f"no derivation '{derivation}' of {target_class} in {source}"))
    grouped = [v for v in views if v.grouped]
    if grouped and len(grouped) == len(views):
        names = ", ".join(v.name for v in grouped)
        raise DictError(Problem("--class", 1, f"{names} groups many records into one (group_by): an aggregation a "
                                f"record-by-record translator cannot compute",
                                f"run the SQL view instead ({', '.join(v.view_name for v in grouped)})"))
    views = [v for v in views if not v.grouped]
    tables = sorted({v.base.table.name for v in views})
    if len(tables) > 1:
        raise DictError(Problem("--class", 1, f"the derivations of {target_class} read different tables ({', '.join(tables)})",
                                "pick one with --derivation: " + ", ".join(f"{v.name} ({v.base.table.name})" for v in views)))
    return views


# ----------------------------------------------------------------------------- reading

MAX_LINE_BYTES = 16 * 1024 * 1024   # a longer line (CSV: record) is a reject, read past in bounded memory
MAX_DEPTH = 64                      # JSON arrays/objects nested deeper: a reject (a record is a flat object)
_PREVIEW = 200                      # bytes of an over-long line kept in its reject
_BOM = b"\xef\xbb\xbf"
_JSON_SPACE = " \t\r\n"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Line(NamedTuple):
    number: int          # 1-based
    data: bytes          # the line with its end; only its first bytes when it is over-long
    size: int = 0        # an over-long line's length in bytes (0: the line is whole)
    quotes: int = 0      # an over-long line's count of '"' (CSV reads past a record by them)

    def quote_count(self) -> int:
        return self.quotes if self.size else self.data.count(b'"')


class LineSource:
    """The lines of a byte stream, each read whole up to ``cap`` bytes; a longer line is skipped in chunks
    (never held in memory) and given as its first bytes with its size. A UTF-8 byte-order mark is dropped."""

    def __init__(self, stream: BinaryIO, cap: int = MAX_LINE_BYTES):
        self.stream = stream
        self.cap = cap
        self.bytes_read = 0
        self.blank = 0           # blank lines skipped (not records)

    def __iter__(self) -> Iterator[Line]:
        read = self.stream.readline
        number = 0
        while True:
            data = read(self.cap + 1)
            if not data:
                return
            number += 1
            self.bytes_read += len(data)
            if number == 1 and data.startswith(_BOM):
                data = data[len(_BOM):]
            if len(data) <= self.cap or data.endswith(b"\n"):
                yield Line(number, data)
                continue
            size, quotes = len(data), data.count(b'"')
            head, chunk = data[:_PREVIEW], data
            while chunk and not chunk.endswith(b"\n"):
                chunk = read(1 << 20)
                size += len(chunk)
                quotes += chunk.count(b'"')
                self.bytes_read += len(chunk)
            yield Line(number, head, size - chunk.endswith(b"\n"), quotes)


def _bad(number: int, problem: str, raw: str = "") -> InputRecord:
    return InputRecord(number, None, f"line {number}: {problem}", raw)


def _too_long(number: int, size: int, cap: int, head: bytes = b"") -> InputRecord:
    return _bad(number, f"longer than {cap} bytes ({size} bytes; the limit is --max-line-bytes)",
                head.decode("utf-8", "backslashreplace") + "...")


def _utf8_problem(err: UnicodeDecodeError) -> str:
    return f"not valid UTF-8: byte 0x{err.object[err.start]:02x} at byte {err.start + 1} ({err.reason})"


def read_jsonl(lines: LineSource) -> Iterator[InputRecord]:
    """One record per line; a blank line is skipped (counted in ``lines.blank``), anything else that is
    not a JSON object is a reject naming the line and why, and reading goes on."""
    for line in lines:
        if line.size:
            yield _too_long(line.number, line.size, lines.cap, line.data)
            continue
        try:
            text = line.data.decode("utf-8")
        except UnicodeDecodeError as err:
            yield _bad(line.number, _utf8_problem(err), line.data.decode("utf-8", "backslashreplace").rstrip("\r\n"))
            continue
        text = text.rstrip("\r\n")
        if not text.strip(_JSON_SPACE):
            lines.blank += 1
            continue
        yield _json_record(line.number, text)


class _NotJson(ValueError):
    pass


def _no_constant(name: str):
    raise _NotJson(f"{name} is not a JSON value (strict JSON has no NaN or Infinity)")


def _json_record(number: int, text: str) -> InputRecord:
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        return _bad(number, f"not valid JSON: {err.msg} (column {err.colno})", text)
    except _NotJson as err:
        return _bad(number, f"not valid JSON: {err}", text)
    except ValueError:   # the interpreter's limit on integer digits
        return _bad(number, f"not valid JSON here: an integer longer than {sys.get_int_max_str_digits()} digits", text)
    except RecursionError:
        return _bad(number, f"not valid JSON here: arrays or objects nested more than {MAX_DEPTH} levels deep", text)
    if not isinstance(value, dict):
        return _bad(number, f"a record must be a JSON object, not {type(value).__name__}", text)
    problem = _value_problem(value, text)
    return _bad(number, problem, text) if problem else InputRecord(number, value, raw=text)


def _value_problem(value: dict, text: str) -> str:
    """Why a parsed record cannot be taken: nested too deeply, or text with a lone surrogate (not Unicode,
    so it cannot be written as UTF-8). Walked without recursion, and only when the line could hold either."""
    surrogates = _SURROGATE_ESCAPE.search(text) is not None
    if not surrogates and text.count("[") + text.count("{") <= MAX_DEPTH:
        return ""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"arrays or objects nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, dict):
            texts = item.keys()
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            texts = ()
            stack.extend((v, depth + 1) for v in item)
        else:
            texts = (item,) if isinstance(item, str) else ()
        for t in texts:
            found = _SURROGATE.search(t) if surrogates else None
            if found:
                return f"text with a lone surrogate \\u{ord(found.group()):04x} (not Unicode; surrogates come in pairs)"
    return ""


class _RecordTooLong(Exception):
    def __init__(self, number: int, size: int, head: bytes = b""):
        super().__init__(number)
        self.number, self.size, self.head = number, size, head


class _CsvLines:
    """The text lines csv.reader reads, decoded one by one. A line that is not UTF-8 or holds a NUL is
    passed on (so the reader stays in step) and remembered, and its record becomes a reject. A record
    longer than the cap is read past up to the line where its quotes balance (where a quoted field
    ends) without being kept, and stops the reader with _RecordTooLong; it resumes at the next record."""

    def __init__(self, lines: LineSource):
        self.lines = iter(lines)
        self.cap = lines.cap
        self.number = 0               # the last line read
        self.record_bytes = 0         # bytes of the record being read
        self.odd_quotes = False       # inside a quoted field at the end of the last line
        self.problems: dict[int, str] = {}

    def __iter__(self):
        return self

    def _take(self) -> Line:
        line = next(self.lines)
        self.number = line.number
        self.record_bytes += line.size or len(line.data)
        self.odd_quotes ^= bool(line.quote_count() & 1)
        return line

    def __next__(self) -> str:
        line = self._take()
        if self.record_bytes > self.cap:
            head = line.data[:_PREVIEW]
            while self.odd_quotes:   # the rest of the record, not kept
                try:
                    self._take()
                except StopIteration:
                    break
            raise _RecordTooLong(line.number, self.record_bytes, head)
        try:
            text = line.data.decode("utf-8")
        except UnicodeDecodeError as err:
            self.problems[line.number] = _utf8_problem(err)
            return line.data.decode("utf-8", "backslashreplace")
        if "\0" in text:
            self.problems[line.number] = "a NUL byte (CSV text cannot hold one)"
        return text

    def start_record(self) -> int:
        self.record_bytes = 0
        self.odd_quotes = False
        return self.number + 1

    def problem(self) -> tuple[int, str] | None:
        """The first problem on the lines of the record just read (and forget them)."""
        found = sorted(n for n in self.problems if n <= self.number)
        result = (found[0], self.problems[found[0]]) if found else None
        for n in found:
            del self.problems[n]
        return result


def read_csv(lines: LineSource, label: str = "-", delimiter: str = ",") -> Iterator[InputRecord]:
    """CSV with a header row; an empty field is NULL (as DuckDB reads CSV). A header that cannot be read,
    or names a column twice, refuses the whole file (``label``:line); a bad record is a reject."""
    csv.field_size_limit(max(csv.field_size_limit(), lines.cap))
    source = _CsvLines(lines)
    reader = csv.reader(source, delimiter=delimiter)
    header = _csv_header(reader, source, lines, label)
    while header is not None:
        first = source.start_record()
        try:
            row = next(reader)
        except StopIteration:
            return
        except _RecordTooLong as err:
            source.problem()
            yield _too_long(first, err.size, lines.cap, err.head)
            continue
        except csv.Error as err:
            source.problem()
            yield _bad(first, f"not valid CSV: {err}")
            continue
        found = source.problem()
        if found:
            yield _bad(found[0], found[1], delimiter.join(row))
        elif not row:
            lines.blank += 1
        elif len(row) != len(header):
            yield _bad(first, f"{len(row)} fields, but the header has {len(header)}", delimiter.join(row))
        else:
            yield InputRecord(first, {k: (v if v != "" else None) for k, v in zip(header, row)})


def _csv_header(reader, source: _CsvLines, lines: LineSource, label: str) -> list[str] | None:
    while True:
        source.start_record()
        try:
            header = next(reader)
        except StopIteration:
            return None
        except (csv.Error, _RecordTooLong) as err:
            raise DictError(Problem(label, source.number, f"unreadable CSV header: {err}" if isinstance(err, csv.Error)
                                    else f"CSV header longer than {lines.cap} bytes")) from None
        if header:
            break
        lines.blank += 1
    found = source.problem()
    if found:
        raise DictError(Problem(label, found[0], f"CSV header: {found[1]}"))
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise DictError(Problem(label, source.number, f"the CSV header names {', '.join(map(repr, twice))} twice",
                                "give each column once: a record could not tell which value is meant"))
    return header


def read_records(lines: LineSource, fmt: str, label: str = "-") -> Iterator[InputRecord]:
    if fmt in ("csv", "tsv"):
        return read_csv(lines, label, "\t" if fmt == "tsv" else ",")
    return read_jsonl(lines)


def input_format(path: Path | None, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("jsonl", "csv", "tsv"):
            raise DictError(Problem("--format", 1, f"unknown input format '{fmt}'", "use jsonl, csv or tsv"))
        return fmt
    suffix = path.suffix.lower() if path is not None else ""
    return suffix[1:] if suffix in (".csv", ".tsv") else "jsonl"


# ----------------------------------------------------------------------------- joins

class JoinedRows:
    """Rows of a joined table, looked up by the join's equality key when it has one."""

    def __init__(self, view: ViewPlan, alias: str, rows: list[dict]):
        self.alias = alias
        self.rows = rows
        self.key = _equi_key(view, alias)
        self.index: dict | None = None
        if self.key is not None:
            self.index = {}
            for row in rows:
                self.index.setdefault(_normal(row.get(self.key[0])), []).append(row)

    def candidates(self, record: dict) -> list[dict]:
        if self.index is None:
            return self.rows
        return self.index.get(_normal(record.get(self.key[1])), [])


def _equi_key(view: ViewPlan, alias: str) -> tuple[str, str] | None:
    join = next(j for j in view.joins if j.ref.alias == alias)
    on = join.on.ast
    if isinstance(on, exp.EQ) and all(isinstance(s, exp.Column) for s in (on.this, on.expression)):
        mine = [s for s in (on.this, on.expression) if s.table == alias]
        base = [s for s in (on.this, on.expression) if s.table == view.base.alias]
        if len(mine) == 1 and len(base) == 1:
            return mine[0].name, base[0].name
    return None


def _normal(value):
    """A lookup key that 3, '3', 3.0 and Decimal('3.00') share (the join condition then decides exactly)."""
    if value is None or isinstance(value, bool):
        return value
    try:
        return str(decimal.Decimal(str(value).strip()).normalize())
    except (decimal.InvalidOperation, ValueError):
        return str(value)


def load_joined(path: Path, fmt: str | None, cap: int = MAX_LINE_BYTES) -> list[dict]:
    """The rows of a joined table; a row that cannot be read refuses the file (``path``:line)."""
    try:
        with path.open("rb") as fh:
            rows = []
            for item in read_records(LineSource(fh, cap), input_format(path, fmt), str(path)):
                if item.record is None:
                    raise DictError(Problem(str(path), item.line, item.problem.split(": ", 1)[-1]))
                rows.append(item.record)
    except OSError as err:
        raise DictError(Problem(str(path), 1, f"cannot read the joined rows: {err.strerror or err}")) from None
    return rows


# ----------------------------------------------------------------------------- writing

_FLOAT_WORDS = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _json_value(value):
    """A value strict JSON can carry: decimals as text (every digit kept, JSON numbers would go through
    binary floats), dates ISO, NaN and infinities as the text "NaN", "Infinity", "-Infinity"."""
    cls = value.__class__
    if value is None or cls is str or cls is int or cls is bool:
        return value
    if cls is float:
        return value if math.isfinite(value) else _FLOAT_WORDS.get(value, "NaN")
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value if isinstance(value, (int, float, str)) else str(value)


_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


def to_json(record: dict) -> bytes:
    """One line of strict JSON (RFC 8259: no NaN, no Infinity), UTF-8, with its newline. U+0085, U+2028
    and U+2029 are escaped too: JSON allows them raw, but a reader splitting lines as Unicode would not."""
    text = json.dumps(_json_value(record), ensure_ascii=False, allow_nan=False)
    if not text.isascii():
        text = _LINE_BREAKS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:   # a lone surrogate made by a translator: escaped, the line stays valid JSON
        return json.dumps(_json_value(record), allow_nan=False).encode("ascii") + b"\n"


def _reject_line(entry: dict) -> bytes:
    try:
        return to_json(entry)
    except (ValueError, RecursionError):   # an input too big or deep to echo: its text stands in for it
        return to_json({**entry, "_input": repr(entry.get("_input"))[:_PREVIEW], "_value": repr(entry.get("_value"))[:_PREVIEW]})


def required_columns(view: ViewPlan) -> tuple[str, ...]:
    """Columns of the driving table a record must give a value: its primary key and the NOT NULL columns
    the derivation reads. The source table holds no row without them, so the view never sees one."""
    table, alias = view.base.table, view.base.alias
    exprs = [j.on for j in view.joins] + [r.condition for r in view.rules] + list(view.source_key)
    exprs += [sp.expr for sp in view.slots if sp.expr is not None]
    read = {c.column for e in exprs for c in e.columns if c.alias == alias}
    return tuple(name for name, column in table.columns.items()
                 if name in table.primary_key or (name in read and not column.nullable))


def _missing_column(view: ViewPlan, columns: tuple[str, ...], record: dict) -> str:
    for name in columns:
        if record.get(name) is None:
            how = "the primary key" if name in view.base.table.primary_key else "NOT NULL"
            return f"column {name} has no value, but it is {how} in table {view.base.table.name}"
    return ""


def _count(tally: Tally, reason: str) -> None:
    tally.rejected += 1
    tally.reasons[reason] = tally.reasons.get(reason, 0) + 1


def translate_stream(module, views: list[ViewPlan], items: Iterator[InputRecord], out: BinaryIO, rejects: BinaryIO,
                     joins: dict[str, list[dict]] | None = None, progress: Callable[[int], None] | None = None
                     ) -> list[Tally]:
    """Translate every input record with every derivation in ``views``; returns one tally per derivation."""
    tallies = [Tally(v.name) for v in views]
    lookups = {v.name: [JoinedRows(v, alias, rows) for alias, rows in (joins or {}).items()
                        if any(j.ref.alias == alias for j in v.joins)] for v in views}   # a table only some derivations join
    functions = [module.DERIVATIONS[v.name] for v in views]
    required = [required_columns(v) for v in views]
    reject_type = module.Reject
    raw_key = getattr(module, "_raw_key", lambda record, columns: None)
    count = 0
    for item in items:
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
        if item.record is None:
            rejects.write(_reject_line({"_line": item.line, "_derivation": None, "_source_key": None,
                                        "_reject_reason": item.problem, "_slot": None, "_value": None,
                                        "_rule": "input", "_input": item.raw}))
            for tally in tallies:
                tally.records_in += 1
                tally.malformed += 1
                _count(tally, item.problem.split(": ", 1)[-1])
            continue
        for view, fn, columns, tally in zip(views, functions, required, tallies):
            record = item.record
            if lookups[view.name]:
                record = dict(record)
                for joined in lookups[view.name]:
                    if joined.alias not in record:
                        record[joined.alias] = joined.candidates(record)
            tally.records_in += 1
            missing = _missing_column(view, columns, record)
            if missing:
                result = reject_type(view.name, raw_key(record, view.base.table.primary_key), missing, None, None, "input")
            else:
                try:
                    result = fn(record)
                except Exception as err:   # a translator bug must not lose the record either
                    result = reject_type(view.name, None, f"translator error: {type(err).__name__}: {err}", None, None, "error")
            line = None
            if not isinstance(result, reject_type):
                try:
                    line = to_json({**result, "_derivation": view.name})
                except (ValueError, RecursionError, TypeError) as err:
                    result = reject_type(view.name, result.get("_source_key"), f"canonical record cannot be written as "
                                         f"JSON: {type(err).__name__}: {err}", None, None, "error")
            if line is None:
                _count(tally, result.reason)
                rejects.write(_reject_line({"_line": item.line, **result.as_dict(), "_input": item.record}))
            else:
                tally.canonical += 1
                out.write(line)
    if progress is not None:
        progress(count)
    return tallies


def sniff_size(path: Path | None) -> int | None:
    try:
        return path.stat().st_size if path is not None and str(path) != "-" else None
    except OSError:
        return None


# ----------------------------------------------------------------------------- paths

def is_std(path: Path | None) -> bool:
    """None and '-' name standard input or output."""
    return path is None or str(path) == "-"


def _identity(path: Path | None, std) -> tuple | None:
    """What makes two names one file: device and inode of a regular file (through symlinks and hard links),
    else the resolved path of a file still to be made. None: a device, pipe or terminal (never a conflict)."""
    try:
        info = os.fstat(std.fileno()) if is_std(path) else os.stat(path)
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        if is_std(path):
            return None
        return ("path", os.path.normcase(os.path.realpath(path)))
    if not stat.S_ISREG(info.st_mode):
        return None
    return ("inode", info.st_dev, info.st_ino) if info.st_ino else ("path", os.path.normcase(os.path.realpath(path)))


def check_paths(inputs: dict[str, Path | None], outputs: dict[str, Path | None], stdin=None, stdout=None) -> None:
    """Refuse outputs that are an input or each other (the same file under any name, standard input or
    output redirected to it included): writing them would destroy the input before it is read, or tear one
    output with the other. ``inputs`` and ``outputs`` map an option to its path (None or '-': standard stream)."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    ins = [(flag, _name(flag, path, "input"), _identity(path, stdin)) for flag, path in inputs.items()]
    outs = [(flag, _name(flag, path, "output"), _identity(path, stdout)) for flag, path in outputs.items()]
    on_stdout = [flag for flag, path in outputs.items() if is_std(path)]
    if len(on_stdout) > 1:
        raise DictError(Problem(on_stdout[-1], 1, f"{' and '.join(on_stdout)} would both write to standard output",
                                f"give {on_stdout[-1]} a file"))
    if not on_stdout:   # the summary goes there
        outs.append(("stdout", "standard output", _identity(None, stdout)))
    for i, (flag, name, ident) in enumerate(outs):
        for _flag, other, other_ident in ins + outs[:i]:
            if ident is not None and ident == other_ident:
                raise DictError(Problem(flag, 1, f"{name} is the same file as {other}",
                                        "write to another file: it would be overwritten while it is read or written"))


def _name(flag: str, path: Path | None, direction: str) -> str:
    return f"{flag} (standard {direction})" if is_std(path) else f"{flag} {path}"
