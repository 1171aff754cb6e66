"""Scaling out: two tool processes (real servers in subprocesses) behind one public URL share
one PostgreSQL and one Redis; a login served by one and the launch by the other succeed, and
the session works on either. Skipped without PostgreSQL and Redis, failing under
MICROCRED_REQUIRE_SERVICES=1 (like tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from plugin.devlms.testing import DevLmsClient, FormPost, browser_session
from tests.conftest import POSTGRES_URL, REDIS_URL, REQUIRE_SERVICES
from tests.plugin.conftest import DEV_CLIENT_ID, DEV_DEPLOYMENT_ID
from tests.plugin.lti.helpers import landed_on
from tests.servers import free_port, live_server

ROOT = Path(__file__).resolve().parents[3]
SERVE = (
    "from plugin import create_app; import sys; "
    "create_app().run(host='127.0.0.1', port=int(sys.argv[1]), threaded=True, "
    "use_reloader=False)"
)


@pytest.fixture
def services() -> None:
    if not (POSTGRES_URL and REDIS_URL):
        if REQUIRE_SERVICES:
            pytest.fail("MICROCRED_REQUIRE_SERVICES=1 but PostgreSQL or Redis is not configured")
        pytest.skip("needs MICROCRED_TEST_POSTGRES_URL and MICROCRED_TEST_REDIS_URL")


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the tool process on {url} exited with {process.returncode}")
        try:
            if requests.get(f"{url}/lti/jwks", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the tool process on {url} did not start")


@pytest.fixture
def public_url(app_config: dict[str, Any]) -> str:
    """The one URL the LMS knows the tool by (a load balancer would answer it)."""
    app_config["PUBLIC_URL"] = f"http://localhost:{free_port()}"
    return str(app_config["PUBLIC_URL"])


@pytest.fixture
def tool_processes(
    services: None, app_config: dict[str, Any], public_url: str
) -> Iterator[list[str]]:
    """Two tool processes with the test's settings (database, Redis, secret, public URL)."""
    env = {
        **os.environ,
        **{k: str(v) for k, v in app_config.items() if k != "INSTANCE_PATH"},
        "MICROCRED_INSTANCE": str(app_config["INSTANCE_PATH"]),
    }
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SERVE, str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    urls = [f"http://localhost:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            _wait_up(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_login_on_one_process_and_launch_on_the_other(
    tool_processes: list[str], app: Any, public_url: str, tmp_path: Path
) -> None:
    from plugin.devlms import add_placement, create_devlms_app
    from plugin.extensions import db
    from plugin.lti import services as lti

    first, second = tool_processes
    lms_port = free_port()
    lms_url = f"http://127.0.0.1:{lms_port}"
    with app.app_context():
        lti.create_registration(
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
    lms_app = create_devlms_app(
        {
            "DEVLMS_PUBLIC_URL": lms_url,
            "DEVLMS_DATABASE": str(tmp_path / "devlms.sqlite3"),
            "DEVLMS_TOOL_URL": public_url,
        }
    )
    placement = add_placement(lms_app, "Module 1", f"{public_url}/lti/launch?target=home")
    with live_server(lms_app, port=lms_port):
        lms = DevLmsClient(lms_url)
        browser = browser_session()
        initiation = lms.login_initiation(placement.id, "grace", target="window")
        login = FormPost(
            initiation.action.replace(public_url, first), initiation.fields, initiation.method
        )
        auth = lms.start_tool_login(login, browser)
        assert auth.redirect_uri == f"{public_url}/lti/launch"
        form = lms.authorize(auth, browser)
        launch = FormPost(form.action.replace(public_url, second), form.fields).submit(browser)
        assert "Welcome, Grace Hopper" in launch.text  # the launch answers with the page
        path = landed_on(launch).removeprefix(public_url)
        for server in (second, first):  # the session is shared: either process shows it again
            page = browser.get(server + path, timeout=30)
            assert page.status_code == 200
            assert "Welcome, Grace Hopper" in page.text
        replay = FormPost(form.action.replace(public_url, first), form.fields).submit(browser)
        assert replay.status_code == 400 and "LTI_STATE_UNKNOWN" in replay.text
