"""Configuration, start-up, and the set-up API (create_devlms_app, add_placement, add_tool)."""

from __future__ import annotations

import pytest

from plugin.devlms import (
    DevLmsConfigError,
    add_placement,
    add_tool,
    create_devlms_app,
    get_devlms,
    tool_config,
)
from plugin.devlms.data import list_placements, list_tools
from plugin.devlms.keys import platform_jwks
from plugin.devlms.lineitems import get_line_item


def make(tmp_path, **config):
    app = create_devlms_app({"DEVLMS_DATABASE": str(tmp_path / "lms.sqlite3"), **config})
    return app, get_devlms(app)


def test_tool_config_follows_the_tool_url_contract():
    assert tool_config("http://localhost:5000/") == {
        "name": "microcred",
        "client_id": "microcred-dev",
        "deployment_id": "1",
        "login_url": "http://localhost:5000/lti/login",
        "redirect_uris": ["http://localhost:5000/lti/launch"],
        "target_link_uri": "http://localhost:5000/lti/launch",
        "deep_link_url": "http://localhost:5000/lti/deeplink",
        "jwks_url": "http://localhost:5000/lti/jwks",
    }


def test_every_config_problem_is_reported_at_once(tmp_path):
    with pytest.raises(DevLmsConfigError) as error:
        create_devlms_app(
            {
                "DEVLMS_DATABASE": str(tmp_path / "x.sqlite3"),
                "DEVLMS_PUBLIC_URL": "127.0.0.1:5001",
                "DEVLMS_TOOLS": [{"name": "t", "client_id": "c", "login_url": "ftp://x"}],
                "DEVLMS_PLACEMENTS": [
                    {"title": "Q", "url": "http://x/lti/launch", "lineItem": {"scoreMaximum": -1}}
                ],
                "DEVLMS_LOGIN_METHOD": "put",
                "DEVLMS_PAGE_SIZE": 0,
            }
        )
    problems = error.value.problems
    assert "DEVLMS_PUBLIC_URL must be an http(s) origin, got '127.0.0.1:5001'" in problems
    assert "DEVLMS_TOOLS[0]: missing 'deployment_id'" in problems
    assert "DEVLMS_TOOLS[0]: 'login_url' must be an http(s) URL, got 'ftp://x'" in problems
    assert "DEVLMS_TOOLS[0]: needs 'jwks_url' (or an inline 'jwks' key set)" in problems
    assert "DEVLMS_PLACEMENTS[0]: lineItem 'scoreMaximum' must be a number > 0" in problems
    assert "DEVLMS_LOGIN_METHOD must be 'post' or 'get'" in problems
    assert "DEVLMS_PAGE_SIZE must be a positive integer" in problems


def test_restart_keeps_the_key_and_does_not_duplicate_config_placements(tmp_path):
    config = {
        "DEVLMS_TOOL_URL": "http://localhost:5000",
        "DEVLMS_PLACEMENTS": [
            {
                "title": "Quiz",
                "url": "http://localhost:5000/lti/launch?q=1",
                "lineItem": {"scoreMaximum": 10, "tag": "quiz"},
            }
        ],
    }
    _, first = make(tmp_path, **config)
    kids = [k["kid"] for k in platform_jwks(first.store)["keys"]]
    first.store.close()
    config["DEVLMS_PLACEMENTS"][0]["lineItem"]["scoreMaximum"] = 20
    _, second = make(tmp_path, **config)
    assert [k["kid"] for k in platform_jwks(second.store)["keys"]] == kids
    [placement] = list_placements(second.store, "course-101")
    assert get_line_item(second.store, placement.line_item_id).score_maximum == 20
    assert [t.client_id for t in list_tools(second.store)] == ["microcred-dev"]
    second.store.close()


def test_add_placement_and_add_tool(tmp_path):
    app, devlms = make(tmp_path, DEVLMS_TOOL_URL="http://localhost:5000")
    first = add_placement(
        app,
        "Module",
        "http://localhost:5000/lti/launch?course=a&module=b",
        custom={"course": "a"},
        line_item={"scoreMaximum": 5, "tag": "m"},
    )
    again = add_placement(
        app, "Module (renamed)", "http://localhost:5000/lti/launch?course=a&module=b"
    )
    assert again.id == first.id and again.title == "Module (renamed)"
    with pytest.raises(ValueError, match="no tool"):
        add_placement(app, "X", "http://localhost:5000/lti/launch", client_id="nope")
    other = add_tool(app, tool_config("http://localhost:7000", client_id="second"))
    assert other.deployment_id == "1" and other.origins == ["http://localhost:7000"]
    explicit = add_placement(
        app,
        "Fixed",
        "http://localhost:7000/lti/launch",
        client_id="second",
        placement_id="rl-fixed",
    )
    assert explicit.id == "rl-fixed" and explicit.client_id == "second"
    with pytest.raises(DevLmsConfigError):
        add_tool(app, {"name": "broken"})
    devlms.store.close()
