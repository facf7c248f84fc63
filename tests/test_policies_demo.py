"""The seed policies over the demo estate: `dict demo` says which customers they act on."""
from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.run.demo import build_estate, policy_lines
from toolkit.plan import load_plan
from toolkit.run.engines.reconcile import run_report

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_customers_who_report_moving_house_to_the_call_centre_get_the_mortgage_offer():
    plan = load_plan(ROOT)
    con = build_estate(":memory:")
    run_report(plan, {"billing": None, "callcentre": None, "crm": None}, con=con)
    lines = policy_lines(con, plan)
    offer = next(line for line in lines if line.startswith("policy address_change_mortgage_offer"))
    # CRM activity 6: contact 1012 called about 'Moving house' (2023-02-25); seven customers in all
    assert "7 customer(s)" in offer and "crm:Customer:1012" in offer
    parties = {r[0] for r in con.execute('SELECT party_id FROM "policy__address_change_mortgage_offer"').fetchall()}
    topics = {r[0] for r in con.execute(
        'SELECT DISTINCT i.topic FROM "interaction" i JOIN "policy__address_change_mortgage_offer__matches" m '
        'ON m.event_id = i.id').fetchall()}
    assert topics == {"Moving house"} and len(parties) == 7
    # nothing in the demo estate is a withdrawal (billing knows purchases, refunds and payments only)
    assert any(line.startswith("policy platinum_large_withdrawal") and "no one" in line for line in lines)
    actions = con.execute('SELECT COUNT(*) FROM "policy_actions"').fetchone()[0]
    assert actions == 7
