"""Fixtures for the plugin's feature tests: a signing test platform and the live dev LMS.

`dev_lms` starts the tool (as http://localhost:<port>) and the dev LMS (as
http://127.0.0.1:<port>) on real loopback ports, so the two are cross-site as in production,
and registers them to each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.plugin.lti.platform import TestPlatform
from tests.servers import LiveServer, free_port, start_server

DEV_CLIENT_ID = "microcred-dev"
DEV_DEPLOYMENT_ID = "1"


@pytest.fixture(scope="session")
def _test_platform() -> Iterator[TestPlatform]:
    test_platform = TestPlatform().start()
    yield test_platform
    test_platform.stop()


@pytest.fixture
def platform(app: Any, _test_platform: TestPlatform) -> Iterator[TestPlatform]:
    """A test platform registered with the tool (client "tool-client", deployment "dep-1")."""
    from plugin.lti.platform_keys import KeySource, forget_cached_keys, forget_key_set
    from plugin.web import get_store

    forget_cached_keys()
    _test_platform.reset()
    with app.app_context():
        reg_id = _test_platform.register()
        # A Redis store outlives the test: forget the key set a previous test cached.
        forget_key_set(get_store(), KeySource(reg_id, _test_platform.jwks_url, None))
    yield _test_platform
    forget_cached_keys()


@dataclass
class DevLmsPair:
    """The tool and the dev LMS, both live; `lms` drives the dev LMS like a browser."""

    tool: Any
    tool_url: str
    lms_app: Any
    lms_url: str
    lms: Any
    servers: tuple[LiveServer, ...]

    def place(self, title: str, target: str = "home", **kwargs: Any) -> Any:
        """Place an activity launching the tool's `target` on the dev LMS course page."""
        return self.lms.add_placement(
            title, f"{self.tool_url}/lti/launch?target={target}", **kwargs
        )


def _dev_lms(
    request: pytest.FixtureRequest, app_config: dict[str, Any], tmp_path: Any, storage: bool
) -> Iterator[DevLmsPair]:
    from plugin.devlms import create_devlms_app
    from plugin.devlms.testing import DevLmsClient
    from plugin.extensions import db
    from plugin.lti import services
    from plugin.lti.platform_keys import forget_cached_keys

    tool_port, lms_port = free_port(), free_port()
    tool_url, lms_url = f"http://localhost:{tool_port}", f"http://127.0.0.1:{lms_port}"
    app_config["PUBLIC_URL"] = tool_url
    tool = request.getfixturevalue("app")
    lms_app = create_devlms_app(
        {
            "DEVLMS_PUBLIC_URL": lms_url,
            "DEVLMS_DATABASE": str(tmp_path / "devlms.sqlite3"),
            "DEVLMS_TOOL_URL": tool_url,
            "DEVLMS_PLATFORM_STORAGE": storage,
        }
    )
    with tool.app_context():
        services.create_registration(
            issuer=lms_url,
            client_id=DEV_CLIENT_ID,
            name="dev LMS",
            product="generic",
            auth_login_url=f"{lms_url}/auth",
            auth_token_url=f"{lms_url}/token",
            key_set_url=f"{lms_url}/jwks",
            deployment_ids=[DEV_DEPLOYMENT_ID],
        )
        db.session.commit()
    forget_cached_keys()
    servers = (
        start_server(tool, port=tool_port, public_host="localhost"),
        start_server(lms_app, port=lms_port, public_host="127.0.0.1"),
    )
    try:
        yield DevLmsPair(tool, tool_url, lms_app, lms_url, DevLmsClient.for_app(lms_app), servers)
    finally:
        for server in servers:
            server.stop()
        forget_cached_keys()


@pytest.fixture
def dev_lms(
    request: pytest.FixtureRequest, app_config: dict[str, Any], tmp_path: Any
) -> Iterator[DevLmsPair]:
    """The tool and the dev LMS, live and registered to each other (no Platform Storage)."""
    yield from _dev_lms(request, app_config, tmp_path, storage=False)


@pytest.fixture
def dev_lms_storage(
    request: pytest.FixtureRequest, app_config: dict[str, Any], tmp_path: Any
) -> Iterator[DevLmsPair]:
    """Like dev_lms, with the dev LMS offering Platform Storage (lti_storage_target)."""
    yield from _dev_lms(request, app_config, tmp_path, storage=True)
