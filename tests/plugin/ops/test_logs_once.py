"""Each request is logged once: one JSON access line, never a second copy from Flask's default
handler or the development server's own request line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
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


_MIGRATE_THEN_LOG = """
import sys
from flask_migrate import upgrade
from plugin import create_app

app = create_app({"INSTANCE_PATH": sys.argv[1], "START_WORKER": "false"})
with app.app_context():
    upgrade()
app.logger.warning("after the migration")
"""


def test_an_in_process_migration_does_not_make_app_lines_print_twice(tmp_path: Path) -> None:
    # make run and the benchmarks migrate inside the serving process: alembic's logging setup
    # must not add a second printer for the app's lines.
    done = subprocess.run(
        [sys.executable, "-c", _MIGRATE_THEN_LOG, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [line for line in done.stderr.splitlines() if "after the migration" in line]
    assert len(lines) == 1, done.stderr
    assert json.loads(lines[0])["level"] == "WARNING"


def test_the_database_pool_keeps_its_housekeeping_out_of_the_app_log(app: Any, capsys: Any) -> None:
    import sqlite3

    from plugin import _live_pool_class

    assert app.logger.isEnabledFor(logging.INFO)  # the level the app logs at
    pool = _live_pool_class()(creator=lambda: sqlite3.connect(":memory:"))
    capsys.readouterr()
    pool.recreate().dispose()
    pool.dispose()
    assert "Pool" not in capsys.readouterr().err
