"""Plain factories for the credential feature tests: a published sample course, a learner from
a registered platform, and a completed enrollment with graded attempts (rows as the learning
feature writes them)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from plugin.catalog.models import CourseVersion
from plugin.db import utcnow
from plugin.extensions import db
from plugin.learning.models import Attempt, Enrollment
from plugin.lti.models import Learner, Registration

SAMPLES = Path(__file__).resolve().parents[3] / "content_samples"
ISSUER = "https://lms.example.edu"


def publish_sample(name: str = "data-spreadsheets") -> CourseVersion:
    """Build and publish a sample course folder; returns its catalog version."""
    from plugin.catalog.services import find_version, load_course_folders

    loads = load_course_folders([SAMPLES / name])
    assert loads[0].ok, loads[0].error
    db.session.commit()
    version = find_version(name, "1.0.0")
    assert version is not None
    return version


def registration() -> Registration:
    """The test platform's registration (created once)."""
    from plugin.lti.services import create_registration

    found = db.session.scalars(select(Registration).where(Registration.issuer == ISSUER)).first()
    if found is not None:
        return found
    made = create_registration(
        issuer=ISSUER,
        client_id="tool-client",
        name="Example LMS",
        auth_login_url=f"{ISSUER}/auth",
        auth_token_url=f"{ISSUER}/token",
        key_set_url=f"{ISSUER}/jwks",
        deployment_ids=["dep-1"],
    )
    db.session.commit()
    return made


def make_learner(
    sub: str = "user-grace", name: str | None = "Grace Hopper", email: str | None = None
) -> Learner:
    """A learner of the test platform."""
    learner = Learner(
        issuer=ISSUER,
        sub=sub,
        name=name,
        email=email if email is not None else f"{sub.removeprefix('user-')}@example.edu",
        registration_id=registration().id,
    )
    db.session.add(learner)
    db.session.commit()
    return learner


def complete_course(
    learner: Learner, version: CourseVersion, fractions: tuple[float, ...] = (0.9,) * 5
) -> Enrollment:
    """Enroll the learner, record one graded quiz attempt per module, mark the course complete."""
    now = utcnow()
    enrollment = Enrollment(
        learner_id=learner.id,
        course_id=version.course_id,
        course_version_id=version.id,
        started_at=now - timedelta(days=3),
        completed_at=now,
    )
    db.session.add(enrollment)
    db.session.flush()
    modules = version.course.get("modules") or []
    for n, fraction in enumerate(fractions):
        module: Any = modules[n % len(modules)] if modules else {"id": f"m{n}"}
        module_id = module["id"] if isinstance(module, dict) else str(module)
        db.session.add(
            Attempt(
                enrollment_id=enrollment.id,
                learner_id=learner.id,
                course_version_id=version.id,
                module_id=module_id,
                quiz_id=f"{module_id}-quiz",
                attempt_no=1,
                seed="seed",
                question_ids=["q1"],
                display={},
                answers={},
                hints_used={},
                status="submitted",
                fraction=fraction,
                points=10 * fraction,
                max_points=10.0,
                credit=1.0,
                started_at=now - timedelta(days=2),
                submitted_at=now - timedelta(days=1),
            )
        )
    db.session.commit()
    return enrollment


def qr_codes_in(pdf: bytes) -> list[str]:
    """The text of every QR code drawn in a PDF's images, decoded as a phone's camera would."""
    import io

    import zxingcpp
    from pypdf import PdfReader

    found: list[str] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            for code in zxingcpp.read_barcodes(image.image):
                if code.format == zxingcpp.BarcodeFormat.QRCode:
                    found.append(code.text)
    return found
