"""Achievements: built from a course version's `credential` spec (or a program certificate),
kept in the `achievements` table, published at their id URL with a badge image.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from ..catalog.models import CourseVersion
from ..db import utcnow
from ..extensions import db
from . import ob3
from .badge import generate_badge_svg
from .models import Achievement
from .sql import insert_ignore
from .status import achievement_url

DEFAULT_TYPES = {"course": "MicroCredential", "certificate": "Certificate"}


def badge_url(achievement_id: str) -> str:
    """The achievement's image: the author's, or a generated SVG badge."""
    return achievement_url(achievement_id) + "/badge"


def build_achievement(
    achievement_id: str,
    spec: Mapping[str, Any],
    *,
    kind: str = "course",
    min_score: float | None = None,
    version: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The OB 3.0 Achievement for a credential spec (authoring's CredentialSpec as data)."""
    url = achievement_url(achievement_id)
    alignments = [
        ob3.alignment(
            target_name=str(a.get("target_name") or a.get("name") or ""),
            target_url=str(a.get("target_url") or a.get("url") or ""),
            target_framework=a.get("target_framework") or a.get("framework") or None,
            target_code=a.get("target_code") or a.get("code") or None,
            target_type=a.get("target_type") or a.get("type") or None,
        )
        for a in spec.get("alignments") or []
    ]
    threshold = round(100 * min_score, 2) if min_score else None
    return ob3.achievement(
        achievement_id=url,
        name=str(spec["name"]),
        description=str(spec.get("description") or spec["name"]),
        criteria_narrative=str(spec.get("criteria") or "") or None,
        criteria_id=None if spec.get("criteria") else url,
        achievement_type=str(spec.get("achievement_type") or DEFAULT_TYPES.get(kind, "Badge")),
        image=ob3.image(badge_url(achievement_id), caption=f"{spec['name']} badge"),
        credits_available=spec.get("credit_hours"),
        alignments=alignments,
        result_descriptions=[
            ob3.result_description(
                result_description_id=f"{url}#score",
                name="Final score",
                required_value=threshold,
            )
        ],
        human_code=spec.get("human_code") or None,
        field_of_study=spec.get("field_of_study") or None,
        tags=list(spec.get("tags") or ()),
        in_language=language,
        version=version,
    )


def save_achievement(
    achievement_id: str,
    document: Mapping[str, Any],
    *,
    kind: str,
    course_id: str | None = None,
    course_version_id: int | None = None,
    image_path: str | None = None,
    expires_after_days: int | None = None,
) -> Achievement:
    """Insert or update the achievement row (concurrent callers insert it once)."""
    values = dict(
        kind=kind,
        course_id=course_id,
        course_version_id=course_version_id,
        name=str(document["name"]),
        image_path=image_path or None,
        expires_after_days=expires_after_days,
        achievement_json=json.dumps(document),
        updated_at=utcnow(),
    )
    db.session.execute(insert_ignore(Achievement).values(achievement_id=achievement_id, **values))
    row = get_achievement(achievement_id)
    assert row is not None
    if row.achievement_json != values["achievement_json"] or row.image_path != image_path:
        for name, value in values.items():
            setattr(row, name, value)
        db.session.flush()
    return row


def achievement_for_version(version: CourseVersion) -> Achievement | None:
    """The course's achievement as this version defines it; None when it earns no credential."""
    course = version.course
    spec = course.get("credential")
    if not spec:
        return None
    completion = course.get("completion") or {}
    document = build_achievement(
        version.course_id,
        spec,
        kind="course",
        min_score=float(completion.get("min_score") or 0.0),
        version=version.version,
        language=version.language,
    )
    return save_achievement(
        version.course_id,
        document,
        kind="course",
        course_id=version.course_id,
        course_version_id=version.id,
        image_path=spec.get("image") or None,
        expires_after_days=spec.get("expires_after_days"),
    )


def get_achievement(achievement_id: str) -> Achievement | None:
    """The achievement with this id (course id or "program:<id>"), or None."""
    return db.session.scalars(
        select(Achievement).where(Achievement.achievement_id == achievement_id)
    ).first()


def achievement_document(row: Achievement) -> dict[str, Any]:
    """The stored OB 3.0 Achievement JSON."""
    return dict(json.loads(row.achievement_json))


def badge_image(row: Achievement) -> tuple[bytes, str]:
    """The badge bytes and media type: the author's image from the package, else generated."""
    if row.image_path and row.course_version_id is not None:
        from ..catalog.packages import get_content

        version = db.session.get(CourseVersion, row.course_version_id)
        data = get_content(version).asset(row.image_path) if version is not None else None
        if data:
            kind = mimetypes.guess_type(row.image_path)[0] or "application/octet-stream"
            return data, kind
    document = achievement_document(row)
    subtitle = str(document.get("humanCode") or document.get("achievementType") or "")
    svg = generate_badge_svg(row.name, subtitle, seed=row.achievement_id)
    return svg.encode("utf-8"), "image/svg+xml"
