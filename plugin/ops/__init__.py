"""Production operations: structured logs, rate limits, metrics, the outbound HTTP guard,
`microcred doctor`, privacy (export, erasure, retention) and the admin operations page.

APIs for other features:
- `plugin.ops.outbound`: `outbound_session()`, `fetch_json(url, what=...)`, `OutboundError`.
- `plugin.ops.limits.limit_endpoints(category, *endpoint_patterns)`.
- `plugin.ops.privacy.keep_on_erasure(table)` / `export_learner` / `erase_learner`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, g, got_request_exception, request
from werkzeug.middleware.proxy_fix import ProxyFix

from . import models  # noqa: F401  (tables join the metadata)

#: Where launches end: a redirect to the tool's page (or a refusal). A 200 from lti.launch is
#: the Platform Storage step, finished by lti.launch_finish, so it is not counted twice.
LAUNCH_ENDPOINTS = ("lti.launch", "lti.launch_finish")
#: app.extensions key: (counter, ttl) a successful launch adds one to in the same store round
#: trip that saves its session (plugin.lti.session.save_launch); it is then not counted again.
LAUNCH_OK_COUNTER = "microcred.ops.launch_ok_counter"


def installation_prefix(app: Flask) -> str:
    """A short name for this installation in the shared store, from a hash of SECRET_KEY:
    every server of one installation shares it; two installations on one Redis never mix."""
    return hashlib.sha256(app.config["SECRET_KEY"].encode()).hexdigest()[:10]


def init_app(app: Flask) -> None:
    """Wire logs, proxies, rate limits, metric counters, error recording and default headers."""
    from . import limits, logs, uploads
    from .metrics import COUNTER_TTL, count_launch, launch_counter
    from .recent import record_error
    from .settings import ops_settings

    settings = ops_settings(app)
    prefix = installation_prefix(app)
    if settings.proxy_fix_hops:
        hops = settings.proxy_fix_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    logs.init_app(app, settings.log_format, settings.log_level)
    limits.init_app(
        app, app.extensions["microcred.store"], settings.rate_limits, settings.rate_limits_enabled
    )

    uploads.init_app(app, settings.upload_max_unpacked, settings.upload_max_ratio)
    app.extensions[LAUNCH_OK_COUNTER] = (launch_counter(prefix, "ok"), COUNTER_TTL)

    @app.after_request
    def _ops_after(response: Response) -> Response:
        store = app.extensions["microcred.store"]
        if (
            request.endpoint in LAUNCH_ENDPOINTS
            and request.method == "POST"
            and not g.get("launch_counted")
        ):
            count_launch(store, response.status_code, prefix)
        if response.status_code >= 500:
            record_error(
                store,
                {
                    "request_id": g.get("request_id", ""),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "error": g.get("ops_exception", ""),
                },
                prefix,
            )
        return response

    def _note_exception(sender: Any, exception: BaseException, **extra: Any) -> None:
        g.ops_exception = type(exception).__name__

    got_request_exception.connect(_note_exception, app, weak=False)
