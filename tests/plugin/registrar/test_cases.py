"""Stacks issued when a learner becomes eligible, decisions with an immutable log, alerts."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from plugin.credentials import services
from plugin.credentials.verify import verify_clr
from plugin.errors import ConflictError, ValidationError
from plugin.extensions import db
from plugin.registrar import cases, issuing
from plugin.registrar.models import CreditCase


def _eligible_case(world: Any, **pathway_changes: Any) -> Any:
    pathway = world.pathway()
    for name, value in pathway_changes.items():
        setattr(pathway, name, value)
    learner = world.learner("Grace Hopper")
    world.complete(learner)
    assert cases.refresh_pathway(pathway).opened == 1
    return db.session.scalars(sa.select(CreditCase).where(CreditCase.learner_id == learner)).one()


def test_eligible_learner_gets_a_certificate_and_a_clr_that_verify(world: Any) -> None:
    case = _eligible_case(world)
    cert = services.get_award(case.certificate_award_id)
    assert cert is not None and cert.kind == "certificate"
    assert cert.achievement_id == "program:data-literacy"
    doc = json.loads(cert.credential_json)
    assert doc["credentialSubject"]["achievement"]["achievementType"] == "Certificate"
    assert services.verify_award(cert.id).ok
    clr = issuing.clr_document(case)
    assert clr is not None and "ClrCredential" in clr["type"]
    subject = clr["credentialSubject"]
    assert len(subject["verifiableCredential"]) == 4  # three members and the certificate
    links = {(a["sourceId"], a["associationType"], a["targetId"]) for a in subject["association"]}
    cert_id = doc["credentialSubject"]["achievement"]["id"]
    assert {t for _, t, target in links if target == cert_id} == {"isChildOf"}
    assert len(links) == 3
    from plugin.credentials.trust import fetch_status_list, resolve_key
    from plugin.db import utcnow

    verdict = verify_clr(
        clr, resolve_key=resolve_key, fetch_status_list=fetch_status_list, now=utcnow()
    )
    assert verdict.ok, verdict.as_dict()


def test_decision_moves_the_case_and_is_logged(world: Any) -> None:
    case = _eligible_case(world)
    with pytest.raises(ValidationError, match="note"):
        cases.decide(case, "deny", "evidence-incomplete", "  ", "account:rita")
    assert case.status == "pending" and cases.decision_log(case.id) == []
    cases.decide(case, "more-info", "evidence-incomplete", "Send the transcript.", "account:rita")
    assert case.status == "needs-info"
    cases.decide(case, "approve", "meets-requirements", "", "account:rita")
    assert case.status == "approved"
    with pytest.raises(ConflictError, match="final"):
        cases.decide(case, "deny", "other", "changed my mind", "account:rita")
    log = cases.decision_log(case.id)
    assert [(d.action, d.status_before, d.status_after) for d in log] == [
        ("more-info", "pending", "needs-info"),
        ("approve", "needs-info", "approved"),
    ]
    assert log[0].decided_by == "account:rita" and log[0].note == "Send the transcript."


def test_decision_log_rows_cannot_be_changed_or_deleted(world: Any) -> None:
    case = _eligible_case(world)
    cases.decide(case, "approve", "meets-requirements", "", "account:rita")
    db.session.commit()
    for statement in (
        "UPDATE credit_decisions SET note = 'forged'",
        "DELETE FROM credit_decisions",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    assert [d.note for d in cases.decision_log(case.id)] == [""]


def test_second_approver_must_be_someone_else(world: Any) -> None:
    case = _eligible_case(world, second_approver=True)
    cases.decide(case, "approve", "meets-requirements", "", "account:rita")
    assert case.status == "awaiting-second"
    with pytest.raises(ConflictError, match="second registrar"):
        cases.decide(case, "approve", "meets-requirements", "", "account:rita")
    cases.decide(case, "approve", "meets-requirements", "", "account:sam")
    assert case.status == "approved"
    assert [d.action for d in cases.decision_log(case.id)] == ["approve", "second-approve"]


def test_revoked_after_approval_raises_an_alert_on_the_decision(world: Any) -> None:
    case = _eligible_case(world)
    cases.decide(case, "approve", "meets-requirements", "", "account:rita")
    services.revoke(case.member_ids[0], "grade appeal upheld", "instructor")
    assert cases.raise_revocation_alerts() == 1
    assert case.alert is not None and "revoked after approval" in case.alert
    assert "grade appeal upheld" in case.alert
    assert cases.decision_log(case.id)[-1].action == "alert"
    assert cases.raise_revocation_alerts() == 0  # raised once


def test_revoked_after_posting_says_so_and_a_new_batch_leaves_it_out(world: Any) -> None:
    from plugin.registrar import exports

    case = _eligible_case(world)
    cases.decide(case, "approve", "meets-requirements", "", "account:rita")
    batch = exports.create_batch(exports.list_templates()[0], "account:rita")
    exports.mark_posted(batch, "account:rita")
    services.revoke(case.member_ids[2], "credential issued in error", "admin")
    assert cases.raise_revocation_alerts() == 1
    assert "revoked after the credit was posted" in (case.alert or "")
    assert "data-visualization" in (case.alert or "")
    assert exports.exportable_cases() == []  # nothing is posted twice


def test_certificate_expiry_and_time_to_completion(world: Any) -> None:
    from plugin.registrar import charts

    case = _eligible_case(world, expires_after_days=730)
    cert = services.get_award(case.certificate_award_id)
    assert cert is not None and cert.valid_until is not None
    assert 729 <= (cert.valid_until - cert.issued_at).days <= 730
    bars = {b.label: b.value for b in charts.time_to_completion(case.pathway)}
    assert bars["up to 30 days"] == 1 and sum(bars.values()) == 1
    funnel = {b.label: b.value for b in charts.funnel(case.pathway)}
    assert funnel["Started"] == 1 and funnel["Stacked"] == 1 and funnel["Credited"] == 0


def test_the_award_that_completes_a_pathway_opens_the_case_at_once(app: Any) -> None:
    from plugin import signals

    from .conftest import MEMBERS, world_context

    with world_context(app) as world:
        world.pathway()
        learner = world.learner("Katherine Johnson")
        second = world.complete(learner, MEMBERS[:2])[1].id
        db.session.commit()
        # The credentials listener sends award_issued inside the request, after its commit.
        signals.award_issued.send(app, award_id=second)
        assert db.session.scalars(sa.select(CreditCase)).all() == []  # not complete yet
        last = world.award(learner, MEMBERS[2]).id
        db.session.commit()
        signals.award_issued.send(app, award_id=last)
        case = db.session.scalars(sa.select(CreditCase)).one()
        assert case.learner_id == learner and case.status == "pending"
        assert case.certificate_award_id is not None and case.clr_json


def test_an_approved_case_with_a_revoked_member_is_held_back_from_export(world: Any) -> None:
    from plugin.registrar import exports

    case = _eligible_case(world)
    cases.decide(case, "approve", "meets-requirements", "", "account:rita")
    services.revoke(case.member_ids[0], "plagiarism", "instructor")
    with pytest.raises(ValidationError, match="nothing to export"):
        exports.create_batch(exports.list_templates()[0], "account:rita")
    assert exports.exportable_cases(held=True) == [case]
    assert case.export_batch_id is None and "plagiarism" in (case.alert or "")


def test_a_case_opened_twice_at_once_is_opened_once(world: Any) -> None:
    from plugin.db import utcnow
    from plugin.registrar.cases import _open_cases

    pathway = world.pathway()
    learner, other = world.learner("Racer"), world.learner("Other")
    world.complete(learner)
    world.complete(other)
    now = utcnow()
    assert _open_cases(pathway, [learner], now) == 1
    # A second process that computed eligibility at the same moment: skipped, not an error.
    assert _open_cases(pathway, [learner, other], now) == 1
    rows = db.session.scalars(sa.select(CreditCase).order_by(CreditCase.id)).all()
    assert [c.learner_id for c in rows] == [learner, other]
