"""Folder -> `Course` plus every diagnostic, in one pass; `CourseLoader` reloads incrementally.

Nothing here raises for a content problem: each one becomes a `Diagnostic` and loading goes on.
Loading also runs `authoring.validate.validate_course`, so the list is complete. A
`CourseLoader` keeps what each module and bank file parsed to, so `reload` after an edit parses
only the files whose bytes changed (`microcred build --watch`, preview, a long-lived Builder).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from os.path import abspath, isfile, join
from pathlib import Path
from typing import Any, Generic, TypeVar

from authoring.coursefile import course_info
from authoring.diagnostics import Diagnostic, DiagnosticBag, sort_diagnostics
from authoring.fsutil import TextFile, read_bytes, read_text, text_file
from authoring.model import Bank, Course, Module
from authoring.modfiles import parse_bank, parse_module
from authoring.program import load_program
from authoring.validate import COURSE_YML, SourceMap, list_markdown_files, validate_course
from authoring.workers import run_shared
from authoring.yamlpos import COURSE_CODES, YamlDoc, root_fields

__all__ = ["CourseLoader", "load_course", "load_program"]  # load_program: authoring.program

log = logging.getLogger(__name__)

T = TypeVar("T", Module, Bank)

#: Below this many module files to parse, one process is faster than several.
PARALLEL_FILES = 48
#: ... and with `after_parse` work (rendering) to do as well.
PARALLEL_WITH_WORK = 24


def load_course(folder: str | Path) -> tuple[Course | None, list[Diagnostic]]:
    """Load and validate a course folder: the Course (None when course.yml is unusable) and
    every diagnostic, sorted.

    With a broken course.yml the module and bank files are still checked (found by folder).
    """
    return CourseLoader(folder).load()


@dataclass
class _Parsed(Generic[T]):
    """One module or bank file as last parsed, with what parsing reported."""

    sha256: str  # of the bytes on disk
    depends: tuple[str, ...]  # what else the parse read (a module: its banks' hashes)
    value: T | None
    diagnostics: list[Diagnostic]
    sources: SourceMap = field(default_factory=SourceMap)


class CourseLoader:
    """Loads one course folder and keeps each module and bank file's parse between loads.

    `reload()` reads the files again and parses only those whose bytes changed (and the modules
    that draw from a changed bank); `reload(changed)` trusts that only `changed` paths changed
    and does not read the others at all. course.yml is parsed on every load: it is one file,
    and its checks look at the folder (listed files, symlinks) as well as at its text.
    """

    def __init__(self, folder: str | Path, *, jobs: int = 1) -> None:
        self.root = Path(folder).resolve()
        self.jobs = jobs  # processes for parsing many module files at once (a cold build)
        self.parsed: list[str] = []  # the files the last load or reload parsed, in order
        self._files: dict[str, _Parsed[Any]] = {}
        self._changed: set[str] | None = None
        self._fresh: set[str] = set()  # parsed in this load by `_parse_many`
        self._listed: set[str] = set()  # the module and bank files of this load
        # A cold build's own work per module, run where the module was parsed (so a module is
        # sent between processes once): `after_parse(module)` in the worker, its results in
        # `extras` by file; `before_fork` sets up what the workers inherit.
        self.after_parse: Callable[[Module], Any] | None = None
        self.before_fork: Callable[[], object] | None = None
        self.progress: Callable[[int], None] | None = None  # told as parsed files come back
        self.extras: dict[str, Any] = {}

    def load(self) -> tuple[Course | None, list[Diagnostic]]:
        """Load every file afresh."""
        self._files.clear()
        return self.reload()

    def reload(
        self, changed: Iterable[str | Path] | None = None
    ) -> tuple[Course | None, list[Diagnostic]]:
        """Load again, parsing only what changed; the result equals a fresh `load()`.

        `changed`: paths (absolute, or relative to the course folder) known to have changed;
        None compares every file's bytes with what was parsed before.
        """
        self._changed = None if changed is None else {self._rel(p) for p in changed}
        self.parsed = []
        self._fresh, self._listed = set(), set()
        bag = DiagnosticBag()
        sources = SourceMap()
        course = self._read_course(bag, sources)
        if course is not None:
            validate_course(course, bag, sources)
        for rel in [r for r in self._files if r not in self._listed]:
            del self._files[rel]  # a file no longer listed: forget it
        log.debug("loaded %s: parsed %d files", self.root, len(self.parsed))
        usable = course if sources.course_yml_ok else None
        return usable, sort_diagnostics(bag.items)

    def _rel(self, path: str | Path) -> str:
        """A changed path as the course lists it (a module may be a symlink: not resolved)."""
        p = Path(path)
        if not p.is_absolute():
            return p.as_posix()
        for candidate in (Path(abspath(p)), p.resolve()):
            if candidate.is_relative_to(self.root):
                return candidate.relative_to(self.root).as_posix()
        return p.as_posix()

    def _read_course(self, bag: DiagnosticBag, sources: SourceMap) -> Course | None:
        root = self.root
        yml = root / COURSE_YML
        if not yml.is_file():
            what = f"course folder '{root.name}' not found"
            if root.is_dir():
                what = "course.yml not found"
            bag.add(COURSE_YML, 1, 1, "F005", what, "a course folder needs a course.yml")
            return None
        text = read_text(yml, COURSE_YML, bag)
        doc = YamlDoc(COURSE_YML, bag, COURSE_CODES)
        fields = root_fields(doc, text.text, COURSE_YML) if text else None
        if fields is None:  # still check every module and bank file, found by folder
            sources.course_yml_ok = False
            bank_files = list_markdown_files(root, "banks")
            module_files = list_markdown_files(root, "modules")
            info: dict[str, Any] = {"id": "", "title": "", "version": "", "language": ""}
        else:
            info = course_info(fields, root, bag, sources)
            top = str(root)  # os.path: a large course lists hundreds of files
            bank_files = [rel for rel, _ in sources.banks if isfile(join(top, rel))]
            module_files = [rel for rel, _ in sources.modules if isfile(join(top, rel))]
        self._listed = {*bank_files, *module_files}
        banks: dict[str, Bank] = {}
        for rel in bank_files:
            bank = self._file(rel, bag, sources, ("bank",), lambda f, b, _s: parse_bank(f, b))
            if bank is not None:
                banks[rel] = bank
        depends = ("module", *(f"{rel}:{self._files[rel].sha256}" for rel in banks))
        self._parse_many([rel for rel in module_files if rel not in self._files], banks, depends)
        modules = []
        for rel in module_files:
            module = self._file(
                rel, bag, sources, depends, lambda f, b, s: parse_module(f, b, s, banks)
            )
            if module is not None:
                modules.append(module)
        return Course(root=str(root), modules=tuple(modules), banks=tuple(banks.values()), **info)

    def _file(
        self,
        rel: str,
        bag: DiagnosticBag,
        sources: SourceMap,
        depends: tuple[str, ...],
        parse: Callable[[TextFile, DiagnosticBag, SourceMap], T | None],
    ) -> T | None:
        """One file's parse, from the cache when its bytes and dependencies are unchanged."""
        entry = self._files.get(rel)
        fresh = entry is not None and entry.depends == depends
        trusted = self._changed is not None and rel not in self._changed
        if not (fresh and (trusted or rel in self._fresh)):
            scratch = DiagnosticBag()
            data = read_bytes(self.root / rel, rel, scratch)
            sha = hashlib.sha256(data).hexdigest() if data is not None else ""
            if not (fresh and data is not None and entry is not None and entry.sha256 == sha):
                entry = self._parse(rel, data, sha, scratch, depends, parse)
        assert entry is not None
        bag.extend(entry.diagnostics)
        sources.refs.update(entry.sources.refs)
        sources.images.extend(entry.sources.images)
        return entry.value

    def _parse(
        self,
        rel: str,
        data: bytes | None,
        sha: str,
        bag: DiagnosticBag,
        depends: tuple[str, ...],
        parse: Callable[[TextFile, DiagnosticBag, SourceMap], T | None],
    ) -> _Parsed[T]:
        self.parsed.append(rel)
        file = text_file(data, rel, bag) if data is not None else None
        sources = SourceMap()
        value = parse(file, bag, sources) if file is not None else None
        entry = _Parsed(sha, depends, value, bag.items, sources)
        if data is not None:  # an unreadable file is read again next time
            self._files[rel] = entry
        return entry

    def _parse_many(
        self, rels: list[str], banks: dict[str, Bank], depends: tuple[str, ...]
    ) -> None:
        """Parse many module files on `jobs` processes (a cold load of a large course), running
        `after_parse` on each module there too."""
        self.extras = {}
        least = PARALLEL_FILES if self.after_parse is None else PARALLEL_WITH_WORK
        if self.jobs < 2 or len(rels) < least:
            return
        job = partial(_parse_module_file, self.root, banks, depends, self.after_parse)
        done = run_shared(job, rels, self.jobs, before_fork=self.before_fork, done=self.progress)
        for rel, (entry, extra) in zip(rels, done, strict=True):
            if entry is not None:  # an unreadable file is read (and reported) by `_file`
                self._files[rel] = entry
                self._fresh.add(rel)
                self.parsed.append(rel)
                if extra is not None:
                    self.extras[rel] = extra


def _parse_module_file(
    root: Path,
    banks: dict[str, Bank],
    depends: tuple[str, ...],
    after_parse: Callable[[Module], Any] | None,
    rel: str,
) -> tuple[_Parsed[Module] | None, Any]:
    """Read and parse one module file (in a worker process), then run `after_parse` on the
    module; (None, None) when the file cannot be read."""
    bag = DiagnosticBag()
    data = read_bytes(root / rel, rel, bag)
    if data is None:
        return None, None
    file = text_file(data, rel, bag)
    sources = SourceMap()
    module = parse_module(file, bag, sources, banks) if file is not None else None
    extra = after_parse(module) if after_parse is not None and module is not None else None
    return _Parsed(hashlib.sha256(data).hexdigest(), depends, module, bag.items, sources), extra
