"""Helpers for the learning tests: a published tiny course and a learner launched into it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.plugin.catalog.helpers import (
    COURSE_ID,
    launch,
    launch_url,
    publish_bytes,
    session_of,
    tiny_package,
)

#: Text that exists only in the private part of the tiny course (feedback, explanations, hints).
SECRETS = (
    "Right: 12 / 3",
    "That is the sum",
    "so the mean is 4",
    "Add them first",
    "one extreme value moves it",
    "the middle one is 3",
)


def publish_tiny(app: Any, tmp_path: Path) -> int:
    return publish_bytes(app, tiny_package(tmp_path))


def open_module(
    client: Any,
    platform: Any,
    module: str = "01-mean",
    *,
    sub: str = "learner-1",
    role: str = "Learner",
) -> tuple[str, str]:
    """Launch into a module placement; returns (landing path, session token)."""
    location = launch(
        client,
        platform,
        launch_url("module", COURSE_ID, module),
        sub=sub,
        role=role,
        custom={"course_id": COURSE_ID, "module_id": module},
    )
    return location, session_of(location)


def attempt_form(page: str, quiz_id: str) -> tuple[str, dict[str, str]]:
    """The action of a quiz's form on a module page, and the option ids by label text."""
    section = page.split(f'id="quiz-{quiz_id}"', 1)[1].split("</section>", 1)[0]
    action = re.search(r'<form method="post" action="([^"]+)"', section)
    assert action, section[:800]
    options = dict(
        (label.strip(), value)
        for value, label in re.findall(
            r'value="([^"]+)"[^>]*>\s*<label for="[^"]+">([^<]+)</label>', section
        )
    )
    return action.group(1), options
