"""Planted defects: how many the rejects and the data tests catch, and how many clean rows they flag.

A seeded shop estate (SQLite: customers and their interactions, a few thousand rows) gets known
defects at known rows: malformed phones and e-mails, unmapped segment codes, interactions naming a
customer that does not exist (orphans), interactions past the dictionary's max_age (stale), and
customer numbers typed twice (duplicates: both rows of a pair carry the defect). Its mapping uses the
standardisation functions as reject rules (PHONE_E164 ... IS NULL, NORMALIZE_EMAIL ... IS NULL) and
an unmapped code rejects; `dict test`'s checks (unique, references, fresh) run on the views. Every
flagged source row is matched with the planted list: caught defects per kind and per check, and
clean rows flagged (false rejects), printed. Column profiling (`dict profile`) is another branch's
work and is not counted here.

    python benchmarks/defects_benchmark.py [--customers 3000] [--seed 16] [--runs 3]
"""
from __future__ import annotations

import argparse
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlglot import exp  # noqa: E402

from toolkit import dialects  # noqa: E402
from toolkit.run.datatests import plan_tests, run_tests  # noqa: E402
from toolkit.run.engines.duckdb import connect  # noqa: E402
from toolkit.plan import load_plan  # noqa: E402
from toolkit.run.engines.reconcile import run_report  # noqa: E402
from toolkit.load.source_schema import dump_source_schema, import_sqlite  # noqa: E402

AS_OF = datetime(2025, 6, 1)
KINDS = ("malformed phone", "malformed email", "unmapped code", "orphan", "stale", "duplicate")

MAPPING = """\
source: shop
title: Seeded shop with planted defects
description: Customers and their service interactions, for the planted-defects benchmark.
class_derivations:
  Customer:
    populated_from: customers
    slot_derivations:
      id:
        expr: GLOBAL_ID('Customer', customer_no)
      customer_type:
        value: person
      full_name:
        expr: NORMALIZE_NAME(first_name || ' ' || last_name)
      given_name:
        expr: NORMALIZE_NAME(first_name)
      family_name:
        expr: NORMALIZE_NAME(last_name)
      customer_tier:
        expr: UPPER(TRIM(segment))
        value_mappings: {"G": gold, "S": silver, "P": platinum, "B": standard}
        unmapped: reject
  ContactPointEmail:
    target_class: ContactPoint
    populated_from: customers
    reject_when:
      - when: NORMALIZE_EMAIL(email) IS NULL
        reason: malformed e-mail address
    slot_derivations:
      id:
        expr: GLOBAL_ID('ContactPoint', 'email', customer_no)
      customer_id:
        expr: GLOBAL_ID('Customer', customer_no)
      contact_type:
        value: email
      email_address:
        expr: NORMALIZE_EMAIL(email)
  ContactPointPhone:
    target_class: ContactPoint
    populated_from: customers
    reject_when:
      - when: PHONE_E164(phone, country) IS NULL
        reason: malformed phone number
    slot_derivations:
      id:
        expr: GLOBAL_ID('ContactPoint', 'phone', customer_no)
      customer_id:
        expr: GLOBAL_ID('Customer', customer_no)
      contact_type:
        value: phone
      phone_number:
        expr: PHONE_E164(phone, country)
      postal_code:
        expr: NORMALIZE_POSTCODE(postcode, country)
  Interaction:
    populated_from: interactions
    slot_derivations:
      id:
        expr: GLOBAL_ID('Interaction', interaction_id)
      customer_id:
        expr: GLOBAL_ID('Customer', customer_no)
      channel:
        value: call_centre
      interaction_datetime:
        populated_from: happened_at
"""

FIRST = ["marie", "JEAN", "Sarah", "o'neil", "Li", "ÉLISE", "tom", "Anna", "david", "Chloé", "wei", "Raj"]
LAST = ["dupont", "SMITH", "McDonald", "van der Berg", "Martin", "o'brien", "Zhang", "Müller", "Nguyen", "KOWALSKI"]
# (country, a clean number as typed, the postcode as typed)
PHONES = {
    "GB": (lambda r: r.choice(["020 7946 0{:03d}", "+44 20 7946 0{:03d}", "07700 900{:03d}", "0044 7700 900{:03d}"]).format(r.randrange(1000)),
           lambda r: r.choice(["sw1a 1aa", "EC1A1BB", "M1 1AE"])),
    "US": (lambda r: r.choice(["(212) 555-0{:03d}", "+1 212 555 0{:03d}", "1-415-555-0{:03d}"]).format(r.randrange(1000)),
           lambda r: r.choice(["10001", "94043-1351", "606011234"])),
    "FR": (lambda r: r.choice(["01 42 68 5{:d} {:02d}", "+33 6 12 34 5{:d} {:02d}", "06.12.34.5{:d}.{:02d}"]).format(r.randrange(10), r.randrange(100)),
           lambda r: r.choice(["75008", "33000"])),
    "AU": (lambda r: "(02) 9374 4{:03d}".format(r.randrange(1000)), lambda r: r.choice(["2000", "3000"])),
    "CA": (lambda r: "+1 (604) 555-0{:03d}".format(r.randrange(1000)), lambda r: r.choice(["K1A 0B1", "v6c1g8"])),
}
BAD_PHONES = [lambda p: p[:-1], lambda p: p + "7", lambda p: p[:-2] + "O" + p[-1], lambda p: p + " ext 12",
              lambda p: "n/a", lambda p: "TBC", lambda p: "0000"]
BAD_EMAILS = ["{f}.{l}@", "n/a", "{f}@{l}", "{f}@@example.com", "{f} {l}@example.com", "{f}@example..com", "@example.com"]


def _ascii(name: str) -> str:
    """A name as the ASCII letters of an e-mail address (Élise -> elise, o'neil -> oneil)."""
    return "".join(c for c in unicodedata.normalize("NFKD", name.lower()) if c.isascii() and c.isalpha())


def build(path: Path, customers: int, seed: int) -> dict[tuple[str, str], str]:
    """The estate at ``path``; returns the planted defects: (table, source key) -> kind."""
    rng = random.Random(seed)
    planted: dict[tuple[str, str], str] = {}
    rows, interactions = [], []
    for i in range(1, customers + 1):
        country = rng.choice(list(PHONES))
        phone, postcode = PHONES[country][0](rng), PHONES[country][1](rng)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"  {_ascii(first)}.{_ascii(last)}{i}@Example.COM "
        row = [i, f"C{i:06d}", first, last, email, phone, country, postcode, rng.choice("GSPBgs")]
        kind = rng.choices(["clean", "malformed phone", "malformed email", "unmapped code"], [0.88, 0.04, 0.04, 0.04])[0]
        if kind == "malformed phone":
            row[5] = rng.choice(BAD_PHONES)(phone)
        elif kind == "malformed email":
            row[4] = rng.choice(BAD_EMAILS).format(f=first.lower(), l=last.lower())
        elif kind == "unmapped code":
            row[8] = rng.choice(["X", "Q", "ZZ", "9"])
        if kind != "clean":
            planted[("customers", str(i))] = kind
        rows.append(row)
    clean = [r for r in rows if ("customers", str(r[0])) not in planted]
    for r in rng.sample(clean, len(clean) // 50):   # the same customer number typed on a second card
        rows.append([len(rows) + 1, *r[1:]])
        planted[("customers", str(r[0]))] = planted[("customers", str(len(rows)))] = "duplicate"
    targets = [r[1] for r in clean]
    for j in range(1, customers * 2 + 1):
        kind = rng.choices(["clean", "orphan", "stale"], [0.94, 0.03, 0.03])[0]
        customer = f"X{j:06d}" if kind == "orphan" else rng.choice(targets)
        days = rng.randrange(800, 3000) if kind == "stale" else rng.randrange(0, 700)
        interactions.append([f"I{j:07d}", customer, (AS_OF - timedelta(days=days, minutes=rng.randrange(1440))).isoformat(sep=" ")])
        if kind != "clean":
            planted[("interactions", f"I{j:07d}")] = kind
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (row_id INTEGER PRIMARY KEY, customer_no TEXT, first_name TEXT, last_name TEXT, "
                "email TEXT, phone TEXT, country TEXT, postcode TEXT, segment TEXT)")
    con.execute("CREATE TABLE interactions (interaction_id TEXT PRIMARY KEY, customer_no TEXT, happened_at TIMESTAMP)")
    con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.executemany("INSERT INTO interactions VALUES (?, ?, ?)", interactions)
    con.commit()
    con.close()
    return planted


def project(root: Path, database: Path) -> Path:
    shutil.copytree(ROOT / "dictionary", root / "dictionary")
    (root / "mappings").mkdir()
    (root / "mappings" / "shop.source.yaml").write_text(dump_source_schema(import_sqlite(database, "shop", database.name)),
                                                        encoding="utf-8")
    (root / "mappings" / "shop.yaml").write_text(MAPPING, encoding="utf-8")
    return root


def flagged(root: Path, database: Path) -> tuple[dict[tuple[str, str], set[str]], int]:
    """(table, key) -> the checks that flagged it (reject reasons, failed data tests); rows in the views."""
    plan = load_plan(root)
    con = connect()
    try:
        run_report(plan, {"shop": database}, con=con)
        out: dict[tuple[str, str], set[str]] = defaultdict(set)
        for table, key, reason in con.execute("SELECT _source_table, _source_key, _reject_reason FROM rejects").fetchall():
            out[(table, key)].add(f"reject: {reason.split(':')[0][:40]}")
        duckdb = dialects.get("duckdb")
        query = lambda tree: con.execute(duckdb.render(tree)).fetchall()   # noqa: E731
        relation = lambda t: exp.Table(this=exp.to_identifier(t, quoted=True))   # noqa: E731
        restricted = plan.restrict(["shop"])
        tests = plan_tests(restricted)
        present = {i.view_name for i in restricted.integrated}
        tables = {"Interaction": "interactions"}
        for o in run_tests(tests, query, relation, present, AS_OF, sample=10**9):
            key_at = o.test.shown.index("_source_key")
            for row in o.sample:
                out[(tables.get(o.test.class_name, "customers"), str(row[key_at]))].add(f"test: {o.test.kind}")
        rows = sum(con.execute(f'SELECT COUNT(*) FROM "{i.view_name}"').fetchone()[0] for i in restricted.integrated)
    finally:
        con.close()
    return out, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "shop.sqlite"
        planted = build(database, args.customers, args.seed)
        root = project(Path(tmp) / "project", database)
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
            found, canonical = flagged(root, database)
            walls.append(time.perf_counter() - wall)
            cpus.append(resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu)
        con = sqlite3.connect(database)
        sizes = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("customers", "interactions")}
        con.close()
    per_kind = Counter(planted.values())
    caught = Counter(kind for row, kind in planted.items() if found.get(row))
    by_check: dict[str, Counter] = defaultdict(Counter)
    for row, kind in planted.items():
        for check in found.get(row, ()):
            by_check[kind][check] += 1
    clean_rows = sum(sizes.values()) - len(planted)
    false = sorted(row for row in found if row not in planted)
    print(f"estate: {sizes['customers']} customer rows, {sizes['interactions']} interaction rows, seed {args.seed}; "
          f"{len(planted)} planted defects; {canonical} canonical rows in the views")
    print(f"{'defect':<16} {'planted':>8} {'caught':>8} {'rate':>8}  caught by")
    for kind in KINDS:
        checks = ", ".join(f"{c} ({n})" for c, n in by_check[kind].most_common())
        print(f"{kind:<16} {per_kind[kind]:>8} {caught[kind]:>8} {caught[kind] / max(1, per_kind[kind]):>8.1%}  {checks}")
    total = sum(caught.values()) / max(1, len(planted))
    print(f"{'all':<16} {len(planted):>8} {sum(caught.values()):>8} {total:>8.1%}")
    print(f"clean rows: {clean_rows}; flagged by a reject or a test (false rejects): {len(false)}"
          + (f" e.g. {false[:5]}" if false else ""))
    print(f"rejects + data tests per run: wall median {statistics.median(walls):.2f} s, CPU median "
          f"{statistics.median(cpus):.2f} s over {args.runs} runs (perf_counter, getrusage user time)")
    if total < 0.99 or false:
        sys.exit(1)


if __name__ == "__main__":
    main()
