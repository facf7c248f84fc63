"""One meaning for a policy: its SQL views on DuckDB, SQLite, PostgreSQL and MariaDB give exactly the actions
the generated Python evaluator gives, event by event, on generated canonical records."""
from __future__ import annotations

import random
import types
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlglot import exp

from engine_support import open_engine
from toolkit.load.dictionary import load_dictionary
from toolkit.run.engines.compare import normalise
from toolkit.run.engines.data import TableData
from toolkit.emit.policies import column_types, policy_statements, python_module
from toolkit.plan.policies import class_table, load_policies, load_policy

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = "h18_policies_canon"

# a third policy reaching the customer through transaction -> account -> customer, with CASE, COALESCE,
# arithmetic and a hostile purpose (it must stay text)
CHAINED = """
name: chained_courtesy
purpose: "QA '); DROP TABLE customer; -- \\"\\"\\" {{ x }} <script>alert(1)</script>"
owner: QA
trigger:
  target_class: Transaction
  filter: transaction_type IN ('withdrawal', 'refund')
lookups:
  account: account_id
  holder: account.customer_id
condition: >-
  (COALESCE(holder.customer_tier, 'standard') IN ('gold', 'platinum') AND total_amount < -100)
  OR CASE WHEN holder.preferred_language = 'fr' THEN total_amount > 5000 ELSE FALSE END
action:
  name: courtesy_email
  channel: email
  party: account.customer_id
  payload:
    half: ROUND(total_amount / 2, 2)
    tier: UPPER(holder.customer_tier)
    name_length: LENGTH(holder.full_name)
suppression:
  period: year
priority: 5
"""


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    dictionary = load_dictionary(ROOT / "dictionary", ROOT)
    path = tmp_path_factory.mktemp("pol") / "chained.yaml"
    path.write_text(CHAINED, encoding="utf-8")
    return load_policies(ROOT, dictionary) + (load_policy(path, "chained.yaml", dictionary),), dictionary


def _records(seed: int = 18) -> dict[str, list[dict]]:
    """Customers, accounts, transactions and interactions with the edge cases the policies turn on:
    amounts around 10,000 and NULL, tiers and NULL, several events per party per month and per day."""
    rnd = random.Random(seed)
    tiers = ["platinum", "gold", "silver", "standard", None]
    customers = [{"id": f"crm:Customer:{i}", "customer_type": "person", "full_name": rnd.choice(["Ann Lee", "Émile Zola", "王伟", None]),
                  "customer_tier": rnd.choice(tiers), "preferred_language": rnd.choice(["en", "fr", "zh", None])}
                 for i in range(12)]
    accounts = [{"id": f"billing:Account:B-{i}", "account_number": f"B-{i}",
                 "customer_id": rnd.choice([c["id"] for c in customers] + [None, "crm:Customer:missing"])}
                for i in range(20)]
    start = datetime(2024, 1, 1)
    minutes = iter(rnd.sample(range(0, 60 * 24 * 75), 700))   # distinct times: the suppression order is total
    amounts = [Decimal("10000"), Decimal("10000.0001"), Decimal("-10000.0001"), Decimal("-12500.5"), Decimal("15000"),
               Decimal("-99.99"), Decimal("-250"), Decimal("6000"), None]
    transactions = [{"id": f"billing:Transaction:{i}", "customer_id": rnd.choice([c["id"] for c in customers] + [None]),
                     "account_id": rnd.choice([a["id"] for a in accounts] + [None]),
                     "transaction_type": rnd.choice(["withdrawal", "refund", "purchase", "payment"]),
                     "transaction_date": None if i % 37 == 0 else start + timedelta(minutes=next(minutes)),
                     "total_amount": rnd.choice(amounts), "currency_code": rnd.choice(["USD", "USD", "EUR", None])}
                    for i in range(400)]
    topics = ["Moving house", "ADDRESS CHANGE", "new address", "Billing", "Tech", None, "moving", "Umzug", "Adresse"]
    interactions = [{"id": f"crm:Interaction:{i}", "customer_id": rnd.choice([c["id"] for c in customers] + [None]),
                     "channel": rnd.choice(["call_centre", "call_centre", "web", "email"]),
                     "interaction_datetime": start + timedelta(minutes=next(minutes)), "topic": rnd.choice(topics)}
                    for i in range(250)]
    return {"Customer": customers, "Account": accounts, "Transaction": transactions, "Interaction": interactions}


def _python_actions(policies, records) -> dict[str, list[tuple]]:
    """Per policy view, the rows the generated evaluator gives: every match, and with suppression."""
    module = types.ModuleType("generated_policies")
    exec(compile(python_module(types.SimpleNamespace(policies=policies)), "policies.py", "exec"), module.__dict__)
    by_id = {cls: {r["id"]: r for r in rows} for cls, rows in records.items()}
    lookup = lambda cls, ident: by_id.get(cls, {}).get(ident)
    out = {}
    for p in policies:
        out[f"{p.view_name}__matches"], out[p.view_name] = [], []
    seen: set = set()
    for cls in ("Transaction", "Interaction"):
        at = {"Transaction": "transaction_date", "Interaction": "interaction_datetime"}[cls]
        ordered = sorted(records[cls], key=lambda r: (r[at] is None, r[at] or datetime.min, r["id"]))
        for event in ordered:
            for action in module.evaluate(cls, event, lookup):
                out[f"policy__{action['policy']}__matches"].append(_row(action))
            for action in module.evaluate(cls, event, lookup, seen=seen):
                out[f"policy__{action['policy']}"].append(_row(action))
    return out


def _row(action: dict) -> tuple:
    return (action["policy"], action["action"], action["channel"], action["priority"], action["party_id"],
            action["period"], action["event_id"], action["event_at"], *action["payload"].values())


def _normalised(rows, types_) -> list[tuple]:
    return sorted((tuple(normalise(v, t) for v, t in zip(r, types_)) for r in rows), key=repr)


@pytest.mark.engine
@pytest.mark.parametrize("engine_name", ["duckdb", "sqlite", "postgres", "mysql", "spark"])
def test_policy_views_and_python_evaluator_fire_the_same_actions(engine_name, policies):
    policies, dictionary = policies
    records = _records()
    expected = _python_actions(policies, records)
    assert len(expected["policy__platinum_large_withdrawal"]) >= 3
    assert len(expected["policy__address_change_mortgage_offer"]) >= 10
    assert len(expected["policy__chained_courtesy"]) >= 5
    # suppression really suppresses something in each policy
    for p in policies:
        assert len(expected[p.view_name]) < len(expected[f"{p.view_name}__matches"])
    with open_engine(engine_name) as engine:
        engine.create_schema(SCHEMA)
        engine.loaded_schemas.add(SCHEMA)
        for cls, rows in records.items():
            table = class_table(dictionary.classes[cls])
            cols = tuple(table.columns.values())
            engine.load_table(SCHEMA, TableData(table, cols, [tuple(r.get(c.name) for c in cols) for r in rows]))
        for _name, statement in policy_statements(policies, SCHEMA):
            engine.run(statement)
        for p in policies:
            typed = column_types(p)
            names = [n for n, _ in typed]
            kinds = [t for _, t in typed]
            for view in (f"{p.view_name}__matches", p.view_name):
                query = exp.select(*[exp.column(exp.to_identifier(n, quoted=True)) for n in names]).from_(
                    exp.Table(this=exp.to_identifier(view, quoted=True)))
                got = _normalised(engine.select(query), kinds)
                want = _normalised(expected[view], kinds)
                assert got == want, f"{engine_name} {view}: only SQL {sorted(set(got) - set(want))[:3]}, only Python {sorted(set(want) - set(got))[:3]}"
        actions = engine.select(exp.select("*").from_(exp.Table(this=exp.to_identifier("policy_actions", quoted=True))))
        assert len(actions) == sum(len(expected[p.view_name]) for p in policies)
