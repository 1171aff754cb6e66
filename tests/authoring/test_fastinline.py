"""The fast inline processor makes exactly the HTML the stock Python-Markdown one makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown import Markdown

from authoring.mdext.fastinline import FastInlineExtension, FastInlineProcessor

SAMPLES = Path(__file__).resolve().parents[2] / "content_samples"
EXTENSIONS = ["tables", "footnotes", "attr_list", "def_list", "pymdownx.superfences"]
EXTENSIONS += ["pymdownx.arithmatex"]


def stock_and_fast() -> tuple[Markdown, Markdown]:
    fast = Markdown(extensions=[*EXTENSIONS, FastInlineExtension()])
    assert isinstance(fast.treeprocessors["inline"], FastInlineProcessor)
    return Markdown(extensions=EXTENSIONS), fast


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*/modules/*.md")), ids=lambda p: p.name)
def test_sample_modules_render_the_same(path: Path) -> None:
    stock, fast = stock_and_fast()
    text = path.read_text("utf-8")
    assert fast.convert(text) == stock.convert(text)


MARKS = ["*", "**", "_", "__", "`", "[", "]", "(", ")", "<", ">", "&", "!", "$", "\\", "  \n"]
WORDS = ["a", "word ", "https://x.org", "<b>", "&amp;", "[^1]", "\n\n", "x@y.org", "&#35;", "^"]
INLINE = st.sampled_from([*MARKS, *WORDS])


@settings(max_examples=300, deadline=None)
@given(st.lists(INLINE, max_size=40))
def test_any_inline_markup_renders_the_same(parts: list[str]) -> None:
    stock, fast = stock_and_fast()
    text = "".join(parts) + "\n\n[^1]: a note\n"
    assert fast.convert(text) == stock.convert(text)
