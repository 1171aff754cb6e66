"""program.yml: a program stacks several courses' credentials into a certificate with credit.

The registrar area of the tool reads the parsed `Program`; this module defines, parses and
validates it, and checks that its member courses exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from authoring.coursefile import credential_field, semver_field, slug_field
from authoring.diagnostics import Diagnostic, DiagnosticBag, did_you_mean, sort_diagnostics
from authoring.fsutil import path_problem, read_text
from authoring.model import DegreeCredit, Program, ProgramMember, SourceRef
from authoring.validate import COURSE_YML
from authoring.yamlpos import COURSE_CODES, PROGRAM_CODES, Fields, YamlDoc, root_fields, scalar_text

PROGRAM_YML = "program.yml"
LEVELS = ("undergraduate-lower", "undergraduate-upper", "graduate", "continuing-education")
GRADE_MODES = ("pass-fail", "letter", "credit-no-credit")


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
    certificate = credential_field(f, "certificate", "Certificate", folder, refs)
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
        id=slug_field(f, "id"),
        title=f.text("title", required=True),
        version=semver_field(f, "version", "R004"),
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
