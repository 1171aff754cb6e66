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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from authoring.a11y import Locator
from authoring.diagnostics import CODES, Diagnostic
from authoring.mdext.quizfence import CLOSE_FORMATTING, FORMATTING

#: A start tag in the Markdown source (an autolink `<https://...>` is not one): without any, the
#: scan is skipped.
SOURCE_TAG_RE = re.compile(r"<[A-Za-z][A-Za-z0-9-]*(?=[\s/>])")
_VOID_TAGS = "area base br col embed hr img input link meta param source track wbr"
_OPTIONAL_END_TAGS = "li dt dd tr td th thead tbody tfoot caption colgroup option optgroup rt rp"
_VOID = frozenset(_VOID_TAGS.split())
_OPTIONAL_END = frozenset(_OPTIONAL_END_TAGS.split())
_CELLS = frozenset({"td", "th", "caption"})  # a formatting element left open stops at their end
_FORMATTING = frozenset(FORMATTING)


@dataclass(frozen=True)
class Unclosed:
    """A start tag never closed: its tag name, its text as written, which occurrence of that text
    it is in the HTML (0 for the first), and whether it swallowed the rest as a raw block."""

    tag: str
    text: str
    occurrence: int
    block: bool


#: What the scan reads: comments and the content of `<pre>` (highlighted code, built by us) and of
#: elements whose content is text (`<script>`...) are passed over whole; then start and end tags.
_TOKEN_RE = re.compile(
    r"""<!--.*?-->
    | <(?P<skip>pre|script|style|textarea|title|xmp)\b(?:[^>"']|"[^"]*"|'[^']*')*>.*?</(?P=skip)\s*>
    | <(?P<end>/)?(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?:[^>"']|"[^"]*"|'[^']*')*>""",
    re.DOTALL | re.IGNORECASE | re.VERBOSE,
)
_Open = tuple[str, int, int]  # tag, where its start tag begins and ends in the HTML


def find_unclosed(html: str, is_block_level: Callable[[str], bool]) -> list[Unclosed]:
    """Every start tag in Python-Markdown's output that leaves something open, in order.
    `is_block_level` is the Markdown instance's own test, so blocks are judged as it judged them;
    the end tags `close_before_slots` added are not the author's, so they are left out."""
    html = html.replace(CLOSE_FORMATTING, "")
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
        elif tag not in _VOID:
            if tag not in _OPTIONAL_END:
                stack.append((tag, m.start(), m.end()))
            if tag in _FORMATTING:
                formatting.append((tag, m.start(), m.end()))
            elif tag in _CELLS:
                cells.append(len(formatting))
    found = [(*f, False) for f in formatting]
    if stack and is_block_level(stack[0][0]):
        found.append((*stack[0], True))
    return [_unclosed(html, *f) for f in sorted(found, key=lambda f: f[1])]


def _unclosed(html: str, tag: str, start: int, end: int, block: bool) -> Unclosed:
    text = html[start:end]
    return Unclosed(tag, text, html.lower().count(text.lower(), 0, start), block)


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
