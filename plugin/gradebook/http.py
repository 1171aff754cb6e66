"""HTTP toward an LMS: sessions with our User-Agent, error classes, `Link` and `Retry-After`
parsing, and the per-platform concurrency limit shared by every worker through the store.

Transient failures (408, 409, 429, 5xx, timeouts, connection errors) are retried later;
any other 4xx is permanent and keeps the LMS's own message for the instructor.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urljoin

import requests

from ..errors import MicrocredError
from ..ops.outbound import GuardedSession, OutboundError
from ..ops.settings import ops_settings
from ..store import Store
from .settings import gradebook_settings

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({408, 409, 429})
_local = threading.local()
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_REL = re.compile(r"""\brel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.I)


class ServiceCallError(MicrocredError):
    """A call to an LMS service that did not succeed; `transient` ones are tried again later."""

    code = "GRADE_SERVICE"
    title = "The LMS did not accept the request"
    status = 502

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.http_status = http_status
        self.retry_after = retry_after


class PlatformBusy(ServiceCallError):
    """The platform cannot be called right now (every concurrency slot is taken, or another
    worker just heard a transient failure from it): try after `delay` seconds, without counting
    a try."""

    def __init__(self, message: str, delay: float = 0.2) -> None:
        super().__init__(message, transient=True)
        self.delay = delay


def user_agent() -> str:
    """`microcred/<version>`: LMSs (Canvas) expect an identifiable client."""
    try:
        return f"microcred/{version('microcred')}"
    except PackageNotFoundError:  # running from a plain checkout
        return "microcred/0"


def http_session() -> GuardedSession:
    """This thread's guarded session for the current app's settings (connection reuse); never
    shared between threads. The outbound guard (plugin.ops.outbound) checks every destination,
    caps answers at OUTBOUND_MAX_KB and allows loopback LMSs only where OUTBOUND_ALLOW_PRIVATE
    is on (the default outside production)."""
    timeout = gradebook_settings().timeout
    ops = ops_settings()
    key = (timeout, ops.outbound_max_bytes, ops.outbound_allow_private)
    sessions: dict[tuple[Any, ...], GuardedSession] | None = getattr(_local, "sessions", None)
    if sessions is None:
        sessions = _local.sessions = {}
    session = sessions.get(key)
    if session is None:
        session = GuardedSession(
            timeout=timeout,  # type: ignore[arg-type]  # (connect, read) works as well
            max_bytes=ops.outbound_max_bytes,
            allow_private=ops.outbound_allow_private,
        )
        session.headers["User-Agent"] = user_agent()
        sessions[key] = session
    return session


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def next_link(headers: Any, base_url: str) -> str | None:
    """The `rel="next"` URL of a Link header, exactly as sent (header names in any case)."""
    raw = headers.get("Link") if headers is not None else None
    if not raw:
        return None
    for match in _LINK.finditer(raw):
        url, params = match.group(1).strip(), match.group(2)
        for rel in _REL.finditer(params):
            names = (rel.group(1) or rel.group(2) or "").lower().split()
            if "next" in names:
                return urljoin(base_url, url) if url else None
    return None


def lms_message(response: requests.Response) -> str:
    """The LMS's explanation of a failed call, short, for people."""
    text = response.text or ""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        parts = [body.get(k) for k in ("error", "error_description", "message", "reason")]
        nested = body.get("errors")
        if isinstance(nested, list) and nested:
            parts.append(
                str(nested[0].get("message") if isinstance(nested[0], dict) else nested[0])
            )
        text = ": ".join(str(p) for p in parts if p) or text
    text = " ".join(text.split())
    return text[:500] or (response.reason or "")


def check_response(response: requests.Response, what: str) -> requests.Response:
    """Return a 2xx response; raise ServiceCallError (transient or permanent) otherwise."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    transient = status >= 500 or status in TRANSIENT_STATUSES
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    raise ServiceCallError(
        f"{what}: HTTP {status} {lms_message(response)}".strip(),
        transient=transient,
        http_status=status,
        retry_after=retry_after,
    )


def send(
    method: str, url: str, what: str, timeout: tuple[float, float], **kwargs: Any
) -> requests.Response:
    """One HTTP call; network trouble becomes a transient ServiceCallError."""
    try:
        response = http_session().request(
            method, url, timeout=timeout, allow_redirects=False, **kwargs
        )
    except requests.Timeout as exc:
        raise ServiceCallError(f"{what}: the LMS did not answer in time", transient=True) from exc
    except requests.RequestException as exc:
        raise ServiceCallError(
            f"{what}: could not reach the LMS ({type(exc).__name__})", transient=True
        ) from exc
    except OutboundError as exc:
        # A refused destination or an oversized answer stays refused; a broken or too slow
        # answer is network trouble like any other and is tried again later.
        transient = isinstance(exc.__cause__, requests.RequestException) or "slowly" in str(exc)
        raise ServiceCallError(f"{what}: {exc}", transient=transient) from exc
    return check_response(response, what)


# -- per-platform concurrency and pauses, shared by every worker through the store ----------


def _slot_key(registration_id: int, index: int) -> str:
    return f"gradebook:slot:{registration_id}:{index}"


@contextmanager
def platform_slot(
    store: Store, registration_id: int, limit: int, hold_seconds: float, wait_seconds: float
) -> Iterator[bool]:
    """Hold one of `limit` slots of a platform while calling it; yields False if none freed up
    within `wait_seconds`. Slots expire after `hold_seconds`, so a killed worker frees its own."""
    owner = secrets.token_hex(8)
    ttl = max(1, int(hold_seconds + 1))
    deadline = time.monotonic() + wait_seconds
    held: str | None = None
    while held is None:
        for index in range(limit):
            if store.add(_slot_key(registration_id, index), owner, ttl):
                held = _slot_key(registration_id, index)
                break
        if held is None:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.01)
    try:
        yield held is not None
    finally:
        if held is not None and store.get(held) == owner:
            store.delete(held)


def pause_platform(store: Store, registration_id: int, seconds: float) -> None:
    """Hold every delivery to a platform for `seconds` (its Retry-After on a 429)."""
    if seconds > 0:
        until = time.time() + seconds
        current = paused_until(store, registration_id)
        if current is None or current < until:
            store.set(f"gradebook:pause:{registration_id}", repr(until), int(seconds) + 1)


def paused_until(store: Store, registration_id: int) -> float | None:
    """The epoch second a paused platform may be called again, or None."""
    raw = store.get(f"gradebook:pause:{registration_id}")
    if raw is None:
        return None
    until = float(raw)
    return until if until > time.time() else None
