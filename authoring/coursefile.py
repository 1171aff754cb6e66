"""course.yml, and the fields a course and a program share (ids, versions, credentials).

Each reader takes the `Fields` of a parsed YAML mapping, adds a diagnostic for every problem and
returns what it could read; nothing raises for a content problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from authoring.diagnostics import DiagnosticBag, did_you_mean
from authoring.fsutil import normalize_rel, path_problem, resolve_inside
from authoring.model import Alignment, Author, Completion, CredentialSpec, Grading, SourceRef
from authoring.quiz import SLUG
from authoring.validate import COURSE_YML, SourceMap
from authoring.yamlpos import PROGRAM_CODES, Fields, scalar_text

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
_SLUG_WHAT = "a slug of lower-case letters, digits and '-'"


def course_info(f: Fields, root: Path, bag: DiagnosticBag, sources: SourceMap) -> dict[str, Any]:
    """The simple course.yml fields; file lists and positions go into `sources`."""
    info: dict[str, Any] = {"id": slug_field(f, "id"), "title": f.text("title", required=True)}
    info["version"] = semver_field(f, "version", "C004")
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
    info["credential"] = credential_field(f, "credential", "MicroCredential", root, sources.refs)
    f.finish()
    return info


def slug_field(f: Fields, key: str) -> str:
    """The slug under `key` (required); a wrong spelling is reported."""
    value = f.text(key, required=True)
    if value and not SLUG.match(value):
        node = f.value(key)
        assert node is not None
        f.wrong(key, node, _SLUG_WHAT)
    return value


def semver_field(f: Fields, key: str, code: str) -> str:
    """The MAJOR.MINOR.PATCH version under `key` (required); `code` when it is not one."""
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


def credential_field(
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
