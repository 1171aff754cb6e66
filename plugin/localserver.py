"""The threaded werkzeug server that `make run` and the tests serve on, made to close every
response.

werkzeug's server calls the response's close() once the body is written, but not when the
browser drops the connection first: the read that drains the socket afterwards raises before
close() runs. The file behind a static response then stays open until garbage collection (a
ResourceWarning), and a browser that navigates away while a stylesheet loads makes that
routine. Here each response is closed when its request has been handled, whatever happened.
Production runs under gunicorn, which closes responses itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_RESULT = "microcred.response"


class _ClosedOnce:
    """What the app returned, with a close() that may be called twice and acts once."""

    __slots__ = ("_closed", "_inner")

    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._inner)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()


def _remembering(app: WSGIApp) -> WSGIApp:
    """`app`, leaving what it returns in the environ for the handler to close."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        result = _ClosedOnce(app(environ, start_response))
        environ[_RESULT] = result
        return result

    return wrapped


class _ClosingHandler(WSGIRequestHandler):
    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:
            environ = getattr(self, "environ", None) or {}
            result = environ.pop(_RESULT, None)
            if result is not None:
                result.close()


def make_local_server(host: str, port: int, app: Any) -> BaseWSGIServer:
    """A threaded server for `app` on host:port (not started); it raises as make_server does
    when the port is taken."""
    return make_server(
        host, port, _remembering(app), threaded=True, request_handler=_ClosingHandler
    )
