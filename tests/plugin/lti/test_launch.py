"""Launch validation: every known-bad payload is refused with a stable code and no session;
every known-good one is accepted (1EdTech certification lists, lti.md section 4.1)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from plugin.lti.models import Context, Deployment, Learner, ResourceLink
from tests.plugin.lti.helpers import (
    CLAIM,
    INSTITUTION,
    MEMBERSHIP,
    TARGET,
    assert_refused,
    count,
    landed_on,
    launch,
)
from tests.plugin.lti.platform import rsa_key

Mutation = Callable[[dict[str, Any], Any], tuple[dict[str, Any], dict[str, Any]]]


def drop(*names: str) -> Mutation:
    def mutate(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        for name in names:
            claims.pop(name, None)
        return claims, {}

    return mutate


def put(**values: Any) -> Mutation:
    def mutate(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        for name, value in values.items():
            claims[name.replace("__", "/") if "__" in name else name] = value
        return claims, {}

    return mutate


def claim(name: str, value: Any) -> Mutation:
    def mutate(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        claims[CLAIM + name] = value
        return claims, {}

    return mutate


def sign_with(**options: Any) -> Mutation:
    def mutate(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return claims, dict(options)

    return mutate


def not_lti(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    keep = {k: claims[k] for k in ("iss", "aud", "sub", "iat", "exp", "nonce", "name")}
    return {**keep, "scope": "profile", "given": "not an LTI launch"}, {}


def es256(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return claims, {"alg": "ES256", "key": ec.generate_private_key(ec.SECP256R1())}


def other_rsa_key(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return claims, {"key": rsa_key("attacker")}


def future_iat(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    claims["iat"] = int(time.time()) + 120
    return claims, {}


def expired(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    claims["exp"] = int(time.time()) - 60
    return claims, {}


KNOWN_BAD: list[tuple[str, Mutation, str]] = [
    # The certification suite's known-bad payloads, in its order.
    ("no kid", sign_with(kid=None), "LTI_NO_KID"),
    ("incorrect kid", sign_with(kid="no-such-key"), "LTI_BAD_KID"),
    ("wrong version", claim("version", "11.3"), "LTI_BAD_VERSION"),
    ("no version", drop(CLAIM + "version"), "LTI_NO_VERSION"),
    ("invalid LTI message", not_lti, "LTI_BAD_MESSAGE"),
    ("missing aud", drop("aud"), "LTI_MISSING_CLAIM"),
    ("missing iss", drop("iss"), "LTI_MISSING_CLAIM"),
    ("incorrect timestamps", put(iat=11111, exp=22222), "LTI_BAD_TIMESTAMPS"),
    ("no message type", drop(CLAIM + "message_type"), "LTI_NO_MESSAGE_TYPE"),
    ("no roles", drop(CLAIM + "roles"), "LTI_NO_ROLES"),
    ("no deployment_id", drop(CLAIM + "deployment_id"), "LTI_NO_DEPLOYMENT"),
    ("no resource link id", claim("resource_link", {"title": "x"}), "LTI_NO_RESOURCE_LINK"),
    ("no sub", drop("sub"), "LTI_NO_SUB"),
    # What pylti1p3 lets through, and other forgeries.
    ("alg none", sign_with(alg="none"), "LTI_BAD_ALG"),
    ("HS256 keyed with the public key", sign_with(alg="HS256"), "LTI_BAD_ALG"),
    ("ES256", es256, "LTI_BAD_ALG"),
    ("signed by another key with the right kid", other_rsa_key, "LTI_BAD_SIGNATURE"),
    ("aud for another tool", put(aud="someone-else"), "LTI_BAD_AUD"),
    ("several aud without azp", put(aud=["tool-client", "other"]), "LTI_BAD_AZP"),
    ("azp of another tool", put(aud=["tool-client", "other"], azp="other"), "LTI_BAD_AZP"),
    ("another issuer", put(iss="https://evil.example"), "LTI_BAD_ISS"),
    ("iat in the future", future_iat, "LTI_BAD_TIMESTAMPS"),
    ("expired", expired, "LTI_BAD_TIMESTAMPS"),
    ("nonce of another login", lambda c, p: put(nonce=uuid.uuid4().hex)(c, p), "LTI_BAD_NONCE"),
    ("no nonce", drop("nonce"), "LTI_MISSING_CLAIM"),
    (
        "target elsewhere",
        claim("target_link_uri", "https://evil.example/lti/launch"),
        "LTI_BAD_TARGET",
    ),
    (
        "target on a look-alike port",
        claim("target_link_uri", "http://localhost:50001/lti/launch"),
        "LTI_BAD_TARGET",
    ),
    (
        "unsupported message type",
        claim("message_type", "LtiStartProctoring"),
        "LTI_BAD_MESSAGE_TYPE",
    ),
    ("roles not a list", claim("roles", "Learner"), "LTI_NO_ROLES"),
]


@pytest.mark.parametrize(("name", "mutate", "code"), KNOWN_BAD, ids=[b[0] for b in KNOWN_BAD])
def test_known_bad_payload_is_refused_without_a_session(
    app: Any, client: Any, platform: Any, name: str, mutate: Mutation, code: str
) -> None:
    auth = platform.login(client, TARGET)
    claims, options = mutate(platform.claims(auth, TARGET), platform)
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims, **options), "state": auth.state}
    )
    assert_refused(response, code)
    assert count(app, Learner) == 0
    assert count(app, ResourceLink) == 0


def test_garbage_id_token_is_refused(app: Any, client: Any, platform: Any) -> None:
    auth = platform.login(client, TARGET)
    response = client.post("/lti/launch", data={"id_token": "not.a.jwt", "state": auth.state})
    assert_refused(response, "LTI_BAD_MESSAGE", 400)


def test_unknown_or_missing_state_is_refused(app: Any, client: Any, platform: Any) -> None:
    auth = platform.login(client, TARGET)
    token = platform.sign(platform.claims(auth, TARGET))
    assert_refused(
        client.post("/lti/launch", data={"id_token": token, "state": "forged"}), "LTI_STATE_UNKNOWN"
    )
    assert_refused(client.post("/lti/launch", data={"id_token": token}), "LTI_STATE_UNKNOWN")
    assert count(app, Learner) == 0


def test_platform_error_answer_is_shown(app: Any, client: Any, platform: Any) -> None:
    response = client.post(
        "/lti/launch",
        data={"error": "login_required", "error_description": "no session", "state": "x"},
    )
    assert_refused(response, "LTI_PLATFORM_ERROR")


def _roles(*roles: str) -> Mutation:
    return claim("roles", list(roles))


def _without(*names: str) -> Mutation:
    return drop(*names)


def _combine(*mutations: Mutation) -> Mutation:
    def mutate(claims: dict[str, Any], platform: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        options: dict[str, Any] = {}
        for m in mutations:
            claims, more = m(claims, platform)
            options.update(more)
        return claims, options

    return mutate


PII = ("name", "given_name", "family_name", "email")
KNOWN_GOOD: list[tuple[str, Mutation, dict[str, Any]]] = [
    ("student", _roles(MEMBERSHIP + "Learner"), {"is_learner": True, "is_instructor": False}),
    ("instructor", _roles(MEMBERSHIP + "Instructor"), {"is_instructor": True}),
    (
        "instructor with only email and no context",
        _combine(
            _roles(MEMBERSHIP + "Instructor"),
            _without("name", "given_name", "family_name", CLAIM + "context"),
        ),
        {"is_instructor": True, "name": None, "email": "grace@example.edu", "context_id": None},
    ),
    (
        "student with several roles",
        _roles(MEMBERSHIP + "Learner", MEMBERSHIP + "Mentor", INSTITUTION + "Student"),
        {"is_learner": True},
    ),
    ("student with a short role", _roles("Learner"), {"is_learner": True, "roles": ("Learner",)}),
    (
        "student with an unknown role",
        _roles(
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
            "urn:x:unknown#Odd",
            "Wizard",
        ),
        {"is_learner": True, "roles": ("Learner",)},
    ),
    ("student with empty roles", _roles(), {"is_learner": False, "roles": ()}),
    (
        "student with only email",
        _without("name", "given_name", "family_name"),
        {"name": None, "email": "grace@example.edu"},
    ),
    ("student with only names", _without("email"), {"name": "Grace Hopper", "email": None}),
    ("student with no personal data", _without(*PII), {"name": None, "email": None}),
    (
        "student with only a resource link",
        _without(CLAIM + "context"),
        {"context_id": None, "resource_link_id": "link-1"},
    ),
    ("several audiences with azp", put(aud=["tool-client", "other"], azp="tool-client"), {}),
    ("clock a little ahead", put(iat=int(time.time()) + 5), {}),
    (
        "TA sub-role counts as instructor",
        _roles(MEMBERSHIP.replace("#", "/") + "Instructor#TeachingAssistant"),
        {"is_instructor": True},
    ),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), KNOWN_GOOD, ids=[g[0] for g in KNOWN_GOOD])
def test_known_good_payload_is_accepted(
    app: Any, client: Any, platform: Any, name: str, mutate: Mutation, expected: dict[str, Any]
) -> None:
    from plugin.lti.session import PARAM

    auth = platform.login(client, TARGET)
    claims, options = mutate(platform.claims(auth, TARGET), platform)
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims, **options), "state": auth.state}
    )
    location = landed_on(response)
    assert location.startswith("/lti/home?") and f"{PARAM}=" in location
    page = client.get(location)
    assert page.status_code == 200
    assert "Open in a new window" in page.get_data(as_text=True)
    ctx = _launch_of(app, location)
    for attr, value in expected.items():
        assert getattr(ctx, attr) == value, attr
    assert count(app, Learner) == 1


def _launch_of(app: Any, location: str) -> Any:
    from urllib.parse import parse_qs, urlsplit

    from plugin.lti.session import PARAM, get_launch

    token = parse_qs(urlsplit(location).query)[PARAM][0]
    with app.test_request_context(f"/lti/home?{PARAM}={token}"):
        return get_launch()


def test_launch_records_learner_context_and_link(app: Any, client: Any, platform: Any) -> None:
    from plugin.extensions import db

    response = launch(client, platform)
    assert response.status_code == 200
    ctx = _launch_of(app, response.headers["Content-Location"])
    assert (ctx.sub, ctx.issuer, ctx.client_id, ctx.deployment_id) == (
        "user-1",
        platform.issuer,
        "tool-client",
        "dep-1",
    )
    assert ctx.context_title == "Intro to CS" and ctx.resource_link_title == "Module 1"
    assert ctx.custom == {"answer": "42"}
    assert ctx.ags is not None and ctx.ags.lineitem == platform.issuer + "/lineitems/1"
    assert ctx.nrps_url == platform.issuer + "/memberships"
    assert ctx.presentation.document_target == "iframe" and ctx.presentation.locale == "en"
    # A second launch of the same person updates, never duplicates.
    assert launch(client, platform, target=TARGET).status_code == 200
    assert (count(app, Learner), count(app, Context), count(app, ResourceLink)) == (1, 1, 1)
    with app.app_context():
        link = db.session.execute(db.select(ResourceLink)).scalar_one()
        assert link.ags_lineitem == platform.issuer + "/lineitems/1"
        assert link.custom_params == {"answer": "42"}
        learner = db.session.execute(db.select(Learner)).scalar_one()
        assert (learner.name, learner.email) == ("Grace Hopper", "grace@example.edu")


def test_state_is_single_use(app: Any, client: Any, platform: Any) -> None:
    auth = platform.login(client, TARGET)
    form = {"id_token": platform.sign(platform.claims(auth, TARGET)), "state": auth.state}
    assert client.post("/lti/launch", data=form).status_code == 200
    assert_refused(client.post("/lti/launch", data=form), "LTI_STATE_UNKNOWN")


def test_replayed_id_token_is_refused_even_with_a_fresh_login(
    app: Any, client: Any, platform: Any
) -> None:
    auth = platform.login(client, TARGET)
    token = platform.sign(platform.claims(auth, TARGET))
    assert (
        client.post("/lti/launch", data={"id_token": token, "state": auth.state}).status_code == 200
    )
    fresh = platform.login(client, TARGET)
    replay = client.post("/lti/launch", data={"id_token": token, "state": fresh.state})
    assert_refused(replay, "LTI_NONCE_REPLAYED")


def test_unknown_deployment_waits_for_approval(app: Any, client: Any, platform: Any) -> None:
    from plugin.extensions import db
    from plugin.lti import services

    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET)
    claims[CLAIM + "deployment_id"] = "new-school"
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    assert_refused(response, "LTI_DEPLOYMENT_PENDING", 403)
    assert "waiting for approval" in response.get_data(as_text=True)
    assert count(app, Learner) == 0
    with app.app_context():
        pending = services.list_deployments("pending")
        assert [d.deployment_id for d in pending] == ["new-school"]
        services.set_deployment_status(pending[0], "active")
        db.session.commit()
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET)
    claims[CLAIM + "deployment_id"] = "new-school"
    assert (
        client.post(
            "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
        ).status_code
        == 200
    )


def test_approved_deployment_launches(app: Any, client: Any, platform: Any) -> None:
    from plugin.extensions import db
    from plugin.lti import services

    with app.app_context():
        reg = services.list_registrations()[0]
        dep_pk = services.add_deployment(reg, "school-2", "pending").id
        db.session.commit()
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET)
    claims[CLAIM + "deployment_id"] = "school-2"
    assert_refused(
        client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}),
        "LTI_DEPLOYMENT_PENDING",
    )
    with app.app_context():
        deployment = db.session.get(Deployment, dep_pk)
        assert deployment is not None
        services.set_deployment_status(deployment, "active")
        db.session.commit()
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET)
    claims[CLAIM + "deployment_id"] = "school-2"
    assert (
        client.post(
            "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
        ).status_code
        == 200
    )
    with app.app_context():
        deployment = db.session.get(Deployment, dep_pk)
        assert deployment is not None
        services.set_deployment_status(deployment, "disabled")
        db.session.commit()
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET)
    claims[CLAIM + "deployment_id"] = "school-2"
    assert_refused(
        client.post("/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}),
        "LTI_DEPLOYMENT_DISABLED",
    )


def test_auto_approve_accepts_new_deployments(app_config: dict[str, Any], request: Any) -> None:
    app_config["AUTO_APPROVE_REGISTRATIONS"] = "true"
    app = request.getfixturevalue("app")
    client = app.test_client()
    platform = request.getfixturevalue("platform")
    auth = platform.login(client, TARGET)
    claims = platform.claims(auth, TARGET)
    claims[CLAIM + "deployment_id"] = "brand-new"
    assert (
        client.post(
            "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
        ).status_code
        == 200
    )


def test_jwks_is_refetched_once_on_an_unknown_kid(app: Any, client: Any, platform: Any) -> None:
    assert launch(client, platform).status_code == 200
    assert platform.jwks_fetches == 1
    assert launch(client, platform).status_code == 200
    assert platform.jwks_fetches == 1  # cached
    platform.rotate("platform-key-2", "platform-2")
    assert launch(client, platform).status_code == 200
    assert platform.jwks_fetches == 2  # one refetch found the new key
    assert_refused(launch(client, platform, kid="never-published"), "LTI_BAD_KID")
    assert platform.jwks_fetches == 2  # no refetch storm within the cooldown


def test_inactive_registration_is_refused_at_login(app: Any, client: Any, platform: Any) -> None:
    from plugin.extensions import db
    from plugin.lti import services

    with app.app_context():
        services.set_registration_active(services.list_registrations()[0], False)
        db.session.commit()
    response = client.get("/lti/login", query_string=platform.login_params(TARGET))
    assert_refused(response, "LTI_REGISTRATION_INACTIVE", 403)


def test_login_and_launch_on_two_app_instances(app_config: dict[str, Any], request: Any) -> None:
    """Processes share nothing but the database and the store: any may serve any step."""
    from plugin import create_app

    first = request.getfixturevalue("app")
    platform = request.getfixturevalue("platform")
    second = create_app(app_config)
    try:
        auth = platform.login(first.test_client(), TARGET)
        token = platform.sign(platform.claims(auth, TARGET))
        response = second.test_client().post(
            "/lti/launch", data={"id_token": token, "state": auth.state}
        )
        assert response.status_code == 200
        assert first.test_client().get(response.headers["Content-Location"]).status_code == 200
    finally:
        from plugin.extensions import db

        with second.app_context():
            db.engine.dispose()
