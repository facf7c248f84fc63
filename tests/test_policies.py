"""Policies as files: validated with file:line like mappings, conflicts named with purposes, hostile text kept text."""
from __future__ import annotations

import json
import types
from pathlib import Path

import pytest
import yaml

from toolkit.load.dictionary import load_dictionary
from toolkit.core.errors import DictError
from toolkit.emit.policies import policies_sql, python_module
from toolkit import dialects
from toolkit.plan.policies import conflicts, load_policies, load_policy

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def dictionary():
    return load_dictionary(ROOT / "dictionary", ROOT)


def _seed(name: str) -> dict:
    return yaml.safe_load((ROOT / "policies" / f"{name}.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, policy: dict | str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(policy if isinstance(policy, str) else yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


def _problems(tmp_path, dictionary, policy) -> list[str]:
    with pytest.raises(DictError) as info:
        load_policy(_write(tmp_path, policy), "policies/p.yaml", dictionary)
    return [str(p) for p in info.value.problems]


def test_both_seed_policies_load_with_their_inputs_through_the_dictionary(dictionary):
    policies = {p.name: p for p in load_policies(ROOT, dictionary)}
    withdrawal = policies["platinum_large_withdrawal"]
    assert withdrawal.trigger.name == "Transaction" and withdrawal.channel == "call_centre"
    assert ("Customer", "customer_tier") in withdrawal.inputs()
    assert withdrawal.party_class == "Customer" and withdrawal.period == "month"
    mortgage = policies["address_change_mortgage_offer"]
    assert mortgage.channel == "web" and ("Interaction", "topic") in mortgage.inputs()


def test_every_policy_file_validates_against_the_language_schema():
    import jsonschema

    schema = json.loads((ROOT / "toolkit" / "plan" / "policy_language.schema.json").read_text(encoding="utf-8"))
    for path in sorted((ROOT / "policies").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


@pytest.mark.parametrize("change, expected", [
    (lambda p: p.update(colour="red"), "unknown key 'colour' in top level"),
    (lambda p: p.pop("purpose"), "'purpose' is a required property"),
    (lambda p: p["trigger"].update(target_class="Invoice"), "unknown class 'Invoice' in trigger"),
    (lambda p: p["trigger"].update(filter="transaction_type = 'withdrawl'"), "'withdrawl' is not a value of transaction_type"),
    (lambda p: p.update(condition="customer.tier = 'platinum'"), "unknown column 'tier'"),
    (lambda p: p.update(condition="total_amount + 1"), "condition is decimal, but a condition (true/false) is needed"),
    (lambda p: p.update(condition="SUM(total_amount) > 1"), "aggregates rows"),
    (lambda p: p.update(condition="(SELECT 1) = 1"), "not allowed"),
    (lambda p: p["lookups"].update(customer="currency_code"), "is not a reference to a class"),
    (lambda p: p["lookups"].update(shop="nowhere.customer_id"), "unknown alias 'nowhere'"),
    (lambda p: p["action"].update(channel="carrier_pigeon"), "channel 'carrier_pigeon' is not a channel of the dictionary"),
    (lambda p: p["action"].update(party="total_amount"), "party: slot 'total_amount' of Transaction is not a reference"),
    (lambda p: p["action"].update(name="Call Now!"), "does not match"),
    (lambda p: p.update(name="x; DROP TABLE customer"), "does not match"),
    (lambda p: p.update(name="a" * 41), "at most 40"),
    (lambda p: p["suppression"].update(at="currency_code"), "suppression.at 'currency_code' is not a date or datetime slot"),
    (lambda p: p["suppression"].update(period="fortnight"), "'fortnight' is not one of day, month, year"),
    (lambda p: p["action"]["payload"].update({"Bad Key": "total_amount"}), "payload key 'Bad Key' must be"),
    (lambda p: p["action"]["payload"].update(when="CAST(currency_code AS INTEGER)"), "use TRY_CAST"),
])
def test_a_broken_policy_is_refused_with_its_file_and_line(tmp_path, dictionary, change, expected):
    policy = _seed("platinum_large_withdrawal")
    change(policy)
    problems = _problems(tmp_path, dictionary, policy)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("policies/p.yaml:") for p in problems)


def test_the_line_is_where_the_mistake_is(tmp_path, dictionary):
    text = (ROOT / "policies" / "platinum_large_withdrawal.yaml").read_text(encoding="utf-8")
    text = text.replace("channel: call_centre", "channel: fax")
    line = next(i for i, l in enumerate(text.splitlines(), start=1) if "channel: fax" in l)
    with pytest.raises(DictError) as info:
        load_policy(_write(tmp_path, text), "policies/p.yaml", dictionary)
    assert str(info.value.problems[0]).startswith(f"policies/p.yaml:{line}: channel 'fax'")


def test_two_policies_on_one_party_and_channel_are_a_conflict_naming_both_purposes(tmp_path, dictionary):
    a = _seed("platinum_large_withdrawal")
    b = _seed("address_change_mortgage_offer")
    b["action"]["channel"] = "call_centre"
    b["purpose"] = "Sell mortgages to movers."
    policies = (load_policy(_write(tmp_path, a, "a.yaml"), "policies/a.yaml", dictionary),
                load_policy(_write(tmp_path, b, "b.yaml"), "policies/b.yaml", dictionary))
    found = conflicts(policies)
    assert len(found) == 1
    text = str(found[0])
    assert "platinum_large_withdrawal" in text and "address_change_mortgage_offer" in text
    assert "Retain our most valuable customers" in text and "Sell mortgages to movers." in text
    assert "call_centre" in text and "month" in text


def test_policies_whose_filters_fix_different_codes_never_conflict(tmp_path, dictionary):
    a = _seed("platinum_large_withdrawal")
    b = _seed("platinum_large_withdrawal")
    b["name"] = "refund_call"
    b["trigger"]["filter"] = "transaction_type = 'refund'"
    policies = (load_policy(_write(tmp_path, a, "a.yaml"), "policies/a.yaml", dictionary),
                load_policy(_write(tmp_path, b, "b.yaml"), "policies/b.yaml", dictionary))
    assert conflicts(policies) == []


HOSTILE = [
    "'); DROP TABLE customer; --",
    '""" + __import__("os").system("echo pwned") + """',
    "\\' + __import__('os').getcwd() + \\'",
    "{{ 7*7 }} {% raw %}",
    "<script>alert('x')</script>",
    "line\nbreak */ -- /*",
    "\u202e reversed \u2028 separator",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_purpose_owner_and_title_stay_text_in_sql_and_python(tmp_path, dictionary, text):
    policy = _seed("platinum_large_withdrawal")
    policy["purpose"] = text
    policy["owner"] = text
    policy["title"] = text
    loaded = load_policy(_write(tmp_path, policy), "policies/p.yaml", dictionary)
    plan = types.SimpleNamespace(policies=(loaded,))
    source = python_module(plan)
    module = types.ModuleType("hostile")
    exec(compile(source, "policies.py", "exec"), module.__dict__)   # it compiles and runs nothing on import
    assert module.POLICIES[0]["purpose"] == text.strip()
    assert module.POLICIES[0]["owner"] == text
    event = {"id": "t1", "customer_id": "c1", "account_id": None, "transaction_type": "withdrawal",
             "transaction_date": "2024-05-01 10:00:00", "total_amount": "-20000", "currency_code": "USD"}
    actions = module.evaluate("Transaction", event, lambda cls, i: {"id": i, "customer_tier": "platinum"})
    assert actions and actions[0]["why"].startswith(text.strip()[:5])
    for name in dialects.names():
        sql = policies_sql(plan, dialects.get(name))
        assert "DROP TABLE" not in sql and "__import__" not in sql and "<script>" not in sql


def test_hostile_payload_key_and_expression_never_become_code(tmp_path, dictionary):
    policy = _seed("platinum_large_withdrawal")
    policy["action"]["payload"] = {"__class__": "total_amount"}
    assert any("payload key '__class__' must be" in p for p in _problems(tmp_path, dictionary, policy))
    policy["action"]["payload"] = {"x": "total_amount); DROP TABLE customer; --"}
    assert any("payload 'x'" in p for p in _problems(tmp_path, dictionary, policy))
    policy["action"]["payload"] = {"x": "__import__('os').system('true')"}
    assert any("payload 'x'" in p for p in _problems(tmp_path, dictionary, policy))


def test_a_string_literal_in_a_payload_is_an_escaped_literal_everywhere(tmp_path, dictionary):
    policy = _seed("platinum_large_withdrawal")
    policy["action"]["payload"] = {"note": "'it''s \"\"\" \\ ); DROP TABLE x; --'"}
    loaded = load_policy(_write(tmp_path, policy), "policies/p.yaml", dictionary)
    plan = types.SimpleNamespace(policies=(loaded,))
    module = types.ModuleType("lit")
    exec(compile(python_module(plan), "policies.py", "exec"), module.__dict__)
    event = {"id": "t1", "customer_id": "c1", "transaction_type": "withdrawal", "transaction_date": "2024-05-01",
             "total_amount": 20000, "currency_code": "USD"}
    actions = module.evaluate("Transaction", event, lambda cls, i: {"customer_tier": "platinum"})
    assert actions[0]["payload"]["note"] == "it's \"\"\" \\ ); DROP TABLE x; --"
    duck = policies_sql(plan, dialects.get("duckdb"))
    assert "'it''s \"\"\" \\ ); DROP TABLE x; --' AS \"payload__note\"" in duck


def test_the_evaluator_refuses_malformed_events_with_the_slot_named(dictionary):
    module = types.ModuleType("seed")
    exec(compile(python_module(types.SimpleNamespace(policies=load_policies(ROOT, dictionary))), "p.py", "exec"),
         module.__dict__)
    with pytest.raises(Exception) as info:
        module.evaluate("Transaction", {"id": "t", "transaction_type": "withdrawal", "currency_code": "USD",
                                        "total_amount": "a lot"}, lambda c, i: None)
    assert "Transaction.total_amount" in str(info.value)
    assert module.evaluate("Transaction", {"id": "t"}, lambda c, i: None) == []
    assert module.evaluate("Household", {"id": "h"}, lambda c, i: None) == []


