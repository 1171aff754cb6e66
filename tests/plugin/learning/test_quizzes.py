"""Quiz planning without a database: seeded, per-learner option orders and draws."""

from __future__ import annotations

from pathlib import Path

from authoring.reader import read_package
from plugin.catalog.packages import content_from_package
from plugin.learning.quizzes import attempt_seed, module_slots, plan_attempt
from tests.plugin.catalog.helpers import tiny_package


def test_learners_see_their_own_stable_option_order(tmp_path: Path) -> None:
    content = content_from_package(read_package(tiny_package(tmp_path)))
    slot = module_slots(content, content.module("01-mean") or {})[0]
    assert slot.id == "mean-calc" and slot.attempts == 2

    def order(sub: str, attempt_no: int = 1) -> list[str]:
        seed = attempt_seed("https://lms.example.edu", sub, content, slot.id, attempt_no)
        _, display = plan_attempt(content, slot, seed)
        return list(display["mean-calc"]["options"])

    learners = [f"learner-{n}" for n in range(12)]
    orders = [order(sub) for sub in learners]
    assert orders == [order(sub) for sub in learners]  # the same learner, the same order
    assert len({tuple(o) for o in orders}) > 1  # but not the same for everybody
    assert all(sorted(o) == sorted(orders[0]) for o in orders)
    assert order("learner-1", 2) != order("learner-1") or order("learner-2", 2) != order(
        "learner-2"
    )  # a new attempt is shuffled again
