"""Raw HTML an author left open (M020), found in Python-Markdown's output before sanitizing.

Markdown's own elements always close, so whatever is left open comes from raw HTML. Two kinds do
harm a reader sees:

- a **block** element (`<div>`, `<details>`, `<p>`...) that starts a raw HTML block and is never
  closed: Python-Markdown reads everything after it as raw HTML, so its Markdown is not
  rendered. The scan mirrors Python-Markdown's own stack (an end tag closes everything opened
  after its start tag), so it reports exactly the blocks that ran to the end of the module;
- a **formatting** element (`<a>`, `<em>`, `<strong>`...) that is never closed: an HTML parser
  reopens it in every block after it, turning the rest of the module into one link or one
  emphasis. One left open inside a table cell stops at the cell, so it is not reported.

Elements whose end tag HTML makes optional (`<li>`, `<td>`...) and void elements are not tracked.
`OpenTagScan` runs just before Python-Markdown puts the raw HTML back, and puts it back itself
the same way, so it knows which tags the author wrote: those are the ones counted to find the
tag in the source (Markdown writes `<em>` too, for `*text*`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markdown import Markdown, util
from markdown.postprocessors import Postprocessor, RawHtmlPostprocessor

from authoring.a11y import Locator
from authoring.diagnostics import CODES, Diagnostic
from authoring.mdext.quizfence import FORMATTING

#: A start tag in the Markdown source (an autolink `<https://...>` is not one): without any, the
#: scan is skipped.
SOURCE_TAG_RE = re.compile(r"<[A-Za-z][A-Za-z0-9-]*(?=[\s/>])")
_VOID_TAGS = "area base br col embed hr img input link meta param source track wbr"
_OPTIONAL_END_TAGS = "li dt dd tr td th thead tbody tfoot caption colgroup option optgroup rt rp"
_VOID = frozenset(_VOID_TAGS.split())
_OPTIONAL_END = frozenset(_OPTIONAL_END_TAGS.split())
_CELLS = frozenset({"td", "th", "caption"})  # a formatting element left open stops at their end
_FORMATTING = frozenset(FORMATTING)
#: What the scan reads: comments and the content of `<pre>` (highlighted code, built by us) and of
#: elements whose content is text (`<script>`...) are passed over whole; then start and end tags.
_ATTRIBUTES = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""  # up to the tag's `>`, quoted `>` included
_TOKEN_RE = re.compile(
    rf"""<!--.*?-->
    | <(?P<skip>pre|script|style|textarea|title|xmp)\b{_ATTRIBUTES}>.*?</(?P=skip)\s*>
    | <(?P<end>/)?(?P<tag>[A-Za-z][A-Za-z0-9-]*){_ATTRIBUTES}>""",
    re.DOTALL | re.IGNORECASE | re.VERBOSE,
)
_PLACEHOLDER = util.HTML_PLACEHOLDER % r"([0-9]+)"
_PLACEHOLDER_RE = re.compile(f"<p>{_PLACEHOLDER}</p>|{_PLACEHOLDER}")


@dataclass(frozen=True)
class Unclosed:
    """A start tag never closed: its tag name, its text as written, which of the author's tags
    with that text it is (0 for the first), and whether it swallowed the rest as a raw block."""

    tag: str
    text: str
    occurrence: int
    block: bool


class OpenTagScan(Postprocessor):
    """Finds the raw HTML left open (`found`), when `enabled`; the text passes unchanged."""

    def __init__(self, md: Markdown) -> None:
        super().__init__(md)
        self.enabled = False
        self.found: list[Unclosed] = []

    def run(self, text: str) -> str:
        self.found = []
        if self.enabled and self.md.htmlStash.html_counter:
            restorer = self.md.postprocessors["raw_html"]
            assert isinstance(restorer, RawHtmlPostprocessor)
            pieces: list[tuple[str, bool]] = []
            self._restore(text, False, restorer.isblocklevel, pieces)
            self.found = find_unclosed(pieces, self.md.is_block_level)
        return text

    def _restore(
        self, text: str, raw: bool, is_block: Callable[[str], bool], out: list[tuple[str, bool]]
    ) -> None:
        """`RawHtmlPostprocessor`'s substitution (`is_block` is its test for leaving a stashed
        block out of the `<p>` around it), keeping which pieces are raw HTML."""
        stash = self.md.htmlStash
        pos = 0
        for m in _PLACEHOLDER_RE.finditer(text):
            key = int(m[1] or m[2])
            if key >= stash.html_counter:
                continue
            out.append((text[pos : m.start()], raw))
            html = str(stash.rawHtmlBlocks[key])
            keep_p = m[1] is not None and not is_block(html)
            out += [("<p>", False)] if keep_p else []
            self._restore(html, True, is_block, out)
            out += [("</p>", False)] if keep_p else []
            pos = m.end()
        out.append((text[pos:], raw))


def register_open_tag_scan(md: Markdown) -> OpenTagScan:
    """Register the scan just before `raw_html` (priority 30) puts the raw HTML back."""
    scan = OpenTagScan(md)
    md.postprocessors.register(scan, "mc_open_tags", 31)
    return scan


_Open = tuple[str, int, int]  # tag, where its start tag begins and ends in the HTML


def find_unclosed(
    pieces: Sequence[tuple[str, bool]], is_block_level: Callable[[str], bool]
) -> list[Unclosed]:
    """Every start tag of the author's that leaves something open, in order, in the HTML made of
    `pieces` (text, whether it is the author's raw HTML). `is_block_level` is the Markdown
    instance's own test, so blocks are judged as it judged them."""
    html = "".join(text for text, _ in pieces)
    starts, raw = [0], [False]
    for text, is_raw in pieces:
        starts.append(starts[-1] + len(text))
        raw.append(is_raw)

    def authors(offset: int) -> bool:
        return raw[bisect_right(starts, offset)]

    stack: list[_Open] = []  # every element that needs its end tag, as Markdown reads them
    formatting: list[_Open] = []  # open formatting elements, in order
    cells: list[int] = []  # len(formatting) when each open table cell began
    for m in _TOKEN_RE.finditer(html):
        tag = m["tag"]
        if tag is None:
            continue
        tag = tag.lower()
        if m["end"]:
            if any(t == tag for t, _, _ in stack):
                while stack.pop()[0] != tag:
                    pass
            if tag in _FORMATTING:
                for i in range(len(formatting) - 1, -1, -1):
                    if formatting[i][0] == tag:
                        del formatting[i]
                        break
            elif tag in _CELLS and cells:
                del formatting[cells.pop() :]
        elif tag not in _VOID and not m[0].endswith("/>"):  # Markdown reads `<div/>` as closed
            if tag not in _OPTIONAL_END:
                stack.append((tag, m.start(), m.end()))
            if tag in _FORMATTING:
                formatting.append((tag, m.start(), m.end()))
            elif tag in _CELLS:
                cells.append(len(formatting))
    found = [(*_blame(html, f, authors), False) for f in formatting]
    if stack and authors(stack[0][1]) and is_block_level(stack[0][0]):
        found.append((*stack[0], True))
    return [_unclosed(html, *f, authors) for f in sorted(set(found), key=lambda f: f[1])]


def _blame(html: str, element: _Open, authors: Callable[[int], bool]) -> _Open:
    """The author's start tag to report for an element left open: itself, or for one of
    Markdown's (`*a <em>b*` leaves Markdown's `<em>` open, its end tag closing the author's), the
    author's next tag of that name."""
    tag, start, _ = element
    if authors(start):
        return element
    pattern = re.compile(rf"<{tag}(?=[\s/>]){_ATTRIBUTES}>", re.IGNORECASE)
    for m in pattern.finditer(html, start + 1):
        if authors(m.start()):
            return (tag, m.start(), m.end())
    return element


def _unclosed(
    html: str, tag: str, start: int, end: int, block: bool, authors: Callable[[int], bool]
) -> Unclosed:
    text = html[start:end]
    before = re.finditer(re.escape(text), html[:start], re.IGNORECASE)
    return Unclosed(tag, text, sum(1 for m in before if authors(m.start())), block)


def report_unclosed(
    found: Sequence[Unclosed], source: str, first_line: int, path: str
) -> list[Diagnostic]:
    """M020 for each unclosed tag, at its start tag in the Markdown `source` (whose first line is
    `first_line` of the file at `path`)."""
    out = []
    for item in found:
        locator = Locator(source, first_line)  # its k-th hit is the k-th occurrence
        needle = re.compile(rf"(?<!`){re.escape(item.text)}", re.IGNORECASE)  # not `<em>` code
        for _ in range(item.occurrence + 1):
            line, column = locator.position(needle)
        message, hint = _describe(item)
        out.append(Diagnostic(path, line, column, CODES["M020"], "M020", message, hint))
    return out


def _describe(item: Unclosed) -> tuple[str, str]:
    """The M020 message and hint for one unclosed tag."""
    if item.block:
        return (
            f"<{item.tag}> is never closed, so everything after it is read as raw HTML"
            " and its Markdown is not rendered",
            f"add </{item.tag}> where the HTML ends, with a blank line after it",
        )
    return (
        f"<{item.tag}> is never closed, so a browser carries it on over the text after it",
        f"close it with </{item.tag}> before the paragraph ends",
    )
