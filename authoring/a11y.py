"""Accessibility checks on the rendered, sanitized HTML of a module or a question snippet.

Reported: images without alt text (M006) unless decorative, alt text that looks like a file name or
placeholder or is over 150 characters (M007), heading levels that skip or a second H1 (M004),
tables without a header row (M012), and link text that does not say where the link goes (M008).
The HTML has no source positions, so `Locator` finds each problem's line in the Markdown source.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from authoring.diagnostics import CODES, Diagnostic
from authoring.mdext.quizfence import quiz_fence_id, scan_fences

MAX_ALT = 150
NON_DESCRIPTIVE = frozenset(
    {
        "click here",
        "here",
        "link",
        "this link",
        "read more",
        "more",
        "click",
        "this",
        "learn more",
        "go",
        "details",
        "page",
        "this page",
        "continue",
    }
)
_FILE_ALT_RE = re.compile(
    r"(?:\.(?:png|jpe?g|gif|svg|webp|bmp|tiff?|avif)$)|"
    r"^(?:img|image|photo|picture|pic|screenshot|screen shot|graphic|figure|alt|alt text|"
    r"placeholder|untitled|dsc|dscn|img_?\d+|dsc_?\d+)[\s_-]*\d*$",
    re.IGNORECASE,
)
_URL_TEXT_RE = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_EMPTY_ROW_RE = re.compile(r"^[ \t]*\|?(?:[ \t]*\|)+[ \t]*$", re.MULTILINE)
#: The tags the checks look at; the text between them is read only inside one that collects it.
_WATCHED_RE = re.compile(
    r"<(?P<end>/?)(?P<tag>h[1-6]|a|img|table|tr|th|td)(?![A-Za-z0-9])(?P<attrs>[^>]*)>", re.I
)
_ANY_TAG_RE = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9]*[^>]*>)?")
_ATTR_RE = re.compile(r'([^\s=/"]+)(?:="([^"]*)")?')


Needle = str | re.Pattern[str]


@dataclass(frozen=True)
class Finding:
    """A problem found in HTML, with the source text (`needles`) that should locate it."""

    code: str
    message: str
    hint: str
    needles: tuple[Needle, ...] = ()


class _LazyNeedles:
    """Needles built only when a problem is reported (compiling them for every heading and
    image that is fine would cost more than the whole check)."""

    def __init__(self, make: Callable[[str, Any], tuple[Needle, ...]], text: str, extra: Any):
        self.make, self.text, self.extra = make, text, extra

    def __iter__(self) -> Iterator[Needle]:
        return iter(self.make(self.text, self.extra))


def _image_needles(alt: str, src: str) -> tuple[Needle, ...]:
    return (
        re.compile(rf"!\[\s*{re.escape(alt.strip())}\s*\]\(\s*<?{re.escape(src)}"),
        re.compile(rf"!\[[^\]]*\]\(\s*<?{re.escape(src)}"),
        re.compile(rf"<img\b[^>]*{re.escape(src)}", re.I),
        src,
        "<img",
    )


def _heading_needles(text: str, level: int) -> tuple[Needle, ...]:
    return (
        re.compile(rf"^ {{0,3}}#{{1,6}}[ \t]+{re.escape(text)}", re.MULTILINE),
        re.compile(rf"^ {{0,3}}#{{{level}}}(?!#)", re.MULTILINE),
        text,
        f"<h{level}",
    )


class Locator:
    """Maps something found in rendered HTML back to a line and column of the Markdown source.

    Needles are tried in order (literal text, case-insensitive, or compiled patterns whose group
    `at`, when present, marks the column); each needle remembers where it was last found, so a
    repeated problem maps to successive places.
    Code fences are never searched; quiz blocks only when asked (`in_quiz=True`, for the text of
    questions, which the module HTML does not contain). With nothing found: `fallback`, column 1.
    """

    def __init__(self, source: str, first_line: int, fallback: int | None = None) -> None:
        self.source = source
        self.first_line = first_line
        self.fallback = fallback if fallback is not None else first_line
        self._starts: list[int] = []  # offset of each line, computed on first use
        self._kinds: list[str] | None = None  # per line: "" prose, "code", "quiz"
        self._cursor: dict[tuple[str, bool], int] = {}

    def _line_kinds(self) -> list[str]:
        if self._kinds is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.source)]
            lines = self.source.split("\n")
            self._kinds = [""] * len(lines)
            for f in scan_fences(lines):
                kind = "quiz" if quiz_fence_id(f.info) else "code"
                for k in range(f.start, f.end + 1):
                    self._kinds[k] = kind
        return self._kinds

    def position(
        self,
        *needles: Needle,
        start_line: int | None = None,
        in_quiz: bool = False,
        fallback: int | None = None,
    ) -> tuple[int, int]:
        """(line, column) in the file of the first needle found after its previous hit (and
        not before `start_line`); (`fallback` or the locator's fallback, 1) when none is."""
        missing = (fallback if fallback is not None else self.fallback, 1)
        if not self.source:
            return missing
        kinds = self._line_kinds()
        floor = 0
        if start_line is not None:
            index = min(max(start_line - self.first_line, 0), len(self._starts) - 1)
            floor = self._starts[index]
        wanted = "quiz" if in_quiz else ""
        for needle in needles:
            if isinstance(needle, str):
                if not needle:
                    continue
                needle = re.compile(re.escape(needle), re.IGNORECASE)
            key = (needle.pattern, in_quiz)
            pos = max(self._cursor.get(key, 0), floor)
            while (m := needle.search(self.source, pos)) is not None:
                index = bisect.bisect_right(self._starts, m.start()) - 1
                pos = m.end() if m.end() > m.start() else m.end() + 1
                if kinds[index] == wanted:
                    self._cursor[key] = pos
                    at = m.start("at") if "at" in needle.groupindex else m.start()
                    return self.first_line + index, at - self._starts[index] + 1
        return missing

    def line_of(self, *needles: Needle) -> int:
        """Just the line of `position`."""
        return self.position(*needles)[0]


def _text(value: str) -> str:
    return " ".join(value.split())


@dataclass
class _Link:
    href: str
    text: list[str] = field(default_factory=list)


@dataclass
class _Table:
    rows: int = 0
    first_row: list[tuple[str, list[str]]] = field(default_factory=list)  # (cell tag, text)


class _Checker:
    """Walks sanitized HTML. nh3's serializer escapes every `<` and `>` in text and attribute
    values, so a regex tokenizer reads its output exactly (and far faster than html.parser)."""

    def __init__(self, check_headings: bool, src_map: Mapping[str, str]) -> None:
        self.check_headings = check_headings
        self.src_map = src_map
        self.found: list[Finding] = []
        self.heading: tuple[int, list[str]] | None = None
        self.last_level = 1
        self.h1_count = 0
        self.links: list[_Link] = []
        self.tables: list[_Table] = []
        self.cell: list[str] | None = None

    def feed(self, html: str) -> None:
        pos = 0
        for m in _WATCHED_RE.finditer(html):
            if pos < m.start() and (self.heading or self.links or self.cell is not None):
                text = _ANY_TAG_RE.sub("", html[pos : m.start()])  # the text between, as written
                if text:
                    self._collect(unescape(text))
            pos = m.end()
            tag = m["tag"].lower()
            if m["end"]:
                self.handle_endtag(tag)
            else:
                attrs = [
                    (a[1].lower(), unescape(a[2] or "")) for a in _ATTR_RE.finditer(m["attrs"])
                ]
                self.handle_starttag(tag, attrs)

    def add(self, code: str, message: str, hint: str, *needles: Needle) -> None:
        self.found.append(Finding(code, message, hint, needles))

    def _collect(self, text: str) -> None:
        if self.heading is not None:
            self.heading[1].append(text)
        for link in self.links:
            link.text.append(text)
        if self.cell is not None:
            self.cell.append(text)

    def handle_starttag(self, tag: str, attrs: Sequence[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in _HEADINGS:
            self.heading = (_HEADINGS[tag], [])
        elif tag == "a":
            self.links.append(_Link(a.get("href", "")))
        elif tag == "img":
            self._image(a)
        elif tag == "table":
            self.tables.append(_Table())
        elif tag == "tr" and self.tables:
            self.tables[-1].rows += 1
        elif tag in ("th", "td") and self.tables and self.tables[-1].rows == 1:
            self.cell = []
            self.tables[-1].first_row.append((tag, self.cell))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS and self.heading is not None:
            self._heading_done(*self.heading)
            self.heading = None
        elif tag == "a" and self.links:
            self._link_done(self.links.pop())
        elif tag in ("th", "td"):
            self.cell = None
        elif tag == "table" and self.tables:
            self._table_done(self.tables.pop())

    def _image(self, a: dict[str, str]) -> None:
        alt, src = a.get("alt"), a.get("src", "")
        src = self.src_map.get(src, src)
        decorative = alt == "" and a.get("role") in ("presentation", "none")
        needles = _LazyNeedles(_image_needles, alt or "", src)
        if alt is None or (not alt.strip() and not decorative):
            self.add(
                "M006",
                f"image '{src}' has no alt text",
                "describe it in the brackets, ![what it shows](...), or mark it "
                "![](...){decorative} (WCAG 1.1.1)",
                *needles,
            )
        elif alt and (_FILE_ALT_RE.search(alt.strip()) or alt.strip() == src.rsplit("/", 1)[-1]):
            self.add(
                "M007",
                f"alt text '{alt.strip()}' looks like a file name or placeholder",
                "say what the image shows",
                *needles,
            )
        elif len(alt) > MAX_ALT:
            self.add(
                "M007",
                f"alt text is {len(alt)} characters long (over {MAX_ALT})",
                "move the long description to a caption or the text",
                *needles,
            )
        if alt:
            self._collect(alt)

    def _heading_done(self, level: int, parts: list[str]) -> None:
        text = _text("".join(parts))
        needles = _LazyNeedles(_heading_needles, text, level)
        if not self.check_headings:
            return
        if level == 1:
            self.h1_count += 1
            if self.h1_count > 1:
                self.add(
                    "M004",
                    f"more than one H1 heading ('{text}')",
                    "use ## for sections; the page has one H1 (WCAG 1.3.1)",
                    *needles,
                )
        if level > self.last_level + 1:
            self.add(
                "M004",
                f"heading level skips from H{self.last_level} to H{level} ('{text}')",
                f"use {'#' * (self.last_level + 1)} here (WCAG 1.3.1)",
                *needles,
            )
        self.last_level = level

    def _link_done(self, link: _Link) -> None:
        text = _text("".join(link.text))
        plain = text.lower().strip(" .:!?…»>→")
        needles: tuple[Needle, ...] = (link.href, "<a")
        if text:
            raw_link = re.compile(rf"<a\b[^>]*>\s*{re.escape(text)}", re.I)
            needles = (f"[{text}]", f"<{link.href}>", raw_link, text, link.href)
        hint = "make the link text say where it goes (WCAG 2.4.4)"
        if not text:
            self.add("M008", f"link to '{link.href}' has no text", hint, *needles)
        elif plain in NON_DESCRIPTIVE:
            self.add("M008", f"link text '{text}' does not describe its target", hint, *needles)
        elif _URL_TEXT_RE.match(text):
            self.add("M008", f"bare URL '{text}' used as link text", hint, *needles)

    def _table_done(self, table: _Table) -> None:
        cells = table.first_row
        if not cells or any(tag != "th" for tag, _ in cells):
            # Markdown tables always have a header row: this one was written in HTML
            self.add(
                "M012",
                "table has no header row",
                "give the first row header cells (a Markdown table's first line) (WCAG 1.3.1)",
                "<table",
            )
        elif not any(_text("".join(t)) for _, t in cells):
            self.add(
                "M012",
                "table header row is empty",
                "name each column (WCAG 1.3.1)",
                _EMPTY_ROW_RE,
                "<table",
            )


def find_problems(
    html: str, *, sources: Mapping[str, str] | None = None, headings: bool = True
) -> list[Finding]:
    """Accessibility problems in HTML that went through `authoring.render.sanitize`.

    `sources` maps served image URLs back to the URLs as written (for messages and locating);
    `headings=False` skips the outline checks (for snippets such as question stems).
    """
    checker = _Checker(headings, sources or {})
    checker.feed(html)
    return checker.found


def check_html(
    html: str,
    *,
    path: str,
    locator: Locator,
    sources: Mapping[str, str] | None = None,
    headings: bool = True,
) -> list[Diagnostic]:
    """`find_problems` as diagnostics, each at the line and column `locator` finds for it."""
    out = []
    for f in find_problems(html, sources=sources, headings=headings):
        line, column = locator.position(*f.needles)
        out.append(Diagnostic(path, line, column, CODES[f.code], f.code, f.message, f.hint))
    return out
