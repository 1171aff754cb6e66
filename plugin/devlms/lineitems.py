"""AGS line items (gradebook columns) and the latest score per user, stored for the dev LMS."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .store import Store


@dataclass(frozen=True)
class LineItem:
    """An AGS line item (a gradebook column)."""

    id: int
    context_id: str
    client_id: str
    label: str
    score_maximum: float
    resource_id: str | None = None
    resource_link_id: str | None = None
    tag: str | None = None
    start_date_time: str | None = None
    end_date_time: str | None = None


@dataclass(frozen=True)
class Score:
    """The latest score a tool sent for one user on one line item."""

    line_item_id: int
    user_sub: str
    score_given: float | None
    score_maximum: float | None
    activity_progress: str
    grading_progress: str
    comment: str | None
    timestamp: str
    ts: float


def _line_item(row: sqlite3.Row) -> LineItem:
    return LineItem(
        id=row["id"],
        context_id=row["context_id"],
        client_id=row["client_id"],
        label=row["label"],
        score_maximum=row["score_maximum"],
        resource_id=row["resource_id"],
        resource_link_id=row["resource_link_id"],
        tag=row["tag"],
        start_date_time=row["start_date_time"],
        end_date_time=row["end_date_time"],
    )


def create_line_item(
    store: Store,
    *,
    context_id: str,
    client_id: str,
    label: str,
    score_maximum: float,
    resource_id: str | None = None,
    resource_link_id: str | None = None,
    tag: str | None = None,
    start_date_time: str | None = None,
    end_date_time: str | None = None,
) -> LineItem:
    """Create a line item; the first one made for a placement becomes that placement's column."""
    with store.transaction():
        cursor = store.execute(
            "INSERT INTO line_items (context_id, client_id, label, score_maximum, resource_id, "
            "resource_link_id, tag, start_date_time, end_date_time, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                context_id,
                client_id,
                label,
                score_maximum,
                resource_id,
                resource_link_id,
                tag,
                start_date_time,
                end_date_time,
                time.time(),
            ),
        )
        line_item_id = int(cursor.lastrowid or 0)
        if resource_link_id:
            store.execute(
                "UPDATE placements SET line_item_id = ? WHERE id = ? AND line_item_id IS NULL",
                (line_item_id, resource_link_id),
            )
        created = get_line_item(store, line_item_id)
    assert created is not None
    return created


def get_line_item(store: Store, line_item_id: int) -> LineItem | None:
    """The line item with this id, or None."""
    row = store.query_one("SELECT * FROM line_items WHERE id = ?", (line_item_id,))
    return None if row is None else _line_item(row)


def list_line_items(
    store: Store,
    context_id: str,
    client_id: str | None = None,
    *,
    resource_link_id: str | None = None,
    resource_id: str | None = None,
    tag: str | None = None,
) -> list[LineItem]:
    """Line items of a course (of one tool when `client_id` is given), filtered, oldest first."""
    sql, params = "SELECT * FROM line_items WHERE context_id = ?", [context_id]
    for column, value in (
        ("client_id", client_id),
        ("resource_link_id", resource_link_id),
        ("resource_id", resource_id),
        ("tag", tag),
    ):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    return [_line_item(r) for r in store.query(sql + " ORDER BY id", params)]


def update_line_item(store: Store, line_item_id: int, **fields: Any) -> LineItem:
    """Change the given columns of a line item."""
    allowed = {
        "label",
        "score_maximum",
        "resource_id",
        "resource_link_id",
        "tag",
        "start_date_time",
        "end_date_time",
    }
    assignments = [f"{name} = ?" for name in fields if name in allowed]
    values = [value for name, value in fields.items() if name in allowed]
    with store.transaction():
        if assignments:
            store.execute(
                f"UPDATE line_items SET {', '.join(assignments)} WHERE id = ?",  # noqa: S608
                [*values, line_item_id],
            )
        updated = get_line_item(store, line_item_id)
    assert updated is not None
    return updated


def delete_line_item(store: Store, line_item_id: int) -> None:
    """Delete a line item with its scores, and unlink it from its placement."""
    with store.transaction():
        store.execute("DELETE FROM scores WHERE line_item_id = ?", (line_item_id,))
        store.execute(
            "UPDATE placements SET line_item_id = NULL WHERE line_item_id = ?", (line_item_id,)
        )
        store.execute("DELETE FROM line_items WHERE id = ?", (line_item_id,))


def _score(row: sqlite3.Row) -> Score:
    return Score(
        line_item_id=row["line_item_id"],
        user_sub=row["user_sub"],
        score_given=row["score_given"],
        score_maximum=row["score_maximum"],
        activity_progress=row["activity_progress"],
        grading_progress=row["grading_progress"],
        comment=row["comment"],
        timestamp=row["timestamp"],
        ts=row["ts"],
    )


def get_score(store: Store, line_item_id: int, user_sub: str) -> Score | None:
    """The stored score of one user on one line item, or None."""
    row = store.query_one(
        "SELECT * FROM scores WHERE line_item_id = ? AND user_sub = ?", (line_item_id, user_sub)
    )
    return None if row is None else _score(row)


def save_score(store: Store, score: Score) -> None:
    """Store `score` as the latest for its user and line item."""
    store.execute(
        "INSERT OR REPLACE INTO scores (line_item_id, user_sub, score_given, score_maximum, "
        "activity_progress, grading_progress, comment, timestamp, ts, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            score.line_item_id,
            score.user_sub,
            score.score_given,
            score.score_maximum,
            score.activity_progress,
            score.grading_progress,
            score.comment,
            score.timestamp,
            score.ts,
            time.time(),
        ),
    )


def list_scores(
    store: Store,
    line_item_ids: Sequence[int],
    user_sub: str | None = None,
) -> list[Score]:
    """Stored scores of the given line items (optionally of one user)."""
    if not line_item_ids:
        return []
    marks = ",".join("?" * len(line_item_ids))
    sql = f"SELECT * FROM scores WHERE line_item_id IN ({marks})"  # noqa: S608
    params: list[Any] = list(line_item_ids)
    if user_sub is not None:
        sql += " AND user_sub = ?"
        params.append(user_sub)
    return [_score(r) for r in store.query(sql + " ORDER BY line_item_id, user_sub", params)]
