"""The Markdown extensions as an author meets them: what a construct renders to, what it reports."""

from __future__ import annotations

import re

import pytest

from authoring.mdext.mathblocks import tex_problem
from authoring.mdext.media import asset_path, has_scheme
from authoring.mdext.quizfence import fence_mask, quiz_fence_id, scan_fences
from authoring.model import Module
from authoring.render import RenderedModule, render_module

BODY_LINE = 6  # the body starts on line 6 of the file, after the front matter


def render(body: str, **kw: object) -> RenderedModule:
    module = Module(id="m", title="M", path="modules/m.md", body_md=body, body_line=BODY_LINE)
    return render_module(module, **kw)  # type: ignore[arg-type]


def lines(result: RenderedModule) -> list[str]:
    return [d.format() for d in result.diagnostics]


def squash(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


# --- callouts ---------------------------------------------------------------------------------

CALLOUT = (
    '<aside class="admonition warning" role="note"><p class="admonition-title">Mind the heat</p>'
    "<p>Leaves <strong>wilt</strong>.</p></aside>"
)


@pytest.mark.parametrize(
    "body",
    [
        '!!! warning "Mind the heat"\n    Leaves **wilt**.',
        "> [!WARNING] Mind the heat\n> Leaves **wilt**.",
        "> [!warning] Mind the heat\n> Leaves **wilt**.",
        ":::warning Mind the heat\nLeaves **wilt**.\n:::",
        ':::warning "Mind the heat"\nLeaves **wilt**.\n:::',
    ],
)
def test_three_callout_spellings_render_the_same_accessible_aside(body: str) -> None:
    result = render(body)
    assert squash(result.html) == CALLOUT
    assert result.diagnostics == ()


@pytest.mark.parametrize("kind", ["note", "tip", "important", "warning", "caution"])
def test_each_callout_type_gets_its_default_title(kind: str) -> None:
    html = squash(render(f"> [!{kind.upper()}]\n> Body.").html)
    assert html == (
        f'<aside class="admonition {kind}" role="note">'
        f'<p class="admonition-title">{kind.capitalize()}</p><p>Body.</p></aside>'
    )


def test_unknown_callout_type_is_reported_at_its_line_and_shown_as_a_note() -> None:
    body = "Intro.\n\n:::notice\nText.\n:::\n\n!!! danger\n    Hot.\n\n> [!TIPS]\n> x"
    result = render(body)
    assert lines(result) == [
        "modules/m.md:8:1: warning[M013]: unknown admonition type 'notice'; did you mean 'note'?",
        "modules/m.md:12:1: warning[M013]: unknown admonition type 'danger'; "
        "expected note, tip, important, warning, caution",
        "modules/m.md:15:1: warning[M013]: unknown admonition type 'TIPS'; did you mean 'tip'?",
    ]
    assert '<aside class="admonition note" role="note"><p class="admonition-title">Notice</p>' in (
        squash(result.html)
    )
    assert '<p class="admonition-title">Danger</p>' in result.html


def test_unclosed_container_is_reported_where_it_opens() -> None:
    result = render("Text.\n\n:::tip Try it\nDo this.\n")
    assert lines(result) == [
        "modules/m.md:8:1: error[M003]: container ':::tip' is not closed; "
        "end it with a line holding only ':::'"
    ]
    assert "Do this." in result.html


def test_containers_nest_and_hold_alerts_code_and_quizzes() -> None:
    body = (
        "::::tip Outer\n"
        "> [!CAUTION]\n"
        "> inner *x*\n"
        "\n"
        ":::important\n"
        "```python\n"
        "x = 1\n"
        "```\n"
        "```quiz id=nested\n"
        "? secret stem\n"
        "(x) secret answer\n"
        "```\n"
        ":::\n"
        "::::\n"
        "after"
    )
    html = squash(render(body).html)
    assert html.startswith('<aside class="admonition tip" role="note">')
    assert '<aside class="admonition caution" role="note">' in html
    assert '<aside class="admonition important" role="note">' in html
    assert '<span class="n">x</span>' in html
    assert '<div class="mc-quiz" data-quiz-id="nested"></div></aside></aside><p>after</p>' in html
    assert "secret" not in html


def test_callout_markers_inside_code_fences_stay_code() -> None:
    body = "```markdown\n:::note\n> [!TIP]\n!!! danger\n```"
    result = render(body)
    assert "aside" not in result.html
    assert ":::note" in result.html
    assert result.diagnostics == ()


def test_a_quote_that_merely_contains_an_alert_marker_later_is_a_quote() -> None:
    html = squash(render("> Plain quote\n> [!NOTE]\n> more").html)
    assert html.startswith("<blockquote>")


# --- video and images ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        (
            "https://m.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
        ("https://player.vimeo.com/video/76979871", "https://player.vimeo.com/video/76979871"),
        (
            "https://vimeo.com/76979871/abcdef1234",
            "https://player.vimeo.com/video/76979871?h=abcdef1234",
        ),
    ],
)
def test_video_from_an_allowed_host_becomes_a_titled_iframe_built_from_the_id(
    url: str, embed: str
) -> None:
    result = render(f"!video[Light reactions explained]({url}){{captions=auto}}")
    assert result.diagnostics == ()
    assert squash(result.html) == (
        f'<figure class="mc-video"><iframe src="{embed}" title="Light reactions explained" '
        'loading="lazy" allowfullscreen allow="encrypted-media; fullscreen; picture-in-picture" '
        'referrerpolicy="strict-origin-when-cross-origin"></iframe>'
        "<figcaption>Light reactions explained</figcaption></figure>"
    )


def test_video_captions_file_is_linked_and_listed_as_an_asset() -> None:
    result = render(
        "!video[Intro](https://youtu.be/dQw4w9WgXcQ){captions=media/intro.vtt}",
        asset_url=lambda p: "/static/c1/" + p,
    )
    assert result.assets == ("media/intro.vtt",)
    assert (
        '<figcaption>Intro <a class="mc-captions" href="/static/c1/media/intro.vtt">'
        "Captions (WebVTT)</a></figcaption>" in result.html
    )


def test_video_without_captions_or_caption_text_is_reported() -> None:
    body = "Text.\n\n!video[](https://youtu.be/dQw4w9WgXcQ)"
    result = render(body)
    assert lines(result) == [
        "modules/m.md:8:1: warning[M009]: video has no caption text to name it for screen "
        "readers; write the caption between the brackets: !video[Caption](url)",
        "modules/m.md:8:1: warning[M009]: video has no captions; add {captions=path/to/file.vtt} "
        "or {captions=auto} (WCAG 1.2.2)",
    ]
    assert 'title="Video"' in result.html


def test_video_from_another_host_is_reported_and_becomes_a_plain_link() -> None:
    result = render("!video[Lecture](https://media.example.edu/v/12){captions=auto}")
    assert lines(result) == [
        "modules/m.md:6:1: warning[M009]: video host 'media.example.edu' is not allowed; allowed "
        "hosts: player.vimeo.com, vimeo.com, youtu.be, youtube-nocookie.com, youtube.com"
    ]
    assert "iframe" not in result.html
    assert '<a href="https://media.example.edu/v/12" rel="noopener noreferrer">Lecture</a>' in (
        result.html
    )


def test_video_url_without_an_id_is_reported() -> None:
    result = render("!video[Channel](https://www.youtube.com/@somebody){captions=auto}")
    assert [d.message for d in result.diagnostics] == [
        "cannot find the video id in 'https://www.youtube.com/@somebody'"
    ]
    assert "iframe" not in result.html


def test_javascript_video_url_never_becomes_a_link() -> None:
    result = render("!video[x](javascript:alert(1)){captions=auto}")
    assert "javascript" not in result.html
    assert {d.code for d in result.diagnostics} == {"M009", "M019"}


def test_video_syntax_inside_a_code_fence_stays_text() -> None:
    result = render("```\n!video[x](https://youtu.be/dQw4w9WgXcQ)\n```")
    assert "iframe" not in result.html and "!video[x]" in result.html


def test_images_go_through_asset_url_and_are_listed() -> None:
    result = render(
        "![A leaf cross-section](img/leaf.png) ![Chart](https://cdn.example.org/c.png)\n\n"
        "![](img/border.png){decorative} ![Stoma](./img/stoma%201.jpg#zoom)",
        asset_url=lambda p: "/a/" + p,
    )
    assert result.assets == ("img/leaf.png", "img/border.png", "img/stoma 1.jpg")
    html = result.html
    assert '<img alt="A leaf cross-section" src="/a/img/leaf.png" loading="lazy">' in html
    assert 'src="https://cdn.example.org/c.png"' in html
    assert '<img alt="" role="presentation" src="/a/img/border.png" loading="lazy">' in html
    assert 'src="/a/img/stoma 1.jpg#zoom"' in html
    assert result.diagnostics == ()


def test_links_to_course_files_are_assets_but_links_to_pages_are_not() -> None:
    result = render(
        "[Worksheet](files/week1.pdf), [next module](02-calvin.md), [top](#intro)",
        asset_url=lambda p: "/a/" + p,
    )
    assert result.assets == ("files/week1.pdf",)
    assert 'href="/a/files/week1.pdf"' in result.html
    assert 'href="02-calvin.md"' in result.html


def test_default_asset_url_keeps_course_relative_paths() -> None:
    assert 'src="img/my%20leaf.png"' in render("![A leaf](img/my leaf.png)").html


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("img/a.png", ("img/a.png", "")),
        ("./img/a.png?v=2", ("img/a.png", "?v=2")),
        ("img/../img/a%20b.png#x", ("img/a b.png", "#x")),
        ("../outside.png", None),
        ("/abs.png", None),
        ("https://x.org/a.png", None),
        ("#frag", None),
        ("", None),
    ],
)
def test_asset_path(url: str, expected: tuple[str, str] | None) -> None:
    assert asset_path(url) == expected


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        (" \x01JaVa\tScRiPt:x", "javascript"),
        ("java\nscript:x", "javascript"),
        ("img/a:b.png", ""),
        ("mailto:a@b.c", "mailto"),
        ("HTTPS://x", "https"),
    ],
)
def test_has_scheme_sees_what_browsers_see(url: str, scheme: str) -> None:
    assert has_scheme(url) == scheme


# --- quiz fences and code ----------------------------------------------------------------------

QUIZ = """Read this first.
```quiz id=lr-gas points=2
? Which gas do plants **absorb**?
( ) Oxygen            # That's released, not absorbed.
(x) Carbon dioxide    # Right.
hint: Think about what animals exhale.
explain: Plants fix CO2 and release O2.
```
Then this.

```quiz-draw id=final-pool from=banks/photosynthesis.md tags=light count=3
```
"""


def test_quiz_and_draw_fences_become_empty_placeholders() -> None:
    result = render(QUIZ)
    assert squash(result.html) == (
        '<p>Read this first.</p><div class="mc-quiz" data-quiz-id="lr-gas"></div>'
        '<p>Then this.</p><div class="mc-quiz-draw" data-draw-id="final-pool"></div>'
    )
    for secret in ("Oxygen", "Carbon", "absorb", "Right", "exhale", "fix CO2", "banks/"):
        assert secret not in result.html


@pytest.mark.parametrize(
    "body",
    [
        "> Intro\n>\n> ```quiz id=q1\n> ? secret stem\n> (x) secret\n> ```\n",
        "- item\n\n    ```quiz id=q1\n    ? secret stem\n    ```\n- next",
        "Text\n```quiz id=q1\n? secret stem\n(x) secret\n",  # unclosed: runs to the end
        "~~~quiz id=q1\n? secret stem\n~~~",
        '```quiz id="q1"\n? secret stem\n```',
    ],
)
def test_quiz_fence_is_a_block_placeholder_wherever_it_sits(body: str) -> None:
    html = render(body).html
    assert '<div class="mc-quiz" data-quiz-id="q1"></div>' in html
    assert "secret" not in html
    assert "<p><div" not in html


@pytest.mark.parametrize(
    ("body", "embed"),
    [
        ('<a href="#">x\n\n```quiz id=q1\n? stem\n(x) a\n```', '<div class="mc-quiz"'),
        ('<a href="#">x\n!video[Clip](https://vimeo.com/1){captions=c.vtt}', "<figure"),
        ("<em>x\n\n```quiz id=q1\n? stem\n(x) a\n```", '<div class="mc-quiz"'),
        ('<A HREF="#">x\n\n```quiz id=q1\n? stem\n(x) a\n```\n\ny</a>', '<div class="mc-quiz"'),
    ],
)
def test_an_authors_unclosed_link_does_not_swallow_a_quiz_or_video(body: str, embed: str) -> None:
    # The HTML parser reopens an unclosed <a> or <em> for what follows: a quiz or video inside
    # the author's link would be one big link with the quiz's controls (or a second link) in it.
    html = render(body).html
    before = html.split(embed, 1)[0]
    assert before.count("<a ") == before.count("</a>")
    assert before.count("<em>") == before.count("</em>")
    assert not re.search(r"<a [^>]*>\s*</a>", html)  # no empty link left behind either


def test_quiz_fence_without_id_shows_nothing() -> None:
    html = render("```quiz points=2\n? secret stem\n(x) secret\n```").html
    assert html.strip() == ""


def test_quiz_syntax_shown_inside_a_longer_fence_stays_code() -> None:
    html = render("````markdown\n```quiz id=demo\n? shown as code\n```\n````").html
    assert "mc-quiz" not in html
    assert "shown as code" in html


def test_code_fences_are_highlighted_with_classes_not_inline_styles() -> None:
    html = render('```python\nprint("hi")  # greet\n```\n\n```\nplain <text>\n```').html
    assert html.startswith('<div class="highlight"><pre><span></span><code>')
    assert '<span class="nb">print</span>' in html
    assert '<span class="c1"># greet</span>' in html
    assert "plain &lt;text&gt;" in html
    assert "style=" not in html


def test_fence_header_options_do_not_break_a_code_block() -> None:
    html = render('```python title="x.py" linenums=1\nx = 1\n```').html
    assert '<span class="n">x</span>' in html


def test_fence_scanner() -> None:
    text = ["a", "```py", "```not-closing", "x", "```", "~~~~", "~~~", "~~~~", "````", "end"]
    assert [(f.start, f.end, f.info, f.closed) for f in scan_fences(text)] == [
        (1, 4, "py", True),
        (5, 7, "", True),
        (8, 9, "", False),
    ]
    assert fence_mask(text) == (False,) + (True,) * 9


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ("quiz id=lr-gas points=2", ("quiz", "lr-gas")),
        ('quiz points=1 id="a.b_c"', ("quiz", "a.b_c")),
        ("quiz-draw id=pool from=banks/x.md", ("quiz-draw", "pool")),
        ("quiz points=1", ("quiz", "")),
        ('quiz id="<script>"', ("quiz", "")),
        ("quizzes id=x", None),
        ("python", None),
    ],
)
def test_quiz_fence_id(info: str, expected: tuple[str, str] | None) -> None:
    assert quiz_fence_id(info) == expected


# --- math ------------------------------------------------------------------------------------


def test_math_is_marked_up_for_katex() -> None:
    html = render("Energy $E = h\\nu$ here.\n\n$$\n\\frac{a}{b}\n$$").html
    assert '<span class="arithmatex">\\(E = h\\nu\\)</span>' in html
    assert '<div class="arithmatex">\\[\n\\frac{a}{b}\n\\]</div>' in html


def test_math_problems_are_reported_with_line_and_column() -> None:
    body = (
        "Prices: $5 and $10 are not math, `$$` is code, \\$$ is escaped.\n"
        "\n"
        "Broken $\\frac{a}{b$ here.\n"
        "\n"
        "$$\n"
        "x^2\n"
        "\n"
        "Text before\n"
        "$$\n"
        "y\n"
        "$$\n"
        "\n"
        "$$\n"
        "\\begin{aligned} a \\end{matrix}\n"
        "$$"
    )
    assert lines(render(body)) == [
        "modules/m.md:8:8: error[M010]: math error in $...$: a '{' is not closed",
        "modules/m.md:10:1: error[M010]: display math '$$' is not closed; "
        "close it with '$$' before the next blank line",
        "modules/m.md:14:1: error[M010]: display math '$$...$$' is not a paragraph of its own; "
        "put a blank line before and after it; use $...$ inside a sentence",
        "modules/m.md:18:1: error[M010]: math error in $$...$$: "
        "\\end{matrix} does not match a \\begin",
    ]


def test_display_math_in_a_list_item_or_quote_is_fine() -> None:
    assert render("- $$x^2$$\n\n> $$\n> y\n> $$").diagnostics == ()


@pytest.mark.parametrize(
    ("tex", "problem"),
    [
        ("\\frac{a}{b}", ""),
        ("\\{ x \\}", ""),
        ("a}", "a '}' has no matching '{'"),
        ("{a", "a '{' is not closed"),
        ("\\begin{x}\\begin{y}\\end{y}\\end{x}", ""),
        ("\\begin{x}", "\\begin{x} is not ended"),
    ],
)
def test_tex_problem(tex: str, problem: str) -> None:
    assert tex_problem(tex) == problem
