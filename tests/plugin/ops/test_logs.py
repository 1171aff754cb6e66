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


def test_access_lines_reach_an_operators_own_handler_too(client: Any, capsys: Any) -> None:
    """The access line skips the logging machinery only while nothing but our JSON handler
    would see it; a handler an operator adds gets every line, and ours still writes it."""
    import logging

    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    from plugin.ops.logs import _direct_handler

    root = logging.getLogger()
    captured = root.handlers[:]  # pytest's own capture sits on the root logger
    root.handlers.clear()
    try:
        capsys.readouterr()
        assert _direct_handler() is not None  # the setup a server runs with
        client.get("/healthz")
        direct = [e for e in _lines(capsys.readouterr().err) if e["logger"] == "plugin.access"]
    finally:
        root.handlers[:] = captured
    keep = Keep()
    logging.getLogger("plugin.access").addHandler(keep)
    try:
        client.get("/healthz")
    finally:
        logging.getLogger("plugin.access").removeHandler(keep)
    logged = [e for e in _lines(capsys.readouterr().err) if e["logger"] == "plugin.access"]
    assert [r.getMessage() for r in seen] == ["GET /healthz 200"]
    assert len(direct) == len(logged) == 1
    # Both ways write the same line, field for field, in the same order.
    assert list(direct[0]) == list(logged[0])
    assert list(direct[0])[:5] == ["ts", "level", "logger", "message", "request_id"]
    assert {k: v for k, v in direct[0].items() if k not in ("ts", "request_id", "duration_ms")} == {
        k: v for k, v in logged[0].items() if k not in ("ts", "request_id", "duration_ms")
    }
