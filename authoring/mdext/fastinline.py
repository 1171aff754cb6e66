"""Inline processing that skips the patterns a piece of text cannot match.

Python-Markdown tries every inline pattern (about sixteen regexes) on every piece of text, which
is a third of the time a module takes to render. Each known pattern can only match text that
contains one of a few characters (a link needs `[`, emphasis needs `*` or `_`), so this processor
tries a pattern only when the text holds one of them. A pattern it does not know is always tried,
so the HTML is exactly what the stock processor makes (tests/authoring/test_mdext.py compares).
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

from markdown import Markdown, util
from markdown.extensions import Extension
from markdown.treeprocessors import InlineProcessor

#: Pattern name -> strings one of which any text it matches contains.
TRIGGERS: dict[str, frozenset[str]] = {
    name: frozenset(strings)
    for name, strings in {
        "backtick": ("`",),
        "arithmatex-inline": ("$", "\\"),
        "escape": ("\\",),
        "footnote": ("[",),
        "reference": ("[",),
        "link": ("[",),
        "image_link": ("[",),
        "image_reference": ("[",),
        "short_reference": ("[",),
        "short_image_ref": ("[",),
        "autolink": ("<",),
        "automail": ("<",),
        "linebreak": ("  \n",),
        "html": ("<",),
        "entity": ("&",),
        "em_strong": ("*", "_"),
        "em_strong2": ("_",),
        "not_strong": ("*", "_"),
    }.items()
}
_ALL = frozenset().union(*TRIGGERS.values())


class FastInlineProcessor(InlineProcessor):
    """Python-Markdown's inline processor, trying only the patterns the text can match."""

    def __init__(self, md: Markdown) -> None:
        super().__init__(md)
        self._triggers: list[frozenset[str] | None] = []
        self._registered: tuple[str, ...] = ()
        self._all_triggered: list[bool] = [True]

    def _sync(self) -> None:
        self.inlinePatterns._sort()  # index order is priority order only once sorted
        names = tuple(item.name for item in self.inlinePatterns._priority)
        if names != self._registered:
            self._registered = names
            self._triggers = [TRIGGERS.get(name) for name in names]
            # [i]: every pattern from index i on has triggers (so text without any is done)
            self._all_triggered = [
                all(t is not None for t in self._triggers[i:]) for i in range(len(names) + 1)
            ]

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        """Process the tree as the stock processor does."""
        self._sync()
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        """The stock loop over patterns, skipping a pattern whose triggers the text lacks."""
        if isinstance(data, util.AtomicString):
            return data
        start = 0
        triggers = self._triggers
        count = len(self.inlinePatterns)
        present = {t for t in _ALL if t in data}  # recomputed whenever a pattern changed data
        if not present and self._all_triggered[patternIndex]:
            return data  # no pattern from here on can match: the loop below would try none
        while patternIndex < count:
            wanted = triggers[patternIndex]
            if wanted is not None and present.isdisjoint(wanted):
                patternIndex += 1
                start = 0
                continue
            data, matched, start = self._InlineProcessor__applyPattern(
                self.inlinePatterns[patternIndex], data, patternIndex, start
            )
            if matched:
                present = {t for t in _ALL if t in data}
            else:
                patternIndex += 1
        return data


class FastInlineExtension(Extension):
    """Replace the stock `inline` tree processor with `FastInlineProcessor`."""

    def extendMarkdown(self, md: Markdown) -> None:  # Markdown's API name
        md.treeprocessors.register(FastInlineProcessor(md), "inline", 20)
