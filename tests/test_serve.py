"""`dict serve` end to end over HTTP on loopback: translate, events firing the seed policies with why, bad input
as a 4xx naming the problem (never a 500), and every record counted: in = canonical + rejected."""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from toolkit.run.demo import build_estate
from toolkit.plan import load_plan
from toolkit.run.engines.reconcile import run_report

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """uvicorn on 127.0.0.1 over the demo estate's CRM and call centre (their integrated views are the store)."""
    import uvicorn

    from toolkit.run.serve import create_app

    plan = load_plan(ROOT)
    database = tmp_path_factory.mktemp("serve") / "estate.duckdb"
    con = build_estate(database)
    run_report(plan, {"crm": None, "callcentre": None}, con=con)
    con.close()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(plan, database), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client
    server.should_exit = True
    thread.join(10)


def _counts(client) -> dict:
    return client.get("/health").json()["counts"]


def test_health_names_the_dictionary_sources_and_policies(server):
    body = server.get("/health").json()
    assert body["status"] == "ok" and body["dictionary"] == "enterprise"
    assert {"platinum_large_withdrawal", "address_change_mortgage_offer"} <= set(body["policies"])


def test_translate_gives_the_canonical_record_or_the_reject_with_its_reason(server):
    ok = server.post("/translate/crm/Customer", json={"contact_no": 7001, "first_name": "ada", "last_name": "LOVELACE",
                                                      "segment": "P", "created_on": "2021-03-04", "lang": "EN"})
    assert ok.status_code == 200
    [result] = ok.json()["results"]
    assert result["status"] == "canonical"
    assert result["record"]["id"] == "crm:Customer:7001" and result["record"]["customer_tier"] == "platinum"
    assert result["record"]["full_name"] == "Ada Lovelace" and result["record"]["preferred_language"] == "en"
    junk = server.post("/translate/crm/Customer", json={"contact_no": 7002, "first_name": "TEST", "last_name": "TEST",
                                                        "email": "test@test.test", "created_on": "2021-03-04"})
    [rejected] = junk.json()["results"]
    assert junk.status_code == 200 and rejected["status"] == "rejected" and "junk TEST record" in rejected["reason"]


def test_an_address_change_reported_to_the_call_centre_offers_a_mortgage_on_the_web_page(server):
    event = {"activity_id": 9001, "contact_no": 1003, "channel": "call", "activity_ts": "2024-06-01 10:00:00",
             "subject": "Moving house next month", "result": "DONE"}
    reply = server.post("/events/crm/activities", json=event)
    assert reply.status_code == 200
    [result] = reply.json()["results"]
    assert result["status"] == "canonical" and result["event"] == "new"
    [action] = result["actions"]
    assert action["policy"] == "address_change_mortgage_offer" and action["channel"] == "web"
    assert action["party_id"] == "crm:Customer:1003"
    assert action["payload"]["language"] == "fr"        # read from the store: CRM contact 1003 speaks French
    assert "People who move often need a mortgage" in action["why"]
    again = server.post("/events/crm/activities", json={**event, "activity_id": 9002}).json()["results"][0]
    assert again["event"] == "new" and again["actions"] == []   # once per party per month
    same = server.post("/events/crm/activities", json=event).json()["results"][0]
    assert same["event"] == "unchanged" and same["actions"] == []
    other = server.post("/events/crm/activities", json={**event, "activity_id": 9003, "channel": "WEB"}).json()
    assert other["results"][0]["actions"] == []         # reported on the web, not to the call centre


def test_a_call_centre_queue_record_fires_nothing_and_a_bad_disposition_is_a_reject(server):
    call = {"call_id": 99001, "caller_id": 1, "started_at": "2024-02-01 09:00:00", "ended_at": "2024-02-01 09:05:00",
            "queue": "Billing", "disposition": "RESOLVED", "agent": "A1"}
    [result] = server.post("/events/callcentre/calls", json=call).json()["results"]
    assert result["status"] == "canonical" and result["actions"] == []
    [bad] = server.post("/events/callcentre/calls", json={**call, "call_id": 99002, "disposition": "ZZ"}).json()["results"]
    assert bad["status"] == "rejected" and "ZZ" in bad["reason"]


@pytest.mark.parametrize("body, status, words", [
    (b'{"activity_id": ', 400, "not valid JSON"),
    (b"[1, 2]", 400, "must be a JSON object"),
    (b"\xff\xfe", 400, "not UTF-8"),
    (b'{"a": NaN}', 400, "not valid JSON"),
    (b"[" * 5000 + b"]" * 5000, 400, "nested"),
    (b'{"activity_id": "x\\ud800"}', 400, "surrogate"),
    (b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}', 413, "at most"),
])
def test_malformed_input_is_a_4xx_naming_the_problem_and_counted_as_a_reject(server, body, status, words):
    before = _counts(server)
    reply = server.post("/events/crm/activities", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == status
    assert words in reply.json()["reason"]
    after = _counts(server)
    assert after["rejected"] == before["rejected"] + 1 and after["in"] == before["in"] + 1


@pytest.mark.parametrize("record", [
    {"activity_id": "not a number", "contact_no": 1003},
    {"activity_id": 1, "contact_no": 1003, "activity_ts": "yesterday"},
    {"activity_id": None},
    {"activity_id": 1, "contact_no": {"nested": ["object"]}},
    {},
])
def test_values_of_the_wrong_type_are_rejects_with_a_reason_never_a_500(server, record):
    reply = server.post("/events/crm/activities", json=record)
    assert reply.status_code == 200
    [result] = reply.json()["results"]
    assert result["status"] == "rejected" and result["reason"]


def test_unknown_source_class_or_table_is_a_404_naming_what_exists(server):
    reply = server.post("/translate/nowhere/Customer", json={})
    assert reply.status_code == 404 and "mapped: billing" in reply.json()["reason"]
    reply = server.post("/events/crm/'; DROP TABLE customer; --", json={})
    assert reply.status_code == 404 and "tables: activities, company_contacts, contacts" in reply.json()["reason"]


def test_every_record_in_is_canonical_or_rejected(server):
    counts = _counts(server)
    assert counts["in"] == counts["canonical"] + counts["rejected"] and counts["in"] > 0


def test_the_openapi_document_describes_the_dictionary_classes_and_source_tables(server):
    schema = server.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    tier = components["canonical.Customer"]["properties"]["customer_tier"]
    assert "platinum" in tier["enum"]
    assert "contact_no" in components["source.crm.contacts"]["properties"]
    assert {"/translate/{source}/{class_name}", "/events/{source}/{table}", "/health"} <= set(schema["paths"])


@pytest.mark.engine
def test_the_canonical_store_can_be_a_postgresql_schema_by_url():
    from engine_support import open_engine
    from toolkit.run.engines.data import TableData
    from toolkit.plan.policies import class_table
    from toolkit.run.serve import CanonicalStore

    plan = load_plan(ROOT)
    with open_engine("postgres") as engine:
        engine.create_schema("h18_policies_store")
        table = class_table(plan.dictionary.classes["Customer"])
        columns = tuple(table.columns.values())
        row = {"id": "crm:Customer:1", "customer_type": "person", "full_name": "Ann Lee", "customer_tier": "platinum"}
        engine.load_table("h18_policies_store", TableData(table, columns, [tuple(row.get(c.name) for c in columns)]))
        from sqlalchemy.engine import make_url

        from toolkit.run.engines.postgres import DEFAULT_URL

        url = make_url(DEFAULT_URL).set(database=engine.database, query={"schema": "h18_policies_store"})
        url = url.render_as_string(hide_password=False)
        store = CanonicalStore(plan, url)
    assert store.get("Customer", "crm:Customer:1")["customer_tier"] == "platinum"
    assert store.get("Customer", "crm:Customer:2") is None
    assert store.put("Customer", {**row, "customer_tier": "gold"}) == "changed"
