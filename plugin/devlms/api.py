"""Machine endpoints of the dev LMS: JWKS, openid-configuration, token, AGS, NRPS, registration,
and the development-only /_dev endpoints (stats, faults, reset, key rotation, placements)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, request

from .data import list_placements
from .errors import RegistrationError, ServiceError, TokenError
from .faults import apply_fault, clear_faults, list_faults, set_fault
from .keys import platform_jwks, rotate_signing_key
from .registration import openid_configuration, register_tool
from .runtime import DevLms, current_devlms
from .seed import COURSE, seed_defaults, seed_from_settings
from .services import (
    ApiResponse,
    create_line_item_from_json,
    line_item_json,
    list_line_items_page,
    list_memberships_page,
    list_results_page,
    own_line_item,
    post_score,
    remove_line_item,
    replace_line_item,
)
from .tokens import check_bearer, issue_access_token
from .vocab import (
    MEDIA_LINEITEM,
    MEDIA_LINEITEM_CONTAINER,
    MEDIA_MEMBERSHIP_CONTAINER,
    MEDIA_RESULT_CONTAINER,
    MEDIA_SCORE,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
)

logger = logging.getLogger(__name__)
bp = Blueprint("devlms_api", __name__)

READ_LINE_ITEMS = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)


def json_response(
    body: Any,
    status: int = 200,
    media_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A JSON response with an explicit media type (application/json by default)."""
    text = "" if body is None else json.dumps(body)
    response = Response(
        text, status=status, mimetype=media_type or "application/json", headers=dict(headers or {})
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Response:
    headers = {"WWW-Authenticate": f'Bearer error="{exc.code}"'} if exc.status in (401, 403) else {}
    return json_response(
        {"error": exc.code, "error_description": exc.message}, exc.status, headers=headers
    )


@bp.app_errorhandler(TokenError)
def _token_error(exc: TokenError) -> Response:
    return json_response({"error": exc.code, "error_description": exc.message}, exc.status)


@bp.app_errorhandler(RegistrationError)
def _registration_error(exc: RegistrationError) -> Response:
    return Response(exc.message, status=exc.status, mimetype="text/plain")


def _require_accept(devlms: DevLms, media_type: str) -> None:
    if devlms.settings.strict_media_types and media_type not in [
        value for value, _quality in request.accept_mimetypes
    ]:
        raise ServiceError("not_acceptable", f"send Accept: {media_type}", status=406)


def _require_content_type(media_type: str) -> None:
    if request.mimetype != media_type:
        raise ServiceError("unsupported_media_type", f"send Content-Type: {media_type}", status=415)


def _json_body() -> object:
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError as exc:
        raise ServiceError("bad_json", "the body is not JSON") from exc


def _answer(result: ApiResponse, media_type: str | None) -> Response:
    if result.status == 204:
        return Response(status=204)
    return json_response(result.body, result.status, media_type, result.headers)


def _guarded(endpoint: str, run: Callable[[DevLms], Response]) -> Response:
    """Apply the endpoint's injected fault, if any, before doing the work."""
    devlms = current_devlms()
    failure = apply_fault(devlms, endpoint)
    return failure if failure is not None else run(devlms)


@bp.get("/jwks")
def jwks() -> Response:
    """The platform's public keys."""
    return json_response(platform_jwks(current_devlms().store))


@bp.get("/.well-known/openid-configuration")
def well_known() -> Response:
    """Platform configuration for dynamic registration."""
    return json_response(openid_configuration(current_devlms().settings))


@bp.post("/token")
def token() -> Response:
    """OAuth2 client credentials grant with a JWT client assertion."""
    return _guarded("token", lambda d: json_response(issue_access_token(d, request.form.to_dict())))


@bp.route("/api/contexts/<context_id>/lineitems", methods=["GET", "POST"])
def lineitems(context_id: str) -> Response:
    """AGS line items container: GET (paged, filtered) or POST (create)."""

    def run(devlms: DevLms) -> Response:
        if request.method == "GET":
            grant = check_bearer(devlms, request.headers.get("Authorization"), READ_LINE_ITEMS)
            _require_accept(devlms, MEDIA_LINEITEM_CONTAINER)
            result = list_line_items_page(devlms, grant, context_id, request.args.to_dict())
            return _answer(result, MEDIA_LINEITEM_CONTAINER)
        grant = check_bearer(devlms, request.headers.get("Authorization"), (SCOPE_LINEITEM,))
        _require_content_type(MEDIA_LINEITEM)
        return _answer(
            create_line_item_from_json(devlms, grant, context_id, _json_body()), MEDIA_LINEITEM
        )

    return _guarded("lineitems", run)


@bp.route(
    "/api/contexts/<context_id>/lineitems/<int:line_item_id>", methods=["GET", "PUT", "DELETE"]
)
def lineitem(context_id: str, line_item_id: int) -> Response:
    """One AGS line item: GET, PUT, DELETE."""

    def run(devlms: DevLms) -> Response:
        authorization = request.headers.get("Authorization")
        if request.method == "GET":
            grant = check_bearer(devlms, authorization, READ_LINE_ITEMS)
            _require_accept(devlms, MEDIA_LINEITEM)
            item = own_line_item(devlms, grant, context_id, line_item_id)
            return json_response(line_item_json(devlms, item), media_type=MEDIA_LINEITEM)
        grant = check_bearer(devlms, authorization, (SCOPE_LINEITEM,))
        if request.method == "DELETE":
            return _answer(remove_line_item(devlms, grant, context_id, line_item_id), None)
        _require_content_type(MEDIA_LINEITEM)
        return _answer(
            replace_line_item(devlms, grant, context_id, line_item_id, _json_body()), MEDIA_LINEITEM
        )

    return _guarded("lineitems", run)


@bp.post("/api/contexts/<context_id>/lineitems/<int:line_item_id>/scores")
def scores(context_id: str, line_item_id: int) -> Response:
    """AGS score publish: 204 when stored, 409 when older than the stored score."""

    def run(devlms: DevLms) -> Response:
        grant = check_bearer(devlms, request.headers.get("Authorization"), (SCOPE_SCORE,))
        _require_content_type(MEDIA_SCORE)
        return _answer(post_score(devlms, grant, context_id, line_item_id, _json_body()), None)

    return _guarded("scores", run)


@bp.get("/api/contexts/<context_id>/lineitems/<int:line_item_id>/results")
def results(context_id: str, line_item_id: int) -> Response:
    """AGS results of a line item (paged, filter user_id)."""

    def run(devlms: DevLms) -> Response:
        grant = check_bearer(devlms, request.headers.get("Authorization"), (SCOPE_RESULT_READONLY,))
        _require_accept(devlms, MEDIA_RESULT_CONTAINER)
        return _answer(
            list_results_page(devlms, grant, context_id, line_item_id, request.args.to_dict()),
            MEDIA_RESULT_CONTAINER,
        )

    return _guarded("results", run)


@bp.get("/api/contexts/<context_id>/memberships")
def memberships(context_id: str) -> Response:
    """NRPS 2.0 membership container (paged, filters role and rlid)."""

    def run(devlms: DevLms) -> Response:
        grant = check_bearer(devlms, request.headers.get("Authorization"), (SCOPE_NRPS,))
        _require_accept(devlms, MEDIA_MEMBERSHIP_CONTAINER)
        return _answer(
            list_memberships_page(devlms, grant, context_id, request.args.to_dict()),
            MEDIA_MEMBERSHIP_CONTAINER,
        )

    return _guarded("memberships", run)


@bp.route("/register", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def register() -> Response:
    """Dynamic registration endpoint (POST with Authorization: Bearer <registration token>)."""
    if request.method != "POST":
        raise RegistrationError("unsupported_operation", "Unsupported operation")
    body = register_tool(current_devlms(), request.headers.get("Authorization"), request.get_data())
    return json_response(body, media_type="application/json")


# -- development-only endpoints --------------------------------------------------------------

SIMPLE_COUNTERS = (
    "token_requests",
    "tokens_issued",
    "token_requests_rejected",
    "id_tokens_issued",
    "scores_received",
    "scores_stored",
    "scores_out_of_order",
    "line_items_created",
    "membership_requests",
    "deep_linking_returns",
    "dynamic_registrations",
)


@bp.get("/_dev/stats")
def stats() -> Response:
    """Counters: token requests and tokens per client, scores, requests and faults per endpoint."""
    devlms = current_devlms()
    body: dict[str, Any] = dict.fromkeys(SIMPLE_COUNTERS, 0)
    body.update(
        {
            "tokens_issued_by_client": {},
            "requests_by_endpoint": {},
            "faults_injected_by_endpoint": {},
        }
    )
    for name, value in devlms.store.counters().items():
        group, _, key = name.partition("/")
        if key:
            body.setdefault(group, {})[key] = value
        else:
            body[name] = value
    body["tool_jwks_fetches"] = devlms.tool_keys.fetches
    return json_response(body)


@bp.route("/_dev/faults", methods=["GET", "POST"])
def faults() -> Response:
    """GET the fault settings; POST {"endpoint", "mode", "retry_after", "count", "delay_ms"}."""
    devlms = current_devlms()
    if request.method == "POST":
        spec = request.get_json(silent=True)
        if not isinstance(spec, dict):
            raise ServiceError("bad_fault", "send a JSON object")
        return json_response(set_fault(devlms, spec).as_json())
    return json_response({"faults": [f.as_json() for f in list_faults(devlms)]})


@bp.post("/_dev/reset")
def reset() -> Response:
    """Reset faults and counters; {"scope": "all"} also wipes data and re-seeds from config."""
    devlms = current_devlms()
    spec = request.get_json(silent=True) or {}
    scope = spec.get("scope", "runtime") if isinstance(spec, dict) else "runtime"
    if scope not in ("runtime", "all"):
        raise ServiceError("bad_reset", "scope must be 'runtime' or 'all'")
    clear_faults(devlms)
    if scope == "all":
        devlms.store.wipe_data()
        devlms.tool_keys.clear()
        seed_defaults(devlms.store)
        seed_from_settings(devlms.store, devlms.settings)
    else:
        devlms.store.execute("DELETE FROM counters")
    devlms.tool_keys.fetches = 0
    return json_response({"reset": scope})


@bp.post("/_dev/rotate_keys")
def rotate_keys() -> Response:
    """Make a new platform signing key current (old keys stay in the JWKS)."""
    key = rotate_signing_key(current_devlms().store)
    return json_response({"kid": key.kid})


@bp.get("/_dev/placements")
def placements() -> Response:
    """Placements of the course with their line item URLs, for tests and scripts."""
    devlms = current_devlms()
    context_id = request.args.get("context_id", COURSE.id)
    body = [
        {
            "id": p.id,
            "client_id": p.client_id,
            "title": p.title,
            "text": p.text,
            "url": p.url,
            "custom": dict(p.custom),
            "source": p.source,
            "lineitem": None
            if p.line_item_id is None
            else devlms.urls.lineitem(p.context_id, p.line_item_id),
        }
        for p in list_placements(devlms.store, context_id)
    ]
    return json_response(body)
