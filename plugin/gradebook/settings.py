"""Grade delivery settings: read from the app config, else the environment, with defaults.

Every value is checked at once and problems are raised together as a ConfigError. Tests shorten
backoff, timeouts and leases by passing these keys to `create_app(config)`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from ..errors import ConfigError

#: name -> (default, lowest allowed, description)
DEFAULTS: dict[str, tuple[float, float, str]] = {
    "GRADEBOOK_MAX_TRIES": (8, 1, "delivery tries of one score before it is shown as failed"),
    "GRADEBOOK_BACKOFF_BASE_SECONDS": (60, 0, "first backoff step (full jitter, doubling)"),
    "GRADEBOOK_BACKOFF_CAP_SECONDS": (1800, 0, "longest backoff step"),
    "GRADEBOOK_RETRY_AFTER_MAX_SECONDS": (21600, 0, "longest Retry-After the worker honours"),
    "GRADEBOOK_CONNECT_TIMEOUT": (5, 0.01, "seconds to connect to an LMS"),
    "GRADEBOOK_READ_TIMEOUT": (20, 0.01, "seconds to wait for an LMS answer"),
    "GRADEBOOK_PLATFORM_CONCURRENCY": (4, 1, "service calls in flight per platform, all workers"),
    "GRADEBOOK_WORKER_THREADS": (8, 1, "deliveries in flight per worker process"),
    "GRADEBOOK_BATCH": (50, 1, "rows a worker claims at once"),
    "GRADEBOOK_LEASE_SECONDS": (300, 0.1, "how long a claimed row stays with its worker"),
    "GRADEBOOK_POLL_SECONDS": (2, 0.01, "worker sleep when nothing is due"),
    "GRADEBOOK_SLOT_WAIT_SECONDS": (10, 0, "wait for a free per-platform slot before requeueing"),
    "GRADEBOOK_ROSTER_CACHE_SECONDS": (60, 0, "how long an NRPS roster is reused"),
}
_INTEGERS = {
    "GRADEBOOK_MAX_TRIES",
    "GRADEBOOK_PLATFORM_CONCURRENCY",
    "GRADEBOOK_WORKER_THREADS",
    "GRADEBOOK_BATCH",
}


@dataclass(frozen=True)
class GradebookSettings:
    """Validated delivery settings of one app."""

    max_tries: int
    backoff_base: float
    backoff_cap: float
    retry_after_max: float
    connect_timeout: float
    read_timeout: float
    platform_concurrency: int
    worker_threads: int
    batch: int
    lease_seconds: float
    poll_seconds: float
    slot_wait_seconds: float
    roster_cache_seconds: float

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) for requests."""
        return (self.connect_timeout, self.read_timeout)

    @property
    def call_budget(self) -> float:
        """The longest one service call can take."""
        return self.connect_timeout + self.read_timeout


def load_gradebook_settings(config: dict[str, Any] | Any) -> GradebookSettings:
    """Settings from `config` (a Flask config), falling back to the environment."""
    problems: list[str] = []
    values: dict[str, float] = {}
    for name, (default, low, _) in DEFAULTS.items():
        raw = config.get(name)
        if raw is None:
            raw = os.environ.get(name, default)
        try:
            value = float(raw)  # type: ignore[arg-type]  # None and junk: TypeError, ValueError
        except (TypeError, ValueError):
            problems.append(f"{name}={raw!r} is not a number")
            continue
        if name in _INTEGERS and value != int(value):
            problems.append(f"{name}={raw!r} must be a whole number")
        if value < low:
            problems.append(f"{name}={raw!r} must be at least {low:g}")
        values[name] = value
    if problems:
        raise ConfigError(problems)
    return GradebookSettings(
        max_tries=int(values["GRADEBOOK_MAX_TRIES"]),
        backoff_base=values["GRADEBOOK_BACKOFF_BASE_SECONDS"],
        backoff_cap=values["GRADEBOOK_BACKOFF_CAP_SECONDS"],
        retry_after_max=values["GRADEBOOK_RETRY_AFTER_MAX_SECONDS"],
        connect_timeout=values["GRADEBOOK_CONNECT_TIMEOUT"],
        read_timeout=values["GRADEBOOK_READ_TIMEOUT"],
        platform_concurrency=int(values["GRADEBOOK_PLATFORM_CONCURRENCY"]),
        worker_threads=int(values["GRADEBOOK_WORKER_THREADS"]),
        batch=int(values["GRADEBOOK_BATCH"]),
        lease_seconds=values["GRADEBOOK_LEASE_SECONDS"],
        poll_seconds=values["GRADEBOOK_POLL_SECONDS"],
        slot_wait_seconds=values["GRADEBOOK_SLOT_WAIT_SECONDS"],
        roster_cache_seconds=values["GRADEBOOK_ROSTER_CACHE_SECONDS"],
    )


def gradebook_settings(app: Flask | None = None) -> GradebookSettings:
    """The delivery settings of `app` (default: the current app), validated once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("microcred.gradebook.settings")
    if cached is None:
        cached = load_gradebook_settings(app.config)
        app.extensions["microcred.gradebook.settings"] = cached
    return cached
