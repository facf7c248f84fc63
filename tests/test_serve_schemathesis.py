"""Schemathesis drives `dict serve` from its own OpenAPI document: whatever it sends, the answer is never a 500."""
from __future__ import annotations

from pathlib import Path

import pytest
from engine_support import require_module

schemathesis = require_module("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def api_schema():
    from toolkit.plan import load_plan
    from toolkit.run.serve import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(load_plan(ROOT)))


api = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@api.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_the_openapi_document_allows_makes_the_service_fail(case):
    response = case.call()
    assert response.status_code < 500, response.text
    if response.status_code in (400, 404, 413):
        assert response.json()["reason"]
