"""Eligibility rules, set-wise in SQL, on SQLite and PostgreSQL: every rule type and its edges."""

from __future__ import annotations

from typing import Any

from plugin.registrar import eligibility

from .conftest import MEMBERS, PROGRAM


def _two_of_three(extra: str = "") -> str:
    return PROGRAM.replace("rule: all", "rule: {n_of: 2}") + extra


def test_all_rule_needs_every_member(world: Any) -> None:
    pathway = world.pathway()
    full, partial = world.learner("Full"), world.learner("Partial")
    world.complete(full)
    world.complete(partial, MEMBERS[:2])
    assert eligibility.eligible_learner_ids(pathway) == [full]


def test_result_just_below_the_minimum_does_not_count(world: Any) -> None:
    pathway = world.pathway()
    exact, below = world.learner("Exactly 70"), world.learner("Just below")
    world.complete(exact, score=0.7)
    world.complete(below, MEMBERS[:2], score=0.9)
    world.award(below, MEMBERS[2], score=0.6999)
    assert eligibility.eligible_learner_ids(pathway) == [exact]
    checks = eligibility.check_learner(pathway, below)
    assert [c.met for c in checks] == [True, True, False]
    assert checks[2].reason == "result 70% is below the minimum 70%" or "below" in checks[2].reason


def test_revoked_member_credential_does_not_count(world: Any) -> None:
    from plugin.credentials import services

    pathway = world.pathway()
    learner = world.learner()
    awards = world.complete(learner)
    assert eligibility.eligible_learner_ids(pathway) == [learner]
    services.revoke(awards[1].id, "academic misconduct", "registrar")
    assert eligibility.eligible_learner_ids(pathway) == []
    assert "revoked" in eligibility.check_learner(pathway, learner)[1].reason


def test_expired_member_credential_does_not_count(world: Any) -> None:
    pathway = world.pathway()
    expired, valid = world.learner("Expired"), world.learner("Valid")
    world.complete(expired, MEMBERS[:2])
    world.award(expired, MEMBERS[2], days_ago=40, expires_in_days=-1)
    world.complete(valid, expires_in_days=30)
    assert eligibility.eligible_learner_ids(pathway) == [valid]
    assert "expired" in eligibility.check_learner(pathway, expired)[2].reason


def test_recency_window(world: Any) -> None:
    pathway = world.pathway()  # recency_days: 365
    old, recent = world.learner("Old"), world.learner("Recent")
    world.complete(old, MEMBERS[:2])
    world.award(old, MEMBERS[2], days_ago=366)
    world.complete(recent, days_ago=364)
    assert eligibility.eligible_learner_ids(pathway) == [recent]
    assert "outside the 365-day window" in eligibility.check_learner(pathway, old)[2].reason


def test_n_of_m_counts_any_n_and_extras_do_no_harm(world: Any) -> None:
    pathway = world.pathway(_two_of_three())
    assert pathway.rule == "n-of" and pathway.needed == 2
    assert not any(m.required for m in pathway.members)  # "any two" in the file
    one, two, three = world.learner("One"), world.learner("Two"), world.learner("Three")
    world.award(one, MEMBERS[0])
    world.complete(two, MEMBERS[1:])
    world.complete(three)
    assert eligibility.eligible_learner_ids(pathway) == [two, three]
    ids = eligibility.qualifying_award_ids(pathway, [three])
    assert len(ids[three]) == 3  # every qualifying credential goes into the CLR


def test_n_of_m_with_a_required_member(world: Any) -> None:
    text = (
        _two_of_three()
        .replace(
            "  - course: data-spreadsheets\n    min_result: 0.7\n",
            "  - course: data-spreadsheets\n    min_result: 0.7\n    required: true\n",
        )
        .replace(
            "  - course: descriptive-statistics\n    min_result: 0.7\n",
            "  - course: descriptive-statistics\n    min_result: 0.7\n    required: false\n",
        )
        .replace(
            "  - course: data-visualization\n    min_result: 0.7\n",
            "  - course: data-visualization\n    min_result: 0.7\n    required: false\n",
        )
    )
    pathway = world.pathway(text)
    assert [m.required for m in pathway.members] == [True, False, False]
    without, with_required = world.learner("Without"), world.learner("With")
    world.complete(without, MEMBERS[1:])
    world.complete(with_required, MEMBERS[:2])
    assert eligibility.eligible_learner_ids(pathway) == [with_required]
    met, text_ = eligibility.rule_summary(pathway, eligibility.check_learner(pathway, without))
    assert not met and "required but not met: data-spreadsheets" in text_


def test_credit_cap_limits_the_hours_granted(world: Any) -> None:
    from plugin.registrar.pathways import granted_hours

    text = _two_of_three().replace("credit_hours: 3", "credit_hours: 0") + "credit_cap: 3\n"
    pathway = world.pathway(text)
    assert pathway.credit_cap == 3
    assert granted_hours(pathway, 1.5 * 3) == 3  # three 1.5-hour members, capped
    assert granted_hours(pathway, 1.5 * 2) == 3
    assert granted_hours(pathway, 1.0 * 2) == 2


def test_new_only_leaves_out_learners_with_a_case(world: Any) -> None:
    from plugin.registrar.cases import refresh_pathway

    pathway = world.pathway()
    first = world.learner("First")
    world.complete(first)
    assert refresh_pathway(pathway).opened == 1
    second = world.learner("Second")
    world.complete(second)
    assert eligibility.eligible_learner_ids(pathway, new_only=True) == [second]
    assert refresh_pathway(pathway).opened == 1
    assert refresh_pathway(pathway).opened == 0
