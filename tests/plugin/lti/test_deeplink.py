"""Deep linking: the picker, and the signed LtiDeepLinkingResponse (verified with our JWKS)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from plugin.lti.registry import (
    DeepLinkItem,
    LineItemSpec,
    register_deep_link_items,
    unregister_deep_link_items,
)
from tests.plugin.lti.helpers import MEMBERSHIP, TARGET, assert_refused, landed_on

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL_TARGET = "http://localhost:5000/lti/deeplink"


def _open_picker(client: Any, platform: Any, **kwargs: Any) -> tuple[str, Any]:
    auth = platform.login(client, DL_TARGET)
    claims = platform.deep_linking_claims(auth, DL_TARGET, **kwargs)
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    location = landed_on(response)
    assert location.startswith("/lti/deeplink?")
    return location, claims


def _session_of(location: str) -> str:
    return location.split("mc_session=")[1]


def _verify(app: Any, client: Any, token: str) -> dict[str, Any]:
    keys = client.get("/lti/jwks").get_json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)
    return dict(
        jwt.decode(
            token,
            RSAAlgorithm.from_jwk(jwk),
            algorithms=["RS256"],
            audience=jwk and None,
            options={"verify_aud": False},
        )
    )


def _respond(client: Any, location: str, *items: str) -> tuple[str, str]:
    response = client.post(
        "/lti/deeplink", data={"mc_session": _session_of(location), "item": list(items)}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    page = response.get_data(as_text=True)
    action = re.search(r'action="([^"]+)" id="mc-autosubmit"', page)
    token = re.search(r'name="JWT" value="([^"]+)"', page)
    assert action and token
    assert "autosubmit.js" in page
    return action.group(1), token.group(1)


def test_round_trip_with_data_echoed(app: Any, client: Any, platform: Any) -> None:
    location, _ = _open_picker(client, platform, data="opaque-123")
    picker = client.get(location)
    assert picker.status_code == 200
    assert "microcred sample activity" in picker.get_data(as_text=True)
    action, token = _respond(client, location, "sample")
    assert action == platform.issuer + "/deep_linking_return"
    claims = _verify(app, client, token)
    assert claims["iss"] == "tool-client" and claims["aud"] == platform.issuer
    assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == "dep-1"
    assert claims["nonce"] and claims["exp"] > time.time() >= claims["iat"] - 5
    assert claims[DL + "data"] == "opaque-123"
    assert claims[DL + "msg"] == "1 microcred activity placed."
    [item] = claims[DL + "content_items"]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == "http://localhost:5000/lti/launch?target=home"
    assert item["title"] == "microcred sample activity"
    assert item["custom"] == {"target": "home"}
    assert item["lineItem"] == {
        "scoreMaximum": 10,
        "label": "microcred sample",
        "resourceId": "sample",
        "tag": "microcred",
    }


def test_data_is_not_invented_when_the_platform_sent_none(
    app: Any, client: Any, platform: Any
) -> None:
    location, _ = _open_picker(client, platform, with_data=False)
    _, token = _respond(client, location)
    claims = _verify(app, client, token)
    assert DL + "data" not in claims
    assert claims[DL + "content_items"] == []
    assert claims[DL + "msg"] == "No activity was placed."


def test_registered_items_join_the_catalog(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    """The picker lists the catalog's courses and modules and any other registered source;
    the sample activity is only offered while nothing is published."""
    from tests.plugin.catalog.helpers import publish_bytes, tiny_package

    def items(ctx: Any) -> list[DeepLinkItem]:
        return [
            DeepLinkItem(
                id=f"m{n}",
                title=f"Module {n}",
                url=f"{TARGET}?module={n}",
                custom={"module": str(n)},
                line_item=LineItemSpec(score_maximum=5 * n, tag="quiz"),
            )
            for n in (1, 2)
        ]

    publish_bytes(app, tiny_package(tmp_path))
    register_deep_link_items(items)
    try:
        location, _ = _open_picker(client, platform)
        page = client.get(location).get_data(as_text=True)
        assert "Module 2" in page and "The median" in page
        assert "microcred sample activity" not in page
        _, token = _respond(client, location, "m1", "m2", "module:tiny-stats/01-mean", "forged-id")
        claims = _verify(app, client, token)
        assert [i["title"] for i in claims[DL + "content_items"]] == [
            "The mean",
            "Module 1",
            "Module 2",
        ]
        assert claims[DL + "content_items"][2]["lineItem"] == {"scoreMaximum": 10, "tag": "quiz"}
    finally:
        unregister_deep_link_items(items)


def test_learners_cannot_place_items(app: Any, client: Any, platform: Any) -> None:
    auth = platform.login(client, DL_TARGET)
    claims = platform.deep_linking_claims(auth, DL_TARGET)
    claims[LTI + "roles"] = [MEMBERSHIP + "Learner"]
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    page = client.get(response.headers["Content-Location"])
    assert page.status_code == 403 and "ACCESS_DENIED" in page.get_data(as_text=True)


def test_picker_needs_a_session(app: Any, client: Any) -> None:
    response = client.post("/lti/deeplink", data={"item": "sample"})
    assert response.status_code == 401 and "NOT_SIGNED_IN" in response.get_data(as_text=True)


def test_deep_linking_settings_are_required(app: Any, client: Any, platform: Any) -> None:
    auth = platform.login(client, DL_TARGET)
    claims = platform.deep_linking_claims(auth, DL_TARGET)
    del claims[DL + "deep_linking_settings"]
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    assert_refused(response, "LTI_MISSING_CLAIM")


def test_recorded_moodle_request_is_accepted(app: Any, client: Any, platform: Any) -> None:
    """Moodle 4.5's real deep linking request (no `data`, lineitems only), re-signed."""
    recorded = json.loads(
        (Path(__file__).parent / "fixtures" / "moodle-4.5-deep-linking-request.json").read_text()
    )
    auth = platform.login(client, DL_TARGET)
    now = int(time.time())
    claims = {
        **recorded,
        "iss": platform.issuer,
        "aud": "tool-client",
        "iat": now,
        "exp": now + 60,
        "nonce": auth.nonce,
        LTI + "deployment_id": "dep-1",
        LTI + "target_link_uri": DL_TARGET,
    }
    claims.pop("_about", None)
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    _, token = _respond(client, landed_on(response), "sample")
    assert DL + "data" not in _verify(app, client, token)
