"""Instructor pages (blueprint "gradebook" at /gradebook), opened from an instructor's launch:
the roster with progress and grades, the score distribution, failed deliveries with Retry,
per-question statistics and the CSV export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request

from ..extensions import db
from ..lti.session import current_launch, lti_url_for, require_launch
from .export import csv_filename, to_csv
from .roster import Gradebook, build_gradebook, placements_of
from .services import retry_delivery, retry_failed_deliveries
from .stats import bar_chart

bp = Blueprint(
    "gradebook",
    __name__,
    url_prefix="/gradebook",
    static_folder="static",
    static_url_path="/static",
)
INSTRUCTORS = ("instructor",)


@bp.get("/")
@require_launch(roles=INSTRUCTORS)
def overview() -> str:
    """The course's roster, progress, grades, distribution and deliveries needing attention."""
    ctx = current_launch()
    book = build_gradebook(ctx)
    return render_template(
        "gradebook/overview.html",
        ctx=ctx,
        book=book,
        chart=bar_chart(book.bins),
        notice=request.args.get("notice"),
        title=f"Gradebook · {book.course_title}",
    )


@bp.get("/questions")
@require_launch(roles=INSTRUCTORS)
def questions() -> str:
    """Per-question statistics: answers, fully right, and which wrong options were picked."""
    ctx = current_launch()
    book = build_gradebook(ctx)
    return render_template(
        "gradebook/questions.html",
        ctx=ctx,
        book=book,
        title=f"Question statistics · {book.course_title}",
    )


def _back(notice: str) -> Any:
    return redirect(lti_url_for("gradebook.overview", notice=notice), 303)


@bp.post("/deliveries/<int:row_id>/retry")
@require_launch(roles=INSTRUCTORS)
def retry(row_id: int) -> Any:
    """Queue one failed delivery of this course again."""
    pks = [p.pk for p in placements_of(current_launch())]
    retry_delivery(row_id, pks)
    db.session.commit()
    return _back("retry")


@bp.post("/deliveries/retry-failed")
@require_launch(roles=INSTRUCTORS)
def retry_all() -> Any:
    """Queue every failed delivery of this course again."""
    pks = [p.pk for p in placements_of(current_launch())]
    retry_failed_deliveries(pks)
    db.session.commit()
    return _back("retry")


def _csv_rows(book: Gradebook) -> tuple[list[Any], list[list[Any]]]:
    header: list[Any] = ["User ID", "Name", "Email", "Roles", "Opened the tool"]
    for p in book.placements:
        header += [f"{p.title} (score)", f"{p.title} (out of)", f"{p.title} (delivery)"]
    header.append("Percent")
    if book.progress_available:
        header += ["Modules visited", "Attempts submitted", "Completed"]
    rows = []
    for r in book.rows:
        row: list[Any] = [r.user_id, r.name, r.email, " ".join(r.roles), r.opened]
        for p in book.placements:
            cell = r.grades.get(p.pk)
            row += (
                [cell.score_given, cell.score_maximum, cell.state] if cell else [None, None, None]
            )
        row.append(round(r.percent, 2) if r.percent is not None else None)
        if book.progress_available:
            prog = r.progress
            row += (
                [prog.modules_visited, prog.attempts_submitted, prog.completed]
                if prog
                else [0, 0, False]
            )
        rows.append(row)
    return header, rows


@bp.get("/export.csv")
@require_launch(roles=INSTRUCTORS)
def export_csv() -> Response:
    """The gradebook as a CSV file (safe to open in a spreadsheet)."""
    ctx = current_launch()
    book = build_gradebook(ctx)
    header, rows = _csv_rows(book)
    name = csv_filename("gradebook", ctx.context_label or ctx.context_title or "course")
    return Response(
        to_csv(header, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
