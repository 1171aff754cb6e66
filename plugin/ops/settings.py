"""Production settings: logs, metrics, rate limits, outbound HTTP, proxies and retention.

Read like `plugin/config.py`: a key given to `create_app(config)` wins over the environment,
which wins over the default here; every problem is reported at once (ConfigError).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from limits import parse_many

from ..errors import ConfigError

# name -> (default, description); docs/deployment.md's reference table lists each one.
DEFAULTS: dict[str, tuple[str, str]] = {
    "LOG_FORMAT": ("json", "json (one object a line, for log shippers) or text"),
    "LOG_LEVEL": ("INFO", "DEBUG, INFO, WARNING or ERROR"),
    "METRICS_TOKEN": ("", "bearer token for /metrics; empty turns /metrics off"),
    "PROXY_FIX_HOPS": ("0", "reverse proxies in front of the app whose X-Forwarded-* are trusted"),
    "RATE_LIMITS_ENABLED": ("true", "apply the RATE_LIMIT_* limits below"),
    "RATE_LIMIT_LOGIN": ("60/minute", "LTI login initiations per client address"),
    "RATE_LIMIT_LAUNCH": ("60/minute", "LTI launches per client address"),
    "RATE_LIMIT_ADMIN_SIGN_IN": ("10/minute", "admin sign-in form posts per client address"),
    "RATE_LIMIT_PUBLISH": ("30/hour", "package publications through the API per client address"),
    "RATE_LIMIT_VERIFY": ("120/minute", "credential verifications per client address"),
    "OUTBOUND_TIMEOUT_SECONDS": (
        "10",
        "connect and read timeout of calls to platforms and did:web",
    ),
    "OUTBOUND_MAX_KB": ("1024", "largest response body accepted from a platform or did:web host"),
    "OUTBOUND_ALLOW_PRIVATE": (
        "",
        "allow calls to private/loopback addresses (default: yes except production)",
    ),
    "UPLOAD_MAX_UNPACKED_MB": ("256", "largest total size a package may unpack to"),
    "UPLOAD_MAX_RATIO": ("100", "largest unpacked-to-packed size ratio of a package over 8 MB"),
    "RETENTION_DAYS": (
        "0",
        "erase learners inactive this many days (`microcred privacy purge`); 0 keeps",
    ),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class OpsSettings:
    """Validated production settings of one app."""

    log_format: str
    log_level: str
    metrics_token: str
    proxy_fix_hops: int
    rate_limits_enabled: bool
    rate_limits: dict[str, str]
    outbound_timeout: float
    outbound_max_bytes: int
    outbound_allow_private: bool
    retention_days: int
    upload_max_unpacked: int = 256 * 1024 * 1024
    upload_max_ratio: float = 100.0


def _raw(config: Any, name: str) -> str:
    value = config.get(name)
    if value is None:
        value = os.environ.get(name, DEFAULTS[name][0])
    return str(value).strip()


def _number(name: str, raw: str, low: float, high: float, problems: list[str]) -> float:
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name}={raw!r} is not a number")
        return low
    if not low <= value <= high:
        problems.append(f"{name}={raw!r} is outside {low:g}..{high:g}")
    return value


def _flag(name: str, raw: str, default: bool, problems: list[str]) -> bool:
    value = raw.lower()
    if not value:
        return default
    if value not in _TRUE | _FALSE:
        problems.append(f"{name}={raw!r} is not a yes/no value (use true or false)")
    return value in _TRUE


def load_ops_settings(config: Any, env: str = "development") -> OpsSettings:
    """Settings from `config` (a Flask config or mapping), the environment and the defaults."""
    problems: list[str] = []
    log_format = _raw(config, "LOG_FORMAT").lower()
    if log_format not in ("json", "text"):
        problems.append(f"LOG_FORMAT={log_format!r} must be json or text")
    log_level = _raw(config, "LOG_LEVEL").upper()
    if log_level not in _LEVELS:
        problems.append(f"LOG_LEVEL={log_level!r} must be one of {', '.join(_LEVELS)}")
    limits: dict[str, str] = {}
    for name in DEFAULTS:
        if name.startswith("RATE_LIMIT_"):
            raw = _raw(config, name)
            try:
                parse_many(raw)
            except ValueError:
                problems.append(f"{name}={raw!r} is not a rate such as 30/minute or 5/second")
            limits[name.removeprefix("RATE_LIMIT_").lower()] = raw
    settings = OpsSettings(
        log_format=log_format,
        log_level=log_level,
        metrics_token=_raw(config, "METRICS_TOKEN"),
        proxy_fix_hops=int(
            _number("PROXY_FIX_HOPS", _raw(config, "PROXY_FIX_HOPS"), 0, 5, problems)
        ),
        rate_limits_enabled=_flag(
            "RATE_LIMITS_ENABLED", _raw(config, "RATE_LIMITS_ENABLED"), True, problems
        ),
        rate_limits=limits,
        outbound_timeout=_number(
            "OUTBOUND_TIMEOUT_SECONDS", _raw(config, "OUTBOUND_TIMEOUT_SECONDS"), 0.1, 120, problems
        ),
        outbound_max_bytes=int(
            _number("OUTBOUND_MAX_KB", _raw(config, "OUTBOUND_MAX_KB"), 1, 65536, problems)
        )
        * 1024,
        outbound_allow_private=_flag(
            "OUTBOUND_ALLOW_PRIVATE",
            _raw(config, "OUTBOUND_ALLOW_PRIVATE"),
            env != "production",
            problems,
        ),
        retention_days=int(
            _number("RETENTION_DAYS", _raw(config, "RETENTION_DAYS"), 0, 36500, problems)
        ),
        upload_max_unpacked=int(
            _number(
                "UPLOAD_MAX_UNPACKED_MB", _raw(config, "UPLOAD_MAX_UNPACKED_MB"), 1, 4096, problems
            )
        )
        * 1024
        * 1024,
        upload_max_ratio=_number(
            "UPLOAD_MAX_RATIO", _raw(config, "UPLOAD_MAX_RATIO"), 2, 10000, problems
        ),
    )
    if settings.metrics_token and len(settings.metrics_token) < 16:
        problems.append("METRICS_TOKEN must be at least 16 characters")
    if problems:
        raise ConfigError(problems)
    return settings


def ops_settings(app: Flask | None = None) -> OpsSettings:
    """The production settings of `app` (default: the current app), validated once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("microcred.ops.settings")
    if cached is None:
        cached = load_ops_settings(app.config, app.config["MICROCRED"].env)
        app.extensions["microcred.ops.settings"] = cached
    return cached
