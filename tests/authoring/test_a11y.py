"""Accessibility checks, each reported at the line an author has to change."""

from __future__ import annotations

import re

import pytest

from authoring.a11y import Locator, check_html
from authoring.model import Module
from authoring.render import render_module

P = "modules/02-calvin.md"


def problems(body: str) -> list[str]:
    result = render_module(Module(id="c", title="C", path=P, body_md=body, body_line=5))
    return [d.format() for d in result.diagnostics]


NO_ALT = (
    "error[M006]: image '{}' has no alt text; describe it in the brackets, ![what it shows](...),"
    " or mark it ![](...){{decorative}} (WCAG 1.1.1)"
)


def test_images_need_alt_text_unless_decorative() -> None:
    body = (
        "![Chloroplast, stained green](img/ok.png)\n"
        "\n"
        "![](img/missing.png)\n"
        "\n"
        "![](img/border.png){decorative}\n"
        "\n"
        '<img src="img/raw.png">\n'
        "\n"
        '<img src="img/raw-deco.png" alt="" role="presentation">\n'
        "\n"
        "![   ](img/blank.png)"
    )
    assert problems(body) == [
        f"{P}:7:1: " + NO_ALT.format("img/missing.png"),
        f"{P}:11:1: " + NO_ALT.format("img/raw.png"),
        f"{P}:15:1: " + NO_ALT.format("img/blank.png"),
    ]


@pytest.mark.parametrize(
    "alt",
    [
        "IMG_2031.png",
        "image",
        "Screenshot 3",
        "photo.JPG",
        "placeholder",
        "diagram.svg",
        "DSC_0042",
    ],
)
def test_alt_text_that_is_a_file_name_or_placeholder(alt: str) -> None:
    assert problems(f"![{alt}](img/diagram.svg)") == [
        f"{P}:5:1: warning[M007]: alt text '{alt}' looks like a file name or placeholder; "
        "say what the image shows"
    ]


def test_alt_text_over_150_characters() -> None:
    alt = "A very long description " * 7
    assert problems(f"![{alt.strip()}](img/a.png)") == [
        f"{P}:5:1: warning[M007]: alt text is 167 characters long (over 150); "
        "move the long description to a caption or the text"
    ]


def test_good_alt_text_passes() -> None:
    assert problems("![Graph of the Calvin cycle rate against CO2 concentration](img/g.png)") == []


def test_heading_order() -> None:
    body = (
        "# Calvin cycle\n"  # 5
        "\n"
        "### Fixation\n"  # 7: skips H2
        "\n"
        "## Reduction\n"  # 9: fine
        "\n"
        "#### Detail\n"  # 11: skips H3
        "\n"
        "## Regeneration\n"  # 13: going back up is fine
        "\n"
        "# Summary\n"  # 15: a second H1
    )
    assert problems(body) == [
        f"{P}:7:1: warning[M004]: heading level skips from H1 to H3 ('Fixation'); "
        "use ## here (WCAG 1.3.1)",
        f"{P}:11:1: warning[M004]: heading level skips from H2 to H4 ('Detail'); "
        "use ### here (WCAG 1.3.1)",
        f"{P}:15:1: warning[M004]: more than one H1 heading ('Summary'); "
        "use ## for sections; the page has one H1 (WCAG 1.3.1)",
    ]


def test_body_may_start_at_h2_under_the_page_title() -> None:
    assert problems("## First\n\n### Sub\n\n## Second") == []


def test_heading_with_markup_is_found_by_its_level() -> None:
    assert problems("# Title\n\nText\n\n### The **Calvin** cycle") == [
        f"{P}:9:1: warning[M004]: heading level skips from H1 to H3 ('The Calvin cycle'); "
        "use ## here (WCAG 1.3.1)"
    ]


def test_tables_need_a_header_row() -> None:
    body = (
        "| Input | Output |\n"
        "|---|---|\n"
        "| CO2 | G3P |\n"
        "\n"
        "<table><tr><td>CO2</td><td>G3P</td></tr></table>\n"
        "\n"
        "|  |  |\n"
        "|---|---|\n"
        "| a | b |\n"
    )
    assert problems(body) == [
        f"{P}:9:1: warning[M012]: table has no header row; give the first row header cells "
        "(a Markdown table's first line) (WCAG 1.3.1)",
        f"{P}:11:1: warning[M012]: table header row is empty; name each column (WCAG 1.3.1)",
    ]


def test_link_text_must_say_where_it_goes() -> None:
    body = (
        "Read the [Calvin cycle overview](https://example.org/calvin).\n"  # 5: fine
        "For more, [click here](https://example.org/a).\n"  # 6
        "Or [Read more…](https://example.org/b) and [here](https://example.org/c).\n"  # 7
        "See <https://example.org/raw>.\n"  # 8: bare URL
        "Mail <jane@example.edu>.\n"  # 9: an address is fine
        "[![](img/icon.png){decorative}](https://example.org/d)\n"  # 10: no text at all
        "[![Calvin cycle diagram](img/c.png)](https://example.org/e)\n"  # 11: alt names it
    )
    hint = "make the link text say where it goes (WCAG 2.4.4)"
    assert problems(body) == [
        f"{P}:6:11: warning[M008]: link text 'click here' does not describe its target; {hint}",
        f"{P}:7:4: warning[M008]: link text 'Read more…' does not describe its target; {hint}",
        f"{P}:7:44: warning[M008]: link text 'here' does not describe its target; {hint}",
        f"{P}:8:5: warning[M008]: bare URL 'https://example.org/raw' used as link text; {hint}",
        f"{P}:10:33: warning[M008]: link to 'https://example.org/d' has no text; {hint}",
    ]


def test_the_same_problem_twice_maps_to_both_lines_and_skips_code() -> None:
    body = (
        "```markdown\n"
        "[here](https://example.org/x)\n"  # 6: inside a code fence, shown as code
        "```\n"
        "\n"
        "[here](https://example.org/x)\n"  # 9
        "\n"
        "[here](https://example.org/x)\n"  # 11
    )
    assert [p.split(": ")[0] for p in problems(body)] == [f"{P}:9:1", f"{P}:11:1"]


def test_check_html_on_a_snippet_skips_the_outline() -> None:
    html = '<h3>Q</h3><p><a href="https://x.org">here</a> <img src="a.png"></p>'
    diags = check_html(html, path="banks/b.md", locator=Locator("", 40), headings=False)
    assert [(d.path, d.line, d.code) for d in diags] == [
        ("banks/b.md", 40, "M008"),
        ("banks/b.md", 40, "M006"),
    ]


def test_locator() -> None:
    source = "alpha\n```\nbeta\n```\nbeta\nGamma beta\n"
    loc = Locator(source, 10, fallback=99)
    assert loc.line_of("beta") == 14  # line 3 (file 12) is inside a fence
    assert loc.line_of("beta") == 15
    assert loc.line_of("missing", "gamma") == 15
    assert loc.line_of("missing") == 99
    assert loc.line_of(re.compile(r"^alpha$", re.M)) == 10
    assert Locator("", 7).line_of("x") == 7
