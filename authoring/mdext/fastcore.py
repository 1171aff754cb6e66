"""`FastMarkdown`: Python-Markdown with two costs of the stock class removed, same HTML.

- Extensions asked for by name (superfences asks for `pymdownx.highlight`) make the stock class
  scan every installed package's entry points first, importing `importlib.metadata` to do so:
  tens of milliseconds of a build's serial start. No package registers that name, so building
  `HighlightExtension` directly gives what the lookup would.
- `is_block_level` lower-cases the tag and searches a list, over a hundred thousand times a
  course; the answer per tag is remembered instead (the list is fixed once extensions are in).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from pymdownx.highlight import HighlightExtension


class FastMarkdown(Markdown):
    """`markdown.Markdown`, minus the entry-point scan and the repeated block-level search."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.is_block_level = block_level_test(self.block_level_elements)

    def build_extension(self, ext_name: str, configs: Mapping[str, Any]) -> Extension:
        """The stock lookup, except for the one name an extension we load asks for."""
        if ext_name == "pymdownx.highlight":
            return HighlightExtension(**dict(configs))
        return super().build_extension(ext_name, configs)


def block_level_test(names: list[str]) -> Callable[[Any], bool]:
    """`Markdown.is_block_level` for the block-level tag `names`, answers remembered per tag."""
    known: dict[str, bool] = {}
    block = frozenset(names)

    def is_block_level(tag: Any) -> bool:
        if not isinstance(tag, str):
            return False
        try:
            return known[tag]
        except KeyError:
            known[tag] = answer = tag.lower().rstrip("/") in block
            return answer

    return is_block_level
