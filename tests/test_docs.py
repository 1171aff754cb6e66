"""The documentation stays in step with the code it describes."""

from __future__ import annotations

import re
from pathlib import Path

from authoring.diagnostics import CODES

ROOT = Path(__file__).resolve().parents[1]


def test_authoring_guide_lists_every_diagnostic_code_in_order() -> None:
    text = (ROOT / "docs" / "authoring.md").read_text("utf-8")
    listed = re.findall(r"^\| ([A-Z]\d{3}) \| (error|warning) \|", text, re.M)
    assert [code for code, _ in listed] == list(CODES)
    assert {code: sev for code, sev in listed} == {c: s.value for c, s in CODES.items()}


def test_readme_leads_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text("utf-8")
    first = text[: text.index("## Writing a course")]
    assert "make run" in first and "make test" in first
