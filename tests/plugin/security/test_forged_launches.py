"""Forged launches are refused and leave no learner, context or session behind."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from tests.plugin.lti.helpers import TARGET, assert_refused, launch
from tests.plugin.lti.platform import rsa_key

from .conftest import db_fingerprint


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def test_forgeries_are_refused_and_change_nothing(app: Any, client: Any, platform: Any) -> None:
    before = db_fingerprint(app)

    # 1. An unsigned token (alg none).
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET)
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    refused = client.post("/lti/launch", data={"id_token": unsigned, "state": auth.state})
    assert 400 <= refused.status_code < 500

    # 2. Signed by a key the platform never published, under its key id.
    auth = platform.login(client, TARGET)
    forged = platform.sign(platform.claims(auth, TARGET), key=rsa_key("attacker"))
    assert (
        400
        <= client.post("/lti/launch", data={"id_token": forged, "state": auth.state}).status_code
        < 500
    )

    # 3. Expired, 4. for another tool, 5. with a state nobody issued.
    old = int(time.time()) - 3600
    assert_refused(
        launch(
            client,
            platform,
            platform.claims(platform.login(client, TARGET), TARGET, iat=old, exp=old + 60),
        ),
        "LTI_",
    )
    auth = platform.login(client, TARGET)
    assert_refused(
        launch(client, platform, platform.claims(auth, TARGET, aud="someone-else")), "LTI_"
    )
    token = platform.sign(platform.claims(platform.login(client, TARGET), TARGET))
    assert_refused(
        client.post("/lti/launch", data={"id_token": token, "state": "made-up"}),
        "LTI_STATE_UNKNOWN",
    )

    assert db_fingerprint(app) == before


def test_a_replayed_launch_is_refused(app: Any, client: Any, platform: Any) -> None:
    auth = platform.login(client, TARGET)
    token = platform.sign(platform.claims(auth, TARGET))
    first = client.post("/lti/launch", data={"id_token": token, "state": auth.state})
    assert first.status_code in (200, 302, 303)
    after_first = db_fingerprint(app)
    again = client.post("/lti/launch", data={"id_token": token, "state": auth.state})
    assert_refused(again, "LTI_STATE_UNKNOWN")
    assert db_fingerprint(app) == after_first
