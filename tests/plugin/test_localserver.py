"""The server `make run` and the tests use closes every response, even when the browser drops the
connection mid-way (a browser navigating away while a stylesheet loads does this all the time).

werkzeug's own server skips close() on that path: the file behind a static response stays open
until garbage collection, and under pytest's warnings-as-errors that ResourceWarning fails
whichever browser test is running when it is collected."""

from __future__ import annotations

import socket
import struct
import time
from pathlib import Path
from typing import Any

import requests
from flask import Flask

from tests.servers import live_server

RESETS = 150


def _static_app(folder: Path) -> tuple[Flask, list[Any]]:
    """A Flask app serving `folder` as static files, and the response iterables it returned."""
    app = Flask(__name__, static_folder=str(folder), static_url_path="/static")
    returned: list[Any] = []
    inner = app.wsgi_app

    def recording(environ: dict[str, Any], start_response: Any) -> Any:
        result = inner(environ, start_response)
        returned.append(result)
        return result

    app.wsgi_app = recording  # type: ignore[method-assign]
    return app, returned


def _drop_mid_response(port: int) -> None:
    """Ask for the big file, read a little, then reset the connection (RST, not FIN)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /static/big.css HTTP/1.1\r\nHost: localhost\r\n\r\n")
        s.recv(64)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _open_files(returned: list[Any]) -> list[Any]:
    return [r for r in returned if getattr(r, "file", None) is not None and not r.file.closed]


def test_a_dropped_connection_still_closes_the_static_file(tmp_path: Path) -> None:
    (tmp_path / "big.css").write_text("body { color: black; }\n" * 40_000)
    app, returned = _static_app(tmp_path)
    with live_server(app) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        for _ in range(RESETS):
            _drop_mid_response(port)
        deadline = time.monotonic() + 10
        while (len(returned) < RESETS or _open_files(returned)) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(returned) == RESETS
    # Every response held its file; each must have been closed by the server, not left to GC.
    left_open = _open_files(returned)
    for result in left_open:  # do not let the failure itself end in ResourceWarnings
        result.close()
    assert left_open == [], f"{len(left_open)} of {RESETS} static files were left open"


def test_a_whole_response_still_arrives(tmp_path: Path) -> None:
    (tmp_path / "big.css").write_text("p { margin: 0; }\n" * 10_000)
    app, returned = _static_app(tmp_path)
    with live_server(app) as srv:
        answer = requests.get(f"{srv.url}/static/big.css", timeout=10)
    assert answer.status_code == 200
    assert answer.text == "p { margin: 0; }\n" * 10_000
    assert _open_files(returned) == []
