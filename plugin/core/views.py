"""Home page, liveness, readiness and the OpenAPI description of the JSON API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template
from sqlalchemy import text

from ..access import public
from ..extensions import db
from ..web import get_store, settings

bp = Blueprint("core", __name__)


@bp.get("/")
@public("the landing page says what the tool is")
def index() -> str:
    return render_template("core/index.html", settings=settings())


@bp.get("/healthz")
@public("liveness probe for load balancers")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
@public("readiness probe for load balancers")
def readyz() -> tuple[dict[str, Any], int]:
    """Readiness: the database and the store answer."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports any failure instead of raising
        checks["database"] = f"failed: {type(exc).__name__}"
    checks["store"] = "ok" if get_store().ping() else "failed"
    ok = all(v == "ok" for v in checks.values())
    return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


@bp.get("/api/openapi.json")
@public("the API description anyone may read")
def openapi() -> Response:
    """The OpenAPI description of the JSON API (publishing, verification, health)."""
    body = (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")
    return Response(body, mimetype="application/json")
