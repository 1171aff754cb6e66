"""Math: `$...$` inline and `$$...$$` display, emitted for KaTeX on the client.

Rendering is pymdownx.arithmatex in generic mode (`<span class="arithmatex">\\(...\\)</span>`,
`<div class="arithmatex">\\[...\\]</div>`). A line check, run before any other rewriting so line
numbers are exact, reports M010 for a `$$` that is not closed within its paragraph (display math
cannot span a blank line) and for unbalanced `{}` or `\\begin`/`\\end` inside math.
"""

from __future__ import annotations

import re
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from pymdownx.arithmatex import ArithmatexExtension

from authoring.mdext.quizfence import fence_mask

_CODE_SPAN_RE = re.compile(r"(`+).+?\1")
_ESCAPED_RE = re.compile(r"\\[\\$]")
_INLINE_RE = re.compile(
    r"(?<!\$)\$(?=[^\s$])(?P<tex>[^$]*?[^\s$\\])\$(?!\$)|(?<!\$)\$(?P<one>[^\s$])\$(?!\$)"
)
_PREFIX_RE = re.compile(r"^[ \t>]*(?:(?:[-*+]|\d+[.)])[ \t]+)?")
_ENV_RE = re.compile(r"\\(begin|end)\{([^{}]*)\}")
_BRACE_RE = re.compile(r"\\[{}]")

ARITHMATEX_CONFIG: dict[str, Any] = {"generic": True}


def _blank_out(text: str, pattern: re.Pattern[str]) -> str:
    """Replace matches by spaces of the same length, so columns stay right."""
    return pattern.sub(lambda m: " " * len(m[0]), text)


def tex_problem(tex: str) -> str:
    """Why `tex` cannot be typeset, or "" (braces and environments only; KaTeX does the rest)."""
    depth = 0
    for ch in _BRACE_RE.sub("", tex):
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return "a '}' has no matching '{'"
    if depth:
        return "a '{' is not closed"
    envs: list[str] = []
    for m in _ENV_RE.finditer(tex):
        if m[1] == "begin":
            envs.append(m[2])
        elif not envs or envs.pop() != m[2]:
            return f"\\end{{{m[2]}}} does not match a \\begin"
    if envs:
        return f"\\begin{{{envs[-1]}}} is not ended"
    return ""


class _MathCheck(Preprocessor):
    """Reports math problems; leaves the lines untouched."""

    def __init__(self, md: Markdown, ext: MathExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        if not any("$" in ln for ln in lines):
            return lines
        mask = fence_mask(lines)
        block: list[tuple[int, str]] = []
        for i, line in enumerate(lines):
            if mask[i] or not line.strip():
                if block:
                    self._check_block(block)
                    block = []
            else:
                block.append((i, line))
        self._check_block(block)
        return lines

    def _check_block(self, block: list[tuple[int, str]]) -> None:
        """One paragraph: `$$` pairs, what stands around them, and the TeX inside."""
        if not any("$" in text for _, text in block):
            return
        starts: list[tuple[int, int]] = []  # (line index, offset in `joined`) per line
        parts: list[str] = []
        offset = 0
        for i, text in block:
            text = _PREFIX_RE.sub(lambda m: " " * len(m[0]), text)
            text = _blank_out(_blank_out(text, _ESCAPED_RE), _CODE_SPAN_RE)
            starts.append((i, offset))
            parts.append(text)
            offset += len(text) + 1
        joined = "\n".join(parts)

        def where(pos: int) -> tuple[int, int]:
            i, base = next((i, base) for i, base in reversed(starts) if base <= pos)
            return i, pos - base + 1

        marks = [m.start() for m in re.finditer(r"\$\$", joined)]
        outside: list[tuple[int, str]] = []
        pos = 0
        for k in range(0, len(marks) - 1, 2):
            open_at, close_at = marks[k], marks[k + 1]
            outside.append((pos, joined[pos:open_at]))
            self._check_tex(where(open_at), "$$...$$", joined[open_at + 2 : close_at])
            pos = close_at + 2
        outside.append((pos, joined[pos:]))
        if len(marks) % 2:
            i, col = where(marks[-1])
            self.ext.report(
                "M010",
                i,
                col,
                "display math '$$' is not closed",
                "close it with '$$' before the next blank line",
            )
            outside[-1] = (pos, joined[pos : marks[-1]])
        elif marks and any(text.strip() for _, text in outside):
            i, col = where(marks[0])
            self.ext.report(
                "M010",
                i,
                col,
                "display math '$$...$$' is not a paragraph of its own",
                "put a blank line before and after it; use $...$ inside a sentence",
            )
        for base, text in outside:
            for m in _INLINE_RE.finditer(text):
                self._check_tex(where(base + m.start()), "$...$", m["tex"] or m["one"])

    def _check_tex(self, at: tuple[int, int], form: str, tex: str) -> None:
        problem = tex_problem(tex)
        if problem:
            self.ext.report("M010", at[0], at[1], f"math error in {form}: {problem}")


class MathExtension(Extension):
    """arithmatex (generic) plus the M010 checks; problems land in `issues`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.issues: list[tuple[str, int, int, str, str]] = []

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        md.registerExtensions([ArithmatexExtension(**ARITHMATEX_CONFIG)], {})
        md.preprocessors.register(_MathCheck(md, self), "mc_math", 29.95)

    def reset(self) -> None:
        """Forget the previous document (Markdown.reset() calls this)."""
        self.issues = []

    def report(self, code: str, line_index: int, column: int, message: str, hint: str = "") -> None:
        """Record a problem at a 0-based line and 1-based column of the source."""
        self.issues.append((code, line_index, column, message, hint))
