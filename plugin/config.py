"""Configuration from environment variables, validated at start-up with every problem listed.

Each setting has a documented default (docs/operations.md has the table). `create_app(config)`
passes a mapping whose keys override the environment (tests use it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError

ENVIRONMENTS = ("development", "testing", "production")


@dataclass(frozen=True)
class Settings:
    """The validated settings of one app instance."""

    env: str
    secret_key: str
    database_url: str
    redis_url: str | None
    public_url: str
    allow_insecure_platforms: bool
    auto_approve_registrations: bool
    devlms_enabled: bool
    jwt_leeway_seconds: int
    key_rotation_overlap_days: int
    session_minutes: int
    max_upload_mb: int
    instance_path: str
    start_worker: bool

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def public_origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def is_https(self) -> bool:
        return self.public_url.startswith("https://")


# name -> (default, description); the single source for docs/operations.md's table.
DEFAULTS: dict[str, tuple[str, str]] = {
    "MICROCRED_ENV": ("development", "development, testing or production"),
    "SECRET_KEY": (
        "",
        "signs sessions and tokens; generated into the instance folder in development",
    ),
    "DATABASE_URL": ("", "SQLAlchemy URL; default SQLite file instance/microcred.sqlite3"),
    "REDIS_URL": (
        "",
        "Redis for cache and launch state; default a SQLite store shared by the machine",
    ),
    "PUBLIC_URL": (
        "http://localhost:5000",
        "the tool's public base URL as the LMS and browsers see it",
    ),
    "ALLOW_INSECURE_PLATFORMS": (
        "",
        "allow http:// platform URLs (default: yes except production)",
    ),
    "AUTO_APPROVE_REGISTRATIONS": (
        "false",
        "dynamic registrations and new deployments start active",
    ),
    "DEVLMS_ENABLED": ("", "serve the built-in dev LMS (default: yes in development only)"),
    "JWT_LEEWAY_SECONDS": ("10", "clock leeway for id_token times, 0 to 60"),
    "KEY_ROTATION_OVERLAP_DAYS": ("7", "days an old tool key stays published after rotation"),
    "SESSION_MINUTES": ("120", "lifetime of the tool's own session after a launch"),
    "MAX_UPLOAD_MB": ("50", "largest request body / package upload"),
    "START_WORKER": ("false", "run the grade delivery worker as a thread of the web process"),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, raw: str, problems: list[str]) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        problems.append(f"{name}={raw!r} is not a yes/no value (use true or false)")
    return False


def _int(name: str, raw: str, low: int, high: int, problems: list[str]) -> int:
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name}={raw!r} is not a whole number")
        return low
    if not low <= value <= high:
        problems.append(f"{name}={value} is outside {low}..{high}")
    return value


def _secret_key(raw: str, env: str, instance: Path, problems: list[str]) -> str:
    if raw:
        if env == "production" and len(raw) < 32:
            problems.append("SECRET_KEY must be at least 32 characters in production")
        return raw
    if env == "production":
        problems.append("SECRET_KEY is required in production")
        return ""
    # Development and tests: one random key per instance folder, never committed.
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def load_settings(overrides: Mapping[str, Any] | None, instance_path: str) -> Settings:
    """Read settings from the environment plus `overrides`; raise ConfigError with all problems."""
    source: dict[str, str] = {k: os.environ.get(k, d) for k, (d, _) in DEFAULTS.items()}
    for key, value in (overrides or {}).items():
        if key in DEFAULTS:
            source[key] = "" if value is None else str(value)
    problems: list[str] = []
    env = source["MICROCRED_ENV"].strip().lower()
    if env not in ENVIRONMENTS:
        problems.append(f"MICROCRED_ENV={env!r} must be one of {', '.join(ENVIRONMENTS)}")
        env = "production"  # the safe assumption for the remaining checks
    instance = Path(instance_path)

    public_url = source["PUBLIC_URL"].rstrip("/")
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"PUBLIC_URL={public_url!r} must be an absolute http(s) URL")
    elif env == "production" and parts.scheme != "https":
        problems.append("PUBLIC_URL must use https in production (LMS iframes need secure cookies)")

    database_url = source["DATABASE_URL"] or f"sqlite:///{instance / 'microcred.sqlite3'}"
    if not database_url.startswith(
        ("sqlite:", "postgresql:", "postgresql+psycopg2:", "postgresql+psycopg:", "postgres:")
    ):
        problems.append("DATABASE_URL must be a sqlite:// or postgresql:// URL")
    if database_url.startswith(("postgres:", "postgresql:")):
        # The declared driver (psycopg2), whichever drivers happen to be installed.
        database_url = "postgresql+psycopg2:" + database_url.split(":", 1)[1]

    redis_url = source["REDIS_URL"] or None
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        problems.append("REDIS_URL must be a redis://, rediss:// or unix:// URL")

    insecure_raw = source["ALLOW_INSECURE_PLATFORMS"]
    allow_insecure = (
        _bool("ALLOW_INSECURE_PLATFORMS", insecure_raw, problems)
        if insecure_raw
        else env != "production"
    )
    if allow_insecure and env == "production":
        problems.append("ALLOW_INSECURE_PLATFORMS cannot be on in production")
    devlms_raw = source["DEVLMS_ENABLED"]
    devlms = _bool("DEVLMS_ENABLED", devlms_raw, problems) if devlms_raw else env == "development"
    if devlms and env == "production":
        problems.append("DEVLMS_ENABLED cannot be on in production")

    settings = Settings(
        env=env,
        secret_key=_secret_key(source["SECRET_KEY"], env, instance, problems),
        database_url=database_url,
        redis_url=redis_url,
        public_url=public_url,
        allow_insecure_platforms=allow_insecure,
        auto_approve_registrations=_bool(
            "AUTO_APPROVE_REGISTRATIONS", source["AUTO_APPROVE_REGISTRATIONS"], problems
        ),
        devlms_enabled=devlms,
        jwt_leeway_seconds=_int(
            "JWT_LEEWAY_SECONDS", source["JWT_LEEWAY_SECONDS"], 0, 60, problems
        ),
        key_rotation_overlap_days=_int(
            "KEY_ROTATION_OVERLAP_DAYS", source["KEY_ROTATION_OVERLAP_DAYS"], 0, 365, problems
        ),
        session_minutes=_int("SESSION_MINUTES", source["SESSION_MINUTES"], 5, 24 * 60, problems),
        max_upload_mb=_int("MAX_UPLOAD_MB", source["MAX_UPLOAD_MB"], 1, 2048, problems),
        instance_path=str(instance),
        start_worker=_bool("START_WORKER", source["START_WORKER"], problems),
    )
    if problems:
        raise ConfigError(problems)
    return settings
