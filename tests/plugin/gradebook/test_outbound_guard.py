"""Grade delivery goes through the outbound guard: outside production the dev LMS on loopback
is reachable (every other gradebook test relies on it); where private addresses are not allowed
the score fails at once with the reason in plain words, and nothing reaches that address."""

from __future__ import annotations

import dataclasses
from typing import Any

from plugin.ops.settings import ops_settings

LINE_ITEM = {"label": "Module 1 quiz", "scoreMaximum": 10, "tag": "microcred"}


def test_a_private_lms_address_is_refused_when_the_setting_forbids_it(course: Any) -> None:
    quiz = course.place("Module 1 quiz", line_item=LINE_ITEM)
    grace = course.launch(quiz, "grace")
    strict = dataclasses.replace(ops_settings(course.tool), outbound_allow_private=False)
    course.tool.extensions["microcred.ops.settings"] = strict  # as in production
    before = course.lms.stats()
    course.enqueue(grace, 7, 10)
    course.deliver_all()
    [(_, status, tries, _, error)] = course.outbox()
    assert status == "failed" and tries == 1  # refused for good, not hammered
    assert "private or loopback address" in error and "OUTBOUND_ALLOW_PRIVATE" in error
    assert ("grace", "Module 1 quiz") not in course.lms_scores()
    after = course.lms.stats()
    for counter in ("token_requests", "scores_received", "line_items_created"):
        assert after[counter] == before[counter], counter
