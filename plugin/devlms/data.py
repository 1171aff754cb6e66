"""Records of the dev LMS (tools, users, the course, placements) and their queries."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .lineitems import create_line_item, get_line_item, update_line_item
from .store import Store, dumps, loads
from .vocab import ALL_SCOPES, ROLE_INSTITUTION_ADMIN, ROLE_INSTRUCTOR, ROLE_LEARNER


@dataclass(frozen=True)
class Tool:
    """A registered tool (a client of this platform)."""

    client_id: str
    name: str
    deployment_id: str
    login_url: str
    redirect_uris: tuple[str, ...]
    target_link_uri: str
    deep_link_url: str | None = None
    jwks_url: str | None = None
    jwks: Mapping[str, Any] | None = None
    scopes: tuple[str, ...] = ALL_SCOPES
    custom: Mapping[str, str] = field(default_factory=dict)
    claims: tuple[str, ...] | None = None  # None: every identity claim may be sent
    active: bool = True
    source: str = "config"

    @property
    def origins(self) -> list[str]:
        """Web origins the tool's pages are served from (for postMessage origin checks)."""
        found: list[str] = []
        for url in (self.login_url, *self.redirect_uris, self.target_link_uri, self.deep_link_url):
            if url:
                parts = urlsplit(url)
                origin = f"{parts.scheme}://{parts.netloc}"
                if origin not in found:
                    found.append(origin)
        return found

    def may_receive(self, claim: str) -> bool:
        """Whether the tool asked for (or by default gets) the identity claim `claim`."""
        return self.claims is None or claim in self.claims


@dataclass(frozen=True)
class User:
    """A person on the platform; `handle` is what the `?as=` picker uses, `sub` what tools see."""

    handle: str
    sub: str
    given_name: str | None
    family_name: str | None
    email: str | None
    context_roles: tuple[str, ...]
    institution_roles: tuple[str, ...]
    enrolled: bool
    share_name: bool
    share_email: bool

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p) or self.handle

    @property
    def roles(self) -> list[str]:
        return [*self.context_roles, *self.institution_roles]

    @property
    def label(self) -> str:
        """A short role name for people: Administrator, Instructor, Student, Staff, ..."""
        if ROLE_INSTITUTION_ADMIN in self.institution_roles:
            return "Administrator"
        if self.is_instructor:
            return "Instructor"
        if self.is_learner:
            return "Student"
        roles = self.institution_roles or self.context_roles
        return roles[0].rsplit("#", 1)[-1] if roles else "Guest"

    @property
    def is_instructor(self) -> bool:
        return ROLE_INSTRUCTOR in self.context_roles

    @property
    def is_learner(self) -> bool:
        return ROLE_LEARNER in self.context_roles


@dataclass(frozen=True)
class Context:
    """A course."""

    id: str
    label: str
    title: str


@dataclass(frozen=True)
class Placement:
    """A resource link: a placed activity of one tool in one course."""

    id: str
    context_id: str
    client_id: str
    title: str
    text: str | None
    url: str
    custom: Mapping[str, str]
    line_item_id: int | None
    source: str


def _tool(row: sqlite3.Row) -> Tool:
    claims = loads(row["claims"])
    return Tool(
        client_id=row["client_id"],
        name=row["name"],
        deployment_id=row["deployment_id"],
        login_url=row["login_url"],
        redirect_uris=tuple(loads(row["redirect_uris"])),
        target_link_uri=row["target_link_uri"],
        deep_link_url=row["deep_link_url"],
        jwks_url=row["jwks_url"],
        jwks=loads(row["jwks"]),
        scopes=tuple(loads(row["scopes"])),
        custom=loads(row["custom"]),
        claims=None if claims is None else tuple(claims),
        active=bool(row["active"]),
        source=row["source"],
    )


def tool_from_mapping(entry: Mapping[str, Any], source: str = "config") -> Tool:
    """A Tool from a DEVLMS_TOOLS entry."""
    claims = entry.get("claims")
    return Tool(
        client_id=str(entry["client_id"]),
        name=str(entry["name"]),
        deployment_id=str(entry["deployment_id"]),
        login_url=entry["login_url"],
        redirect_uris=tuple(entry["redirect_uris"]),
        target_link_uri=entry["target_link_uri"],
        deep_link_url=entry.get("deep_link_url"),
        jwks_url=entry.get("jwks_url"),
        jwks=entry.get("jwks"),
        scopes=tuple(entry.get("scopes") or ALL_SCOPES),
        custom={str(k): str(v) for k, v in (entry.get("custom") or {}).items()},
        claims=None if claims is None else tuple(claims),
        active=bool(entry.get("active", True)),
        source=source,
    )


def save_tool(store: Store, tool: Tool, registration: Mapping[str, Any] | None = None) -> Tool:
    """Insert or replace a tool by client_id."""
    store.execute(
        "INSERT OR REPLACE INTO tools (client_id, name, deployment_id, login_url, redirect_uris, "
        "target_link_uri, deep_link_url, jwks_url, jwks, scopes, custom, claims, active, source, "
        "registration, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            tool.client_id,
            tool.name,
            tool.deployment_id,
            tool.login_url,
            dumps(list(tool.redirect_uris)),
            tool.target_link_uri,
            tool.deep_link_url,
            tool.jwks_url,
            None if tool.jwks is None else dumps(tool.jwks),
            dumps(list(tool.scopes)),
            dumps(dict(tool.custom)),
            None if tool.claims is None else dumps(list(tool.claims)),
            int(tool.active),
            tool.source,
            None if registration is None else dumps(registration),
            time.time(),
        ),
    )
    return tool


def get_tool(store: Store, client_id: str) -> Tool | None:
    """The tool with this client_id, or None."""
    row = store.query_one("SELECT * FROM tools WHERE client_id = ?", (client_id,))
    return None if row is None else _tool(row)


def list_tools(store: Store, *, active_only: bool = False) -> list[Tool]:
    """Registered tools, oldest first."""
    where = " WHERE active = 1" if active_only else ""
    return [_tool(r) for r in store.query(f"SELECT * FROM tools{where} ORDER BY created_at")]  # noqa: S608


def set_tool_active(store: Store, client_id: str, active: bool) -> None:
    """Activate or deactivate a tool."""
    store.execute("UPDATE tools SET active = ? WHERE client_id = ?", (int(active), client_id))


def _user(row: sqlite3.Row) -> User:
    return User(
        handle=row["handle"],
        sub=row["sub"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        email=row["email"],
        context_roles=tuple(loads(row["context_roles"])),
        institution_roles=tuple(loads(row["institution_roles"])),
        enrolled=bool(row["enrolled"]),
        share_name=bool(row["share_name"]),
        share_email=bool(row["share_email"]),
    )


def save_user(store: Store, user: User, position: int) -> None:
    """Insert or replace a user."""
    store.execute(
        "INSERT OR REPLACE INTO users (handle, sub, given_name, family_name, email, context_roles, "
        "institution_roles, enrolled, share_name, share_email, position) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            user.handle,
            user.sub,
            user.given_name,
            user.family_name,
            user.email,
            dumps(list(user.context_roles)),
            dumps(list(user.institution_roles)),
            int(user.enrolled),
            int(user.share_name),
            int(user.share_email),
            position,
        ),
    )


def get_user(store: Store, handle: str) -> User | None:
    """The user with this handle (e.g. "grace"), or None."""
    row = store.query_one("SELECT * FROM users WHERE handle = ?", (handle,))
    return None if row is None else _user(row)


def get_user_by_sub(store: Store, sub: str) -> User | None:
    """The user tools know by `sub`, or None."""
    row = store.query_one("SELECT * FROM users WHERE sub = ?", (sub,))
    return None if row is None else _user(row)


def list_users(store: Store) -> list[User]:
    """Every user, in picker order."""
    return [_user(r) for r in store.query("SELECT * FROM users ORDER BY position")]


def list_members(store: Store) -> list[User]:
    """Users enrolled in the course (the NRPS roster and the gradebook rows)."""
    return [u for u in list_users(store) if u.enrolled]


def save_context(store: Store, context: Context) -> None:
    """Insert or replace a course."""
    store.execute(
        "INSERT OR REPLACE INTO contexts (id, label, title) VALUES (?,?,?)",
        (context.id, context.label, context.title),
    )


def get_context(store: Store, context_id: str) -> Context | None:
    """The course with this id, or None."""
    row = store.query_one("SELECT * FROM contexts WHERE id = ?", (context_id,))
    return None if row is None else Context(row["id"], row["label"], row["title"])


def _placement(row: sqlite3.Row) -> Placement:
    return Placement(
        id=row["id"],
        context_id=row["context_id"],
        client_id=row["client_id"],
        title=row["title"],
        text=row["text"],
        url=row["url"],
        custom=loads(row["custom"]),
        line_item_id=row["line_item_id"],
        source=row["source"],
    )


def get_placement(store: Store, placement_id: str) -> Placement | None:
    """The placement (resource link) with this id, or None."""
    row = store.query_one("SELECT * FROM placements WHERE id = ?", (placement_id,))
    return None if row is None else _placement(row)


def list_placements(store: Store, context_id: str, client_id: str | None = None) -> list[Placement]:
    """Placements of a course in the order they were added."""
    if client_id is None:
        rows = store.query(
            "SELECT * FROM placements WHERE context_id = ? ORDER BY seq", (context_id,)
        )
    else:
        rows = store.query(
            "SELECT * FROM placements WHERE context_id = ? AND client_id = ? ORDER BY seq",
            (context_id, client_id),
        )
    return [_placement(r) for r in rows]


def save_placement(
    store: Store,
    *,
    context_id: str,
    client_id: str,
    title: str,
    url: str,
    custom: Mapping[str, Any] | None = None,
    text: str | None = None,
    line_item: Mapping[str, Any] | None = None,
    placement_id: str | None = None,
    source: str = "api",
) -> Placement:
    """Create (or update, when `placement_id` exists) a placement and its line item in one go.

    `line_item` has the deep linking shape: {label, scoreMaximum, resourceId, tag}.
    """
    custom_map = {str(k): str(v) for k, v in (custom or {}).items()}
    with store.transaction():
        existing = get_placement(store, placement_id) if placement_id else None
        pid = placement_id or f"rl-{secrets.token_hex(5)}"
        line_item_id = existing.line_item_id if existing else None
        if existing:
            store.execute(
                "UPDATE placements SET client_id=?, title=?, text=?, url=?, custom=? WHERE id=?",
                (client_id, title, text, url, dumps(custom_map), pid),
            )
        else:
            store.execute(
                "INSERT INTO placements (id, context_id, client_id, title, text, url, custom, "
                "line_item_id, source, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    pid,
                    context_id,
                    client_id,
                    title,
                    text,
                    url,
                    dumps(custom_map),
                    None,
                    source,
                    time.time(),
                ),
            )
        if line_item is not None:
            label = str(line_item.get("label") or title)
            maximum = float(line_item.get("scoreMaximum", 100))
            resource_id, tag = line_item.get("resourceId"), line_item.get("tag")
            if line_item_id is not None and get_line_item(store, line_item_id) is not None:
                update_line_item(
                    store,
                    line_item_id,
                    label=label,
                    score_maximum=maximum,
                    resource_id=resource_id,
                    tag=tag,
                )
            else:
                created = create_line_item(
                    store,
                    context_id=context_id,
                    client_id=client_id,
                    label=label,
                    score_maximum=maximum,
                    resource_id=resource_id,
                    resource_link_id=pid,
                    tag=tag,
                )
                store.execute(
                    "UPDATE placements SET line_item_id = ? WHERE id = ?", (created.id, pid)
                )
        placement = get_placement(store, pid)
    assert placement is not None
    return placement
