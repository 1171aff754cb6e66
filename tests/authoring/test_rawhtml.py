"""Raw HTML an author left open (M020): reported at the tag, saying what it does to the page."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from authoring.model import Module
from authoring.render import RenderedModule, render_module

P = "modules/01-light.md"
INLINE = "warning[M020]: <{tag}> is never closed, so a browser carries it on over the text after it"
INLINE_HINT = "close it with </{tag}> before the paragraph ends"
BLOCK = (
    "warning[M020]: <{tag}> is never closed, so everything after it is read as raw HTML"
    " and its Markdown is not rendered"
)
BLOCK_HINT = "add </{tag}> where the HTML ends, with a blank line after it"


def module(body: str, body_line: int = 4) -> Module:
    return Module(id="m1", title="Light", path=P, body_md=body, body_line=body_line)


def m020(result: RenderedModule) -> list[str]:
    return [d.format() for d in result.diagnostics if d.code == "M020"]


def inline(line: int, column: int, tag: str) -> str:
    return f"{P}:{line}:{column}: {INLINE.format(tag=tag)}; {INLINE_HINT.format(tag=tag)}"


def block(line: int, column: int, tag: str) -> str:
    return f"{P}:{line}:{column}: {BLOCK.format(tag=tag)}; {BLOCK_HINT.format(tag=tag)}"


def test_an_unclosed_emphasis_is_reported_where_it_was_opened() -> None:
    body = "# Light\n\nPlants need <em>light and\n\nwater, and this is no longer emphasis.\n"
    result = render_module(module(body))
    assert m020(result) == [inline(6, 13, "em")]
    # what the warning is about: the emphasis runs on into the next paragraph
    assert "<em>\n<p>water" in result.html


def test_an_unclosed_link_is_reported_and_a_quiz_after_it_stays_out_of_it() -> None:
    body = (
        'See <a href="https://example.org/light">the light page\n'
        "\n"
        "```quiz id=q1\n? Which?\n(x) A\n( ) B\n```\n"
    )
    result = render_module(module(body, body_line=1))
    assert m020(result) == [inline(1, 5, "a")]
    assert '<div class="mc-quiz" data-quiz-id="q1">' in result.html
    assert "<a " not in result.html.split('<div class="mc-quiz"')[1]


@pytest.mark.parametrize(
    ("body", "tag", "where"),
    [
        ("<details>\n<summary>Answer</summary>\n\nHidden **text**\n", "details", (4, 1)),
        ('Intro.\n\n<div class="box">\n\nInside *Markdown*\n', "div", (6, 1)),
        ("<p>A paragraph without its end\n\nand **this** is not Markdown any more\n", "p", (4, 1)),
    ],
)
def test_an_unclosed_block_swallows_the_rest_and_is_reported(
    body: str, tag: str, where: tuple[int, int]
) -> None:
    result = render_module(module(body))
    assert m020(result) == [block(*where, tag)]
    assert "**" in result.html or "*Markdown*" in result.html  # the Markdown that was lost


def test_the_second_of_two_identical_tags_is_the_one_reported() -> None:
    body = "A <strong>first</strong> one.\n\nA <strong>second one\n\nand more.\n"
    assert m020(render_module(module(body, body_line=10))) == [inline(12, 3, "strong")]


def test_markdowns_own_emphasis_does_not_shift_the_place() -> None:
    # Markdown writes <em> for *this*: only the author's tags count when finding the place
    body = "Some *stressed* words and **strong** ones.\n\nThen <em>one left open\n\nEnd.\n"
    assert m020(render_module(module(body, body_line=1))) == [inline(3, 6, "em")]


def test_an_author_tag_that_takes_markdowns_end_tag_is_the_one_reported() -> None:
    # `*a <em>b*`: Markdown's </em> closes the author's <em>, and Markdown's own stays open
    body = "Intro.\n\n*a <em>b*\n\nEnd.\n"
    result = render_module(module(body, body_line=1))
    assert m020(result) == [inline(3, 4, "em")]


def test_a_quoted_angle_bracket_does_not_end_the_tag() -> None:
    body = 'Intro.\n\nGo <a title="a > b" href="https://example.org">there\n\nNext.\n'
    assert m020(render_module(module(body, body_line=1))) == [inline(3, 4, "a")]


def test_an_unclosed_tag_inside_a_closed_block_still_leaks_out_of_it() -> None:
    body = "<div>\nSome <b>bold\n</div>\n\nAfter the box.\n"
    assert m020(render_module(module(body, body_line=1))) == [inline(2, 6, "b")]


@pytest.mark.parametrize(
    "body",
    [
        "A <em>fine</em> one, <span>a span</span> and <abbr title='x'>X</abbr>.\n",
        "<details>\n<summary>Answer</summary>\nIt is *4*.\n</details>\n\nAfter.\n",
        "<ul><li>one<li>two</ul>\n\n<table><tr><td>a<td>b</table>\n",
        "Emphasis over <em>two\n\nparagraphs</em> is what the author meant.\n",
        "Use `<em>` for emphasis.\n\n```html\n<em>not closed in code\n```\n",
        "<!-- <em> in a comment -->\n\nText.\n",
        "Line<br>break, a rule:\n\n<hr>\n\n<img src='a.png' alt='A'>\n",
        "| a | b |\n| --- | --- |\n| <em>cell | b |\n\nAfter the table.\n",
        "Autolinks <https://example.org> are not tags.\n",
        "<div/>\n\nText *here*, and a <span/> inline.\n",
        "<div>\n<![0\n</div>\n",  # a malformed declaration the stdlib parser failed on
    ],
)
def test_html_that_closes_or_cannot_leak_is_not_reported(body: str) -> None:
    assert m020(render_module(module(body))) == []


def test_the_check_reports_it_with_file_and_line(tmp_path: object) -> None:
    from pathlib import Path

    from authoring.check import check_course

    course = Path(str(tmp_path))
    (course / "modules").mkdir()
    (course / "course.yml").write_text(
        "id: light\ntitle: Light\nversion: 1.0.0\nlanguage: en\n"
        "modules:\n  - modules/01-light.md\n",
        encoding="utf-8",
    )
    (course / P).write_text(
        "---\nid: m1\ntitle: Light\n---\n# Light\n\nPlants need <em>light\n\nand water.\n",
        encoding="utf-8",
    )
    report = check_course(course, render=True)
    assert [d.format() for d in report.diagnostics if d.code == "M020"] == [inline(7, 13, "em")]


# --- properties: balanced HTML is never reported; an end tag taken away always is ----------------

_INLINE_TAGS = ("em", "strong", "b", "i", "code", "small", "span", "abbr")
_BLOCK_TAGS = ("div", "details", "blockquote", "aside")
_WORDS = st.text(alphabet="abcdefgh ", min_size=1, max_size=8).filter(str.strip)


def _element(tag: str, children: list[str]) -> str:
    opening = '<a href="https://example.org">' if tag == "a" else f"<{tag}>"
    return opening + "".join(children) + f"</{tag}>"


_HTML = st.recursive(
    _WORDS,
    lambda inner: st.builds(
        _element, st.sampled_from((*_INLINE_TAGS, *_BLOCK_TAGS, "a")), st.lists(inner, max_size=3)
    ),
    max_leaves=8,
).filter(lambda h: h.startswith("<"))


@given(_HTML)
@settings(max_examples=150, deadline=None)
def test_balanced_raw_html_is_never_reported(html: str) -> None:
    body = f"Intro.\n\n{html}\n\nAfter, with *Markdown*.\n"
    assert m020(render_module(module(body))) == []


@given(_HTML, st.data())
@settings(max_examples=150, deadline=None)
def test_a_formatting_end_tag_taken_away_is_always_reported(html: str, data: st.DataObject) -> None:
    ends = [m for m in re.finditer(r"</(em|strong|b|i|code|small|a)>", html)]
    assume(ends)
    gone = data.draw(st.sampled_from(ends))
    body = f"Intro.\n\n{html[: gone.start()]}{html[gone.end() :]}\n\nAfter.\n"
    assert any(f"<{gone[1]}> is never closed" in line for line in m020(render_module(module(body))))
