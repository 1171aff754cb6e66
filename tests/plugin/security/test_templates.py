"""The tool's templates keep the strict CSP: every <script> carries the request's nonce and no
markup runs script through event-handler attributes or javascript: URLs. (The dev LMS and the
authoring preview are separate apps with their own pages.)"""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[3] / "plugin" / "templates"
SCRIPT = re.compile(r"<script\b[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def _templates() -> list[Path]:
    found = sorted(TEMPLATES.rglob("*.html"))
    assert len(found) > 10
    return found


def test_every_script_tag_carries_the_nonce() -> None:
    missing = [
        f"{path.relative_to(TEMPLATES)}: {tag}"
        for path in _templates()
        for tag in SCRIPT.findall(path.read_text(encoding="utf-8"))
        if "nonce=" not in tag and 'type="application/json"' not in tag
    ]
    assert missing == []


def test_no_inline_event_handlers_or_javascript_urls() -> None:
    found = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        if HANDLER.search(text) or "javascript:" in text.lower():
            found.append(str(path.relative_to(TEMPLATES)))
    assert found == []
