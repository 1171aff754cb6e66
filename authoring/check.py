"""`microcred check` and the first half of `build`: load, validate, render once, collect all.

`check` reads and validates the source: every problem the files themselves show (under a second
for a 200-module course). With `render=True` (what `build` and `check --render` do) every module
is also rendered once, and the checks that need the rendered tree run (accessibility, sanitizer
removals, math). Rendering is cached per module by the hash of its source and the renderer's
version, so a rebuild after one edit renders only what changed, and large courses render on
every core.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .diagnostics import CODES, Diagnostic, Severity, apply_strict, sort_diagnostics
from .loader import load_course
from .model import Course, Module, Question
from .serialize import question_fragments
from .workers import run_shared

log = logging.getLogger(__name__)

RENDER_CACHE_VERSION = "2"
CACHE_DIRNAME = ".microcred-cache"
#: Below this many modules to render, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 24


@dataclass(frozen=True)
class ModuleRender:
    """What rendering one module produced; JSON-serialisable for the cache."""

    module_id: str
    html: str
    diagnostics: tuple[Diagnostic, ...]
    assets: tuple[str, ...]
    questions_public: dict[str, dict[str, Any]]
    questions_private: dict[str, dict[str, Any]]
    links: tuple[tuple[str, str], ...] = ()  # linked course files: (path, URL as written)
    # question id -> (public JSON, server JSON), dumped by the render worker; not cached on disk
    fragments: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "module_id": self.module_id,
            "html": self.html,
            "diagnostics": [d.as_dict() for d in self.diagnostics],
            "assets": list(self.assets),
            "questions_public": self.questions_public,
            "questions_private": self.questions_private,
            "links": [list(link) for link in self.links],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModuleRender:
        diags = tuple(
            Diagnostic(**{**d, "severity": Severity(d["severity"])}) for d in data["diagnostics"]
        )
        return cls(
            data["module_id"],
            data["html"],
            diags,
            tuple(data["assets"]),
            data["questions_public"],
            data["questions_private"],
            tuple((path, written) for path, written in data.get("links", ())),
        )


@dataclass
class CheckResult:
    """What `check` or the first half of `build` found: the course, diagnostics and renders."""

    course: Course | None
    diagnostics: list[Diagnostic]
    renders: dict[str, ModuleRender] = field(default_factory=dict)
    question_renders: dict[str, ModuleRender] = field(default_factory=dict)
    bank_renders: dict[str, ModuleRender] = field(default_factory=dict)
    rendered_count: int = 0  # modules actually rendered (not from cache)

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


def asset_url_for_package(path: str) -> str:
    """Inside a package, module HTML names an asset by its course-relative path under assets/."""
    return "assets/" + path


def render_body(module: Module) -> ModuleRender:
    """Render a module body: HTML, its diagnostics and the assets it references."""
    from .render import render_module

    rendered = render_module(module, asset_url=asset_url_for_package)
    return ModuleRender(
        module.id,
        rendered.html,
        tuple(rendered.diagnostics),
        tuple(rendered.assets),
        {},
        {},
        rendered.links,
    )


def render_questions(
    key: str, questions: Sequence[Question], *, check: bool = False
) -> ModuleRender:
    """The public and private parts of questions (a module's, or a bank's), and their assets.

    `check` also runs the rendered-tree checks on each question (bank questions: a module's
    own questions are checked with its body).
    """
    from .render import check_question, question_assets, render_question

    public: dict[str, dict[str, Any]] = {}
    private: dict[str, dict[str, Any]] = {}
    assets: dict[str, None] = {}
    diags: list[Diagnostic] = []
    for q in questions:
        public[q.id], private[q.id] = render_question(q, asset_url=asset_url_for_package)
        assets.update(dict.fromkeys(question_assets(q)))
        if check:
            diags.extend(check_question(q, path=q.where.path if q.where else key))
    return ModuleRender(key, "", tuple(diags), tuple(assets), public, private)


def _cache_key(kind: str, source_hash: str) -> str:
    raw = f"{RENDER_CACHE_VERSION}|{_renderer_version()}|{kind}|{source_hash}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _renderer_version() -> str:
    """Changes whenever the renderer's code changes, so stale cache entries are never used."""
    global _RENDERER_VERSION
    if _RENDERER_VERSION is None:
        here = Path(__file__).parent
        h = hashlib.sha256()
        for p in sorted(here.rglob("*.py")):  # any change to the toolkit invalidates the cache
            h.update(p.read_bytes())
        _RENDERER_VERSION = h.hexdigest()[:16]
    return _RENDERER_VERSION


_RENDERER_VERSION: str | None = None


class RenderCache:
    """Rendered modules in memory and on disk, one entry per (source hash, renderer version).

    The memory layer serves a long-lived builder (rebuilds, preview); the disk layer serves the
    next process. Entries are immutable, so either layer may answer.
    """

    def __init__(self, folder: Path | None, memory: bool = False):
        self.folder = folder
        self.memory: dict[str, ModuleRender] | None = {} if memory else None

    def get(self, key: str) -> ModuleRender | None:
        if self.memory is not None and key in self.memory:
            return self.memory[key]
        if self.folder is None:
            return None
        path = self.folder / f"{key}.json"
        try:
            render = ModuleRender.from_json(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if self.memory is not None:
            self.memory[key] = render
        return render

    def put(self, key: str, render: ModuleRender) -> None:
        if self.memory is not None:
            self.memory[key] = render
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(render.to_json(), ensure_ascii=False), "utf-8")
        os.replace(tmp, self.folder / f"{key}.json")


def warm_renderer() -> None:
    """Set up the Markdown engine here, so processes forked after this inherit it."""
    from .render import warm

    warm()


def _render_job(args: tuple[Module, bool, bool]) -> tuple[ModuleRender | None, ModuleRender | None]:
    module, need_body, need_questions = args
    body = render_body(module) if need_body else None
    questions = render_questions(module.id, module.questions) if need_questions else None
    if questions is not None:  # the JSON the package holds, dumped here on a worker's core
        parts = question_fragments(
            module.questions, questions.questions_public, questions.questions_private
        )
        questions = replace(questions, fragments=parts)
    return body, questions


def prerender_module(disk: Path | None, module: Module) -> dict[str, ModuleRender]:
    """A cold build's render of one module, run by the loader right where the module was parsed:
    body and questions by their cache keys (`render_course(ready=...)` takes them). What the disk
    cache `disk` already holds is left for `render_course` to read."""
    keys = (_cache_key("body", module.source_hash), _cache_key("questions", module.source_hash))
    if disk is not None and all((disk / f"{key}.json").is_file() for key in keys):
        return {}
    body, questions = _render_job((module, True, True))
    assert body is not None and questions is not None
    return {keys[0]: body, keys[1]: questions}


def prepare_workers() -> None:
    """What processes forked for rendering should inherit: the Markdown engine, the cache key."""
    warm_renderer()
    _renderer_version()


def open_cache(folder: Path, cache_dir: Path | bool | None, memory: bool = False) -> RenderCache:
    """`cache_dir=True`: `<folder>/.microcred-cache/render`; False or None: no disk cache."""
    disk = folder / CACHE_DIRNAME / "render" if cache_dir is True else (cache_dir or None)
    return RenderCache(disk, memory=memory)


def check_course(
    folder: str | Path,
    *,
    strict: bool = False,
    render: bool = False,
    with_questions: bool = False,
    cache_dir: Path | bool | None = True,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> CheckResult:
    """Load and validate; with `render`, also render every module once. Every diagnostic, sorted.

    `with_questions` (implies `render`) also renders question parts, which the build needs.
    `cache_dir=True` uses `<folder>/.microcred-cache/render`; False or None disables caching.
    """
    root = Path(folder)
    course, diags = load_course(root)
    result = CheckResult(course, list(diags))
    if course is not None and (render or with_questions):
        render_course(
            result,
            open_cache(root, cache_dir),
            with_questions=with_questions,
            jobs=jobs,
            progress=progress,
        )
    result.diagnostics = finish_diagnostics(result.diagnostics, strict)
    return result


def render_course(
    result: CheckResult,
    cache: RenderCache,
    *,
    with_questions: bool,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    ready: Mapping[str, ModuleRender] | None = None,
    ready_reported: bool = False,
) -> None:
    """Render what the cache does not hold yet, on every core for many modules; add diagnostics.

    `ready` (cache key -> render) holds what was rendered already, as the modules were parsed
    (`prerender_module`): counted and cached as rendered here, never rendered twice;
    `ready_reported`: `progress` was told about those already, as they were rendered.
    """
    course = result.course
    assert course is not None
    # (module, body key or None when cached, questions key or None when cached or not wanted)
    pending: list[tuple[Module, str | None, str | None]] = []
    for module in course.modules:
        body_key = _cache_key("body", module.source_hash)
        body = cache.get(body_key)
        if body is not None:
            result.renders[module.id] = body
        q_key: str | None = None
        if with_questions:
            q_key = _cache_key("questions", module.source_hash)
            questions = cache.get(q_key)
            if questions is not None:
                result.question_renders[module.id] = questions
                q_key = None
        if body is None or q_key is not None:
            pending.append((module, None if body is not None else body_key, q_key))
        elif progress:
            progress(1)

    ready = ready or {}
    outputs: dict[int, tuple[ModuleRender | None, ModuleRender | None]] = {}
    for index, (_module, bk, qk) in enumerate(pending):
        body, questions = ready.get(bk or ""), ready.get(qk or "")
        if (bk is None or body is not None) and (qk is None or questions is not None):
            outputs[index] = (body, questions)
            if progress and not ready_reported:
                progress(1)
    todo = [index for index in range(len(pending)) if index not in outputs]
    jobs_args = [
        (m, bk is not None, qk is not None) for m, bk, qk in map(pending.__getitem__, todo)
    ]
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if len(todo) < PARALLEL_THRESHOLD:
        workers = 1
    done = run_shared(_render_job, jobs_args, workers, before_fork=warm_renderer, done=progress)
    outputs.update(zip(todo, done, strict=True))
    for index, (module, wanted_body, wanted_q) in enumerate(pending):
        body, questions = outputs[index]
        if body is not None and wanted_body is not None:
            cache.put(wanted_body, body)
            result.renders[module.id] = body
            result.rendered_count += 1
        if questions is not None and wanted_q is not None:
            cache.put(wanted_q, questions)
            result.question_renders[module.id] = questions

    if with_questions:
        for bank in course.banks:
            bank_hash = hashlib.sha256(
                "\x1f".join(
                    q.content_hash() + q.stem_md + q.explain_md + repr(q) for q in bank.questions
                ).encode()
            ).hexdigest()
            key = _cache_key("bank:" + bank.path, bank_hash)
            hit = cache.get(key)
            if hit is None:
                hit = render_questions(bank.path, bank.questions, check=True)
                cache.put(key, hit)
            result.bank_renders[bank.path] = hit
            result.diagnostics.extend(hit.diagnostics)

    for render in result.renders.values():
        result.diagnostics.extend(render.diagnostics)
    result.diagnostics.extend(missing_links(course, result.renders))


def missing_links(course: Course, renders: dict[str, ModuleRender]) -> list[Diagnostic]:
    """M014 for each link to a course file (`[slides](files/week1.pdf)`) that is not there.

    Checked on every run, never cached: the file may appear or vanish without the module changing.
    """
    from .a11y import Locator
    from .validate import suggest_path

    root = Path(course.root)
    out: list[Diagnostic] = []
    for module in course.modules:
        render = renders.get(module.id)
        for path, written in render.links if render else ():
            if (root / path).is_file():
                continue
            found = (p.relative_to(root) for p in root.rglob("*") if p.is_file())
            files = [f.as_posix() for f in found if not f.parts[0].startswith((".", "dist"))]
            hint = (
                suggest_path(path, files) or "check the path: it is relative to the course folder"
            )
            line, column = Locator(module.body_md, module.body_line).position(written)
            message = f"linked file '{written}' not found"
            out.append(Diagnostic(module.path, line, column, CODES["M014"], "M014", message, hint))
    return out


def finish_diagnostics(diags: list[Diagnostic], strict: bool) -> list[Diagnostic]:
    """Each problem once, sorted; warnings become errors with `strict`."""
    unique = list(dict.fromkeys(diags))  # a problem reported by two passes is printed once
    return sort_diagnostics(apply_strict(unique) if strict else unique)
