"""The catalog's API for other features: publishing packages and finding published versions.

Versions are immutable. Publishing the same (course, version) with the same content is a no-op;
with other content it is refused (P003). A new version is compared with its predecessor by the
format's versioning rules (`authoring.versioning.compare_versions`); a bump that does not match
the change is refused with the P00x diagnostics. Services flush, never commit.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import url_for
from sqlalchemy.dialects import postgresql, sqlite

from authoring.diagnostics import Diagnostic, Severity
from authoring.package import PackageError, build_package
from authoring.reader import read_package
from authoring.versioning import Snapshot, compare_versions, parse_semver

from ..db import utcnow
from ..errors import MicrocredError
from ..extensions import db
from .models import CourseVersion
from .packages import content_from_package, get_content, remember_content

log = logging.getLogger(__name__)


class PublishRefused(MicrocredError):
    """A package that may not be published; `diagnostics` says why, in the P00x terms."""

    status = 422
    code = "PUBLISH_REFUSED"
    title = "The package was not published"

    def __init__(
        self,
        message: str,
        *,
        diagnostics: Sequence[Diagnostic] = (),
        code: str | None = None,
        status: int | None = None,
    ):
        super().__init__(message, code=code, status=status)
        self.diagnostics = list(diagnostics)


@dataclass(frozen=True)
class PublishResult:
    """What publishing did: `created` is False when that exact content was already published."""

    version: CourseVersion
    created: bool
    warnings: list[Diagnostic] = field(default_factory=list)


def _insert(table: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _key(version: CourseVersion) -> tuple[int, int, int, float]:
    return (*version.semver, version.published_at.timestamp() if version.published_at else 0.0)


def list_versions(course_id: str) -> list[CourseVersion]:
    """Every published version of a course, newest first."""
    rows = db.session.execute(
        db.select(CourseVersion).where(CourseVersion.course_id == course_id)
    ).scalars()
    return sorted(rows, key=_key, reverse=True)


def get_version(version_id: int) -> CourseVersion | None:
    return db.session.get(CourseVersion, version_id)


def find_version(course_id: str, version: str) -> CourseVersion | None:
    """The published (course_id, version), or None."""
    return db.session.execute(
        db.select(CourseVersion).where(
            CourseVersion.course_id == course_id, CourseVersion.version == version
        )
    ).scalar_one_or_none()


def get_version_by_hash(content_hash: str) -> CourseVersion | None:
    """A version by content hash, with or without its `sha256:` prefix."""
    value = content_hash if ":" in content_hash else f"sha256:{content_hash}"
    return db.session.execute(
        db.select(CourseVersion).where(CourseVersion.content_hash == value).limit(1)
    ).scalar_one_or_none()


def latest_version(course_id: str) -> CourseVersion | None:
    """The newest published version of a course, or None."""
    versions = list_versions(course_id)
    return versions[0] if versions else None


def list_courses() -> list[CourseVersion]:
    """The newest version of every published course, by title."""
    newest: dict[str, CourseVersion] = {}
    for row in db.session.execute(db.select(CourseVersion)).scalars():
        best = newest.get(row.course_id)
        if best is None or _key(row) > _key(best):
            newest[row.course_id] = row
    return sorted(newest.values(), key=lambda v: (v.title.casefold(), v.course_id))


def assets_base(content_hash: str) -> str:
    """The URL prefix under which a version's assets are served (ends with a slash)."""
    hex_digest = content_hash.split(":", 1)[-1]
    return url_for("catalog.asset", hash_hex=hex_digest, path="_")[:-1]


def resolve_version(course_id: str, pinned: CourseVersion | None = None) -> CourseVersion | None:
    """The version a learner should see: the newest with the major of `pinned` (never older
    than it), or the newest of all when nothing is pinned. None when the course is unknown."""
    return choose_version(list_versions(course_id), pinned)


def choose_version(
    versions: list[CourseVersion], pinned: CourseVersion | None = None
) -> CourseVersion | None:
    """`resolve_version` over a course's versions already listed (newest first)."""
    if pinned is None:
        return versions[0] if versions else None
    same_major = [v for v in versions if v.major == pinned.major and v.semver >= pinned.semver]
    return same_major[0] if same_major else pinned


def _refuse_p003(version: str, hint: str, message: str) -> PublishRefused:
    diag = Diagnostic("course.yml", 1, 1, Severity.ERROR, "P003", message, hint)
    return PublishRefused(diag.message, diagnostics=[diag], code="P003", status=409)


def _check_against(
    existing: list[CourseVersion], content_snapshot: Snapshot, semver: tuple[int, int, int]
) -> list[Diagnostic]:
    """Versioning diagnostics for a new version against what is published."""
    newer_same_major = [v for v in existing if v.major == semver[0] and v.semver > semver]
    if newer_same_major:
        other = max(newer_same_major, key=_key)
        raise _refuse_p003(
            content_snapshot.version,
            "raise the version",
            f"version {content_snapshot.version} is not greater than the published {other.version}",
        )
    older = [v for v in existing if v.semver < semver]
    if not older:
        return []
    predecessor = max(older, key=_key)
    old_snapshot = get_content(predecessor).package.snapshot()
    return compare_versions(old_snapshot, content_snapshot)


def publish(data: bytes, published_by: str) -> PublishResult:
    """Verify and publish a package (the bytes of a .mcpkg). Raises PublishRefused."""
    try:
        package = read_package(data)
    except PackageError as exc:
        raise PublishRefused(
            f"The file is not a valid course package: {exc}.", code="PACKAGE_INVALID"
        ) from exc
    course_id, version = package.course_id, package.version
    semver = parse_semver(version)
    if semver is None:
        raise PublishRefused(
            f"The package's version {version!r} is not MAJOR.MINOR.PATCH.", code="PACKAGE_INVALID"
        )
    same = find_version(course_id, version)
    if same is not None:
        if same.content_hash == package.content_hash:
            return PublishResult(same, created=False)
        raise _refuse_p003(
            version,
            "published versions are immutable; raise the version",
            f"version {version} is already published with different content",
        )
    content = content_from_package(package)
    snapshot = package.snapshot()
    diags = _check_against(list_versions(course_id), snapshot, semver)
    errors = [d for d in diags if d.severity is Severity.ERROR]
    if errors:
        codes = sorted({d.code for d in errors})
        raise PublishRefused(
            f"Version {version} of {course_id} was refused: "
            + "; ".join(d.message for d in errors),
            diagnostics=diags,
            code=codes[0],
            status=409 if codes == ["P003"] else 422,
        )
    values = dict(
        course_id=course_id,
        version=version,
        major=semver[0],
        minor=semver[1],
        patch=semver[2],
        content_hash=package.content_hash,
        title=str(package.manifest.get("title") or course_id),
        language=str(package.manifest.get("language") or "en"),
        course_json=json.dumps(content.course, sort_keys=True),
        package=data,
        size=len(data),
        published_by=published_by[:300],
        published_at=utcnow(),
    )
    # INSERT ... ON CONFLICT DO NOTHING: two uploads of one version at the same moment end
    # as one row, and the second caller is answered as if it came second.
    table = CourseVersion.__table__
    new_id = db.session.execute(
        _insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["course_id", "version"])
        .returning(table.c.id)
    ).scalar_one_or_none()
    row = db.session.get(CourseVersion, new_id) if new_id is not None else None
    if row is None:
        same = find_version(course_id, version)
        if same is not None and same.content_hash == package.content_hash:
            return PublishResult(same, created=False)
        raise _refuse_p003(
            version,
            "published versions are immutable; raise the version",
            f"version {version} is already published with different content",
        )
    remember_content(content)
    log.info(
        "published %s %s (%s) by %s", course_id, version, package.content_hash[:19], published_by
    )
    return PublishResult(row, created=True, warnings=[d for d in diags if d not in errors])


def publish_package(data: bytes, published_by: str) -> CourseVersion:
    """Publish a package and return its version (the existing one for a repeat upload)."""
    return publish(data, published_by).version


@dataclass(frozen=True)
class FolderLoad:
    """The outcome of building and publishing one course folder."""

    folder: Path
    result: PublishResult | None
    diagnostics: list[Diagnostic]
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.result is not None


def load_course_folders(
    folders: Iterable[str | Path], published_by: str = "catalog load"
) -> list[FolderLoad]:
    """Build each course folder and publish it (what `make run` uses for the sample courses).

    Each folder is handled on its own (a refused one writes nothing): one broken folder does
    not stop the others. Build diagnostics and refusals are returned, not raised.
    """
    loads: list[FolderLoad] = []
    for raw in folders:
        folder = Path(raw)
        with tempfile.TemporaryDirectory(prefix="microcred-load-") as tmp:
            built = build_package(folder, Path(tmp) / "course.mcpkg", cache=False)
            if built.path is None:
                loads.append(FolderLoad(folder, None, built.diagnostics, "the course has errors"))
                continue
            data = built.path.read_bytes()
        try:
            result = publish(data, published_by)
        except PublishRefused as exc:
            loads.append(FolderLoad(folder, None, exc.diagnostics, exc.message))
            continue
        loads.append(FolderLoad(folder, result, built.diagnostics + result.warnings))
    return loads
