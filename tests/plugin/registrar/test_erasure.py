"""A learner's erasure and the registrar: the decision log and the signed CLR are the
institution's record of credit granted, so they survive it, still verify, and name nobody."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from plugin.credentials.trust import fetch_status_list, resolve_key
from plugin.credentials.verify import verify_clr
from plugin.db import utcnow
from plugin.extensions import db
from plugin.ops.privacy import erase_learner, is_erased
from plugin.registrar import cases, issuing
from plugin.registrar.models import CreditCase, CreditDecision

NAME = "Grace Brewster Hopper"


def _approved_case(world: Any) -> CreditCase:
    pathway = world.pathway()
    learner = world.learner(NAME)
    world.complete(learner)
    assert cases.refresh_pathway(pathway).opened == 1
    case = db.session.scalars(sa.select(CreditCase).where(CreditCase.learner_id == learner)).one()
    cases.decide(case, "approve", "meets-requirements", "Transcript checked.", "account:rita")
    db.session.commit()
    return case


def test_erasure_keeps_the_decision_log_and_a_verifiable_clr(world: Any) -> None:
    case = _approved_case(world)
    case_id, learner_id = case.id, case.learner_id
    clr_before = case.clr_json
    log_before = [(d.action, d.note, d.decided_by) for d in cases.decision_log(case_id)]

    report = erase_learner(learner_id, actor="test admin")
    db.session.commit()
    db.session.expire_all()

    assert is_erased(learner_id)
    assert report.kept.get("credit_cases") == 1
    kept = db.session.get(CreditCase, case_id)
    assert kept is not None and kept.status == "approved"
    assert [(d.action, d.note, d.decided_by) for d in cases.decision_log(case_id)] == log_before
    assert log_before == [("approve", "Transcript checked.", "account:rita")]
    clr = issuing.clr_document(kept)
    assert clr is not None and kept.clr_json == clr_before
    verdict = verify_clr(
        clr, resolve_key=resolve_key, fetch_status_list=fetch_status_list, now=utcnow()
    )
    assert verdict.ok, verdict.as_dict()
    # Nothing the registrar keeps names the learner.
    decisions = db.session.scalars(
        sa.select(CreditDecision).where(CreditDecision.case_id == case_id)
    ).all()
    kept_text = json.dumps(
        [kept.clr_json, kept.alert, kept.first_approver, [d.note for d in decisions]]
    )
    assert "Hopper" not in kept_text


def test_the_registrar_still_opens_the_case_of_an_erased_learner(
    app: Any, registrar_client: Any
) -> None:
    from tests.plugin.registrar.conftest import world_context

    with world_context(app) as world:
        case = _approved_case(world)
        case_id = case.id
        erase_learner(case.learner_id, actor="test admin")
        db.session.commit()
    page = registrar_client.get(f"/registrar/cases/{case_id}")
    assert page.status_code == 200
    assert "Hopper" not in page.text
    assert "Transcript checked." in page.text
    clr = registrar_client.get(f"/registrar/cases/{case_id}/clr.json")
    assert clr.status_code == 200 and "ClrCredential" in clr.json["type"]


def test_erasure_removes_the_learner_from_frozen_sis_batches(world: Any) -> None:
    """A batch made before the erasure keeps its rows and credit but no longer names them."""
    from plugin.registrar import exports

    case = _approved_case(world)
    learner_id = case.learner_id
    from plugin.lti.models import Learner

    sub = db.session.get(Learner, learner_id).sub
    batch = exports.create_batch(exports.list_templates()[0], "account:rita")
    db.session.commit()
    assert sub in batch.csv_text
    rows_before = batch.csv_text.count("\n")

    erase_learner(learner_id, actor="test admin")
    db.session.commit()
    db.session.expire_all()

    kept = db.session.get(type(batch), batch.id)
    assert kept is not None and sub not in kept.csv_text
    assert "[erased]" in kept.csv_text and kept.csv_text.count("\n") == rows_before
