"""A launch answers with its first page instead of redirecting to it.

The platform form-posts the id_token; the tool used to answer 303 and the browser came back with
a GET for the page: a second request, a second store read of the session, on every launch. Now the
launch makes that GET inside its own request (`render_in_place`) and answers 200 with the page.
The page names its own address (`Content-Location`, and `history.replaceState` from base.html),
so a reload, a bookmark or "open in a new window" asks for the page by GET and never re-posts
the spent id_token; without JavaScript a `<noscript>` refresh makes that GET at once.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session

#: Set on `g` while the first page renders: base.html then writes the page's own address.
INNER_PAGE_URL = "inner_page_url"
_BODY_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")


def _get_environ(path: str, query: str) -> dict[str, Any]:
    """This request's WSGI environ turned into a body-less GET of `path`?`query`."""
    environ = dict(request.environ)
    for key in _BODY_HEADERS:
        environ.pop(key, None)
    environ.pop("werkzeug.request", None)
    uri = f"{request.script_root}{path}" + (f"?{query}" if query else "")
    for key in ("RAW_URI", "REQUEST_URI"):
        if key in environ:
            environ[key] = uri
    environ.update(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "wsgi.input": io.BytesIO(),
        }
    )
    return environ


def _dispatch(app: Flask) -> Response:
    """Flask's full dispatch of the current (inner) request, minus the app-wide hooks: the
    launch request around it runs those once, on the response this returns (request id, CSP
    nonce, headers, the access log line, rate limits). The target blueprint's own hooks run."""
    try:
        rv: Any = None
        for name in reversed(request.blueprints):
            for func in app.before_request_funcs.get(name, ()):
                rv = app.ensure_sync(func)()
                if rv is not None:
                    break
            if rv is not None:
                break
        if rv is None:
            rv = app.dispatch_request()
    except Exception as exc:  # error pages, as a GET of the page would get them
        rv = app.handle_user_exception(exc)
    response = app.make_response(rv)
    for name in request.blueprints:
        for after in reversed(app.after_request_funcs.get(name, ())):
            response = app.ensure_sync(after)(response)
    if not app.session_interface.is_null_session(session):  # e.g. flashed messages shown
        app.session_interface.save_session(app, session, response)
    return response


def render_in_place(url: str) -> Response | None:
    """The response a GET of `url` would get, made within this request; None when `url` is not
    a path of this app, so the caller redirects instead. The session of this request (set by
    the launch on `g`) is the page's session: the store is not asked again."""
    parts = urlsplit(url)
    root = request.script_root
    if parts.scheme or parts.netloc or not parts.path.startswith(f"{root}/"):
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    environ = _get_environ(parts.path[len(root) :], parts.query)
    setattr(g, INNER_PAGE_URL, url)
    try:
        # The app context (and `g`, with the launch and the request id) stays this request's.
        with app.request_context(environ):
            response = _dispatch(app)
    finally:
        g.pop(INNER_PAGE_URL, None)
    if not 300 <= response.status_code < 400:
        response.headers["Content-Location"] = url
    response.headers.setdefault("Cache-Control", "no-store")
    return response
