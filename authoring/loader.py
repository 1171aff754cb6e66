"""Folder -> `Course` (or program.yml -> `Program`) plus every diagnostic, in one pass.

Nothing here raises for a content problem: each one becomes a `Diagnostic` and loading goes on.
`load_course` also runs `authoring.validate.validate_course`, so its list is complete.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

from authoring.diagnostics import Diagnostic, DiagnosticBag, did_you_mean, sort_diagnostics
from authoring.fsutil import (
    has_url_scheme,
    normalize_rel,
    path_problem,
    read_text,
    resolve_inside,
)
from authoring.model import (
    Alignment,
    Author,
    Bank,
    Completion,
    Course,
    CredentialSpec,
    DegreeCredit,
    Draw,
    Grading,
    Module,
    Program,
    ProgramMember,
    SourceRef,
)
from authoring.quiz import SLUG, scan_markdown
from authoring.validate import (
    COURSE_YML,
    ImageRef,
    SourceMap,
    draw_candidates,
    list_markdown_files,
    validate_course,
)
from authoring.yamlpos import (
    COURSE_CODES,
    MODULE_CODES,
    PROGRAM_CODES,
    Fields,
    YamlDoc,
    root_fields,
    scalar_text,
)

log = logging.getLogger(__name__)

PROGRAM_YML = "program.yml"
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
BCP47 = re.compile(
    r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$"
)
# fmt: off
ACHIEVEMENT_TYPES = (  # the Open Badges 3.0 achievementType vocabulary
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree",
    "Award", "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification",
    "CoCurricular", "CommunityService", "Competency", "Course", "Degree", "Diploma",
    "DoctoralDegree", "Fieldwork", "GeneralEducationDevelopment", "JourneymanCertificate",
    "LearningProgram", "License", "Membership", "ProfessionalDoctorate",
    "QualityAssuranceCredential", "MasterCertificate", "MasterDegree", "MicroCredential",
    "ResearchDoctorate", "SecondarySchoolDiploma",
)
# fmt: on
LEVELS = ("undergraduate-lower", "undergraduate-upper", "graduate", "continuing-education")
GRADE_MODES = ("pass-fail", "letter", "credit-no-credit")
_IMAGE = re.compile(
    r"!\[([^\]]*)\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)(\{[^}]*\})?"
)
_CODE_SPAN = re.compile(r"(`+).+?\1")
_SLUG_WHAT = "a slug of lower-case letters, digits and '-'"


def load_course(folder: str | Path) -> tuple[Course | None, list[Diagnostic]]:
    """Load and validate a course folder: the Course (None when course.yml is unusable) and
    every diagnostic, sorted.

    With a broken course.yml the module and bank files are still checked (found by folder).
    """
    bag = DiagnosticBag()
    root = Path(folder).resolve()
    sources = SourceMap()
    course = _read_course(root, bag, sources)
    if course is not None:
        validate_course(course, bag, sources)
    usable = course if sources.course_yml_ok else None
    return usable, sort_diagnostics(bag.items)


def _read_course(root: Path, bag: DiagnosticBag, sources: SourceMap) -> Course | None:
    yml = root / COURSE_YML
    if not yml.is_file():
        what = "course.yml not found" if root.is_dir() else f"course folder '{root.name}' not found"
        bag.add(COURSE_YML, 1, 1, "F005", what, "a course folder needs a course.yml")
        return None
    text = read_text(yml, COURSE_YML, bag)
    fields = (
        root_fields(YamlDoc(COURSE_YML, bag, COURSE_CODES), text.text, COURSE_YML) if text else None
    )
    if fields is None:  # still check every module and bank file, found by folder
        sources.course_yml_ok = False
        banks = {
            rel: b
            for rel in list_markdown_files(root, "banks")
            if (b := _load_bank(root, rel, bag))
        }
        modules = [
            m
            for rel in list_markdown_files(root, "modules")
            if (m := _load_module(root, rel, bag, sources, banks))
        ]
        return Course(
            "", "", "", "", str(root), modules=tuple(modules), banks=tuple(banks.values())
        )
    info = _course_info(fields, root, bag, sources)
    banks = {}
    for rel, _ in sources.banks:
        if (root / rel).is_file() and (bank := _load_bank(root, rel, bag)) is not None:
            banks[rel] = bank
    modules = []
    for rel, _ in sources.modules:
        if (root / rel).is_file() and (module := _load_module(root, rel, bag, sources, banks)):
            modules.append(module)
    return Course(root=str(root), modules=tuple(modules), banks=tuple(banks.values()), **info)


def _course_info(f: Fields, root: Path, bag: DiagnosticBag, sources: SourceMap) -> dict:
    """The simple course.yml fields; file lists and positions go into `sources`."""
    info: dict = {"id": _slug(f, "id"), "title": f.text("title", required=True)}
    info["version"] = _semver(f, "version", "C004")
    info["language"] = language = f.text("language", required=True)
    if language and not BCP47.match(language):
        hint = (
            f"use '-', e.g. '{language.replace('_', '-')}'"
            if "_" in language
            else "e.g. 'en', 'en-GB', 'pt-BR'"
        )
        f.doc.add(
            f.value_pos("language"), "C008", f"language '{language}' is not a BCP 47 tag", hint
        )
    info["summary"] = f.text("summary")
    info["license"] = f.text("license")
    authors = []
    for i, node in f.items("authors"):
        name = scalar_text(node)
        sub = None if name is not None else f.sub(f"authors[{i}]", node)
        if name is not None:
            authors.append(Author(name))
        elif sub is not None:
            authors.append(Author(sub.text("name", True), sub.text("email"), sub.text("orcid")))
            sub.finish()
    info["authors"] = tuple(authors)
    sources.modules = _paths(f, "modules", root, sources.refused, required=True)
    sources.banks = _paths(f, "banks", root, sources.refused)
    completion = f.mapping("completion")
    if completion is not None:
        require = []
        for i, node in completion.items("require"):
            if (text := scalar_text(node)) is None:
                completion.wrong(f"require[{i}]", node, "a module id")
                continue
            sources.refs[f"completion.require[{i}]"] = SourceRef(COURSE_YML, *f.doc.pos(node))
            require.append(text)
        score = completion.number("min_score", low=0, high=1)
        info["completion"] = Completion(tuple(require), score or 0.0)
        completion.finish()
    grading = f.mapping("grading")
    if grading is not None:
        info["grading"] = Grading(
            grading.choice("passback", ("per-module", "course"), "per-module")
        )
        grading.finish()
    sources.refs["credential"] = SourceRef(COURSE_YML, *f.key_pos("credential"))
    info["credential"] = _credential(f, "credential", "MicroCredential", root, sources.refs)
    f.finish()
    return info


def _slug(f: Fields, key: str) -> str:
    value = f.text(key, required=True)
    if value and not SLUG.match(value):
        node = f.value(key)
        assert node is not None
        f.wrong(key, node, _SLUG_WHAT)
    return value


def _semver(f: Fields, key: str, code: str) -> str:
    value = f.text(key, required=True)
    if value and not SEMVER.match(value):
        f.doc.add(
            f.value_pos(key),
            code,
            f"version '{value}' is not semver (MAJOR.MINOR.PATCH)",
            "e.g. '1.0.0'",
        )
    return value


def _paths(
    f: Fields, key: str, root: Path, refused: set[str], required: bool = False
) -> list[tuple[str, SourceRef]]:
    """A list of course-relative file paths: each safe (F004, then added to `refused`), once."""
    out: list[tuple[str, SourceRef]] = []
    seen: set[str] = set()
    nodes = f.seq(key, required)
    if nodes == [] and required:
        f.doc.add(f.value_pos(key), f.doc.codes.wrong, f"'{key}' must list at least one file")
    for i, node in enumerate(nodes or []):
        text = scalar_text(node)
        line, column = f.doc.pos(node)
        if text is None:
            f.wrong(f"{key}[{i}]", node, "a file path")
        elif resolve_inside(root, text, f.doc.bag, f.doc.path, line, column) is None:
            refused.add(normalize_rel(text))
        else:
            rel = normalize_rel(text)
            if rel in seen:
                f.doc.add(node, f.doc.codes.wrong, f"'{rel}' is listed twice in '{key}'")
            else:
                seen.add(rel)
                out.append((rel, SourceRef(f.doc.path, line, column)))
    return out


def _credential(
    f: Fields, key: str, default_type: str, root: Path, refs: dict[str, SourceRef]
) -> CredentialSpec | None:
    """A course `credential` (C010 comes from validate) or a program `certificate` (R002 here).

    The image path is normalised when it is safe; its position goes into `refs`.
    """
    required = f.doc.codes is PROGRAM_CODES
    c = f.mapping(key, required=required)
    if c is None:
        return None
    name, description, criteria = (c.text(k, required) for k in ("name", "description", "criteria"))
    image = c.text("image")
    refs[f"{key}.image"] = SourceRef(f.doc.path, *c.value_pos("image"))
    kind = c.text("achievement_type") or default_type
    if kind not in ACHIEVEMENT_TYPES and not kind.startswith("ext:"):
        node = c.value("achievement_type")
        assert node is not None
        hint = did_you_mean(kind, ACHIEVEMENT_TYPES) or "or an extension 'ext:YourTerm'"
        c.wrong("achievement_type", node, "an Open Badges 3.0 achievement type", hint)
        kind = default_type
    alignments = []
    for i, node in c.items("alignments"):
        sub = c.sub(f"alignments[{i}]", node)
        if sub is not None:
            parts = (
                sub.text(k, k in ("name", "url"))
                for k in ("name", "url", "framework", "code", "type")
            )
            alignments.append(Alignment(*parts))
            sub.finish()
    spec = CredentialSpec(
        name=name,
        description=description,
        criteria=criteria,
        image=normalize_rel(image) if image and not path_problem(root, image) else image,
        credit_hours=c.number("credit_hours", low=0),
        achievement_type=kind,
        alignments=tuple(alignments),
        expires_after_days=c.integer("expires_after_days", minimum=1),
        human_code=c.text("human_code"),
        field_of_study=c.text("field_of_study"),
        tags=tuple(c.str_list("tags")),
    )
    c.finish()
    return spec


def _front_matter(
    text: str, rel: str, bag: DiagnosticBag, required: bool
) -> tuple[Fields | None, int, bool]:
    """(fields, body's first index, usable): M001 when not closed, M002 when required and absent."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        if required:
            bag.add(
                rel,
                1,
                1,
                "M002",
                "module has no front matter with 'id' and 'title'",
                "start the file with '---', 'id: ...', 'title: ...' and '---'",
            )
        return None, 0, True
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        bag.add(rel, 1, 1, "M001", "front matter is not closed", "end it with a line '---'")
        return None, 0, False
    doc = YamlDoc(rel, bag, MODULE_CODES, first_line=2)
    return root_fields(doc, "\n".join(lines[1:end]), "front matter"), end + 1, True


def _load_module(
    root: Path, rel: str, bag: DiagnosticBag, sources: SourceMap, banks: dict[str, Bank]
) -> Module | None:
    """One module file: front matter, quizzes, draws; images recorded for validate (M006 here)."""
    file = read_text(root / rel, rel, bag)
    if file is None:
        return None
    fields, start, usable = _front_matter(file.text, rel, bag, required=True)
    if not usable:
        return None
    lines = file.text.split("\n")
    body = "\n".join(lines[start:])
    scan = scan_markdown(body, rel, start + 1, bag)
    _scan_images(scan.image_lines, rel, bag, sources)
    if fields is None:
        return None
    module_id = _slug(fields, "id")
    title = fields.text("title", required=True)
    for key in ("id", "points", "graded"):
        sources.refs[f"{rel}#{key}"] = SourceRef(rel, *fields.key_pos(key))
    credit = []
    for i, node in fields.items("attempt_credit"):
        text = scalar_text(node)
        if text is None or not _is_fraction(text):
            fields.wrong(f"attempt_credit[{i}]", node, "a number from 0 to 1")
        else:
            credit.append(float(text))
    module = Module(
        id=module_id,
        title=title,
        path=rel,
        body_md=body,
        body_line=start + 1,
        minutes=fields.integer("minutes", minimum=0),
        objectives=tuple(fields.str_list("objectives", allow_one=True)),
        graded=bool(fields.flag("graded")),
        points=fields.number("points", low=0),
        attempts=_default(fields.integer("attempts", minimum=0), 1),
        attempt_credit=tuple(credit),
        pass_score=fields.number("pass_score", low=0, high=1),
        questions=tuple(scan.questions),
        draws=tuple(_draw_points(d, banks) for d in scan.draws),
        source_hash=file.sha256,
    )
    fields.finish()
    return module if module_id else None


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def _is_fraction(text: str) -> bool:
    try:
        return 0 <= float(text) <= 1
    except ValueError:
        return False


def _draw_points(draw: Draw, banks: dict[str, Bank]) -> Draw:
    """Give a draw without points= the points its questions share, so Module.max_points is right."""
    bank = banks.get(draw.bank)
    if draw.points is not None or bank is None:
        return draw
    worths = {q.points for q in draw_candidates(bank, draw)}
    return replace(draw, points=worths.pop()) if len(worths) == 1 else draw


def _scan_images(
    image_lines: list[tuple[int, str]], rel: str, bag: DiagnosticBag, sources: SourceMap
) -> None:
    """M006 for images without alt text; local image targets go to `sources` for M005."""
    for line, text in image_lines:
        if "`" in text:  # an image inside a code span is an example, not an image
            text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), text)
        for match in _IMAGE.finditer(text):
            alt, target, attrs = match.group(1), match.group(2).strip("<>"), match.group(3) or ""
            column = match.start() + 1
            if not alt.strip() and "decorative" not in attrs:
                bag.add(
                    rel,
                    line,
                    column,
                    "M006",
                    f"image '{target}' has no alt text",
                    # the same words as authoring.a11y, so `check` prints the problem once
                    "describe it in the brackets, ![what it shows](...), or mark it "
                    "![](...){decorative} (WCAG 1.1.1)",
                )
            if target and not has_url_scheme(target) and not target.startswith("#"):
                path = re.split(r"[?#]", target, maxsplit=1)[0]
                sources.images.append(ImageRef(rel, line, column, unquote(path)))


def _load_bank(root: Path, rel: str, bag: DiagnosticBag) -> Bank | None:
    """A bank file: optional front matter (title), quiz blocks; prose between them is ignored."""
    file = read_text(root / rel, rel, bag)
    if file is None:
        return None
    fields, start, usable = _front_matter(file.text, rel, bag, required=False)
    if not usable:
        return None
    title = ""
    if fields is not None:
        title = fields.text("title")
        fields.finish()
    body = "\n".join(file.text.split("\n")[start:])
    scan = scan_markdown(body, rel, start + 1, bag)
    for draw in scan.draws:
        assert draw.where is not None
        bag.add(
            rel,
            draw.where.line,
            draw.where.column,
            "B001",
            "a bank cannot draw from a bank",
            "move the quiz-draw block into a module",
        )
    return Bank(rel, tuple(scan.questions), title)


def load_program(
    path: str | Path, course_dirs: Sequence[Path] | None = None
) -> tuple[Program | None, list[Diagnostic]]:
    """Load program.yml (a file, or the folder holding it) and check its member courses exist.

    Member course ids are looked up in `course_dirs`, or by default in the sibling folders of the
    program folder. Diagnostics name the file relative to the program folder.
    """
    bag = DiagnosticBag()
    given = Path(path)
    file = given / PROGRAM_YML if given.is_dir() else given
    rel = file.name
    if not file.is_file():
        bag.add(rel, 1, 1, "F005", f"{rel} not found", "a program folder needs a program.yml")
        return None, bag.items
    text = read_text(file, rel, bag)
    doc = YamlDoc(rel, bag, PROGRAM_CODES)
    f = root_fields(doc, text.text, rel) if text else None
    if f is None:
        return None, sort_diagnostics(bag.items)
    folder = file.resolve().parent
    program = _program(f, file.resolve(), _known_courses(folder, course_dirs))
    f.finish()
    return program, sort_diagnostics(bag.items)


def _program(f: Fields, file: Path, known: dict[str, Path]) -> Program:
    members: list[ProgramMember] = []
    for i, node in f.items("courses", required=True):
        cid = scalar_text(node)
        member = ProgramMember(cid) if cid is not None else None
        sub = f.sub(f"courses[{i}]", node) if cid is None else None
        if sub is not None:
            cid = sub.text("course", required=True)
            low = sub.number("min_result")
            if low is not None and not 0 <= low <= 1:
                f.doc.add(
                    sub.value_pos("min_result"),
                    "R006",
                    f"min_result {low:g} of course '{cid}' is outside 0..1",
                )
                low = None
            member = ProgramMember(cid, low or 0.0, _default_bool(sub.flag("required"), True))
            sub.finish()
        if member is None or not member.course:
            continue
        if any(m.course == member.course for m in members):
            f.doc.add(node, "R004", f"course '{member.course}' is listed twice in 'courses'")
        elif member.course not in known:
            hint = did_you_mean(member.course, known) or "check the id in the course's course.yml"
            f.doc.add(node, "R005", f"course '{member.course}' not found", hint)
            members.append(member)
        else:
            members.append(member)
    rule, n_required = _rule(f, len(members))
    folder = file.parent
    refs: dict[str, SourceRef] = {}
    certificate = _credential(f, "certificate", "Certificate", folder, refs)
    if certificate is not None and certificate.image:
        image = certificate.image
        problem = path_problem(folder, image)
        ok_type = image.lower().endswith((".png", ".svg"))
        if problem or not ok_type or not (folder / image).is_file():
            why = problem or ("is not a PNG or SVG file" if not ok_type else "not found")
            where = refs["certificate.image"]
            f.doc.add((where.line, where.column), "R004", f"certificate image '{image}' {why}")
    credit = None
    c = f.mapping("credit", required=True)
    if c is not None:
        credit = DegreeCredit(
            credit_hours=c.number("credit_hours", required=True, low=0) or 0.0,
            level=c.choice("level", LEVELS, "", required=True),
            institution_course=c.text("institution_course", required=True),
            grade_mode=c.choice("grade_mode", GRADE_MODES, "pass-fail"),
            subject=c.text("subject"),
        )
        c.finish()
    return Program(
        id=_slug(f, "id"),
        title=f.text("title", required=True),
        version=_semver(f, "version", "R004"),
        path=str(file),
        description=f.text("description"),
        members=tuple(members),
        rule=rule,
        n_required=n_required,
        recency_days=f.integer("recency_days", minimum=1),
        expires_after_days=f.integer("expires_after_days", minimum=1),
        credit_cap=f.number("credit_cap", low=0),
        certificate=certificate,
        credit=credit,
    )


def _default_bool(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _rule(f: Fields, members: int) -> tuple[str, int | None]:
    """`rule: all` or `rule: {n_of: N}`; R006 when N cannot be met."""
    node = f.value("rule")
    if node is None:
        return "all", None
    if scalar_text(node) == "all":
        return "all", None
    sub = f.sub("rule", node) if scalar_text(node) is None else None
    if sub is None:
        f.wrong("rule", node, "'all' or a mapping {n_of: N}")
        return "all", None
    n = sub.integer("n_of", required=True)
    sub.finish()
    if n is None:
        return "all", None
    if not 1 <= n <= members:
        f.doc.add(
            sub.value_pos("n_of"),
            "R006",
            f"rule n_of: {n} cannot be met by the {members} courses listed",
        )
    return "n-of", n


def _known_courses(folder: Path, course_dirs: Sequence[Path] | None) -> dict[str, Path]:
    """Course id -> folder, read from course.yml of `course_dirs` or of the program's siblings."""
    if course_dirs is None:
        parent = folder.parent
        course_dirs = sorted(p for p in parent.iterdir() if p.is_dir() and p != folder)
    known: dict[str, Path] = {}
    for course_dir in course_dirs:
        yml = Path(course_dir) / COURSE_YML
        if not yml.is_file():
            continue
        scratch = DiagnosticBag()  # a member course's own problems are reported by checking it
        text = read_text(yml, COURSE_YML, scratch)
        f = (
            root_fields(YamlDoc(COURSE_YML, scratch, COURSE_CODES), text.text, COURSE_YML)
            if text
            else None
        )
        cid = f.text("id") if f is not None else ""
        if cid:
            known.setdefault(cid, Path(course_dir))
    return known
