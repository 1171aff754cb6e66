"""Launch bookkeeping in as few statements as possible: one upsert each for the learner, the
context and the resource link (INSERT ... ON CONFLICT), and on PostgreSQL all three in one
statement (`upsert_launch_records`)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sqlalchemy import bindparam, null, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import psycopg2

from ..db import utcnow
from ..extensions import db
from . import context as c
from .models import Context, Deployment, Learner, ResourceLink


def _insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


@cache
def _upsert_statement(
    dialect: str, model: Any, keys: tuple[str, ...], update: tuple[str, ...], coalesce: bool
) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update... RETURNING id, built once per shape:
    building it (its `excluded` columns) cost more CPU than running it. With `coalesce`, a NULL
    in the new row keeps the stored value."""
    table = model.__table__
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    excluded = stmt.excluded
    set_ = {
        name: (db.func.coalesce(excluded[name], table.c[name]) if coalesce else excluded[name])
        for name in update
    }
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=set_).returning(table.c.id)


def _upsert(
    model: Any, values: dict[str, Any], keys: list[str], update: list[str], coalesce: bool = False
) -> int:
    dialect = db.session.get_bind().dialect.name
    stmt = _upsert_statement(dialect, model, tuple(keys), tuple(update), coalesce)
    return int(db.session.execute(stmt, {"created_at": utcnow(), **values}).scalar_one())


def ensure_deployment(registration_id: int, deployment_id: str, status: str) -> tuple[int, str]:
    """The deployment row for an id first seen in a launch: (id, status). Concurrent-safe."""
    table = Deployment.__table__
    stmt = (
        _insert(table)
        .values(
            registration_id=registration_id,
            deployment_id=deployment_id,
            status=status,
            created_at=utcnow(),
            decided_at=utcnow() if status == "active" else None,
        )
        .on_conflict_do_nothing(index_elements=["registration_id", "deployment_id"])
    )
    db.session.execute(stmt)
    row = db.session.execute(
        db.select(table.c.id, table.c.status).where(
            table.c.registration_id == registration_id, table.c.deployment_id == deployment_id
        )
    ).one()
    return int(row[0]), str(row[1])


def learner_values(claims: dict[str, Any], registration_id: int) -> dict[str, Any]:
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    return {
        "issuer": claims["iss"],
        "sub": claims["sub"],
        "name": c.display_name(claims),
        "email": email,
        "registration_id": registration_id,
    }


def upsert_learner(claims: dict[str, Any], registration_id: int) -> int:
    """The learner (issuer, sub); name and email follow the latest launch that sends them."""
    values = learner_values(claims, registration_id)
    # Keep what we knew when a launch (say, a privacy-restricted one) omits it.
    return _upsert(Learner, values, ["issuer", "sub"], ["name", "email"], coalesce=True)


def context_values(
    claims: dict[str, Any], registration_id: int, deployment_pk: int
) -> dict[str, Any] | None:
    ctx = claims.get(c.CONTEXT)
    if not isinstance(ctx, dict) or not isinstance(ctx.get("id"), str) or not ctx["id"]:
        return None
    return {
        "registration_id": registration_id,
        "deployment_pk": deployment_pk,
        "context_id": ctx["id"][:255],
        "title": str(ctx.get("title") or "")[:500],
        "label": str(ctx.get("label") or "")[:255],
    }


def upsert_context(claims: dict[str, Any], registration_id: int, deployment_pk: int) -> int | None:
    """The context (course) of the launch, or None when the launch has none."""
    values = context_values(claims, registration_id, deployment_pk)
    if values is None:
        return None
    return _upsert(Context, values, ["deployment_pk", "context_id"], ["title", "label"])


def link_values(
    claims: dict[str, Any], deployment_pk: int, context_pk: int | None
) -> dict[str, Any] | None:
    link = claims.get(c.RESOURCE_LINK)
    if claims.get(c.MESSAGE_TYPE) != c.RESOURCE_LINK_REQUEST or not isinstance(link, dict):
        return None
    ags = c.parse_ags(claims)
    return {
        "deployment_pk": deployment_pk,
        "context_pk": context_pk,
        "resource_link_id": str(link["id"])[:255],
        "title": str(link.get("title") or "")[:500],
        "target_link_uri": claims[c.TARGET_LINK_URI][:2048],
        "custom": json.dumps(c.custom_params(claims)),
        "ags_lineitem": ags.lineitem if ags else None,
        "ags_lineitems": ags.lineitems if ags else None,
        "nrps_url": c.parse_nrps(claims),
    }


def upsert_resource_link(
    claims: dict[str, Any], deployment_pk: int, context_pk: int | None
) -> int | None:
    """The resource link of a resource launch with its service endpoints; None otherwise."""
    values = link_values(claims, deployment_pk, context_pk)
    if values is None:
        return None
    keys, update, _ = _LINK
    return _upsert(ResourceLink, values, list(keys), list(update))


def _pg_upsert(
    model: Any,
    prefix: str,
    keys: tuple[str, ...],
    update: tuple[str, ...],
    coalesce: bool,
    given: dict[str, Any],
) -> Any:
    """A PostgreSQL upsert of `model` whose values are bound as `prefix` + column name (or are
    the expressions in `given`), returning id."""
    table = model.__table__
    names = [col.name for col in table.c if col.name != "id"]
    values = {
        name: given[name] if name in given else bindparam(prefix + name, type_=table.c[name].type)
        for name in names
    }
    stmt = postgresql.insert(table).values(values)
    excluded = stmt.excluded
    set_ = {
        name: (db.func.coalesce(excluded[name], table.c[name]) if coalesce else excluded[name])
        for name in update
    }
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=set_).returning(table.c.id)


@cache
def _launch_statement(has_context: bool, has_link: bool) -> Any:
    """Learner, context and resource link upserts as one PostgreSQL statement (data-modifying
    CTEs), returning their three ids: one round trip instead of three."""
    learner = _pg_upsert(Learner, "l_", *_LEARNER, {}).cte("mc_learner")
    ids: list[Any] = [select(learner.c.id).scalar_subquery()]
    context_id: Any = null()
    if has_context:
        context = _pg_upsert(Context, "c_", *_CONTEXT, {}).cte("mc_context")
        context_id = select(context.c.id).scalar_subquery()
    ids.append(context_id)
    if has_link:
        link = _pg_upsert(ResourceLink, "r_", *_LINK, {"context_pk": context_id}).cte("mc_link")
        ids.append(select(link.c.id).scalar_subquery())
    else:
        ids.append(null())
    # Executed as text with typed binds: SQLAlchemy would otherwise walk this large statement
    # on every launch to compute its cache key, which cost more CPU than the query itself.
    compiled = select(*ids).compile(dialect=psycopg2.dialect(paramstyle="named"))
    binds = [bindparam(name, type_=bind.type) for name, bind in compiled.binds.items()]
    return text(compiled.string).bindparams(*binds)


_LEARNER = (("issuer", "sub"), ("name", "email"), True)
_CONTEXT = (("deployment_pk", "context_id"), ("title", "label"), False)
_LINK = (
    ("deployment_pk", "resource_link_id"),
    (
        "context_pk",
        "title",
        "target_link_uri",
        "custom",
        "ags_lineitem",
        "ags_lineitems",
        "nrps_url",
    ),
    False,
)


def upsert_launch_records(
    claims: dict[str, Any], registration_id: int, deployment_pk: int
) -> tuple[int, int | None, int | None]:
    """(learner id, context id or None, resource link id or None) of a validated launch: one
    statement on PostgreSQL, the three upserts above on SQLite."""
    if db.session.get_bind().dialect.name != "postgresql":
        learner = upsert_learner(claims, registration_id)
        context = upsert_context(claims, registration_id, deployment_pk)
        return learner, context, upsert_resource_link(claims, deployment_pk, context)
    now = utcnow()
    params: dict[str, Any] = {
        f"l_{k}": v for k, v in learner_values(claims, registration_id).items()
    } | {"l_created_at": now}
    ctx = context_values(claims, registration_id, deployment_pk)
    if ctx is not None:
        params |= {f"c_{k}": v for k, v in ctx.items()} | {"c_created_at": now}
    link = link_values(claims, deployment_pk, None)
    if link is not None:
        link.pop("context_pk")
        params |= {f"r_{k}": v for k, v in link.items()} | {"r_created_at": now}
    stmt = _launch_statement(ctx is not None, link is not None)
    row = db.session.execute(stmt, params).one()
    return int(row[0]), row[1], row[2]
