"""`microcred build`: one deterministic, versioned package file per course version.

The package is a zip (`<course-id>-<version>.mcpkg`) laid out as docs/package-format.md says:
`manifest.json`, `course.json`, `modules/<id>.html`, `public/questions.json` (what a browser may
see), `server/questions.json` (answers and feedback: only the server reads it) and `assets/`.
Identical input gives byte-identical output: sorted entries, fixed timestamps and permissions.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .check import CheckResult, check_course
from .diagnostics import Diagnostic
from .model import FORMAT_VERSION, Course, Module
from .serialize import draw_to_data, question_to_data, to_data

PACKAGE_SUFFIX = ".mcpkg"
PACKAGE_FORMAT = "microcred-course-package"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_ENTRIES = 20_000


class PackageError(Exception):
    """A package file that cannot be read: damaged, tampered with, or not ours."""


@dataclass
class BuildResult:
    path: Path | None
    diagnostics: list[Diagnostic]
    manifest: dict[str, Any] = field(default_factory=dict)
    rendered_count: int = 0

    @property
    def ok(self) -> bool:
        return self.path is not None


def canonical_json(data: Any) -> bytes:
    """The one JSON spelling used inside packages (sorted keys, UTF-8, trailing newline)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1, separators=(",", ": "))
    return (text + "\n").encode("utf-8")


def _module_data(module: Module) -> dict[str, Any]:
    return {
        "id": module.id,
        "title": module.title,
        "minutes": module.minutes,
        "objectives": list(module.objectives),
        "graded": module.graded,
        "points": module.max_points,
        "attempts": module.attempts,
        "attempt_credit": list(module.attempt_credit),
        "pass_score": module.pass_score,
        "quizzes": [q.id for q in module.questions],
        "draws": [draw_to_data(d) for d in module.draws],
        "html": f"modules/{module.id}.html",
    }


def course_data(course: Course) -> dict[str, Any]:
    """`course.json`: everything the tool needs to deliver the course, without answers."""
    return {
        "id": course.id,
        "title": course.title,
        "version": course.version,
        "language": course.language,
        "summary": course.summary,
        "authors": to_data(course.authors),
        "license": course.license,
        "modules": [_module_data(m) for m in course.modules],
        "banks": [
            {"path": b.path, "questions": [{"id": q.id, "tags": list(q.tags)} for q in b.questions]}
            for b in course.banks
        ],
        "completion": to_data(course.completion),
        "grading": to_data(course.grading),
        "credential": to_data(course.credential) if course.credential else None,
    }


def assemble_entries(course: Course, checked: CheckResult) -> dict[str, bytes]:
    """Every file of the package except the manifest, by archive path."""
    entries: dict[str, bytes] = {"course.json": canonical_json(course_data(course))}
    public: dict[str, Any] = {}
    server: dict[str, Any] = {}
    assets: set[str] = set()
    for module in course.modules:
        body = checked.renders[module.id]
        entries[f"modules/{module.id}.html"] = body.html.encode("utf-8")
        assets.update(body.assets)
        parts = checked.question_renders[module.id]
        for q in module.questions:
            public[q.id] = parts.questions_public[q.id]
            server[q.id] = {**question_to_data(q), "private": parts.questions_private[q.id]}
    for bank in course.banks:
        parts = checked.bank_renders[bank.path]
        for q in bank.questions:
            public[q.id] = parts.questions_public[q.id]
            server[q.id] = {
                **question_to_data(q),
                "private": parts.questions_private[q.id],
                "bank": bank.path,
            }
    entries["public/questions.json"] = canonical_json(public)
    entries["server/questions.json"] = canonical_json(server)
    if course.credential and course.credential.image:
        assets.add(course.credential.image)
    root = Path(course.root).resolve()
    for rel in sorted(assets):
        source = (root / rel).resolve()
        if not source.is_relative_to(root) or not source.is_file():
            continue  # the loader already reported F004 / M005 for this path
        entries[f"assets/{PurePosixPath(rel)}"] = source.read_bytes()
    return entries


def make_manifest(course: Course, entries: Mapping[str, bytes]) -> dict[str, Any]:
    files = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(entries.items())}
    content_hash = hashlib.sha256(canonical_json(files)).hexdigest()
    return {
        "format": PACKAGE_FORMAT,
        "format_version": FORMAT_VERSION,
        "course_id": course.id,
        "version": course.version,
        "title": course.title,
        "language": course.language,
        "content_hash": f"sha256:{content_hash}",
        "files": files,
    }


def write_zip(entries: Mapping[str, bytes]) -> bytes:
    """A zip whose bytes depend only on the entries (sorted names, fixed dates and modes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            zf.writestr(info, entries[name], compresslevel=6)
    return buffer.getvalue()


def build_package(
    folder: str | Path,
    out: str | Path | None = None,
    *,
    strict: bool = False,
    jobs: int | None = None,
    cache: bool = True,
    progress: Callable[[int], None] | None = None,
) -> BuildResult:
    """Check and build `folder`; on content errors nothing is written and path is None."""
    checked = check_course(
        folder, strict=strict, with_questions=True, cache_dir=cache, jobs=jobs, progress=progress
    )
    course = checked.course
    if course is None or not checked.ok:
        return BuildResult(None, checked.diagnostics, rendered_count=checked.rendered_count)
    entries = assemble_entries(course, checked)
    manifest = make_manifest(course, entries)
    entries = {**entries, "manifest.json": canonical_json(manifest)}
    target = (
        Path(out)
        if out
        else Path(folder) / "dist" / f"{course.id}-{course.version}{PACKAGE_SUFFIX}"
    )
    if target.is_dir() or str(out).endswith(("/", "\\")) or (
        out is not None and not target.exists() and target.suffix != PACKAGE_SUFFIX
    ):
        target = target / f"{course.id}-{course.version}{PACKAGE_SUFFIX}"
    target.parent.mkdir(parents=True, exist_ok=True)
    data = write_zip(entries)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return BuildResult(target, checked.diagnostics, manifest, checked.rendered_count)
