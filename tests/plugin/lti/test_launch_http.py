"""Every known-bad and known-good launch payload (lti.md section 4.1, defined in test_launch.py)
over real HTTP: the live dev LMS (127.0.0.1) is the platform, the live tool (localhost) answers.

Each case does a real OIDC login round trip (the dev LMS's login initiation, the tool's auth
request, the dev LMS's /auth), then posts the dev LMS's claims, modified as the case says and
signed with the dev LMS's key (or forged), to the live tool's launch URL. One pair of servers
serves the whole module, on each configured database backend.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from plugin.devlms.testing import DevLmsClient, browser_session
from plugin.lti.models import Learner
from tests.conftest import BACKENDS, REDIS_URL, _truncate_all
from tests.plugin.lti.helpers import count, landed_on
from tests.plugin.lti.test_launch import KNOWN_BAD, KNOWN_GOOD, Mutation, _launch_of
from tests.servers import LiveServer, free_port, start_server

#: The certification payloads name the tool "tool-client" and the link "link-1": the dev LMS
#: registers the tool and places the link under those names so every payload applies as is.
CLIENT_ID = "tool-client"
DEPLOYMENT_ID = "dep-1"
LINK_ID = "link-1"
_TOKEN = re.compile(r"mc_session=([^&\"'\s<>;]+)")
#: What a browser sends with a form post or a navigation (requests' "*/*" would get JSON).
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass
class LivePair:
    """The live tool and dev LMS of this module."""

    tool: Any
    tool_url: str
    lms_url: str
    lms: DevLmsClient
    servers: tuple[LiveServer, ...]


def _database_url(backend: str, request: pytest.FixtureRequest, instance: Path) -> str:
    if backend == "postgresql":
        return str(request.getfixturevalue("pg_database"))
    db_file = instance / "microcred.sqlite3"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), db_file)
    return f"sqlite:///{db_file}"


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePair]:
    """The tool and the dev LMS on loopback, registered to each other, with "link-1" placed."""
    from plugin import create_app
    from plugin.devlms import add_placement, create_devlms_app
    from plugin.devlms.config import tool_config
    from plugin.extensions import db
    from plugin.lti import services
    from plugin.lti.platform_keys import KeySource, forget_cached_keys, forget_key_set
    from plugin.web import get_store

    backend = str(request.param)
    folder = tmp_path_factory.mktemp(f"launch-http-{backend}")
    instance = folder / "instance"
    instance.mkdir()
    tool_port, lms_port = free_port(), free_port()
    tool_url, lms_url = f"http://localhost:{tool_port}", f"http://127.0.0.1:{lms_port}"
    config: dict[str, Any] = {
        "MICROCRED_ENV": "testing",
        "DATABASE_URL": _database_url(backend, request, instance),
        "INSTANCE_PATH": str(instance),
        "PUBLIC_URL": tool_url,
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
        # 43 launches from one address in well under a minute: above the per-address limits
        # (tested in tests/plugin/ops), below anything a loop gone wrong reaches.
        "RATE_LIMIT_LOGIN": "600/minute",
        "RATE_LIMIT_LAUNCH": "600/minute",
    }
    if REDIS_URL:
        config["REDIS_URL"] = REDIS_URL
    tool = create_app(config)
    lms_app = create_devlms_app(
        {
            "DEVLMS_PUBLIC_URL": lms_url,
            "DEVLMS_DATABASE": str(folder / "devlms.sqlite3"),
            "DEVLMS_TOOLS": [
                tool_config(tool_url, client_id=CLIENT_ID, deployment_id=DEPLOYMENT_ID)
            ],
            "DEVLMS_PLATFORM_STORAGE": False,
        }
    )
    add_placement(lms_app, "Module 1", f"{tool_url}/lti/launch", placement_id=LINK_ID)
    with tool.app_context():
        reg = services.create_registration(
            issuer=lms_url,
            client_id=CLIENT_ID,
            name="dev LMS",
            product="generic",
            auth_login_url=f"{lms_url}/auth",
            auth_token_url=f"{lms_url}/token",
            key_set_url=f"{lms_url}/jwks",
            deployment_ids=[DEPLOYMENT_ID],
        )
        db.session.commit()
        # A Redis store outlives a run: forget a key set an earlier one cached under this id.
        forget_key_set(get_store(), KeySource(reg.id, f"{lms_url}/jwks", None))
    forget_cached_keys()
    servers = (
        start_server(tool, port=tool_port, public_host="localhost"),
        start_server(lms_app, port=lms_port, public_host="127.0.0.1"),
    )
    try:
        yield LivePair(tool, tool_url, lms_url, DevLmsClient.for_app(lms_app), servers)
    finally:
        for server in servers:
            server.stop()
        forget_cached_keys()
        if backend == "postgresql":
            _truncate_all(tool)
        else:
            with tool.app_context():
                db.engine.dispose()


def _post_launch(live: LivePair, mutate: Mutation) -> tuple[requests.Session, requests.Response]:
    """A real login round trip for Grace on "link-1" (initiation, the tool's auth request,
    the dev LMS's /auth), then the mutated id_token posted to the tool with the state.

    The dev LMS also sends azp; the certification baseline has none, so it is left out (a
    single audience needs none) and the payloads that test azp set it themselves."""
    browser = browser_session()
    browser.headers["Accept"] = BROWSER_ACCEPT
    lms = live.lms
    auth = lms.start_tool_login(lms.login_initiation(LINK_ID, "grace"), browser)
    assert auth.redirect_uri == f"{live.tool_url}/lti/launch"
    # The platform's side of the round trip: the dev LMS checks the request and would post
    # its own id_token; the case's token replaces it.
    assert "id_token" in lms.authorize(auth, browser).fields
    claims = lms.claims_for(auth)
    claims.pop("azp", None)
    claims, options = mutate(claims, None)
    return browser, lms.forge(auth, claims, **options).submit(browser)


def _assert_frameable_by_the_platform(response: requests.Response, lms_url: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    ancestors = next(
        (part.split()[1:] for part in policy.split(";") if part.split()[:1] == ["frame-ancestors"]),
        [],
    )
    assert lms_url in ancestors, policy
    assert response.headers.get("X-Frame-Options", "").upper() != "DENY"


@pytest.mark.parametrize(("name", "mutate", "code"), KNOWN_BAD, ids=[b[0] for b in KNOWN_BAD])
def test_known_bad_payload_over_http_is_refused_without_a_session(
    live: LivePair, name: str, mutate: Mutation, code: str
) -> None:
    learners = count(live.tool, Learner)
    browser, response = _post_launch(live, mutate)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert code in response.text, response.text[:800]
    assert "Location" not in response.headers
    _assert_frameable_by_the_platform(response, live.lms_url)
    # No session: whatever token the answer might carry does not open the tool's session page,
    # and the browser, with the cookies it holds, is not signed in either.
    returned = _TOKEN.findall(response.text + response.headers.get("Set-Cookie", ""))
    for token in returned:
        page = browser.get(f"{live.tool_url}/lti/home?mc_session={token}", timeout=30)
        assert 400 <= page.status_code < 500, page.text[:300]
    home = browser.get(f"{live.tool_url}/lti/home", timeout=30, allow_redirects=False)
    assert 400 <= home.status_code < 500 and "Grace Hopper" not in home.text
    assert count(live.tool, Learner) == learners


@pytest.mark.parametrize(("name", "mutate", "expected"), KNOWN_GOOD, ids=[g[0] for g in KNOWN_GOOD])
def test_known_good_payload_over_http_is_accepted(
    live: LivePair, name: str, mutate: Mutation, expected: dict[str, Any]
) -> None:
    browser, response = _post_launch(live, mutate)
    location = landed_on(response)
    assert location.startswith("/lti/home?") and "mc_session=" in location
    page = browser.get(live.tool_url + location, timeout=30)
    assert page.status_code == 200
    assert "Open in a new window" in page.text and "Module 1" in page.text
    _assert_frameable_by_the_platform(page, live.lms_url)
    ctx = _launch_of(live.tool, location)
    for attr, value in expected.items():
        assert getattr(ctx, attr) == value, attr
    assert (ctx.issuer, ctx.client_id, ctx.resource_link_id) == (live.lms_url, CLIENT_ID, LINK_ID)
