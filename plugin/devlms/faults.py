"""Fault injection for the tool's grade delivery tests: 500s, 429s with Retry-After, hangs, latency.

A fault is set per endpoint (scores, token, lineitems, results, memberships) through P/_dev/faults,
kept in the database, and applied before the endpoint does any work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flask import Response, jsonify

from .errors import ServiceError
from .runtime import DevLms

logger = logging.getLogger(__name__)

ENDPOINTS = ("scores", "token", "lineitems", "results", "memberships")
MODES = ("ok", "error500", "rate429", "hang")


@dataclass(frozen=True)
class Fault:
    """How one endpoint misbehaves: `remaining` failures left (None: until changed)."""

    endpoint: str
    mode: str = "ok"
    retry_after: int | None = None
    remaining: int | None = None
    delay_ms: int = 0

    def as_json(self) -> dict[str, Any]:
        """The JSON shape P/_dev/faults speaks (`count` for remaining failures)."""
        body = asdict(self)
        body["count"] = body.pop("remaining")
        return body


def _int_or_none(spec: Mapping[str, Any], key: str, minimum: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ServiceError("bad_fault", f"{key!r} must be a number >= {minimum} or null")
    return int(value)


def set_fault(devlms: DevLms, spec: Mapping[str, Any]) -> Fault:
    """Validate and store a fault from {"endpoint", "mode", "retry_after", "count", "delay_ms"}."""
    endpoint, mode = spec.get("endpoint"), spec.get("mode", "ok")
    if endpoint not in ENDPOINTS:
        raise ServiceError("bad_fault", f"endpoint must be one of {', '.join(ENDPOINTS)}")
    if mode not in MODES:
        raise ServiceError("bad_fault", f"mode must be one of {', '.join(MODES)}")
    fault = Fault(
        endpoint=endpoint,
        mode=mode,
        retry_after=_int_or_none(spec, "retry_after", 0),
        remaining=_int_or_none(spec, "count", 1),
        delay_ms=_int_or_none(spec, "delay_ms", 0) or 0,
    )
    devlms.store.execute(
        "INSERT OR REPLACE INTO faults (endpoint, mode, retry_after, remaining, delay_ms) "
        "VALUES (?,?,?,?,?)",
        (fault.endpoint, fault.mode, fault.retry_after, fault.remaining, fault.delay_ms),
    )
    devlms.hangs.release_all()
    logger.info("dev LMS fault set: %s", fault)
    return fault


def list_faults(devlms: DevLms) -> list[Fault]:
    """Every endpoint's current fault setting."""
    rows = {r["endpoint"]: r for r in devlms.store.query("SELECT * FROM faults")}
    return [
        Fault(e, rows[e]["mode"], rows[e]["retry_after"], rows[e]["remaining"], rows[e]["delay_ms"])
        if e in rows
        else Fault(e)
        for e in ENDPOINTS
    ]


def clear_faults(devlms: DevLms) -> None:
    """Back to normal everywhere; hung requests are released."""
    devlms.store.execute("DELETE FROM faults")
    devlms.hangs.release_all()


def take_fault(devlms: DevLms, endpoint: str) -> Fault:
    """The fault this request gets, counting one use of a limited fault."""
    store = devlms.store
    with store.transaction():
        store.bump(f"requests_by_endpoint/{endpoint}")
        row = store.query_one("SELECT * FROM faults WHERE endpoint = ?", (endpoint,))
        if row is None:
            return Fault(endpoint)
        fault = Fault(endpoint, row["mode"], row["retry_after"], row["remaining"], row["delay_ms"])
        if fault.mode != "ok":
            store.bump(f"faults_injected_by_endpoint/{endpoint}")
            if fault.remaining is not None:
                left = fault.remaining - 1
                store.execute(
                    "UPDATE faults SET remaining = ?, mode = ? WHERE endpoint = ?",
                    (left or None, fault.mode if left > 0 else "ok", endpoint),
                )
    return fault


def apply_fault(devlms: DevLms, endpoint: str) -> Response | None:
    """Sleep the configured latency, then return the failure response to send, if any."""
    fault = take_fault(devlms, endpoint)
    if fault.delay_ms:
        time.sleep(fault.delay_ms / 1000)
    if fault.mode == "error500":
        response = jsonify(error="injected_fault", error_description="injected HTTP 500")
        response.status_code = 500
        return response
    if fault.mode == "rate429":
        response = jsonify(error="rate_limited", error_description="injected HTTP 429")
        response.status_code = 429
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if fault.mode == "hang":
        devlms.hangs.wait(devlms.settings.hang_seconds)
        response = jsonify(error="injected_hang", error_description="the request hung")
        response.status_code = 504
        return response
    return None
