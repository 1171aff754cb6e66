"""Published packages held in memory, per process, keyed by content hash (they never change).

`get_content(version)` gives the verified package with its parts parsed once: course.json, the
public and private question parts and the gradable `Question` objects. Any process can rebuild
an entry from the database, so nothing here is state another process needs.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from authoring.model import Draw, Question
from authoring.reader import Package, read_package
from authoring.serialize import draw_from_data

from ..extensions import db
from .models import CourseVersion

log = logging.getLogger(__name__)

#: How many packages one process keeps parsed (least recently used ones are dropped).
CACHE_SIZE = 32


@dataclass(frozen=True)
class CourseContent:
    """A verified package with its parsed parts, ready for delivery and grading."""

    package: Package
    course: dict[str, Any]
    public: dict[str, dict[str, Any]]
    private: dict[str, dict[str, Any]]
    questions: dict[str, Question]
    banks: dict[str, list[str]] = field(default_factory=dict)  # bank path -> ids in order

    @property
    def content_hash(self) -> str:
        return self.package.content_hash

    @property
    def course_id(self) -> str:
        return self.package.course_id

    @property
    def version(self) -> str:
        return self.package.version

    @property
    def modules(self) -> list[dict[str, Any]]:
        return list(self.course.get("modules") or [])

    def module(self, module_id: str) -> dict[str, Any] | None:
        """course.json's entry for one module, or None."""
        return next((m for m in self.modules if m.get("id") == module_id), None)

    def module_html(self, module_id: str) -> str:
        return self.package.module_html(module_id)

    def asset(self, path: str) -> bytes | None:
        """An asset's bytes by its course-relative path, or None."""
        return self.package.entries.get(f"assets/{path}")

    def draw(self, module_id: str, draw_id: str) -> Draw | None:
        """A module's `quiz-draw` by id, or None."""
        module = self.module(module_id) or {}
        for data in module.get("draws") or []:
            if data.get("id") == draw_id:
                return draw_from_data(data)
        return None

    def pool(self, bank_path: str) -> list[Question]:
        """The questions of one bank, in bank order (what draws pick from)."""
        return [
            self.questions[qid] for qid in self.banks.get(bank_path, []) if qid in self.questions
        ]


def content_from_package(package: Package) -> CourseContent:
    """Parse the parts of a verified package once."""
    course = package.course()
    server = package.server_questions()
    banks = {
        str(b["path"]): [str(q["id"]) for q in b.get("questions") or []]
        for b in course.get("banks") or []
    }
    return CourseContent(
        package=package,
        course=course,
        public=package.public_questions(),
        private={qid: dict(data.get("private") or {}) for qid, data in server.items()},
        questions=package.questions(),
        banks=banks,
    )


_cache: OrderedDict[str, CourseContent] = OrderedDict()
_lock = threading.Lock()


def remember_content(content: CourseContent) -> CourseContent:
    """Keep a parsed package in this process's cache (least recently used ones are dropped)."""
    with _lock:
        _cache[content.content_hash] = content
        _cache.move_to_end(content.content_hash)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return content


def cached_content(content_hash: str) -> CourseContent | None:
    """The parsed package with this content hash, when this process holds it."""
    with _lock:
        content = _cache.get(content_hash)
        if content is not None:
            _cache.move_to_end(content_hash)
        return content


def get_content(version: CourseVersion) -> CourseContent:
    """The parsed package of a published version (from the cache, else from the database)."""
    content = cached_content(version.content_hash)
    if content is not None:
        return content
    package = read_package(version.package)
    if package.content_hash != version.content_hash:  # the row was tampered with
        raise RuntimeError(f"course version {version.id} does not match its content hash")
    log.info("loaded package %s %s into the cache", version.course_id, version.version)
    return remember_content(content_from_package(package))


def get_package(version_id: int) -> Package | None:
    """The verified package of a published version, or None when there is no such version."""
    version = db.session.get(CourseVersion, version_id)
    return get_content(version).package if version is not None else None


def forget_cached_packages() -> None:
    """Empty this process's package cache (tests)."""
    with _lock:
        _cache.clear()
