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
import os
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path, PurePosixPath
from typing import Any

from .check import (
    CheckResult,
    ModuleRender,
    finish_diagnostics,
    open_cache,
    prepare_workers,
    prerender_module,
    render_course,
)
from .diagnostics import Diagnostic
from .loader import CourseLoader
from .model import FORMAT_VERSION, Course, Module, Question
from .serialize import draw_to_data, to_data
from .serialize import question_fragments as fragments_of

PACKAGE_SUFFIX = ".mcpkg"
PACKAGE_FORMAT = "microcred-course-package"
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_ENTRIES = 20_000


class PackageError(Exception):
    """A package file that cannot be read: damaged, tampered with, or not ours."""


@dataclass
class BuildResult:
    """What a build wrote (path None when content errors stopped it) and what it found."""

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


def _join_object(fragments: Mapping[str, str]) -> bytes:
    """`_dump` of a dict whose values are already dumped: the same bytes, without redoing them."""
    items = ",".join(f"{_json_key(k)}:{fragments[k]}" for k in sorted(fragments))
    return ("{" + items + "}\n").encode("utf-8")


@lru_cache(maxsize=65536)
def _json_key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


Fragments = dict[str, tuple[str, str]]  # question id -> (public JSON, server JSON)


def question_fragments(
    questions: Sequence[Question], parts: ModuleRender, bank: str | None = None
) -> Fragments:
    """The public and server JSON of each question, dumped once (by the render worker when
    it could)."""
    if parts.fragments and bank is None:
        return parts.fragments
    return fragments_of(questions, parts.questions_public, parts.questions_private, bank)


def assemble_entries(
    course: Course,
    checked: CheckResult,
    memo: dict[int, tuple[ModuleRender, Fragments]] | None = None,
) -> dict[str, bytes]:
    """Every file of the package except the manifest, by archive path.

    `memo` (kept by a Builder across rebuilds) holds each render's dumped question JSON, so an
    unchanged module costs nothing the next time.
    """
    memo = {} if memo is None else memo
    entries: dict[str, bytes] = {"course.json": canonical_json(course_data(course))}
    public: dict[str, str] = {}
    server: dict[str, str] = {}
    assets: set[str] = set()

    def add(questions: Sequence[Question], parts: ModuleRender, bank: str | None) -> None:
        hit = memo.get(id(parts))
        if hit is None or hit[0] is not parts:
            hit = (parts, question_fragments(questions, parts, bank))
            memo[id(parts)] = hit
        for qid, (pub, srv) in hit[1].items():
            public[qid], server[qid] = pub, srv
        assets.update(parts.assets)

    for module in course.modules:
        body = checked.renders[module.id]
        entries[f"modules/{module.id}.html"] = body.html.encode("utf-8")
        assets.update(body.assets)
        add(module.questions, checked.question_renders[module.id], None)
    for bank in course.banks:
        add(bank.questions, checked.bank_renders[bank.path], bank.path)
    entries["public/questions.json"] = _join_object(public)
    entries["server/questions.json"] = _join_object(server)
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
    """`manifest.json`: format, course id and version, each file's sha256 and the content hash."""
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


_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00
_MODE = 0o100644 << 16


def _deflate(data: bytes) -> tuple[bytes, int]:
    """Raw deflate (level 6, as every package so far) and CRC-32 of one entry."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data)


def write_zip(
    entries: Mapping[str, bytes],
    cache: dict[str, tuple[bytes, int]] | None = None,
    digests: Mapping[str, str] | None = None,
) -> bytes:
    """A zip whose bytes depend only on the entries: sorted names, fixed dates and modes.

    Written directly (deflate, no extras) so that `cache` (sha256 hex of the data -> compressed
    bytes and CRC) lets a rebuild skip compressing what did not change; `digests` (name -> sha256
    hex, as in the manifest) saves hashing the entries a second time.
    """
    cache = {} if cache is None else cache
    digests = {} if digests is None else digests
    keys = {
        name: digests.get(name) or hashlib.sha256(data).hexdigest()
        for name, data in entries.items()
    }
    for name, data in entries.items():
        if keys[name] not in cache:
            cache[keys[name]] = _deflate(data)
    out = io.BytesIO()
    central: list[bytes] = []
    for name in sorted(entries):
        data = entries[name]
        packed, crc = cache[keys[name]]
        raw_name = name.encode("utf-8")
        flags = 0 if raw_name.isascii() else 0x800
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                flags,
                8,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                len(packed),
                len(data),
                len(raw_name),
                0,
            )
        )
        out.write(raw_name)
        out.write(packed)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                (3 << 8) | 20,
                20,
                flags,
                8,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                len(packed),
                len(data),
                len(raw_name),
                0,
                0,
                0,
                0,
                _MODE,
                offset,
            )
            + raw_name
        )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0)
    )
    return out.getvalue()


class Builder:
    """Builds one course folder; keeps what it rendered and packed, so a rebuild after an edit
    re-reads, re-renders and re-compresses only what changed (`microcred preview`, benchmarks).
    """

    def __init__(self, folder: str | Path, *, cache: bool = True, jobs: int | None = None):
        self.folder = Path(folder)
        self.jobs = jobs
        self.cache = open_cache(self.folder, cache, memory=True)
        self._loader = CourseLoader(self.folder, jobs=jobs or os.cpu_count() or 1)
        self._loaded = False
        self._fragments: dict[int, tuple[ModuleRender, Fragments]] = {}
        self._packed: dict[str, tuple[bytes, int]] = {}

    def load(
        self, changed: Iterable[str | Path] | None = None
    ) -> tuple[Course | None, list[Diagnostic]]:
        """Load the course; after the first time, re-parse only the files that changed.

        `changed` (paths) says which files changed; None compares every file with last time.
        """
        if self._loaded:
            return self._loader.reload(changed)
        self._loaded = True
        return self._loader.load()

    def _load_and_render(
        self, changed: Iterable[str | Path] | None, progress: Callable[[int], None] | None
    ) -> tuple[Course | None, list[Diagnostic], dict[str, ModuleRender]]:
        """`load`; the first time, each module is also rendered by the process that parsed it
        (a cold build of a large course: one pass over both cores, nothing sent twice).

        Without a disk cache every module parsed there is rendered there, so `progress` is told
        as they come back (with one, `render_course` tells it, cached modules included).
        """
        if self._loaded:
            return (*self.load(changed), {})
        loader = self._loader
        loader.after_parse = partial(prerender_module, self.cache.folder)
        loader.before_fork = prepare_workers
        loader.progress = progress if self.cache.folder is None else None
        try:
            course, diags = self.load(changed)
            ready: dict[str, ModuleRender] = {}
            for renders in loader.extras.values():
                ready.update(renders)
            return course, diags, ready
        finally:
            loader.after_parse = loader.before_fork = loader.progress = None
            loader.extras = {}

    def build(
        self,
        out: str | Path | None = None,
        *,
        strict: bool = False,
        progress: Callable[[int], None] | None = None,
        changed: Iterable[str | Path] | None = None,
    ) -> BuildResult:
        """Check and build; on content errors nothing is written and path is None.

        `changed` (paths) tells a rebuild which files changed (a file watcher knows); None
        compares every file with the last build.
        """
        course, diags, ready = self._load_and_render(changed, progress)
        checked = CheckResult(course, list(diags))
        if course is not None:
            render_course(
                checked,
                self.cache,
                with_questions=True,
                jobs=self.jobs,
                progress=progress,
                ready=ready,
                ready_reported=self.cache.folder is None,
            )
        del ready
        checked.diagnostics = finish_diagnostics(checked.diagnostics, strict)
        if course is None or not checked.ok:
            return BuildResult(None, checked.diagnostics, rendered_count=checked.rendered_count)
        entries = assemble_entries(course, checked, self._fragments)
        manifest = make_manifest(course, entries)
        entries = {**entries, "manifest.json": canonical_json(manifest)}
        target = self.target(course, out)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_bytes(write_zip(entries, self._packed, manifest["files"]))
        tmp.replace(target)
        if len(self._fragments) > 4 * (len(course.modules) + len(course.banks)) + 64:
            self._fragments.clear()  # keep memory bounded in a long preview session
        if len(self._packed) > 2 * len(entries) + 64:
            self._packed.clear()
        return BuildResult(target, checked.diagnostics, manifest, checked.rendered_count)

    def target(self, course: Course, out: str | Path | None) -> Path:
        name = f"{course.id}-{course.version}{PACKAGE_SUFFIX}"
        if out is None:
            return self.folder / "dist" / name
        target = Path(out)
        as_folder = target.is_dir() or str(out).endswith(("/", "\\"))
        if as_folder or (not target.exists() and target.suffix != PACKAGE_SUFFIX):
            return target / name
        return target


def build_package(
    folder: str | Path,
    out: str | Path | None = None,
    *,
    strict: bool = False,
    jobs: int | None = None,
    cache: bool = True,
    progress: Callable[[int], None] | None = None,
) -> BuildResult:
    """Check and build `folder` once; on content errors nothing is written and path is None."""
    return Builder(folder, cache=cache, jobs=jobs).build(out, strict=strict, progress=progress)
