"""Verifying strangers' credentials: in production the tool never fetches key documents or
status lists from private addresses (a pasted credential cannot probe the internal network)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from plugin.credentials import keys, ob3, proof
from plugin.db import utcnow


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config.update(
        MICROCRED_ENV="production",
        PUBLIC_URL="https://badges.example.edu",
        SECRET_KEY="x" * 48,
    )
    return app_config


def test_a_did_web_on_a_private_address_is_not_fetched(app: Any, client: Any) -> None:
    did = "did:web:127.0.0.1%3A9"
    key = keys.generate_signing_key(did)
    now = utcnow()
    credential = ob3.open_badge_credential(
        credential_id="urn:uuid:11111111-2222-4333-8444-555555555555",
        issuer=ob3.issuer_profile(issuer_id=did, name="Somewhere"),
        achievement=ob3.achievement(
            achievement_id="https://example.org/a",
            name="A",
            description="A",
            criteria_narrative="A",
        ),
        valid_from=now - timedelta(days=1),
        identifiers=[ob3.identity_object("emailAddress", "a@example.org")],
    )
    signed = proof.sign(credential, key, created=now)
    body = client.post("/api/v1/credentials/verify", json=signed).get_json()
    signature = next(c for c in body["checks"] if c["name"] == "signature")
    assert body["verdict"] == "indeterminate"
    assert "private or loopback address; calls there are refused" in signature["reason"]
