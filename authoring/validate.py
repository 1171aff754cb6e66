"""Cross-file checks on a loaded course: files listed and found, unique ids, banks and draws.

The loader calls `validate_course` itself; the checks need positions the model does not keep
(where course.yml lists a module, where a module body shows an image), and the loader passes
them in a `SourceMap`. Without one, positions fall back to the start of course.yml.
"""

from __future__ import annotations

import difflib
import logging
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from authoring.diagnostics import Diagnostic, DiagnosticBag, did_you_mean
from authoring.fsutil import normalize_rel, path_problem
from authoring.model import Bank, Course, Draw, Module, Question, SourceRef

log = logging.getLogger(__name__)

COURSE_YML = "course.yml"
CREDENTIAL_IMAGE_TYPES = (".png", ".svg")


@dataclass(frozen=True)
class ImageRef:
    """An image a Markdown file shows: `![alt](target)` at path:line:column."""

    path: str
    line: int
    column: int
    target: str


@dataclass
class SourceMap:
    """Positions the model does not keep, gathered by the loader for the cross-file checks.

    `refs` maps a course.yml field ("credential", "completion.require[0]") or a module field
    ("modules/a.md#points") to where it was written.
    """

    course_yml_ok: bool = True  # False: course.yml could not be read; modules were found by folder
    modules: list[tuple[str, SourceRef]] = field(default_factory=list)  # listed module paths
    banks: list[tuple[str, SourceRef]] = field(default_factory=list)  # listed bank paths
    refs: dict[str, SourceRef] = field(default_factory=dict)
    images: list[ImageRef] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # listed paths refused with F004

    def where(self, key: str, path: str = COURSE_YML) -> SourceRef:
        return self.refs.get(key) or SourceRef(path, 1, 1)


def draw_candidates(bank: Bank, draw: Draw) -> list[Question]:
    """The bank questions a draw can pick: those with any of its tags (no tags: all of them)."""
    wanted = set(draw.tags)
    return [q for q in bank.questions if not wanted or wanted.intersection(q.tags)]


def validate_course(
    course: Course, bag: DiagnosticBag | list[Diagnostic], sources: SourceMap | None = None
) -> list[Diagnostic]:
    """Run every cross-file check; add the diagnostics to `bag` (bag or list) and return them.

    Without `sources` (a Course built in memory), the course's own modules and banks count as
    listed, C005/C006/C013 are skipped, and positions fall back to the start of course.yml.
    When `course.root` is not a folder, the checks that need files (M005, C014) are skipped too.
    """
    out = bag if isinstance(bag, DiagnosticBag) else DiagnosticBag(bag)
    start = len(out.items)
    src = sources or _sources_of(course)
    root = Path(course.root) if course.root and Path(course.root).is_dir() else None
    if sources is not None and sources.course_yml_ok and root is not None:
        _check_listed_files(course, root, src, out)
    if src.course_yml_ok:
        _check_course_refs(course, root, src, out)
    _check_module_ids(course, src, out)
    _check_quiz_ids(course, out)
    _check_images(root, src, out)
    _check_hint_penalties(course, out)
    for module in course.modules:
        _check_draws(course, module, root, src, out)
        _check_points(course, module, src, out)
    return out.items[start:]


def _sources_of(course: Course) -> SourceMap:
    """A SourceMap for a Course built in memory: what it holds counts as listed."""
    top = SourceRef(COURSE_YML, 1, 1)
    return SourceMap(
        modules=[(m.path, top) for m in course.modules],
        banks=[(b.path, top) for b in course.banks],
    )


def suggest_path(rel: str, candidates: list[str]) -> str:
    """A did-you-mean hint comparing file names only (shared folder names say nothing)."""
    by_name = {posixpath.basename(c): c for c in candidates}
    close = difflib.get_close_matches(posixpath.basename(rel), sorted(by_name), n=1, cutoff=0.6)
    return f"did you mean '{by_name[close[0]]}'?" if close else ""


def list_markdown_files(root: Path, folder: str) -> list[str]:
    """Course-relative paths of the visible .md files under `folder` (sorted)."""
    base = root / folder
    if not base.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        found += [f"{rel_dir}/{n}" for n in filenames if n.endswith(".md") and n[0] != "."]
    return sorted(found)


def _check_listed_files(course: Course, root: Path, src: SourceMap, bag: DiagnosticBag) -> None:
    """C005 listed modules that are missing, C006 module files nobody lists, C013 missing banks."""
    present = list_markdown_files(root, "modules")
    listed = {rel for rel, _ in src.modules} | src.refused
    unlisted = [rel for rel in present if rel not in listed]
    for rel, ref in src.modules:
        if not (root / rel).is_file():
            hint = suggest_path(rel, unlisted)
            bag.add(ref.path, ref.line, ref.column, "C005", f"module file '{rel}' not found", hint)
    for rel in unlisted:
        bag.add(
            rel,
            1,
            1,
            "C006",
            f"module file '{rel}' is not listed in course.yml",
            "add it to 'modules' to publish it, or delete it",
        )
    listed_banks = {rel for rel, _ in src.banks}
    bank_files = [rel for rel in list_markdown_files(root, "banks") if rel not in listed_banks]
    for rel, ref in src.banks:
        if not (root / rel).is_file():
            hint = suggest_path(rel, bank_files)
            bag.add(ref.path, ref.line, ref.column, "C013", f"bank file '{rel}' not found", hint)


def _check_course_refs(
    course: Course, root: Path | None, src: SourceMap, bag: DiagnosticBag
) -> None:
    """C009 completion names an unknown module, C010/C014 credential, C011 graded with 0 points."""
    ids = [m.id for m in course.modules]
    known = set(ids)
    for i, module_id in enumerate(course.completion.require):
        if module_id not in known:
            ref = src.where(f"completion.require[{i}]")
            message = f"completion requires unknown module '{module_id}'"
            bag.add(ref.path, ref.line, ref.column, "C009", message, did_you_mean(module_id, ids))
    cred = course.credential
    if cred is not None:
        ref = src.where("credential")
        for key in ("name", "description", "criteria"):
            if not getattr(cred, key).strip():
                bag.add(ref.path, ref.line, ref.column, "C010", f"credential is missing '{key}'")
        if cred.image:
            _check_credential_image(cred.image, root, src.where("credential.image"), bag)
    if course.grading.passback == "per-module":
        for module in course.modules:
            if module.graded and module_points(course, module) == 0:
                ref = src.where(f"{module.path}#graded", module.path)
                bag.add(
                    ref.path,
                    ref.line,
                    ref.column,
                    "C011",
                    f"module '{module.id}' is graded but worth 0 points",
                    "add a quiz, or set graded: false (per-module passback needs points)",
                )


def _check_credential_image(
    image: str, root: Path | None, ref: SourceRef, bag: DiagnosticBag
) -> None:
    problem = path_problem(root, image)
    if problem:
        bag.add(
            ref.path,
            ref.line,
            ref.column,
            "F004",
            f"path '{image}' {problem}",
            "use a path relative to the course folder that stays inside it",
        )
    elif not image.lower().endswith(CREDENTIAL_IMAGE_TYPES):
        bag.add(
            ref.path,
            ref.line,
            ref.column,
            "C014",
            f"credential image '{image}' is not a PNG or SVG file",
        )
    elif root is not None and not (root / image).is_file():
        bag.add(
            ref.path,
            ref.line,
            ref.column,
            "C014",
            f"credential image '{image}' not found",
            "remove 'image' to get a generated badge",
        )


def _check_module_ids(course: Course, src: SourceMap, bag: DiagnosticBag) -> None:
    """C007: two module files with the same id."""
    first: dict[str, Module] = {}
    for module in course.modules:
        other = first.setdefault(module.id, module)
        if other is not module:
            ref = src.where(f"{module.path}#id", module.path)
            bag.add(
                ref.path,
                ref.line,
                ref.column,
                "C007",
                f"duplicate module id '{module.id}' (also in {other.path})",
            )


def _check_quiz_ids(course: Course, bag: DiagnosticBag) -> None:
    """Q002: quiz and draw ids are unique across modules and banks; the later one is reported."""
    seen: dict[str, SourceRef | None] = {}
    items: list[Question | Draw] = []
    for module in course.modules:
        items += [*module.questions, *module.draws]
    for bank in course.banks:
        items += bank.questions
    for item in items:
        if item.id not in seen:
            seen[item.id] = item.where
            continue
        other, here = seen[item.id], item.where or SourceRef(COURSE_YML, 1, 1)
        also = f" (also at {other.path}:{other.line})" if other else ""
        bag.add(
            here.path,
            here.line,
            here.column,
            "Q002",
            f"duplicate quiz id '{item.id}'{also}",
            "ids must be unique in the course; rename one",
        )


def _check_images(root: Path | None, src: SourceMap, bag: DiagnosticBag) -> None:
    """M005: every image a module shows exists inside the course folder (F004 otherwise)."""
    if root is None:
        return
    for image in src.images:
        problem = path_problem(root, image.target)
        if problem:
            bag.add(
                image.path,
                image.line,
                image.column,
                "F004",
                f"path '{image.target}' {problem}",
                "use a path relative to the course folder that stays inside it",
            )
        elif not (root / image.target).is_file():
            folder = posixpath.dirname(normalize_rel(image.target))
            parent = root / folder
            names = os.listdir(parent) if parent.is_dir() else []
            hint = suggest_path(normalize_rel(image.target), [f"{folder}/{n}" for n in names])
            bag.add(
                image.path,
                image.line,
                image.column,
                "M005",
                f"image '{image.target}' not found",
                hint,
            )


def module_points(course: Course, module: Module) -> float | None:
    """What the module's quizzes and draws are worth; None when a draw's worth is unknown."""
    total = sum(q.points for q in module.questions)
    for draw in module.draws:
        if draw.points is None:
            return None
        total += draw.points * draw.count
    return total


def _check_points(course: Course, module: Module, src: SourceMap, bag: DiagnosticBag) -> None:
    """M016: a module's `points` that its quizzes and draws do not add up to."""
    worth = module_points(course, module)
    if module.points is not None and worth is not None and abs(worth - module.points) > 1e-9:
        ref = src.where(f"{module.path}#points", module.path)
        bag.add(
            ref.path,
            ref.line,
            ref.column,
            "M016",
            f"module '{module.id}' has points: {module.points:g} but its quizzes add up to "
            f"{worth:g}",
            "change 'points' or the points of the quizzes",
        )


def _check_hint_penalties(course: Course, bag: DiagnosticBag) -> None:
    """Q017: a hint penalty on a quiz with a single attempt (the module's, unless it overrides).

    Bank questions are checked only when they set attempts=1 themselves.
    """
    pairs: list[tuple[Question, int | None]] = [
        (q, m.attempts if q.attempts is None else q.attempts)
        for m in course.modules
        for q in m.questions
    ]
    pairs += [(q, q.attempts) for b in course.banks for q in b.questions]
    for q, attempts in pairs:
        if attempts == 1 and q.hint_penalty > 0 and q.where is not None:
            bag.add(
                q.where.path,
                q.where.line,
                q.where.column,
                "Q017",
                f"quiz '{q.id}' has hint_penalty but only 1 attempt",
                "with one attempt hints can never reduce the score; allow more attempts or "
                "remove hint_penalty",
            )


def _check_draws(
    course: Course, module: Module, root: Path | None, src: SourceMap, bag: DiagnosticBag
) -> None:
    """B001 bank not listed or found, B002 count too high, B003 mixed points, B004 overlap."""
    listed = {rel for rel, _ in src.banks} if src.course_yml_ok else None
    reachable: dict[tuple[str, str], str] = {}  # (bank, question id) -> first draw id
    reported: set[tuple[str, str]] = set()
    for draw in module.draws:
        assert draw.where is not None
        where = draw.where
        problem = path_problem(root, draw.bank)
        bank = course.bank(draw.bank)
        if problem:
            bag.add(
                where.path,
                where.line,
                where.column,
                "F004",
                f"path '{draw.bank}' {problem}",
                "use a path relative to the course folder that stays inside it",
            )
            continue
        if listed is not None and draw.bank not in listed:
            bag.add(
                where.path,
                where.line,
                where.column,
                "B001",
                f"bank '{draw.bank}' is not listed in 'banks'",
                "add it to 'banks' in course.yml",
            )
            continue
        if bank is None:
            bag.add(where.path, where.line, where.column, "B001", f"bank '{draw.bank}' not found")
            continue
        candidates = draw_candidates(bank, draw)
        tags = ",".join(draw.tags)
        if draw.count > len(candidates):
            matching = f"match tags '{tags}'" if tags else "are in it"
            bag.add(
                where.path,
                where.line,
                where.column,
                "B002",
                f"draw '{draw.id}' asks for {draw.count} questions but only "
                f"{len(candidates)} in '{draw.bank}' {matching}",
            )
        worths = sorted({q.points for q in candidates})
        if draw.points is None and len(worths) > 1:
            shown = ", ".join(f"{p:g}" for p in worths)
            bag.add(
                where.path,
                where.line,
                where.column,
                "B003",
                f"questions drawn by '{draw.id}' are worth different points ({shown})",
                "set points= on the draw",
            )
        for q in candidates:
            first = reachable.setdefault((draw.bank, q.id), draw.id)
            if first != draw.id and (first, draw.id) not in reported:
                reported.add((first, draw.id))
                bag.add(
                    where.path,
                    where.line,
                    where.column,
                    "B004",
                    f"draws '{first}' and '{draw.id}' can both draw bank question '{q.id}'",
                    "give the draws tags that do not overlap",
                )
