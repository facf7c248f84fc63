"""Draft a mapping for a new source: which table feeds each dictionary class, which column each slot.

The draft is scored evidence, not magic: a column matches a slot by its name against the slot's name,
title, aliases and zh/fr labels (tokens, with common legacy abbreviations spelled out), by the columns
the project's other mappings already map to that slot, by the type, and, when the source was profiled,
by what the values look like (e-mails, phones, postcodes, dates). Reference slots (a slot whose range is
a class) follow foreign keys, declared or found by the profile. Each suggestion says its evidence and
confidence in a YAML comment. The draft is bound like any mapping before it is written, and whatever the
plan refuses is left out as a comment, so renaming the file is enough for `dict validate` to pass.
"""
from __future__ import annotations

import difflib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.load.dictionary import ClassDef, Dictionary, Slot
from toolkit.core.errors import DictError, Problem
from toolkit.load.source_schema import SourceSchema, Table
from toolkit.core.types import Type, assignable

SLOT_THRESHOLD = 0.6    # a column below this score is not suggested for a slot
TABLE_THRESHOLD = 0.3   # a table below this score is not suggested for a class
# Legacy abbreviations spelled out before names are compared (CUST_NO → customer number).
ABBREVIATIONS = {
    "cust": "customer", "cus": "customer", "no": "number", "nr": "number", "num": "number", "nbr": "number",
    "nm": "name", "addr": "address", "adr": "address", "zip": "postal code", "zipcode": "postal code",
    "postcode": "postal code", "plz": "postal code", "tel": "phone", "telephone": "phone", "ph": "phone",
    "mob": "mobile", "qty": "quantity", "amt": "amount", "dt": "date", "ts": "datetime", "desc": "description",
    "cd": "code", "ctry": "country", "cntry": "country", "st": "state", "fname": "first name",
    "lname": "last name", "dob": "birth date", "acct": "account", "acc": "account", "txn": "transaction",
    "trx": "transaction", "prod": "product", "cat": "category", "curr": "currency", "ccy": "currency",
    "bal": "balance", "stat": "status", "sts": "status", "lang": "language", "dur": "duration",
    "secs": "seconds", "sec": "seconds", "hh": "household", "org": "organisation", "organization": "organisation",
    "mail": "email", "e": "", "id": "id", "typ": "type", "tp": "type", "ln": "line", "pct": "rate",
    "disc": "discount", "msisdn": "mobile", "seg": "segment",
    # flag words say nothing of the meaning: is_active ≈ active_flag ≈ active_ind
    "is": "", "flag": "", "ind": "", "yn": "", "ref": "reference",
}
# What a profiled meaning says about a slot's name.
MEANING_SLOTS = {"email": ("email",), "phone": ("phone",), "postcode": ("postal",), "date": ("date", "since")}


@dataclass
class Match:
    """A column suggested for a slot: the column (or an expression) with its score and evidence."""
    slot: Slot
    table: str
    column: str
    score: float
    evidence: list[str] = field(default_factory=list)
    expr: str | None = None     # when a plain copy does not fit (CAST, GLOBAL_ID, a joined table)


@dataclass
class Derivation:
    cls: ClassDef
    table: Table
    score: float
    evidence: list[str]
    matches: list[Match]
    joins: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # alias -> (table, its key, base column)
    name: str = ""      # the derivation's name when it is not the class's (a second table feeding the class)
    waived: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ names

def tokens(text: str) -> tuple[str, ...]:
    """Words of a name: split at case changes, digits and punctuation, lower-cased, abbreviations spelled out."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    words = []
    for word in re.split(r"[^0-9A-Za-z\u00C0-\uFFFF]+", spaced.lower()):
        if word:
            words += ABBREVIATIONS.get(word, word).split()
    return tuple(words)


def name_score(name: str, label: str) -> float:
    """How alike two names are, 0..1: equal words 1.0, one's words within the other's 0.8, else spelling."""
    if not name or not label:
        return 0.0
    if name == label:
        return 1.0
    a, b = tokens(name), tokens(label)
    if not a or not b:
        return 0.0
    if a == b:
        return 0.97
    sa, sb = set(a) - {"id"} or set(a), set(b) - {"id"} or set(b)
    overlap = len(sa & sb) / len(sa | sb)
    # a name holding all the label's words (BillingCity ⊇ city) says more than one holding fewer (Total ⊆ total amount)
    contained = 0.8 if set(b) <= set(a) else 0.7 if set(a) <= set(b) else 0.0
    spelling = difflib.SequenceMatcher(None, "".join(a), "".join(b)).ratio()
    return max(overlap * 0.9, contained, spelling * 0.85 if spelling > 0.85 else 0.0)


def slot_labels(slot: Slot, learned: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(label, where it comes from) for a slot: name, title, aliases, zh/fr labels, other mappings' columns."""
    labels = [(slot.name, "slot name"), (slot.meta.title, "title")]
    labels += [(a, "alias") for a in slot.meta.aliases]
    labels += [(text, f"{lang} label") for lang, text in slot.meta.labels]
    labels += [(c, "mapped in another mapping") for c in learned.get(slot.name, [])]
    return [(text, where) for text, where in labels if text]


def class_labels(cls: ClassDef) -> list[tuple[str, str]]:
    labels = [(cls.name, "class name"), (cls.meta.title, "title")] + [(a, "alias") for a in cls.meta.aliases]
    labels += [(text, f"{lang} label") for lang, text in cls.meta.labels]
    return [(text, where) for text, where in labels if text]


def _best_label(name: str, labels: list[tuple[str, str]]) -> tuple[float, str]:
    best, why = 0.0, ""
    for label, where in labels:
        score = name_score(name, label)
        if score > best:
            best, why = score, f"{where} '{label}'"
    return best, why


# ------------------------------------------------------------------------------------------ matching

def _column_match(slot: Slot, table: Table, column: str, learned, profile, context: frozenset = frozenset()) -> Match | None:
    """How well ``column`` fills ``slot``: its name, then its name without the words its table and class already
    say (holder_name in account_holders → name; invoice_type for a Transaction → type), type and values."""
    col = table.columns[column]
    labels = slot_labels(slot, learned)
    score, why = _best_label(column, labels)
    words = set(tokens(table.name)) | {w[:-1] for w in tokens(table.name) if w.endswith("s")} | context
    rest = [w for w in tokens(column) if w not in words]
    if set(rest) - {"id"} and len(rest) < len(tokens(column)):
        for label, where in labels:
            label_rest = [w for w in tokens(label) if w not in words]
            if label_rest and (rest_score := name_score(" ".join(rest), " ".join(label_rest)) * 0.95) > score:
                score, why = rest_score, f"{where} '{label}' (beside the table's and class's own words)"
    evidence = [f"name matches {why} ({score:.2f})"] if score else []
    meaning = _meaning(profile, table.name, column)
    if meaning and any(k in slot.name for k in MEANING_SLOTS.get(meaning, ())):
        score = min(1.0, score + 0.3)
        evidence.append(f"values look like {meaning}s")
    if score < SLOT_THRESHOLD and slot.type in (Type.DATE, Type.DATETIME) and _the_date_column(table) == column:
        score = 0.7
        evidence.append(f"the table's {'only' if _temporal(table) == [column] else 'first start/creation'} date column")
    if score < SLOT_THRESHOLD:
        return None
    expr = None
    if not assignable(col.type, slot.type):
        if col.type is Type.STRING or slot.type is Type.STRING:
            expr = f"CAST({_quote(column)} AS {_sql_type(slot.type)})"
            evidence.append(f"{col.type.value} cast to {slot.type.value}")
            score -= 0.1
        else:
            return None
    return Match(slot, table.name, column, round(score, 2), evidence, expr)


def _temporal(table: Table) -> list[str]:
    return [n for n, c in table.columns.items() if c.type in (Type.DATE, Type.DATETIME)]


def _the_date_column(table: Table) -> str | None:
    """The table's only date column, or else its first one named like a start (started_at, created_on, opened)."""
    dates = _temporal(table)
    if len(dates) == 1:
        return dates[0]
    return next((n for n in dates if re.search(r"start|creat|open|begin", n, re.I)), None)


def _meaning(profile, table: str, column: str) -> str | None:
    if profile is None:
        return None
    t = profile.table(table)
    c = t.column(column) if t else None
    return c.meaning if c else None


def _sql_type(t: Type) -> str:
    from toolkit.core.types import SQL_TYPES

    return SQL_TYPES[t].sql()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def match_table(cls: ClassDef, table: Table, learned, profile) -> Derivation:
    """The best column of ``table`` for each of the class's slots, and the table's score for the class."""
    name, why = _best_label(table.name, class_labels(cls))
    matches = []
    for slot in cls.slots:
        if slot.identifier or slot.references:
            continue
        context = frozenset(w for label, _ in class_labels(cls) for w in tokens(label))
        found = [m for c in table.columns if (m := _column_match(slot, table, c, learned, profile, context))]
        if found:
            matches.append(max(found, key=lambda m: (m.score, m.column == slot.name)))
    matches = _without_weak_dates(matches)
    fillable = [s for s in cls.slots if not s.identifier and not s.references] or [None]
    # a column counts once: one name column filling name and category says less than two columns would
    per_column: dict[str, float] = {}
    for m in matches:
        per_column[m.column] = max(per_column.get(m.column, 0.0), m.score)
    coverage = sum(per_column.values()) / len(fillable)
    score = round(0.5 * name + 0.5 * coverage, 3)
    evidence = ([f"table name matches {why} ({name:.2f})"] if name else []) + \
        [f"{len(matches)} of {len(fillable)} slots found"]
    return Derivation(cls, table, score, evidence, matches)


def _without_weak_dates(matches: list[Match]) -> list[Match]:
    """A date column taken only for being the table's date column yields to a slot its name matches
    (date_of_birth is a birth date, not the customer-since date)."""
    named = {m.column for m in matches if m.evidence and m.evidence[0].startswith("name matches")}
    return [m for m in matches if m.column not in named or not any("date column" in e for e in m.evidence)]


def _fk_targets(schema: SourceSchema, profile) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(table, column) -> (referenced table, referenced column, evidence) from declared and profiled keys."""
    found = {}
    if profile is not None:
        for f in profile.foreign_keys:
            if f.declared or f.name_match:
                found.setdefault((f.table, f.column), (f.ref_table, f.ref_column,
                                                        f"profiled inclusion {f.containment:.2f}"))
    for t in schema.tables.values():
        for fk in t.foreign_keys:
            if len(fk.columns) == 1 and fk.referenced_columns:
                found[(t.name, fk.columns[0])] = (fk.references, fk.referenced_columns[0], "declared foreign key")
    return found


def _references(d: Derivation, chosen: dict[str, Derivation], fks, learned) -> None:
    """Reference slots: GLOBAL_ID of the class the referenced table feeds, through a foreign key or the key itself."""
    by_table = {}
    for other in chosen.values():
        by_table.setdefault(other.table.name, []).append(other)
    for slot in d.cls.slots:
        if not slot.references or slot.references not in chosen or any(m.slot is slot for m in d.matches):
            continue
        target = chosen[slot.references]
        key = target.table.primary_key
        if len(key) != 1:
            continue
        best = None
        for column in d.table.columns:
            ref = fks.get((d.table.name, column))
            if ref and ref[0] == target.table.name and ref[1] == key[0]:
                cand = Match(slot, d.table.name, column, 0.95, [f"{ref[2]} to {ref[0]}.{ref[1]}, which feeds {target.cls.name}"])
            elif d.table.name == target.table.name and column == key[0]:
                cand = Match(slot, d.table.name, column, 0.9, [f"the key of {column!r}, which also feeds {target.cls.name}"])
            else:
                score, why = _best_label(column, slot_labels(slot, learned))
                if score < 0.8 or not _same_kind(d.table.columns[column].type, target.table.columns[key[0]].type):
                    continue
                cand = Match(slot, d.table.name, column, round(score * 0.9, 2), [f"name matches {why}"])
            if best is None or cand.score > best.score:
                best = cand
        if best:
            best.expr = f"GLOBAL_ID({_string(slot.references)}, {_quote(best.column)})"
            d.matches.append(best)


def _same_kind(a: Type, b: Type) -> bool:
    return a == b or (a.numeric and b.numeric)


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _joined(d: Derivation, schema: SourceSchema, fks, learned, profile) -> None:
    """Slots the driving table lacks, looked for in the tables its foreign keys reach (to_one joins)."""
    found = {m.slot.name for m in d.matches}
    for (table, column), (ref_table, ref_column, why) in sorted(fks.items()):
        if table != d.table.name or ref_table == table or ref_table not in schema.tables:
            continue
        other = schema.tables[ref_table]
        if tuple(other.primary_key) != (ref_column,):
            continue
        alias = re.sub(r"[^a-z0-9_]", "_", ref_table.lower())[:30] or "j"
        if alias in d.joins or alias == d.table.name.lower():
            continue
        added = False
        for slot in d.cls.slots:
            if slot.name in found or slot.identifier or slot.references:
                continue
            best = max((m for c in other.columns if (m := _column_match(slot, other, c, learned, profile))),
                       key=lambda m: m.score, default=None) or _lookup_label(slot, d.cls, other)
            if best and best.score * 0.9 >= SLOT_THRESHOLD:
                best.score = round(best.score * 0.9, 2)
                best.evidence.append(f"joined through {why} {table}.{column} → {ref_table}.{ref_column}")
                inner = best.expr or _quote(best.column)
                best.expr = inner.replace(_quote(best.column), f"{_quote(alias)}.{_quote(best.column)}", 1)
                d.matches.append(best)
                found.add(slot.name)
                added = True
        if added:
            d.joins[alias] = (ref_table, ref_column, column)


def _lookup_label(slot: Slot, cls: ClassDef, table: Table) -> Match | None:
    """A joined lookup table named like the slot (Categories for product_category): its name column is the value."""
    class_words = {w for label, _ in class_labels(cls) for w in tokens(label)}
    slot_words = [w for w in tokens(slot.name) if w not in class_words]
    table_words = [w[:-1] if w.endswith("s") else w for w in tokens(table.name)]
    if not slot_words or slot_words != table_words or slot.type is not Type.STRING:
        return None
    for column in table.columns:
        if [w for w in tokens(column) if w not in table_words and w + "s" not in tokens(table.name)] == ["name"]:
            return Match(slot, table.name, column, 0.8, [f"the name column of the lookup table {table.name}"])
    return None


def learned_columns(project: Path, hidden: str) -> dict[str, list[str]]:
    """slot -> the columns the project's other mappings map to it one to one (their knowledge, reused)."""
    from toolkit.load.mapping import load_mapping
    from toolkit.plan import Project

    learned: dict[str, list[str]] = {}
    proj = Project(project)
    for path in proj.mapping_files():
        if path.name.endswith(".suggested.yaml"):
            continue
        try:
            spec = load_mapping(path, proj.display(path), project)
        except DictError:
            continue
        if spec.source == hidden:
            continue
        for _cls, slot, _table, column in ground_truth(spec):
            if column not in learned.setdefault(slot, []):
                learned[slot].append(column)
    return learned


def ground_truth(spec, schema: SourceSchema | None = None) -> set[tuple[str, str, str, str]]:
    """(class, slot, table, column) of each slot a mapping fills from exactly one column (joins resolved); with
    the source schema, an identifier left to the table's one-column key counts as (class, 'id', table, key)."""
    import sqlglot
    from sqlglot import exp

    pairs = set()
    for cd in spec.class_derivations:
        aliases = {j.alias.lower(): j.table for j in cd.joins}
        base = cd.populated_from.text
        table = schema.table(base) if schema is not None else None
        keys = [k.text.strip('"') for k in cd.source_key] or (list(table.primary_key) if table else [])
        explicit = {sd.name for sd in cd.slot_derivations}
        if table is not None and len(keys) == 1 and "id" not in explicit and not cd.group_by:
            pairs.add((cd.target_class, "id", base, keys[0]))
        for sd in cd.slot_derivations:
            if sd.populated_from is not None:
                pairs.add((cd.target_class, sd.name, base, sd.populated_from.text))
                continue
            if sd.expr is None:
                continue
            try:
                tree = sqlglot.parse_one(sd.expr.text, read="duckdb")
            except Exception:  # noqa: BLE001 - an expression sqlglot cannot read names no pair
                continue
            cols = {(aliases.get(c.table.lower(), base) if c.table else base, c.name) for c in tree.find_all(exp.Column)}
            if len(cols) == 1:
                table, column = cols.pop()
                pairs.add((cd.target_class, sd.name, table, column))
    return pairs


# ------------------------------------------------------------------------------------------ the draft

def suggest(project: Path, source: str, schema: SourceSchema, dictionary: Dictionary, profile=None) -> list[Derivation]:
    """The draft's derivations: per class, the best table if it scores enough, with its slots and references."""
    learned = learned_columns(project, source)
    usable = [t for t in schema.tables.values() if t.primary_key or _profiled_key(profile, t.name)]
    fks = _fk_targets(schema, profile)
    chosen: dict[str, Derivation] = {}
    for _round in range(2):   # the second round counts references to the tables the first one chose
        for cls in dictionary.classes.values():
            if cls.name in chosen:
                continue
            options = [match_table(cls, t, learned, profile) for t in usable]
            related = _related_tables(cls, chosen, fks)
            for d in options:
                _references(d, chosen, fks, learned)
                if d.table.name in related:
                    d.score = round(d.score + 0.25, 3)
                    d.evidence.append(related[d.table.name])
            best = max(options, key=lambda d: d.score + 0.1 * len(d.matches), default=None)
            if best is not None and _convincing(best):
                best.matches = [m for m in best.matches if not m.slot.references]
                chosen[cls.name] = best
    derivations = list(chosen.values()) + _second_tables(chosen, usable, learned, profile)
    for d in derivations:
        _joined(d, schema, fks, learned, profile)
        _references(d, chosen, fks, learned)
    return derivations


def _second_tables(chosen: dict[str, Derivation], usable: list[Table], learned, profile) -> list[Derivation]:
    """Another table feeding a chosen class when it holds, by a near-certain match, a slot the first table lacks
    (an e-mail column on a holders table feeds ContactPoint too): a second derivation, named after its table."""
    extra = []
    referenced = {slot.references for d in chosen.values() for slot in d.cls.slots if slot.references}
    for cls_name, first in chosen.items():
        if cls_name in referenced or len(first.table.primary_key) != 1:
            continue    # references name one id per key value: such a class keeps its single derivation
        before = len(extra)
        for table in usable:
            if table.name == first.table.name:
                continue
            d = match_table(first.cls, table, learned, profile)
            filled = {m.slot.name for m in first.matches}
            proven = [m for m in d.matches if m.score >= 0.97 and m.slot.name not in filled]
            identifier = first.cls.identifier
            if proven and identifier is not None and len(table.primary_key) == 1:
                key = table.primary_key[0]
                # its own ids: the same key value in two tables must not give two rows one id
                own_id = Match(identifier, table.name, key, 0.9, [f"the key of {table.name}, told apart by the table's name"],
                               f"GLOBAL_ID({_string(cls_name)}, {_string(table.name)}, {_quote(key)})")
                d.matches = [own_id] + proven
                d.name = f"{cls_name}_{table.name}"
                d.evidence.append("holds a slot the first table lacks")
                extra.append(d)
        if len(extra) > before:
            key = first.table.primary_key[0]
            first.matches.insert(0, Match(first.cls.identifier, first.table.name, key, 0.9,
                                          [f"the key of {first.table.name}, told apart by the table's name"],
                                          f"GLOBAL_ID({_string(cls_name)}, {_string(first.table.name)}, {_quote(key)})"))
    return extra


def _related_tables(cls: ClassDef, chosen: dict[str, Derivation], fks) -> dict[str, str]:
    """Tables near the classes that reference ``cls`` (a Household lives on or beside the customer table)."""
    related = {}
    for other in chosen.values():
        if any(s.references == cls.name for s in other.cls.slots):
            related.setdefault(other.table.name, f"the table of {other.cls.name}, which references {cls.name}")
            for (table, column), (ref_table, _col, _why) in fks.items():
                if table == other.table.name:
                    related.setdefault(ref_table, f"{other.table.name}.{column} leads here from {other.cls.name}")
    return related


def _convincing(d: Derivation) -> bool:
    """A table feeds a class when its name says so, or when at least two slots find good columns in it."""
    named = d.evidence[0].startswith("table name") and d.score >= TABLE_THRESHOLD
    own = [m for m in d.matches if not m.slot.references]   # references alone say nothing of what the table is
    return bool(own) and (named or (len(d.matches) >= 2 and sum(m.score for m in d.matches) >= 1.6))


def _profiled_key(profile, table: str) -> tuple[str, ...]:
    t = profile.table(table) if profile is not None else None
    return t.candidate_keys[0] if t and t.candidate_keys else ()


def _comment(text: str) -> str:
    """Evidence as one comment line: names are hostile input, so no line break may end the comment early."""
    return re.sub(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+", " ", text)


def _scalar(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escaping is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def render(source: str, derivations: list[Derivation], where: str, profile=None) -> str:
    """The draft mapping's YAML text, evidence and confidence as comments."""
    lines = [f"# Draft mapping suggested by `dict suggest {_comment(source)}` from {_comment(where)}"
             + (" and a profile of its data." if profile is not None else " (no data profiled)."),
             "# Each suggestion says its confidence (0..1) and evidence. Review every line, then rename this",
             f"# file to {_comment(source)}.yaml and run `dict validate`.",
             f"source: {_scalar(source)}",
             f"title: {_scalar(source + ' (draft)')}",
             "class_derivations:"]
    for d in sorted(derivations, key=lambda d: (d.cls.name, d.name)):
        lines.append(f"  {_scalar(d.name or d.cls.name)}:")
        lines.append(f"    # confidence {d.score:.2f}: {_comment('; '.join(d.evidence))}")
        if d.name:
            lines.append(f"    target_class: {_scalar(d.cls.name)}")
        lines.append(f"    populated_from: {_scalar(d.table.name)}")
        if not d.table.primary_key:
            key = _profiled_key(profile, d.table.name)
            lines.append("    # no declared primary key: the profile found these columns unique and never NULL")
            lines.append("    source_key: [" + ", ".join(_scalar(_quote(k)) for k in key) + "]")
        if d.joins:
            lines.append("    joins:")
            for alias, (table, key, column) in d.joins.items():
                on = f"{_quote(alias)}.{_quote(key)} = {_quote(d.table.name)}.{_quote(column)}"
                lines += [f"      {_scalar(alias)}:", f"        table: {_scalar(table)}",
                          f"        \"on\": {_scalar(on)}", "        cardinality: to_one"]
        lines.append("    slot_derivations:")
        if not d.matches:
            lines[-1] += " {}"
        for m in sorted(d.matches, key=lambda m: [s.name for s in d.cls.slots].index(m.slot.name)):
            lines.append(f"      {_scalar(m.slot.name)}:")
            lines.append(f"        # confidence {m.score:.2f}: {_comment('; '.join(m.evidence))}")
            lines.append(f"        expr: {_scalar(m.expr)}" if m.expr else f"        populated_from: {_scalar(m.column)}")
        for note in d.dropped:
            lines.append(f"      # left out: {_comment(note)}")
        if d.waived:
            lines.append("    waived_slots:")
            for slot, reason in d.waived.items():
                lines.append(f"      {_scalar(slot)}: {_scalar(reason)}")
    return "\n".join(lines) + "\n"


def checked_draft(dictionary: Dictionary, source: str, schema_text: str, derivations: list[Derivation], where: str,
                  profile=None) -> str:
    """The draft after binding it as `dict validate` would: slots the plan refuses are left out (as comments),
    required slots nobody found are waived with a reason to fix, derivations that cannot bind are dropped."""
    if not derivations:
        raise DictError(Problem(where, 1, "no table of this source matches a dictionary class well enough",
                                "write the mapping by hand, or add the source's names as aliases in the dictionary"))
    for d in derivations:
        _waive_required(d)
    for _ in range(6):
        text = render(source, derivations, where, profile)
        problems = _bind(dictionary, source, schema_text, text)
        if not problems:
            return text
        _drop(derivations, problems, text)
    text = render(source, derivations, where, profile)
    if _bind(dictionary, source, schema_text, text):
        raise DictError(Problem(where, 1, "no valid draft could be made for this source",
                                "write the mapping by hand from its source schema"))
    return text


def _waive_required(d: Derivation) -> None:
    found = {m.slot.name for m in d.matches}
    for slot in d.cls.slots:
        if slot.required and not slot.identifier and slot.name not in found:
            d.waived[slot.name] = "TODO: dict suggest found no column for this required slot; map it or explain"


def _bind(dictionary: Dictionary, source: str, schema_text: str, text: str) -> list[Problem]:
    """Problems `dict validate` would report for the draft beside its source schema (bound in a scratch folder)."""
    from toolkit.load.mapping import load_mapping
    from toolkit.plan import build_plan
    from toolkit.load.source_schema import load_source_schema

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "mappings").mkdir()
        schema_path = root / "mappings" / f"{source}.source.yaml"
        schema_path.write_text(schema_text, encoding="utf-8")
        draft = root / "mappings" / f"{source}.yaml"
        draft.write_text(text, encoding="utf-8")
        try:
            build_plan(dictionary, [(load_mapping(draft, f"mappings/{source}.yaml", root),
                                     load_source_schema(schema_path, f"mappings/{source}.source.yaml", root))])
        except DictError as error:
            return list(error.problems)
    return []


def _drop(derivations: list[Derivation], problems: list[Problem], text: str) -> None:
    """Leave out what each problem's line points at: a slot derivation, else the whole class derivation."""
    lines = text.splitlines()
    for problem in problems:
        line = problem.line
        owner_slot, owner_class = None, None
        for i in range(min(line, len(lines)) - 1, -1, -1):
            raw = lines[i]
            if owner_slot is None and raw.startswith("      \"") and raw.rstrip().endswith(":"):
                owner_slot = json.loads(raw.strip()[:-1])
            if raw.startswith("  \"") and raw.rstrip().endswith(":"):
                owner_class = json.loads(raw.strip()[:-1])
                break
        d = next((d for d in derivations if (d.name or d.cls.name) == owner_class), None)
        if d is None:
            continue
        if owner_slot is not None and any(m.slot.name == owner_slot for m in d.matches):
            d.matches = [m for m in d.matches if m.slot.name != owner_slot]
            d.dropped.append(f"{owner_slot}: {problem.message}")
            if d.cls.slot(owner_slot) is not None and d.cls.slot(owner_slot).required:
                d.waived[owner_slot] = "TODO: the suggested column did not validate; map it or explain"
        else:
            derivations.remove(d)


def write_suggestion(project: Path, source: str, data: str | None = None, schema: str | None = None):
    """Profile ``data`` (if given), draft, check and write ``mappings/<source>.suggested.yaml``; never over a file."""
    from toolkit.load.dictionary import load_dictionary
    from toolkit.core.output import write_file_atomic
    from toolkit.plan import Project
    from toolkit.load.source_schema import load_source_schema

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,62}", source):
        raise DictError(Problem("SOURCE", 1, f"source name {source!r} is not a plain name",
                                "letters, digits, '_' and '-', starting with a letter"))
    proj = Project(project)
    schema_path = proj.mappings_dir / f"{source}.source.yaml"
    target = proj.mappings_dir / f"{source}.suggested.yaml"
    if not schema_path.is_file():
        raise DictError(Problem(proj.display(schema_path), 1, "source schema not found",
                                f"create it first: dict import-source {source} --from <ddl, database or URL>"))
    for existing in (target, proj.mappings_dir / f"{source}.yaml"):
        if existing.exists():
            raise DictError(Problem(proj.display(existing), 1, "already exists; dict suggest never overwrites a file",
                                    "rename or remove it to draft again"))
    source_schema = load_source_schema(schema_path, proj.display(schema_path), project)
    dictionary = load_dictionary(proj.dictionary_dir, project)
    profile = None
    if data:
        from toolkit.run.profile import profile_source

        profile = profile_source(data, schema or source_schema.database_schema or None)
    derivations = suggest(project, source, source_schema, dictionary, profile)
    text = checked_draft(dictionary, source, schema_path.read_text(encoding="utf-8"), derivations,
                         proj.display(schema_path), profile)
    write_file_atomic(target, text)
    return proj.display(target), derivations
