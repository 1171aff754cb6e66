"""Pathways: imported from program files (authoring format) and edited in the registrar area."""

from __future__ import annotations

import json
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from authoring.diagnostics import Diagnostic, Severity
from authoring.loader import load_program
from authoring.model import Program

from ..db import utcnow
from ..errors import NotFoundError, ValidationError
from ..extensions import db
from . import history
from .models import Pathway, PathwayMember

log = logging.getLogger(__name__)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")
LEVELS = ("undergraduate-lower", "undergraduate-upper", "graduate", "continuing-education")
GRADE_MODES = ("pass-fail", "letter", "credit-no-credit")


class ProgramFileError(ValidationError):
    """A program file with errors; `diagnostics` lists every one (file:line:col)."""

    code = "PROGRAM_INVALID"
    title = "The program file has errors"

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("; ".join(d.format() for d in diagnostics))


def parse_program_text(text: str, name: str = "program.yml") -> Program:
    """Parse program YAML; member courses need not exist here (R005 is not an error)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "program" / "program.yml"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        program, diags = load_program(path, course_dirs=[])
    errors = [d for d in diags if d.severity == Severity.ERROR and d.code != "R005"]
    if errors or program is None:
        raise ProgramFileError([_rename(d, name) for d in errors])
    return program


def _rename(diag: Diagnostic, name: str) -> Diagnostic:
    return Diagnostic(
        name, diag.line, diag.column, diag.severity, diag.code, diag.message, diag.hint
    )


def load_program_file(path: str | Path) -> Program:
    """Load a program file or folder, checking member courses against its sibling folders."""
    program, diags = load_program(path)
    errors = [d for d in diags if d.severity == Severity.ERROR]
    if errors or program is None:
        raise ProgramFileError(errors)
    return program


def import_program(program: Program, *, by: str = "program file") -> tuple[Pathway, bool]:
    """Create or update the pathway of `program` (by program id); True when it was new. The
    pathway's history records what changed and `by` whom.

    Under "n of M", a file that leaves every member `required` (the default) means "any N", so
    its members are imported as electives; explicit `required: false` members stay electives.
    """
    pathway = db.session.scalar(sa.select(Pathway).where(Pathway.slug == program.id))
    created = pathway is None
    before = history.snapshot(pathway) if pathway is not None else None
    if pathway is None:
        pathway = Pathway(slug=program.id)
        db.session.add(pathway)
    all_required = all(m.required for m in program.members)
    electives = program.rule == "n-of" and all_required
    cert = program.certificate
    certificate: dict[str, Any] = {}
    if cert is not None:
        certificate = {
            "name": cert.name,
            "description": cert.description,
            "criteria": cert.criteria,
            "achievement_type": cert.achievement_type or "Certificate",
            "human_code": cert.human_code,
            "field_of_study": cert.field_of_study,
            "tags": list(cert.tags),
            "credit_hours": cert.credit_hours,
            "alignments": [
                {
                    "name": a.target_name,
                    "url": a.target_url,
                    "framework": a.target_framework,
                    "code": a.target_code,
                    "type": a.target_type,
                }
                for a in cert.alignments
            ],
        }
    pathway.title = program.title
    pathway.version = program.version
    pathway.description = program.description
    pathway.rule = "n-of" if program.rule == "n-of" else "all"
    pathway.n_required = program.n_required if program.rule == "n-of" else None
    pathway.recency_days = program.recency_days
    pathway.expires_after_days = program.expires_after_days
    pathway.credit_cap = program.credit_cap
    pathway.certificate_json = json.dumps(certificate, sort_keys=True)
    if program.credit is not None:
        pathway.credit_hours = program.credit.credit_hours
        pathway.credit_level = program.credit.level
        pathway.institution_course = program.credit.institution_course
        pathway.grade_mode = program.credit.grade_mode
        pathway.subject = program.credit.subject
    pathway.updated_at = utcnow()
    pathway.members.clear()
    db.session.flush()
    for position, m in enumerate(program.members):
        pathway.members.append(
            PathwayMember(
                achievement_id=m.course,
                min_result=m.min_result,
                required=False if electives else m.required,
                position=position,
            )
        )
    db.session.flush()
    history.record(pathway, before, by=by, source="import")
    log.info("pathway %s %s from program file", program.id, "created" if created else "updated")
    return pathway, created


def list_pathways() -> list[Pathway]:
    """Every pathway, by title."""
    return list(db.session.scalars(sa.select(Pathway).order_by(Pathway.title)))


def get_pathway(pathway_id: int) -> Pathway:
    """One pathway; NotFoundError when there is none."""
    pathway = db.session.get(Pathway, pathway_id)
    if pathway is None:
        raise NotFoundError("There is no such pathway.")
    return pathway


def certificate_spec(pathway: Pathway) -> dict[str, Any]:
    """The certificate achievement fields of a pathway (name defaults to the title)."""
    spec: dict[str, Any] = json.loads(pathway.certificate_json or "{}")
    spec.setdefault("name", pathway.title)
    spec.setdefault("description", pathway.description or pathway.title)
    spec.setdefault("criteria", "Earned the member credentials of the pathway.")
    spec["achievement_type"] = spec.get("achievement_type") or "Certificate"
    return spec


@dataclass
class PathwayEdit:
    """The edit form's values after parsing; `errors` maps field name -> message."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _number(
    form: dict[str, str],
    name: str,
    edit: PathwayEdit,
    *,
    low: float = 0,
    high: float | None = None,
    whole: bool = False,
    optional: bool = True,
) -> None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if optional:
            edit.values[name] = None
        else:
            edit.errors[name] = "Enter a number."
        return
    try:
        value: float = int(raw) if whole else float(raw)
    except ValueError:
        edit.errors[name] = "Enter a whole number." if whole else "Enter a number, e.g. 3 or 0.7."
        return
    if value < low or (high is not None and value > high):
        edit.errors[name] = f"Enter a number from {low:g}" + (f" to {high:g}." if high else " up.")
        return
    edit.values[name] = value


def parse_edit(pathway: Pathway, form: dict[str, str]) -> PathwayEdit:
    """Check the edit form; every problem is reported at once, nothing is changed."""
    edit = PathwayEdit()
    title = (form.get("title") or "").strip()
    if not title:
        edit.errors["title"] = "Enter a title."
    edit.values["title"] = title
    rule = form.get("rule", "all")
    if rule not in ("all", "n-of"):
        edit.errors["rule"] = "Choose all or N of them."
    edit.values["rule"] = rule
    kept = [m for m in pathway.members if form.get(f"remove_{m.id}") != "on"]
    edit.values["remove"] = [m.id for m in pathway.members if m not in kept]
    added = (form.get("add_member") or "").strip()
    edit.values["add_member"] = added or None
    if added:
        if not _SLUG.match(added):
            edit.errors["add_member"] = "Enter a course id: lower-case letters, digits and dashes."
        elif any(m.achievement_id == added for m in pathway.members):
            edit.errors["add_member"] = f"{added} is already a member."
        _number(form, "add_min_result", edit, low=0, high=1)
    total = len(kept) + (1 if added and "add_member" not in edit.errors else 0)
    if total == 0:
        edit.errors["add_member"] = "A pathway needs at least one member."
    _number(form, "n_required", edit, low=1, high=max(total, 1), whole=True)
    if rule == "n-of" and edit.values.get("n_required") is None and "n_required" not in edit.errors:
        edit.errors["n_required"] = "Enter how many members are needed."
    _number(form, "recency_days", edit, low=1, whole=True)
    _number(form, "expires_after_days", edit, low=1, whole=True)
    _number(form, "credit_cap", edit, low=0)
    _number(form, "credit_hours", edit, low=0, optional=False)
    for name, choices in (("credit_level", LEVELS), ("grade_mode", GRADE_MODES)):
        value = form.get(name, "")
        if value not in choices:
            edit.errors[name] = "Choose one of the options."
        edit.values[name] = value
    course = (form.get("institution_course") or "").strip()
    if not course:
        edit.errors["institution_course"] = "Enter the institution course, e.g. DATA 1010."
    edit.values["institution_course"] = course
    edit.values["second_approver"] = form.get("second_approver") == "on"
    for member in kept:
        key = f"min_result_{member.id}"
        _number(form, key, edit, low=0, high=1, optional=False)
        edit.values[f"required_{member.id}"] = form.get(f"required_{member.id}") == "on"
    return edit


def apply_edit(pathway: Pathway, edit: PathwayEdit, *, by: str) -> list[str]:
    """Apply a checked edit; returns the names of the fields that changed. The pathway's
    history records what changed and `by` whom."""
    before = history.snapshot(pathway)
    changed: list[str] = []
    v = edit.values
    for name in (
        "title",
        "rule",
        "n_required",
        "recency_days",
        "expires_after_days",
        "credit_cap",
        "credit_hours",
        "credit_level",
        "institution_course",
        "grade_mode",
        "second_approver",
    ):
        new = v.get(name)
        if name == "n_required" and v.get("rule") != "n-of":
            new = None
        if getattr(pathway, name) != new:
            setattr(pathway, name, new)
            changed.append(name)
    for member in list(pathway.members):
        if member.id in v["remove"]:
            pathway.members.remove(member)
            changed.append(f"{member.achievement_id} removed")
            continue
        for attr, key in (
            ("min_result", f"min_result_{member.id}"),
            ("required", f"required_{member.id}"),
        ):
            if getattr(member, attr) != v[key]:
                setattr(member, attr, v[key])
                changed.append(f"{member.achievement_id}.{attr}")
    if v.get("add_member"):
        pathway.members.append(
            PathwayMember(
                achievement_id=v["add_member"],
                min_result=v.get("add_min_result") or 0.0,
                required=True,
                position=max((m.position for m in pathway.members), default=-1) + 1,
            )
        )
        changed.append(f"{v['add_member']} added")
    if changed:
        pathway.updated_at = utcnow()
    db.session.flush()
    history.record(pathway, before, by=by, source="edit")
    return changed


def granted_hours(pathway: Pathway, member_credits: float) -> float:
    """Credit hours granted: the pathway's hours (or the members' sum when 0), capped."""
    hours = pathway.credit_hours or member_credits
    if pathway.credit_cap is not None:
        hours = min(hours, pathway.credit_cap)
    return hours
