"""Structured logs: JSON lines with the request id, and no personal data from a launch."""

from __future__ import annotations

import json
from typing import Any

from tests.plugin.lti.helpers import launch


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_launch_logs_json_lines_without_names_or_emails(
    client: Any, platform: Any, capsys: Any
) -> None:
    capsys.readouterr()
    response = launch(client, platform)
    assert response.status_code in (200, 302, 303)
    err = capsys.readouterr().err
    lines = _lines(err)
    assert lines, err[:500]
    for needle in ("Grace", "Hopper", "grace@example.edu"):
        assert needle not in err
    access = [e for e in lines if e["logger"] == "plugin.access" and e["path"] == "/lti/launch"]
    assert access and access[0]["status"] == response.status_code
    assert access[0]["request_id"] == response.headers["X-Request-ID"]


def test_query_strings_are_not_logged(client: Any, capsys: Any) -> None:
    capsys.readouterr()
    client.get("/healthz?mc_session=secret-session-token")
    err = capsys.readouterr().err
    assert "secret-session-token" not in err
    assert any(e.get("path") == "/healthz" for e in _lines(err))


def test_emails_in_messages_are_masked() -> None:
    from plugin.ops.logs import scrub

    assert scrub("refused ada@example.edu twice") == "refused [email] twice"
