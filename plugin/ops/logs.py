"""Structured logs: one JSON object a line with the request id, and no personal data.

`init_app` configures the `plugin` logger (and Flask's) once per process and logs one access line
per request: method, path without its query string (session tokens travel there inside LMS
iframes), status, duration and endpoint. E-mail addresses in any message are masked as a
safety net; the house rule stays: never log names, e-mails, tokens, keys or answers.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

from flask import Flask, Response, g, has_request_context, request

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
#: The record attribute that carries an access line's fields (method, path, status, ...).
ACCESS_FIELDS = "access_fields"
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    ACCESS_FIELDS,
}
HANDLER_NAME = "microcred"
access_log = logging.getLogger("plugin.access")


def scrub(text: str) -> str:
    """`text` with e-mail addresses masked."""
    return _EMAIL.sub("[email]", text) if "@" in text else text


_ts_cache: tuple[int, str] = (-1, "")


def _timestamp(created: float) -> str:
    """ISO 8601 UTC with milliseconds; the part up to the second is formatted once a second."""
    global _ts_cache
    second = int(created)
    cached = _ts_cache
    if cached[0] != second:
        cached = _ts_cache = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{int((created - second) * 1000):03d}+00:00"


def _entry_head(
    created: float, level: str, logger: str, message: str, request_id: str
) -> dict[str, Any]:
    """The fields every JSON line starts with, in this order."""
    return {
        "ts": _timestamp(created),
        "level": level,
        "logger": logger,
        "message": scrub(message),
        "request_id": request_id,
    }


class WerkzeugAccessFilter(logging.Filter):
    """Drops the development server's own request lines: the access log already has one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != '"%s" %s %s'


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record made while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "") if has_request_context() else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = _entry_head(
            record.created,
            record.levelname,
            record.name,
            record.getMessage(),
            getattr(record, "request_id", ""),
        )
        fields = record.__dict__.get(ACCESS_FIELDS)
        if fields is not None:  # an access line: its fields are known and safe (no query)
            entry.update(fields)
        else:
            for key, value in vars(record).items():
                if key not in _STANDARD and key[0] != "_":
                    entry[key] = value if isinstance(value, int | float) else scrub(str(value))
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """A readable line for a terminal, scrubbed like the JSON one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class StderrHandler(logging.StreamHandler):
    """Writes to the current `sys.stderr` (test runners and daemons swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(log_format: str, level: str) -> None:
    """Install (or re-configure) the one handler on the `plugin` logger."""
    logger = logging.getLogger("plugin")
    handler = next((h for h in logger.handlers if h.get_name() == HANDLER_NAME), None)
    if handler is None:
        handler = StderrHandler()
        handler.set_name(HANDLER_NAME)
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger.setLevel(level)
    # Flask adds its default stderr handler to the app's logger ("plugin") when it finds none:
    # with ours there too, every line would be written twice.
    if _flask_default_handler() in logger.handlers:
        logger.removeHandler(_flask_default_handler())
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, WerkzeugAccessFilter) for f in werkzeug.filters):
        werkzeug.addFilter(WerkzeugAccessFilter())


def _flask_default_handler() -> logging.Handler:
    from flask.logging import default_handler

    return default_handler


def _direct_handler() -> logging.Handler | None:
    """Our JSON handler when it alone would see an access record (the setup configure_logging
    makes, nothing added by an operator's logging config); else None."""
    if access_log.handlers or access_log.filters or access_log.level or not access_log.propagate:
        return None
    parent = logging.getLogger("plugin")
    if len(parent.handlers) != 1 or parent.filters:
        return None
    if parent.propagate and logging.getLogger().handlers:
        return None  # the root logger would print it too
    handler = parent.handlers[0]
    if handler.get_name() != HANDLER_NAME or handler.level > logging.INFO:
        return None
    if type(handler.formatter) is not JsonFormatter:
        return None
    return handler


def _write_direct(message: str, request_id: str, fields: dict[str, Any]) -> bool:
    """Write an access line exactly as JsonFormatter would, without building a LogRecord (the
    logging machinery cost more CPU than the rest of a page's bookkeeping); False when the
    logging setup is not ours, or the write failed, so the caller goes through logging."""
    handler = _direct_handler()
    if handler is None:
        return False
    entry = _entry_head(time.time(), "INFO", access_log.name, message, request_id) | fields
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    handler.acquire()
    try:
        stream = handler.stream  # type: ignore[attr-defined]
        stream.write(line)
        stream.flush()
    except Exception:  # a closed or broken stream: logging reports it its own way
        return False
    finally:
        handler.release()
    return True


def init_app(app: Flask, log_format: str, level: str) -> None:
    """Configure logging and log one access line per request."""
    configure_logging(log_format, level)

    @app.before_request
    def _start_clock() -> None:
        g.ops_started = time.perf_counter()

    @app.after_request
    def _access(response: Response) -> Response:
        # One line per request, made directly (no caller lookup, no generic extras walk): the
        # access line is the one log written on every request.
        if not access_log.isEnabledFor(logging.INFO):
            return response
        started = g.get("ops_started")
        took = round((time.perf_counter() - started) * 1000, 1) if started else None
        method, path, status = request.method, request.path, response.status_code
        request_id = g.get("request_id", "")
        fields = {
            "method": method,
            "path": scrub(path),
            "status": status,
            "duration_ms": took,
            "endpoint": request.endpoint or "",
        }
        if _write_direct(f"{method} {path} {status}", request_id, fields):
            return response
        record = access_log.makeRecord(
            access_log.name, logging.INFO, __file__, 0, "%s %s %s", (method, path, status), None
        )
        record.request_id = request_id
        record.access_fields = fields
        access_log.handle(record)
        return response
