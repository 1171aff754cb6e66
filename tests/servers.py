"""Run WSGI apps on real loopback ports for tests: real HTTP between the dev LMS and the tool."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer

from plugin.localserver import make_local_server


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A threaded werkzeug server (plugin.localserver: it closes every response) in a background
    thread."""

    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def start_server(
    app: object, host: str = "127.0.0.1", port: int | None = None, public_host: str | None = None
) -> LiveServer:
    """Serve `app` on host:port (a free one by default); `public_host` names it in the URL
    (use "localhost" for the tool and "127.0.0.1" for the dev LMS so the two are cross-site)."""
    port = port or free_port(host)
    server = make_local_server(host, port, app)
    thread = threading.Thread(target=server.serve_forever, name=f"live-{port}", daemon=True)
    thread.start()
    return LiveServer(f"http://{public_host or host}:{port}", server, thread)


@contextmanager
def live_server(
    app: object, host: str = "127.0.0.1", port: int | None = None, public_host: str | None = None
) -> Iterator[LiveServer]:
    srv = start_server(app, host, port, public_host)
    try:
        yield srv
    finally:
        srv.stop()
