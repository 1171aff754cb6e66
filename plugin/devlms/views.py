"""Pages of the dev LMS: the course page, launches in an iframe, OIDC auth, deep linking return,
gradebook, tool administration and the Platform Storage frame."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from .api import json_response
from .data import (
    Placement,
    Tool,
    User,
    get_context,
    get_placement,
    get_tool,
    get_user,
    list_members,
    list_placements,
    list_tools,
    list_users,
    set_tool_active,
)
from .deeplinking import receive_deep_linking_response
from .errors import AuthError, DeepLinkingError, DevLmsError
from .lineitems import get_line_item, list_line_items, list_scores
from .oidc import STORAGE_FRAME, LoginInitiation, check_auth_request, issue_id_token, start_login
from .registration import new_registration_token
from .runtime import DevLms, current_devlms
from .seed import COURSE

logger = logging.getLogger(__name__)
bp = Blueprint("devlms", __name__)


@bp.app_errorhandler(AuthError)
@bp.app_errorhandler(DeepLinkingError)
def _page_error(exc: DevLmsError) -> tuple[str, int, dict[str, str]]:
    logger.info("dev LMS refused a request: %s", exc)
    return (
        render_template("devlms/error.html", error=exc),
        exc.status,
        {"X-Devlms-Error": exc.code},
    )


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
    if request.path.startswith(("/api/", "/_dev/")):
        return json_response(
            {
                "error": (exc.name or "error").lower().replace(" ", "_"),
                "error_description": exc.description,
            },
            exc.code or 500,
        )
    error = DevLmsError(
        (exc.name or "error").lower().replace(" ", "_"), exc.description or "", exc.code
    )
    return render_template("devlms/error.html", error=error), exc.code or 500


def _href(endpoint: str, query: dict[str, str], **path: Any) -> str:
    return f"{url_for(endpoint, **path)}?{urlencode(query)}"


def _as_user(devlms: DevLms) -> User:
    handle = request.args.get("as") or devlms.settings.default_user
    user = get_user(devlms.store, handle)
    if user is None:
        abort(404, description=f"No user {handle!r} on this platform.")
    return user


def _page(template: str, devlms: DevLms, user: User, **values: Any) -> str:
    return render_template(
        template,
        user=user,
        users=list_users(devlms.store),
        course=get_context(devlms.store, COURSE.id),
        **values,
    )


def _storage_config(tool: Tool | None) -> dict[str, Any]:
    return {"frame": STORAGE_FRAME, "origins": tool.origins if tool else []}


@bp.get("/")
def home() -> str:
    """The course page: who you are, the placed activities, "Add content" for instructors."""
    devlms = current_devlms()
    user = _as_user(devlms)
    tools = {t.client_id: t for t in list_tools(devlms.store)}
    placements = list_placements(devlms.store, COURSE.id)
    maxima = {
        p.id: item.score_maximum
        for p in placements
        if p.line_item_id is not None
        and (item := get_line_item(devlms.store, p.line_item_id)) is not None
    }
    pickers = [t for t in tools.values() if t.active and t.deep_link_url]
    return _page(
        "devlms/home.html",
        devlms,
        user,
        placements=placements,
        tools=tools,
        maxima=maxima,
        pickers=pickers,
        lti_msg=request.args.get("lti_msg"),
        lti_errormsg=request.args.get("lti_errormsg"),
    )


def _placement_tool(devlms: DevLms, placement_id: str) -> tuple[Placement, Tool]:
    placement = get_placement(devlms.store, placement_id)
    if placement is None:
        abort(404, description=f"No placement {placement_id!r}.")
    tool = get_tool(devlms.store, placement.client_id)
    assert tool is not None
    return placement, tool


@bp.get("/launch/<placement_id>")
def launch(placement_id: str) -> str:
    """The course chrome around the tool's iframe (which starts the OIDC login)."""
    devlms = current_devlms()
    user = _as_user(devlms)
    placement, tool = _placement_tool(devlms, placement_id)
    start = _href(".launch_initiate", {"as": user.handle}, placement_id=placement.id)
    window = _href(
        ".launch_initiate", {"as": user.handle, "target": "window"}, placement_id=placement.id
    )
    return _page(
        "devlms/launch.html",
        devlms,
        user,
        heading=placement.title,
        tool=tool,
        frame_src=start,
        window_href=window,
        storage=_storage_config(tool),
        storage_on=devlms.settings.platform_storage,
    )


def _initiate(initiation: LoginInitiation) -> ResponseReturnValue:
    method = request.args.get("method", initiation.method)
    if method == "get":
        return redirect(initiation.get_url, code=302)
    return render_template(
        "devlms/autosubmit.html",
        action=initiation.url,
        fields=initiation.params,
        title="Opening the tool",
    )


@bp.get("/launch/<placement_id>/initiate")
def launch_initiate(placement_id: str) -> ResponseReturnValue:
    """Third-party login initiation for a resource link launch (the iframe's first page)."""
    devlms = current_devlms()
    user = _as_user(devlms)
    placement, tool = _placement_tool(devlms, placement_id)
    context = get_context(devlms.store, placement.context_id)
    assert context is not None
    target = "window" if request.args.get("target") == "window" else "iframe"
    initiation = start_login(
        devlms, tool, user, context, placement=placement, document_target=target
    )
    if target == "window":
        initiation.params.pop("lti_storage_target", None)  # no storage frame beside a window
    return _initiate(initiation)


def _picker_tool(devlms: DevLms, user: User) -> Tool:
    if not user.is_instructor:
        abort(403, description="Only instructors add content.")
    client_id = request.args.get("client_id")
    pickers = [t for t in list_tools(devlms.store, active_only=True) if t.deep_link_url]
    tool = next((t for t in pickers if t.client_id == client_id or client_id is None), None)
    if tool is None:
        abort(404, description="No active tool with a deep linking URL.")
    return tool


@bp.get("/deeplink")
def deeplink() -> str:
    """Add content: the course chrome around the tool's content picker (deep linking)."""
    devlms = current_devlms()
    user = _as_user(devlms)
    tool = _picker_tool(devlms, user)
    start = _href(".deeplink_initiate", {"as": user.handle, "client_id": tool.client_id})
    return _page(
        "devlms/launch.html",
        devlms,
        user,
        heading=f"Add content from {tool.name}",
        tool=tool,
        frame_src=start,
        window_href=None,
        storage=_storage_config(tool),
        storage_on=devlms.settings.platform_storage,
    )


@bp.get("/deeplink/initiate")
def deeplink_initiate() -> ResponseReturnValue:
    """Third-party login initiation for a deep linking request."""
    devlms = current_devlms()
    user = _as_user(devlms)
    tool = _picker_tool(devlms, user)
    return _initiate(start_login(devlms, tool, user, COURSE))


@bp.route("/auth", methods=["GET", "POST"])
def auth() -> str:
    """OIDC authentication endpoint: check the request, form_post the id_token to redirect_uri."""
    devlms = current_devlms()
    grant = check_auth_request(devlms, request.values.to_dict())
    fields = {"id_token": issue_id_token(devlms, grant)}
    if grant.state is not None:
        fields["state"] = grant.state
    return render_template(
        "devlms/autosubmit.html",
        action=grant.redirect_uri,
        fields=fields,
        title="Signing you in to the tool",
    )


@bp.post("/deep_linking_return")
def deep_linking_return() -> str:
    """Deep linking response (form field JWT): place the items, then back to the course."""
    devlms = current_devlms()
    token = request.form.get("JWT", "")
    if not token:
        raise DeepLinkingError("missing_jwt", "POST the response as the form field JWT")
    outcome = receive_deep_linking_response(devlms, token)
    query = {"as": outcome.user_handle}
    if outcome.msg:
        query["lti_msg"] = outcome.msg
    if outcome.errormsg:
        query["lti_errormsg"] = outcome.errormsg
    return render_template(
        "devlms/dl_return.html",
        outcome=outcome,
        course_href=url_for(".home") + "?" + urlencode(query),
    )


@bp.get("/return")
def lti_return() -> str:
    """launch_presentation.return_url: leave the iframe and show the tool's lti_msg/lti_errormsg."""
    query = {k: v for k, v in request.args.items() if k in ("as", "lti_msg", "lti_errormsg")}
    return render_template(
        "devlms/return.html", course_href=url_for(".home") + "?" + urlencode(query)
    )


def _gradebook(devlms: DevLms) -> dict[str, Any]:
    items = list_line_items(devlms.store, COURSE.id)
    students = [u for u in list_members(devlms.store) if u.is_learner]
    cells: dict[tuple[str, int], dict[str, Any]] = {}
    for score in list_scores(devlms.store, [i.id for i in items]):
        item = next(i for i in items if i.id == score.line_item_id)
        scaled = None
        if score.score_given is not None and score.score_maximum:
            scaled = round(score.score_given / score.score_maximum * item.score_maximum, 2)
        cells[(score.user_sub, item.id)] = {
            "score": scaled,
            "maximum": item.score_maximum,
            "comment": score.comment,
            "activityProgress": score.activity_progress,
            "gradingProgress": score.grading_progress,
            "timestamp": score.timestamp,
        }
    return {"items": items, "students": students, "cells": cells}


@bp.get("/gradebook")
def gradebook() -> Response | str:
    """Students x line items with score/maximum and progress; `?format=json` for scripts."""
    devlms = current_devlms()
    book = _gradebook(devlms)
    if request.args.get("format") == "json":
        return json_response(
            {
                "line_items": [
                    {
                        "id": i.id,
                        "label": i.label,
                        "scoreMaximum": i.score_maximum,
                        "client_id": i.client_id,
                        "resourceLinkId": i.resource_link_id,
                        "tag": i.tag,
                        "resourceId": i.resource_id,
                    }
                    for i in book["items"]
                ],
                "rows": [
                    {
                        "user": s.handle,
                        "userId": s.sub,
                        "name": s.name,
                        "scores": {
                            str(i.id): book["cells"].get((s.sub, i.id)) for i in book["items"]
                        },
                    }
                    for s in book["students"]
                ],
            }
        )
    return _page("devlms/gradebook.html", devlms, _as_user(devlms), **book)


def _registration_frame(devlms: DevLms, registration_url: str) -> str | None:
    parts = urlsplit(registration_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    query = [
        *parse_qsl(parts.query, keep_blank_values=True),
        ("openid_configuration", devlms.urls.openid_configuration),
        ("registration_token", new_registration_token(devlms)),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


@bp.get("/admin/tools")
def admin_tools() -> str:
    """Registered tools, and "Register a tool by URL" (dynamic registration in an iframe)."""
    devlms = current_devlms()
    registration_url = request.args.get("registration_url", "").strip()
    frame_src = _registration_frame(devlms, registration_url) if registration_url else None
    origin = ""
    if frame_src:
        parts = urlsplit(frame_src)
        origin = f"{parts.scheme}://{parts.netloc}"
    return _page(
        "devlms/admin_tools.html",
        devlms,
        _as_user(devlms),
        tools=list_tools(devlms.store),
        registration_url=registration_url,
        frame_src=frame_src,
        frame_origin=origin,
        bad_url=bool(registration_url and not frame_src),
    )


@bp.post("/admin/tools/<client_id>/active")
def admin_tool_active(client_id: str) -> ResponseReturnValue:
    """Activate or deactivate a tool (form field `active` = "1" or "0")."""
    devlms = current_devlms()
    if get_tool(devlms.store, client_id) is None:
        abort(404)
    set_tool_active(devlms.store, client_id, request.form.get("active") == "1")
    return redirect(_href(".admin_tools", {"as": request.args.get("as", "admin")}), code=303)


@bp.get("/platform_storage")
def platform_storage() -> str:
    """The Platform Storage frame (lti.capabilities, lti.put_data, lti.get_data by postMessage)."""
    devlms = current_devlms()
    client_id = request.args.get("client_id", "")
    tool = get_tool(devlms.store, client_id) if client_id else None
    return render_template("devlms/platform_storage.html", storage=_storage_config(tool))
