"""Callouts in three spellings that render the same accessible markup.

`!!! note "Title"` (Python-Markdown's admonition), GitHub alerts (`> [!NOTE]`) and `:::note Title`
... `:::` containers all become::

    <aside class="admonition note" role="note"><p class="admonition-title">Note</p>...</aside>

`aside` with `role="note"` is announced as a note, not as a page landmark. Alerts and containers are
rewritten to the `!!!` form by a line preprocessor that keeps the line count, so every problem is
reported with its line: an unknown type (M013, rendered as a note) or an unclosed container (M003).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Sequence
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.extensions.admonition import AdmonitionExtension as CoreAdmonitionExtension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from authoring.diagnostics import did_you_mean
from authoring.mdext.quizfence import fence_mask

#: The callout types of the format and their default titles.
ADMONITION_TYPES: dict[str, str] = {
    "note": "Note",
    "tip": "Tip",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
}

_ALERT_RE = re.compile(
    r"^(?P<indent> {0,3})>[ \t]?\[!(?P<type>[A-Za-z][\w-]*)\][ \t]*(?P<title>.*)$"
)
_QUOTE_RE = re.compile(r"^ {0,3}>[ \t]?")
_OPEN_RE = re.compile(r"^ {0,3}(?P<colons>:{3,})[ \t]*(?P<type>[A-Za-z][\w-]*)[ \t]*(?P<title>.*)$")
_CLOSE_RE = re.compile(r"^ {0,3}(?P<colons>:{3,})[ \t]*$")
_BANG_RE = re.compile(
    r'^(?P<indent>[ ]*)!!![ \t]*(?P<type>[\w-]+)(?P<classes>(?: +[\w-]+)*)(?P<title> +".*")?[ \t]*$'
)


def _title(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return f' "{text}"' if text else ""


class _CalloutPreprocessor(Preprocessor):
    """Alerts and containers to `!!! type "Title"` plus indented content; checks every type."""

    def __init__(self, md: Markdown, ext: AdmonitionExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        if not any(("!!!" in ln or ":::" in ln or "[!" in ln) for ln in lines):
            return lines
        lines = self._alerts(lines, fence_mask(lines))
        lines = self._containers(lines, fence_mask(lines))
        return self._check_types(lines, fence_mask(lines))

    def _alerts(self, lines: list[str], mask: Sequence[bool]) -> list[str]:
        out = list(lines)
        i = 0
        while i < len(lines):
            m = _ALERT_RE.match(lines[i])
            starts_quote = i == 0 or not _QUOTE_RE.match(lines[i - 1])
            if m is None or mask[i] or not starts_quote:
                i += 1
                continue
            out[i] = f"{m['indent']}!!! {m['type']}{_title(m['title'])}"
            i += 1
            while i < len(lines) and (q := _QUOTE_RE.match(lines[i])):
                rest = lines[i][q.end() :]
                out[i] = f"{m['indent']}    {rest}" if rest.strip() else ""
                i += 1
        return out

    def _containers(self, lines: list[str], mask: Sequence[bool]) -> list[str]:
        out: list[str] = []
        stack: list[tuple[int, int, str]] = []  # (colons, line, type)
        for i, line in enumerate(lines):
            pad = "    " * len(stack)
            m = None if mask[i] else _CLOSE_RE.match(line)
            if m and stack and len(m["colons"]) >= stack[-1][0]:
                stack.pop()
                out.append("")
                continue
            if not mask[i] and (m := _OPEN_RE.match(line)):
                out.append(f"{pad}!!! {m['type']}{_title(m['title'])}")
                stack.append((len(m["colons"]), i, m["type"]))
                continue
            out.append(pad + line if line.strip() else "")
        for _colons, line_index, kind in stack:
            self.ext.report(
                "M003",
                line_index,
                f"container ':::{kind}' is not closed",
                "end it with a line holding only ':::'",
            )
        return out

    def _check_types(self, lines: list[str], mask: Sequence[bool]) -> list[str]:
        for i, line in enumerate(lines):
            m = _BANG_RE.match(line)
            if m is None or mask[i]:
                continue
            kind = m["type"].lower()
            title = m["title"] or ""
            if kind not in ADMONITION_TYPES:
                hint = did_you_mean(kind, ADMONITION_TYPES) or "expected " + ", ".join(
                    ADMONITION_TYPES
                )
                self.ext.report("M013", i, f"unknown admonition type '{m['type']}'", hint)
                title = title or f' "{m["type"].capitalize()}"'
                kind = "note"
            lines[i] = f"{m['indent']}!!! {kind}{m['classes']}{title}"
        return lines


class _AsideTreeprocessor(Treeprocessor):
    """`div.admonition` (core admonition output) becomes `aside role="note"`."""

    def run(self, root: etree.Element) -> None:
        for el in root.iter("div"):
            classes = el.get("class", "").split()
            if classes[:1] == ["admonition"]:
                el.tag = "aside"
                el.set("role", "note")


class AdmonitionExtension(Extension):
    """One callout syntax family; problems land in `issues` as (code, line index, message, hint)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.issues: list[tuple[str, int, int, str, str]] = []

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        # an instance, not the name "admonition": a name costs a scan of every installed
        # package's entry points, which ends in this same class
        md.registerExtensions([CoreAdmonitionExtension()], {})
        md.preprocessors.register(_CalloutPreprocessor(md, self), "mc_callouts", 29.9)
        md.treeprocessors.register(_AsideTreeprocessor(md), "mc_aside", 4)

    def reset(self) -> None:
        """Forget the previous document (Markdown.reset() calls this)."""
        self.issues = []

    def report(self, code: str, line_index: int, message: str, hint: str = "") -> None:
        """Record a problem at a 0-based line of the converted text (column 1)."""
        self.issues.append((code, line_index, 1, message, hint))
