"""Streaming records through a source's translator: `dict translate` as a library call.

Records come in as JSON Lines or CSV, canonical records go out as JSON Lines, rejects to a separate
JSON Lines file. Nothing is lost: every input line, including a line that is not valid JSON or a CSV
row with the wrong number of fields, ends up as a canonical record or a reject, and the counts
reconcile (records in = canonical out + rejected) for every derivation.
"""
from __future__ import annotations

import contextlib
import csv
import datetime
import decimal
import io
import json
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TextIO

from sqlglot import exp

from .errors import DictError, Problem
from .generators.python import source_module
from .plan import Plan, ViewPlan


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

def read_jsonl(stream: TextIO) -> Iterator[InputRecord]:
    for number, line in enumerate(stream, start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            yield InputRecord(number, None, f"line {number}: not valid JSON: {err.msg} (column {err.colno})", text)
            continue
        if not isinstance(value, dict):
            yield InputRecord(number, None, f"line {number}: a record must be a JSON object, not {type(value).__name__}", text)
            continue
        yield InputRecord(number, value, raw=text)


def read_csv(stream: TextIO) -> Iterator[InputRecord]:
    """CSV with a header row; an empty field is NULL (as DuckDB reads CSV)."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as err:
        yield InputRecord(1, None, f"line 1: unreadable CSV header: {err}")
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield InputRecord(reader.line_num, None, f"line {reader.line_num}: not valid CSV: {err}")
            continue
        if not row:
            continue
        if len(row) != len(header):
            yield InputRecord(reader.line_num, None,
                              f"line {reader.line_num}: {len(row)} fields, but the header has {len(header)}", ",".join(row))
            continue
        yield InputRecord(reader.line_num, {k: (v if v != "" else None) for k, v in zip(header, row)})


def read_records(stream: TextIO, fmt: str) -> Iterator[InputRecord]:
    return read_csv(stream) if fmt == "csv" else read_jsonl(stream)


def input_format(path: Path | None, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("jsonl", "csv"):
            raise DictError(Problem("--format", 1, f"unknown input format '{fmt}'", "use jsonl or csv"))
        return fmt
    return "csv" if path is not None and path.suffix.lower() in (".csv", ".tsv") else "jsonl"


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


def load_joined(path: Path, fmt: str | None) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = []
        for item in read_records(fh, input_format(path, fmt)):
            if item.record is None:
                raise DictError(Problem(str(path), item.line, item.problem))
            rows.append(item.record)
    return rows


# ----------------------------------------------------------------------------- writing

def _json_value(value):
    if isinstance(value, decimal.Decimal):
        return str(value)           # every digit kept: JSON numbers would go through binary floats
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, float) and value != value:
        return "NaN"
    return value


def to_json(record: dict) -> str:
    return json.dumps({k: _json_value(v) for k, v in record.items()}, ensure_ascii=False, default=str)


def translate_stream(module, views: list[ViewPlan], items: Iterator[InputRecord], out: TextIO, rejects: TextIO,
                     joins: dict[str, list[dict]] | None = None, progress: Callable[[int], None] | None = None
                     ) -> list[Tally]:
    """Translate every input record with every derivation in ``views``; returns one tally per derivation."""
    tallies = [Tally(v.name) for v in views]
    lookups = {v.name: [JoinedRows(v, alias, rows) for alias, rows in (joins or {}).items()
                        if any(j.ref.alias == alias for j in v.joins)] for v in views}   # a table only some derivations join
    functions = [module.DERIVATIONS[v.name] for v in views]
    reject_type = module.Reject
    count = 0
    for item in items:
        count += 1
        if progress is not None and count % 1000 == 0:
            progress(count)
        if item.record is None:
            rejects.write(to_json({"_line": item.line, "_derivation": None, "_source_key": None,
                                   "_reject_reason": item.problem, "_rule": "input", "_input": item.raw}) + "\n")
            for tally in tallies:
                tally.records_in += 1
                tally.rejected += 1
                tally.malformed += 1
                tally.reasons[item.problem.split(": ", 1)[-1]] = tally.reasons.get(item.problem.split(": ", 1)[-1], 0) + 1
            continue
        for view, fn, tally in zip(views, functions, tallies):
            record = item.record
            if lookups[view.name]:
                record = dict(record)
                for joined in lookups[view.name]:
                    if joined.alias not in record:
                        record[joined.alias] = joined.candidates(record)
            tally.records_in += 1
            try:
                result = fn(record)
            except Exception as err:   # a translator bug must not lose the record either
                result = reject_type(view.name, None, f"translator error: {type(err).__name__}: {err}", None, None, "error")
            if isinstance(result, reject_type):
                tally.rejected += 1
                tally.reasons[result.reason] = tally.reasons.get(result.reason, 0) + 1
                entry = {"_line": item.line, **result.as_dict(), "_input": item.record}
                rejects.write(to_json(entry) + "\n")
            else:
                tally.canonical += 1
                out.write(to_json({**result, "_derivation": view.name}) + "\n")
    if progress is not None:
        progress(count)
    return tallies


def open_text(path: Path | None, mode: str, default: TextIO):
    """A context giving the file at ``path``, or ``default`` (left open) for none or '-'."""
    if path is None or str(path) == "-":
        return contextlib.nullcontext(default)
    return path.open(mode, encoding="utf-8", newline="" if "r" in mode else None)


def sniff_size(path: Path | None) -> int | None:
    try:
        return path.stat().st_size if path is not None and str(path) != "-" else None
    except OSError:
        return None


class CountingReader(io.TextIOBase):
    """Wraps a text stream, counting characters read (for the progress bar)."""

    def __init__(self, inner: TextIO):
        self.inner = inner
        self.read_chars = 0

    def __iter__(self):
        for line in self.inner:
            self.read_chars += len(line)
            yield line

    def read(self, size: int = -1) -> str:
        text = self.inner.read(size)
        self.read_chars += len(text)
        return text

    def readline(self, size: int = -1) -> str:
        text = self.inner.readline(size)
        self.read_chars += len(text)
        return text
