"""Exports for the SIS: CSV batches laid out by a template (presets for Banner, PeopleSoft and
Workday Student, or custom column mappings), frozen when made, marked posted once."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ..credentials.models import Award
from ..db import utcnow
from ..errors import ConflictError, NotFoundError, ValidationError
from ..extensions import db
from ..lti.models import Learner
from .models import CreditCase, ExportBatch, SisTemplate
from .pathways import granted_hours

log = logging.getLogger(__name__)

#: Every field a column may take, with what it holds.
FIELDS: dict[str, str] = {
    "student_id": "the learner's id at their LMS (LTI sub)",
    "name": "the learner's name",
    "email": "the learner's e-mail",
    "institution_course": "the course the credit counts as, e.g. DATA 1010",
    "subject_code": "the first word of the institution course (DATA)",
    "course_number": "the rest of the institution course (1010)",
    "credit_hours": "credit hours granted (after the cap)",
    "grade": "P for pass-fail, CR for credit-no-credit, TR for letter (transfer)",
    "grade_mode": "pass-fail, letter or credit-no-credit",
    "level": "undergraduate-lower, undergraduate-upper, graduate, continuing-education",
    "level_code": "UG, GR or CE",
    "subject": "the subject",
    "decision_date": "the approval date (YYYY-MM-DD)",
    "certificate_id": "the certificate credential's id",
    "pathway": "the pathway id",
    "case_id": "the credit case number",
}
PRESETS: dict[str, list[tuple[str, str]]] = {
    "Banner": [
        ("SPRIDEN_ID", "student_id"),
        ("SHRTRCE_SUBJ_CODE", "subject_code"),
        ("SHRTRCE_CRSE_NUMB", "course_number"),
        ("SHRTRCE_CREDIT_HOURS", "credit_hours"),
        ("SHRTRCE_GRDE_CODE", "grade"),
        ("SHRTRCE_LEVL_CODE", "level_code"),
        ("SHRTRCE_ACTIVITY_DATE", "decision_date"),
        ("CREDENTIAL_ID", "certificate_id"),
    ],
    "PeopleSoft": [
        ("EMPLID", "student_id"),
        ("ACAD_CAREER", "level_code"),
        ("SUBJECT", "subject_code"),
        ("CATALOG_NBR", "course_number"),
        ("UNT_TRNSFR", "credit_hours"),
        ("CRSE_GRADE_OFF", "grade"),
        ("TRNSFR_EQVLNCY_DT", "decision_date"),
        ("EXTERNAL_REF", "certificate_id"),
    ],
    "Workday Student": [
        ("Student_ID", "student_id"),
        ("Student_Name", "name"),
        ("Course_Listing", "institution_course"),
        ("Units", "credit_hours"),
        ("Grade", "grade"),
        ("Academic_Level", "level"),
        ("Completion_Date", "decision_date"),
        ("Credential_Reference", "certificate_id"),
    ],
}
_GRADES = {"pass-fail": "P", "credit-no-credit": "CR", "letter": "TR"}
_LEVEL_CODES = {
    "undergraduate-lower": "UG",
    "undergraduate-upper": "UG",
    "graduate": "GR",
    "continuing-education": "CE",
}


def ensure_presets() -> None:
    """Create the preset templates that are missing (registrars may edit them afterwards)."""
    have = set(db.session.scalars(sa.select(SisTemplate.name)))
    for name, columns in PRESETS.items():
        if name not in have:
            db.session.add(SisTemplate(name=name, preset=name, columns_json=json.dumps(columns)))
    db.session.flush()


def list_templates() -> list[SisTemplate]:
    """Every SIS template (presets first made when missing), by name."""
    ensure_presets()
    return list(db.session.scalars(sa.select(SisTemplate).order_by(SisTemplate.name)))


def get_template(template_id: int) -> SisTemplate:
    """One template; NotFoundError when there is none."""
    template = db.session.get(SisTemplate, template_id)
    if template is None:
        raise NotFoundError("There is no such SIS template.")
    return template


def columns_text(template: SisTemplate) -> str:
    """The template's columns as editable lines, `Header = field`."""
    return "\n".join(f"{h} = {f}" for h, f in json.loads(template.columns_json))


def parse_columns(text: str) -> list[tuple[str, str]]:
    """`Header = field` lines -> pairs; ValidationError lists every bad line at once."""
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        header, sep, field = (part.strip() for part in line.partition("="))
        if not sep or not header or not field:
            problems.append(f"line {number}: write 'Header = field'")
        elif field not in FIELDS:
            problems.append(f"line {number}: unknown field '{field}'")
        else:
            pairs.append((header, field))
    if not pairs and not problems:
        problems.append("give at least one column")
    if problems:
        raise ValidationError("The columns have problems: " + "; ".join(problems) + ".")
    return pairs


def save_template(name: str, columns: str, template: SisTemplate | None = None) -> SisTemplate:
    """Create a custom template or change one's columns (the text is checked first)."""
    name = name.strip()
    if not name:
        raise ValidationError("Give the template a name.")
    pairs = parse_columns(columns)
    clash = db.session.scalar(sa.select(SisTemplate).where(SisTemplate.name == name))
    if clash is not None and clash is not template:
        raise ValidationError(f"There is already a template called {name}.")
    if template is None:
        template = SisTemplate(name=name, preset="custom", columns_json="[]")
        db.session.add(template)
    template.name = name
    template.columns_json = json.dumps(pairs)
    db.session.flush()
    return template


def case_hours(case: CreditCase) -> float:
    """The credit hours a case grants: the pathway's (or its members' sum), after the cap."""
    ids = case.member_ids
    credits = db.session.scalars(sa.select(Award.credits).where(Award.id.in_(ids))).all()
    return granted_hours(case.pathway, sum(c or 0.0 for c in credits))


def case_fields(case: CreditCase, learner: Learner, certificate: Award | None) -> dict[str, str]:
    """Every export field of one approved case."""
    pathway = case.pathway
    hours = case_hours(case)
    subject_code, _, number = pathway.institution_course.partition(" ")
    return {
        "student_id": learner.sub,
        "name": learner.name or "",
        "email": learner.email or "",
        "institution_course": pathway.institution_course,
        "subject_code": subject_code,
        "course_number": number.strip(),
        "credit_hours": f"{hours:g}",
        "grade": _GRADES.get(pathway.grade_mode, ""),
        "grade_mode": pathway.grade_mode,
        "level": pathway.credit_level,
        "level_code": _LEVEL_CODES.get(pathway.credit_level, ""),
        "subject": pathway.subject,
        "decision_date": f"{case.decided_at:%Y-%m-%d}" if case.decided_at else "",
        "certificate_id": certificate.public_id if certificate is not None else "",
        "pathway": pathway.slug,
        "case_id": str(case.id),
    }


def render_csv(columns: Iterable[tuple[str, str]], rows: Iterable[dict[str, str]]) -> str:
    """CSV text with a header row; cells that a spreadsheet would run as formulas are quoted."""
    columns = list(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([h for h, _ in columns])
    for row in rows:
        writer.writerow([_safe(row[f]) for _, f in columns])
    return out.getvalue()


def _safe(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def exportable_cases(*, held: bool = False) -> list[CreditCase]:
    """Approved cases in no batch yet, oldest decision first; with `held`, instead those held
    back because a member credential was revoked after approval (they are never exported)."""
    alert = CreditCase.alert.is_not(None) if held else CreditCase.alert.is_(None)
    return list(
        db.session.scalars(
            sa.select(CreditCase)
            .where(CreditCase.status == "approved", CreditCase.export_batch_id.is_(None), alert)
            .order_by(CreditCase.decided_at, CreditCase.id)
        )
    )


def create_batch(template: SisTemplate, by: str) -> ExportBatch:
    """Freeze every approved, not yet exported case into a new batch (CSV kept as made).

    Revocations are checked first: a case whose member credential was revoked is held back.
    """
    from .cases import raise_revocation_alerts

    raise_revocation_alerts()
    cases = exportable_cases()
    if not cases:
        raise ValidationError("There is nothing to export: no approved credit is waiting.")
    learners = {
        lr.id: lr
        for lr in db.session.scalars(
            sa.select(Learner).where(Learner.id.in_({c.learner_id for c in cases}))
        )
    }
    certs = {
        a.id: a
        for a in db.session.scalars(
            sa.select(Award).where(
                Award.id.in_([c.certificate_award_id for c in cases if c.certificate_award_id])
            )
        )
    }
    rows = [
        case_fields(c, learners[c.learner_id], certs.get(c.certificate_award_id or 0))
        for c in cases
    ]
    batch = ExportBatch(
        template=template.name,
        created_by=by,
        created_at=utcnow(),
        row_count=len(rows),
        csv_text=render_csv(json.loads(template.columns_json), rows),
    )
    db.session.add(batch)
    db.session.flush()
    for case in cases:
        case.export_batch_id = batch.id
    db.session.flush()
    log.info("export batch %s: %s rows (%s) by %s", batch.id, len(rows), template.name, by)
    return batch


def list_batches() -> list[ExportBatch]:
    """Every export batch, newest first."""
    return list(db.session.scalars(sa.select(ExportBatch).order_by(ExportBatch.id.desc())))


def get_batch(batch_id: int) -> ExportBatch:
    """One batch; NotFoundError when there is none."""
    batch = db.session.get(ExportBatch, batch_id)
    if batch is None:
        raise NotFoundError("There is no such export batch.")
    return batch


def mark_posted(batch: ExportBatch, by: str) -> None:
    """Record that the SIS loaded the batch; a batch is posted once only."""
    if batch.posted_at is not None:
        raise ConflictError(
            f"Batch {batch.id} was already marked posted on {batch.posted_at:%Y-%m-%d %H:%M} UTC "
            f"by {batch.posted_by}."
        )
    now = utcnow()
    batch.posted_at, batch.posted_by = now, by
    stmt = sa.select(CreditCase).where(CreditCase.export_batch_id == batch.id)
    for case in db.session.scalars(stmt):
        case.posted_at = now
    db.session.flush()


def redact_learner(learner_id: int, personal: dict[str, Any]) -> int:
    """Replace the learner's personal values with "[erased]" in the batches holding their cases.

    Batches are frozen copies; after an erasure they keep their rows and credit (the SIS may
    still need the record of what was posted) but no longer name the learner. Returns how
    many batches changed.
    """
    values = {str(v) for v in personal.values() if v}
    values |= {_safe(v) for v in values}  # as render_csv wrote them
    if not values:
        return 0
    batch_ids = set(
        db.session.scalars(
            sa.select(CreditCase.export_batch_id).where(
                CreditCase.learner_id == learner_id, CreditCase.export_batch_id.is_not(None)
            )
        )
    )
    changed = 0
    for batch in db.session.scalars(sa.select(ExportBatch).where(ExportBatch.id.in_(batch_ids))):
        rows = list(csv.reader(io.StringIO(batch.csv_text)))
        redacted = [["[erased]" if cell in values else cell for cell in row] for row in rows]
        if redacted != rows:
            out = io.StringIO()
            csv.writer(out, lineterminator="\r\n").writerows(redacted)  # as render_csv wrote it
            batch.csv_text = out.getvalue()
            changed += 1
    db.session.flush()
    return changed
