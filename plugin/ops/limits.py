"""Rate limits with Flask-Limiter, counted in the app's shared store (Redis or the machine's
SQLite store), so every app server and process sees the same counts.

Limits apply by endpoint, so a feature needs no decorator: `LIMITED_ENDPOINTS` maps each
category (a `RATE_LIMIT_<CATEGORY>` setting) to endpoint names (fnmatch patterns). A feature
that adds a view to a category calls `limit_endpoints("verify", "myfeature.verify_page")`.
"""

from __future__ import annotations

import logging
import time
from fnmatch import fnmatchcase
from typing import Any, ClassVar

from flask import Flask, Response, current_app, request
from flask_limiter import Limit, Limiter
from flask_limiter.errors import RateLimitExceeded
from limits.storage import Storage

from ..errors import ServiceUnavailable
from ..store import Store

log = logging.getLogger(__name__)

#: category -> (endpoint patterns, HTTP methods counted or None for all)
LIMITED_ENDPOINTS: dict[str, tuple[list[str], tuple[str, ...] | None]] = {
    "login": (["lti.login"], None),
    "launch": (["lti.launch"], None),
    "admin_sign_in": (["admin.sign_in"], ("POST",)),
    "publish": (["catalog_api.publish*"], ("POST", "PUT")),
    "verify": (["credentials*.verify*", "credentials*.api_verify*"], None),
}


def limit_endpoints(category: str, *patterns: str) -> None:
    """Count requests to endpoints matching `patterns` under `category`'s limit."""
    LIMITED_ENDPOINTS[category][0].extend(patterns)


def _in_category(category: str) -> bool:
    patterns, methods = LIMITED_ENDPOINTS[category]
    if methods is not None and request.method not in methods:
        return False
    endpoint = request.endpoint or ""
    return any(fnmatchcase(endpoint, pattern) for pattern in patterns)


class StoreStorage(Storage):
    """A `limits` storage over `plugin.store.Store` (fixed windows only)."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["microcred-store"]  # type: ignore[misc]  # limits reads it off the class

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any
    ) -> None:
        self.store: Store = options.pop("store")
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ServiceUnavailable

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        count = 0
        for _ in range(amount):
            count = self.store.incr("ratelimit:" + key, expiry)
        # The first hit of a window records when the window ends (for Retry-After).
        self.store.add("ratelimit-end:" + key, str(time.time() + expiry), expiry)
        return count

    def get(self, key: str) -> int:
        # incr by zero is not offered; a missing or expired counter reads as 0.
        raw = self.store.get("ratelimit:" + key)
        return int(raw) if raw else 0

    def get_expiry(self, key: str) -> float:
        raw = self.store.get("ratelimit-end:" + key)
        return float(raw) if raw else time.time()

    def check(self) -> bool:
        return self.store.ping()

    def reset(self) -> int | None:
        return None

    def clear(self, key: str) -> None:
        self.store.delete("ratelimit:" + key)
        self.store.delete("ratelimit-end:" + key)


def _client_address() -> str:
    # Behind a proxy, ProxyFix (PROXY_FIX_HOPS) has already put the client's address here.
    return request.remote_addr or "unknown"


def _limit(category: str, rates: dict[str, str]) -> Limit:
    _, methods = LIMITED_ENDPOINTS[category]
    return Limit(
        limit_provider=rates[category],
        scope=category,
        shared=True,
        methods=list(methods) if methods else None,
        exempt_when=lambda: not _in_category(category),
        error_message=f"Too many {category.replace('_', ' ')} requests from your address.",
    )


def init_app(app: Flask, store: Store, rates: dict[str, str], enabled: bool) -> Limiter:
    """Bind a Limiter to `app` with one shared limit per category, counted in `store`.

    Counters are named after a hash of SECRET_KEY: every server of one installation shares
    them, and two installations (or test apps) on one Redis never mix their counts.
    """
    from . import installation_prefix

    prefix = "mc" + installation_prefix(app)
    limiter = Limiter(
        _client_address,
        default_limits=[_limit(category, rates) for category in LIMITED_ENDPOINTS],
        storage_uri="microcred-store://",
        storage_options={"store": store},  # type: ignore[dict-item]
        strategy="fixed-window",
        headers_enabled=True,
        # A store outage must not lock everyone out: the request goes on and meets the
        # store itself, which fails clearly (503) where it is really needed.
        swallow_errors=True,
        key_prefix=prefix,
        enabled=enabled,
    )
    limiter.init_app(app)
    app.extensions["microcred.limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded) -> Any:
        from ..web import error_response

        seconds = _retry_after(limiter, exc)
        body, status = error_response(
            "RATE_LIMITED",
            "Too many requests",
            f"{exc.description} Please wait {seconds} seconds and try again.",
            429,
        )
        response: Response = current_app.make_response((body, status))
        response.headers["Retry-After"] = str(seconds)
        return response

    return limiter


def _retry_after(limiter: Limiter, exc: RateLimitExceeded) -> int:
    current = limiter.current_limit
    if current is not None:
        return max(1, int(current.reset_at - time.time()))
    return int(exc.limit.limit.get_expiry())
