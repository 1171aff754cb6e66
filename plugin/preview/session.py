"""A live preview of one course folder: build, publish into a private instance, place its
modules on the dev LMS course page, and rebuild whenever a file of the folder changes.

The preview instance is the author's scratch space, not a catalog: a rebuild of the same
version with new content replaces that version in place (a real catalog refuses it, P003), so
the author never has to bump the version to see an edit.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask

from authoring.diagnostics import Severity, sort_diagnostics
from authoring.package import build_package

from .. import devrun

log = logging.getLogger(__name__)

#: Files and folders a rebuild ignores (editor droppings, VCS, build caches).
IGNORED_PARTS = frozenset({".git", ".microcred-cache", "__pycache__", ".DS_Store"})
IGNORED_SUFFIXES = (".swp", ".swx", "~", ".tmp")


@dataclass(frozen=True)
class PreviewStatus:
    """What the preview page shows: the build generation, whether the last build worked, its
    diagnostics, and the modules of the last good build (placement id, title)."""

    generation: int = 0
    ok: bool = False
    title: str = ""
    course_id: str | None = None
    errors: int = 0
    diagnostics: tuple[str, ...] = ()
    modules: tuple[tuple[str, str], ...] = ()
    built_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["modules"] = [{"id": pid, "title": title} for pid, title in self.modules]
        data["diagnostics"] = list(self.diagnostics)
        return data


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every watched file of `folder` with its (mtime_ns, size): a change means rebuild."""
    files: dict[str, tuple[int, int]] = {}
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part in IGNORED_PARTS for part in rel.parts) or path.name.endswith(IGNORED_SUFFIXES):
            continue
        try:
            if path.is_file():
                stat = path.stat()
                files[str(rel)] = (stat.st_mtime_ns, stat.st_size)
        except OSError:  # deleted while we looked: the next look sees it gone
            continue
    return files


def publish_preview(tool: Flask, data: bytes) -> dict[str, Any]:
    """Publish a built package into the preview instance, replacing the same version's
    content when it changed; returns course.json. Raises PublishRefused otherwise."""
    from authoring.reader import read_package

    from ..catalog.models import CourseVersion
    from ..catalog.packages import content_from_package, remember_content
    from ..catalog.services import PublishRefused, find_version, publish
    from ..db import utcnow
    from ..extensions import db

    with tool.app_context():
        try:
            course = publish(data, "microcred preview").version.course
        except PublishRefused as exc:
            package = read_package(data)
            row: CourseVersion | None = find_version(package.course_id, package.version)
            if exc.code != "P003" or row is None:
                db.session.rollback()
                raise
            content = content_from_package(package)
            row.package, row.size = data, len(data)
            row.content_hash = package.content_hash
            row.title = str(package.manifest.get("title") or package.course_id)
            row.language = str(package.manifest.get("language") or "en")
            row.course_json = json.dumps(content.course, sort_keys=True)
            row.published_at = utcnow()
            remember_content(content)
            course = dict(content.course)
        db.session.commit()
    return course


@dataclass
class Preview:
    """One folder previewed through a tool and a dev LMS (see plugin.devrun)."""

    folder: Path
    config: devrun.DevRunConfig
    on_build: Callable[[PreviewStatus], None] | None = None
    status: PreviewStatus = field(default_factory=PreviewStatus)
    tool: Flask | None = None
    lms: Flask | None = None
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _servers: devrun.Servers | None = None
    _watcher: threading.Thread | None = None

    def open(self) -> PreviewStatus:
        """Make both apps (migrating the instance), add the preview page, build once."""
        from .views import install

        self.config.instance.mkdir(parents=True, exist_ok=True)
        self.tool = devrun.create_tool(self.config)
        devrun.prepare_tool(self.tool, self.config)
        self.lms = devrun.create_lms(self.config)
        install(self.lms, self)
        return self.rebuild()

    def rebuild(self) -> PreviewStatus:
        """Build the folder now. A folder with errors keeps the last good version on the
        course page and shows its diagnostics instead; nothing raises."""
        assert self.tool is not None and self.lms is not None, "open() first"
        with self._lock:
            self._seen = snapshot(self.folder)
            previous = self.status
            try:
                status = self._build(previous)
            except Exception as exc:  # the preview must survive whatever a save breaks
                log.exception("preview build of %s failed", self.folder)
                status = PreviewStatus(
                    previous.generation + 1,
                    False,
                    previous.title,
                    previous.course_id,
                    1,
                    (f"{self.folder}: error: the preview could not build the course: {exc}",),
                    previous.modules,
                    _now(),
                )
            self.status = status
        if self.on_build is not None:
            self.on_build(status)
        return status

    def _build(self, previous: PreviewStatus) -> PreviewStatus:
        from ..catalog.services import PublishRefused

        assert self.tool is not None and self.lms is not None
        generation = previous.generation + 1
        with tempfile.TemporaryDirectory(prefix="microcred-preview-") as tmp:
            built = build_package(self.folder, Path(tmp) / "course.mcpkg", cache=False)
            diags = sort_diagnostics(built.diagnostics)
            lines = tuple(d.format() for d in diags)
            errors = sum(1 for d in diags if d.severity is Severity.ERROR)
            if built.path is None:
                return PreviewStatus(
                    generation,
                    False,
                    previous.title,
                    previous.course_id,
                    max(errors, 1),
                    lines,
                    previous.modules,
                    _now(),
                )
            data = built.path.read_bytes()
        try:
            course = publish_preview(self.tool, data)
        except PublishRefused as exc:
            refused = tuple(d.format() for d in exc.diagnostics) or (f"error: {exc.message}",)
            return PreviewStatus(
                generation,
                False,
                previous.title,
                previous.course_id,
                len(refused),
                lines + refused,
                previous.modules,
                _now(),
            )
        placements = devrun.place_modules(self.tool, self.lms, [course])
        modules = tuple((p.id, p.title) for p in placements)
        return PreviewStatus(
            generation,
            True,
            str(course.get("title") or course["id"]),
            str(course["id"]),
            0,
            lines,
            modules,
            _now(),
        )

    def changed(self) -> bool:
        """Did a file of the folder change since the last build?"""
        return snapshot(self.folder) != self._seen

    def watch(self, interval: float = 0.5) -> None:
        """Rebuild after each change until close(); a save of several files is one rebuild
        (a change is acted on once the folder has been still for `interval`)."""
        while not self._stop.wait(interval):
            if not self.changed():
                continue
            before = snapshot(self.folder)
            if self._stop.wait(interval / 2):
                return
            if snapshot(self.folder) == before:
                self.rebuild()

    def start(self, interval: float = 0.5) -> None:
        """Serve both apps and watch the folder, in background threads."""
        assert self.tool is not None and self.lms is not None, "open() first"
        self._servers = devrun.start_servers(self.config, self.tool, self.lms)
        self._watcher = threading.Thread(
            target=self.watch, args=(interval,), name="preview-watch", daemon=True
        )
        self._watcher.start()

    @property
    def url(self) -> str:
        """The preview page."""
        return f"{self.config.lms_url}/preview/"

    def close(self) -> None:
        """Stop watching and serving."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=10)
        if self._servers is not None:
            self._servers.stop()
        if self.tool is not None:
            from ..gradebook.worker import stop_worker_thread

            stop_worker_thread(self.tool, timeout=5)


def _now() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")
