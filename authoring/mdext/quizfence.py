"""Quiz fences: ```` ```quiz ```` and ```` ```quiz-draw ```` blocks become empty placeholders.

The module HTML never holds question text or answers: a quiz fence becomes
`<div class="mc-quiz" data-quiz-id="ID"></div>` (a draw:
`<div class="mc-quiz-draw" data-draw-id="ID"></div>`), inserted by `fill` after sanitizing.
Every other fence is highlighted with Pygments (CSS classes, no inline styles) through
superfences. This module also holds the fence scanner that the other line-based extensions use,
so nothing inside a code fence is read as a callout, math or video.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

log = logging.getLogger(__name__)

# Superfences' own rule: a fence may sit behind spaces and blockquote markers.
_OPEN_RE = re.compile(r"^(?P<prefix>[ \t>]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_ID_RE = re.compile(r"""(?:^|\s)id=(?:"(?P<q>[^"]*)"|(?P<bare>[^\s"]+))""")
_SAFE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SLOT_RE = re.compile(r'<div class="mc-slot-(?P<nonce>[0-9a-f]{12})-q(?P<n>\d+)">\s*</div>')
_WRAPPED_SLOT_RE = re.compile(r'<p>\s*(<div class="mc-slot-[0-9a-f]{12}-[a-z]\d+"></div>)\s*</p>')
#: Formatting elements: the ones an HTML parser reopens for the text after a block ends, so an
#: author's unclosed `<a>` or `<em>` would wrap a quiz or video that follows.
FORMATTING = (
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
)  # fmt: skip
_CLOSE_FORMATTING = "".join(f"</{tag}>" for tag in FORMATTING)
_TAG = rf"(?P<tag>{'|'.join(FORMATTING)})(?=[\s/>])"
_FORMATTING_START_RE = re.compile(f"<{_TAG}", re.IGNORECASE)
_OPEN_AT_SLOT_RE = re.compile(rf'<(?P<end>/?){_TAG}|<div class="mc-slot-', re.IGNORECASE)
QUIZ_KINDS = ("quiz", "quiz-draw")


@dataclass(frozen=True)
class Fence:
    """One fenced block: 0-based first and last line (inclusive), its info string."""

    start: int
    end: int
    prefix: str
    info: str
    closed: bool


def scan_fences(lines: list[str]) -> list[Fence]:
    """Every top-level fenced block; an unclosed fence runs to the end of the text."""
    fences: list[Fence] = []
    i, n = 0, len(lines)
    while i < n:
        m = _OPEN_RE.match(lines[i])
        if m is None or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        char, size = m["fence"][0], len(m["fence"])
        close = re.compile(rf"^[ \t>]*{re.escape(char)}{{{size},}}[ \t]*$")
        j = i + 1
        while j < n and not close.match(lines[j]):
            j += 1
        closed = j < n
        end = j if closed else n - 1
        fences.append(Fence(i, end, m["prefix"], m["info"].strip(), closed))
        i = end + 1
    return fences


def fence_mask(lines: list[str]) -> tuple[bool, ...]:
    """True for every line that belongs to a fenced block (its fences included)."""
    return _fence_mask(tuple(lines))


@lru_cache(maxsize=8)  # the line extensions ask in turn about the same, unchanged lines
def _fence_mask(lines: tuple[str, ...]) -> tuple[bool, ...]:
    mask = [False] * len(lines)
    for f in scan_fences(list(lines)):
        for k in range(f.start, f.end + 1):
            mask[k] = True
    return tuple(mask)


def quiz_fence_id(info: str) -> tuple[str, str] | None:
    """(kind, id) for a `quiz`/`quiz-draw` info string; id is "" when missing or unsafe."""
    words = info.split(None, 1)
    if not words or words[0] not in QUIZ_KINDS:
        return None
    m = _ID_RE.search(info)
    value = (m["q"] if m["q"] is not None else m["bare"]) if m else ""
    return words[0], value if _SAFE_ID_RE.fullmatch(value or "") else ""


class _QuizPreprocessor(Preprocessor):
    """Replaces each quiz fence by a stashed slot, on a block of its own."""

    def __init__(self, md: Markdown, ext: QuizFenceExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        fences = [f for f in scan_fences(lines) if quiz_fence_id(f.info)]
        if not fences:
            return lines
        out: list[str] = []
        pos = 0
        for f in fences:
            out.extend(lines[pos : f.start])
            kind, qid = quiz_fence_id(f.info) or ("quiz", "")
            blank = f.prefix.rstrip() if ">" in f.prefix else ""
            if qid:
                slot = self.md.htmlStash.store(self.ext.add_slot(kind, qid))
                out.extend([blank, f.prefix + slot, blank])
            else:  # the loader reports the missing id (Q001); nothing to mount
                out.append(blank)
            pos = f.end + 1
        out.extend(lines[pos:])
        return out


@lru_cache(maxsize=256)
def _lexer(lang: str) -> Lexer:
    try:
        return get_lexer_by_name(lang, stripnl=False) if lang else TextLexer(stripnl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False)


_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)


@lru_cache(maxsize=1024)
def highlight_code(source: str, language: str) -> str:
    """Pygments HTML with CSS classes (`<div class="highlight"><pre><code>`), lexers cached.

    The HTML depends only on the two arguments, so a snippet repeated across modules (a course
    shows the same example in several places) is highlighted once per process.
    """
    return highlight(source, _lexer(language.lower()), _FORMATTER)


def _fence_format(
    src: str, language: str, class_name: str, options: Any, md: Any, **kw: Any
) -> str:
    if language in QUIZ_KINDS:
        return ""  # a quiz fence in a place the preprocessor does not reach: never show it
    return highlight_code(src, language)


def _fence_validator(language: str, inputs: Any, options: Any, attrs: Any, md: Any) -> bool:
    return True


#: superfences configuration: every fence goes through `highlight_code`, quiz fences vanish.
SUPERFENCES_CONFIG: dict[str, Any] = {
    "relaxed_headers": True,
    "custom_fences": [
        {"name": "*", "class": "highlight", "format": _fence_format, "validator": _fence_validator}
    ],
}


class SlotUnwrap(Postprocessor):
    """Takes slots out of the `<p>` Python-Markdown sometimes leaves around a stashed block
    (at the end of a blockquote, say), a block inside a paragraph not being valid HTML; and
    closes any inline element an author left open before a slot (`close_before_slots`)."""

    def run(self, text: str) -> str:
        if "mc-slot-" not in text:
            return text
        text = _WRAPPED_SLOT_RE.sub(r"\1", text)
        # Markdown's own inline elements are closed within their block: only raw HTML (all of
        # it passes through the stash) can leave one open.
        stash = self.md.htmlStash.rawHtmlBlocks
        if any(_FORMATTING_START_RE.search(str(raw)) for raw in stash):
            text = close_before_slots(text)
        return text


def close_before_slots(html: str) -> str:
    """`html` with end tags for every formatting element before each slot that one is left open
    in front of. They go before the space ahead of the slot: text there, even a newline, would
    reopen the element. The sanitizer drops the ones with nothing to close."""
    depth: dict[str, int] = {}
    out: list[str] = []
    pos = 0
    for m in _OPEN_AT_SLOT_RE.finditer(html):
        tag = m["tag"]
        if tag is not None:
            tag = tag.lower()
            depth[tag] = max(0, depth.get(tag, 0) + (-1 if m["end"] else 1))
        elif any(depth.values()):
            start = m.start()
            while start > pos and html[start - 1].isspace():
                start -= 1
            out += [html[pos:start], _CLOSE_FORMATTING]
            pos = start
            depth.clear()
    return "".join([*out, html[pos:]]) if out else html


def register_slot_unwrap(md: Markdown) -> None:
    """Register `SlotUnwrap` once (after raw HTML is restored, priority 30)."""
    if "mc_slot_unwrap" not in md.postprocessors:
        md.postprocessors.register(SlotUnwrap(md), "mc_slot_unwrap", 25)


class QuizFenceExtension(Extension):
    """Registers the quiz preprocessor; `fill` turns slots into quiz placeholders."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.nonce = ""
        self.slots: list[str] = []
        self.quiz_ids: list[str] = []
        self.draw_ids: list[str] = []
        self.reset()

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.register(_QuizPreprocessor(md, self), "mc_quiz", 29.6)
        register_slot_unwrap(md)

    def reset(self) -> None:
        """Forget the previous document (Markdown.reset() calls this)."""
        self.nonce = secrets.token_hex(6)
        self.slots = []
        self.quiz_ids = []
        self.draw_ids = []

    def add_slot(self, kind: str, qid: str) -> str:
        """Remember one placeholder; returns the (sanitizer-proof) slot markup to stash."""
        safe = html.escape(qid, quote=True)
        if kind == "quiz":
            self.quiz_ids.append(qid)
            self.slots.append(f'<div class="mc-quiz" data-quiz-id="{safe}"></div>')
        else:
            self.draw_ids.append(qid)
            self.slots.append(f'<div class="mc-quiz-draw" data-draw-id="{safe}"></div>')
        return f'<div class="mc-slot-{self.nonce}-q{len(self.slots) - 1}"></div>'

    def fill(self, text: str) -> str:
        """Put the quiz placeholders where the slots survived sanitizing."""
        if not self.slots:
            return text

        def slot(m: re.Match[str]) -> str:
            index = int(m["n"])
            if m["nonce"] != self.nonce or index >= len(self.slots):
                return ""  # not ours (copied from another page): drop it
            return self.slots[index]

        return _SLOT_RE.sub(slot, text)
