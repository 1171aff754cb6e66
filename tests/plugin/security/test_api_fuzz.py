"""Property-based run of schemathesis against the JSON API's OpenAPI description (publishing,
verification, health, JWKS): no input makes the tool answer with a server error, and answers
match the description (status codes, content types, bodies)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SPEC = Path(__file__).resolve().parents[3] / "plugin" / "core" / "openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 30


@pytest.fixture
def backend() -> str:
    return "sqlite"  # one backend keeps the run short; the API code is the same on both


def test_the_served_description_is_the_file(client: Any) -> None:
    served = client.get("/api/openapi.json")
    assert served.status_code == 200
    assert served.json == json.loads(SPEC.read_text())


def test_every_described_route_exists(app: Any) -> None:
    rules = {r.rule.replace("<public_id>", "{public_id}") for r in app.url_map.iter_rules()}
    assert set(json.loads(SPEC.read_text())["paths"]) <= rules


def test_no_input_causes_a_server_error(app: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash must show as a 500, as in production
    schema = schemathesis.openapi.from_dict(json.loads(SPEC.read_text()))
    schema.app = app
    failures: list[str] = []
    calls: dict[str, int] = {}
    for result in schema.get_all_operations():
        _fuzz(result.ok(), failures, calls)
    assert failures == []
    assert len(calls) == 6, calls  # every operation ran
    assert calls["POST /api/v1/packages"] >= 10 and calls["POST /api/v1/credentials/verify"] >= 10


def _fuzz(operation: Any, failures: list[str], calls: dict[str, int]) -> None:
    """Run generated cases against one operation; collect what failed."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call()
        calls[operation.label] = calls.get(operation.label, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # collect, then report every operation at once
            failures.append(f"{operation.label}: {str(exc)[:400]}")
            raise

    with contextlib.suppress(Exception):  # the failure text is already collected
        run()
