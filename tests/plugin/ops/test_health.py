"""Liveness and readiness as a load balancer sees them, with the store up and down."""

from __future__ import annotations

from typing import Any

from tests.servers import free_port


def test_ready_when_database_and_store_answer(client: Any) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "store": "ok"}


def test_not_ready_when_redis_is_down_but_still_alive(make_app: Any) -> None:
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json == {"status": "unavailable", "checks": {"database": "ok", "store": "failed"}}
