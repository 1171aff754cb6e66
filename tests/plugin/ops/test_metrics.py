"""Prometheus /metrics: token-protected, with launches, outbox depth and age, delivery
failures by platform, gathered from the database and the shared store at scrape time."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LaunchedLearner, add_outbox_score

TOKEN = "metrics-token-0123456789"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["METRICS_TOKEN"] = TOKEN
    return app_config


def _scrape(client: Any) -> dict[str, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    figures = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            figures[name] = float(value)
    return figures


def test_metrics_need_the_token(client: Any) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "Bearer" in wrong.headers["WWW-Authenticate"]


def test_metrics_are_off_without_a_token(make_app: Any) -> None:
    assert make_app(METRICS_TOKEN="").test_client().get("/metrics").status_code == 404


def test_launches_and_the_outbox_are_counted(
    app: Any, client: Any, platform: Any, launched: LaunchedLearner
) -> None:
    add_outbox_score(app, launched, tries=2, error="LMS answered 503")
    figures = _scrape(client)
    assert figures['microcred_launches_total{outcome="ok"}'] == 1
    assert figures['microcred_outbox_depth{status="pending"}'] == 1
    assert figures['microcred_outbox_depth{status="failed"}'] == 0
    assert figures["microcred_outbox_oldest_age_seconds"] >= 0
    assert figures[f'microcred_delivery_failures{{platform="{platform.issuer}"}}'] == 1
    assert figures["microcred_learners"] == 1
    assert figures["microcred_attempts_total"] == 0


def test_refused_launches_are_counted_apart(client: Any) -> None:
    client.post("/lti/launch", data={"state": "forged", "id_token": "x.y.z"})
    figures = _scrape(client)
    assert figures['microcred_launches_total{outcome="refused"}'] == 1
    assert figures['microcred_launches_total{outcome="ok"}'] == 0
