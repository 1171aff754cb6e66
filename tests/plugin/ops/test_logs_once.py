"""Each request is logged once: one JSON access line, never a second copy from Flask's default
handler or the development server's own request line."""

from __future__ import annotations

import json
import logging
from typing import Any


def test_a_request_writes_exactly_one_access_line(app: Any, client: Any, capsys: Any) -> None:
    capsys.readouterr()
    assert client.get("/lti/jwks").status_code == 200
    lines = [line for line in capsys.readouterr().err.splitlines() if "/lti/jwks" in line]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert (entry["logger"], entry["status"], entry["endpoint"]) == (
        "plugin.access",
        200,
        "lti.jwks",
    )
    assert entry["ts"].endswith("+00:00") and "." in entry["ts"]


def test_app_messages_are_not_written_twice(app: Any, capsys: Any) -> None:
    capsys.readouterr()
    app.logger.warning("only once, please (ada@example.edu)")
    lines = [line for line in capsys.readouterr().err.splitlines() if "only once" in line]
    assert len(lines) == 1 and "ada@example.edu" not in lines[0] and "[email]" in lines[0]


def test_the_development_server_request_line_is_dropped(app: Any, caplog: Any) -> None:
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('"%s" %s %s', "GET /lti/jwks HTTP/1.1", "200", "-")
        logging.getLogger("werkzeug").info("Running on http://127.0.0.1:5000")
    assert [r.getMessage() for r in caplog.records] == ["Running on http://127.0.0.1:5000"]
