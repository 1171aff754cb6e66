"""Rendering as the tool and an author see it: module HTML, sanitizer reports, question parts."""

from __future__ import annotations

import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown import Markdown

from authoring import render
from authoring.model import (
    Choice,
    Kind,
    MatchPair,
    Module,
    NumericAnswer,
    Question,
    SourceRef,
    Step,
    TextAnswer,
    option_id,
)
from authoring.render import (
    RenderedModule,
    check_question,
    question_assets,
    render_markdown,
    render_module,
    render_question,
    sanitize,
)


def module(body: str, questions: tuple[Question, ...] = (), body_line: int = 4) -> Module:
    return Module(
        id="m1",
        title="Light",
        path="modules/01-light.md",
        body_md=body,
        body_line=body_line,
        questions=questions,
    )


def formatted(result: RenderedModule) -> list[str]:
    return [d.format() for d in result.diagnostics]


# --- module HTML -----------------------------------------------------------------------------


def test_module_html_assets_and_outline() -> None:
    body = (
        "# Light reactions\n"
        "\n"
        "Plants use [light](https://example.org/light).\n"
        "\n"
        "## Where it happens {#where}\n"
        "\n"
        "![Thylakoid membranes](img/thylakoid.png)\n"
        "\n"
        "## Café & crème\n"
        "\n"
        "## Where it happens\n"
        "\n"
        "| Input | Output |\n"
        "|:------|-------:|\n"
        "| light | ATP    |\n"
        "\n"
        "Term\n"
        ":   Definition.\n"
        "\n"
        "A claim.[^1]\n"
        "\n"
        "[^1]: The source.\n"
    )
    result = render_module(module(body), asset_url=lambda p: "https://cdn.example.edu/c/" + p)
    assert result.diagnostics == ()
    assert result.assets == ("img/thylakoid.png",)
    assert result.headings == (
        (1, "Light reactions", "light-reactions"),
        (2, "Where it happens", "where"),
        (2, "Café & crème", "café-crème"),
        (2, "Where it happens", "where-it-happens"),
    )
    html = result.html
    assert '<h2 id="café-crème">Café &amp; crème</h2>' in html
    assert 'src="https://cdn.example.edu/c/img/thylakoid.png"' in html
    assert '<th align="left">Input</th>' in html and '<td align="right">ATP</td>' in html
    assert "<dt>Term</dt>" in html and "<dd>Definition.</dd>" in html
    assert 'class="footnote-ref" href="#fn:1"' in html and '<li id="fn:1">' in html
    assert '<a href="https://example.org/light" rel="noopener noreferrer">light</a>' in html


def test_repeated_headings_get_unique_anchors_in_order() -> None:
    result = render_module(module("## Intro\n\n## Intro\n\n## Intro"))
    assert [h[2] for h in result.headings] == ["intro", "intro_1", "intro_2"]


def test_one_markdown_instance_is_reused_and_nothing_carries_over() -> None:
    engine = render._engine()
    first = render_module(module("Claim.[^1]\n\n[^1]: Note.\n\n!!! danger\n    x"))
    assert render._engine() is engine
    second = render_module(module("Plain text."))
    assert "footnote" in first.html and first.diagnostics
    assert second.html == "<p>Plain text.</p>"
    assert second.diagnostics == () and second.headings == () and second.assets == ()


def test_renders_agree_across_threads() -> None:
    bodies = [f"## Part {i}\n\n![Figure {i}](img/{i}.png)\n\n<script>x</script>" for i in range(8)]
    expected = [render_module(module(b)) for b in bodies]
    results: dict[int, RenderedModule] = {}

    def work(i: int) -> None:
        for _ in range(5):
            results[i] = render_module(module(bodies[i]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(8)] == expected


# --- sanitizer reports -------------------------------------------------------------------------

HOSTILE = """# Intro
<script>alert(1)</script>
<SCRIPT src=x></SCRIPT>
<p onClick="x" ONMOUSEOVER='y'>t</p>
<span style="color: red">red</span> <span style="font-size:40px">big</span>
<iframe src="https://evil.example"></iframe>
<svg><script>x</script></svg>
<form action="javascript:x"><input name=a></form>
<!-- a comment is dropped quietly -->
[x](javascript:alert(1)) ![y](data:image/png;base64,AAAA)
<a href="jav&#x09;ascript:alert(1)">obf</a>
```html
<script>in code, shown as code</script>
```
<script>again</script>
<font color="red">warning</font>
"""


def test_everything_removed_is_reported_at_its_source_line() -> None:
    result = render_module(module(HOSTILE, body_line=4))
    m011 = "warning[M011]: raw HTML removed by the sanitizer:"
    tag_hint = "write Markdown; docs/authoring.md lists the HTML that is kept"
    attr_hint = "event handlers and unknown attributes are not kept"
    scheme = "use https:, http:, mailto: or a relative path"
    colour = "colour alone is not seen by everyone; use **strong** or a callout (WCAG 1.4.1)"
    p = "modules/01-light.md"
    assert formatted(result) == [
        f"{p}:5:1: {m011} <script> and its content; {tag_hint}",
        f"{p}:6:1: {m011} <script> and its content; {tag_hint}",
        f"{p}:7:1: {m011} 'onclick' attribute on <p>; {attr_hint}",
        f"{p}:7:1: {m011} 'onmouseover' attribute on <p>; {attr_hint}",
        f'{p}:8:1: warning[M015]: colour-only emphasis removed: style="color: red"; {colour}',
        f'{p}:8:37: warning[M011]: inline CSS removed: style="font-size:40px"; '
        "style attributes are not kept; use Markdown",
        f"{p}:9:1: {m011} <iframe> and its content; embed videos with !video[Caption](url)",
        f"{p}:10:1: {m011} <svg> and its content; {tag_hint}",
        f"{p}:11:1: {m011} <form>; {tag_hint}",
        f"{p}:11:29: {m011} <input>; {tag_hint}",
        f"{p}:13:5: error[M019]: URL scheme 'javascript:' is not allowed (href of <a>); {scheme}",
        f"{p}:13:31: error[M019]: URL scheme 'data:' is not allowed (src of <img>); {scheme}",
        f"{p}:14:1: error[M019]: URL scheme 'javascript:' is not allowed (href of <a>); {scheme}",
        f"{p}:18:1: {m011} <script> and its content; {tag_hint}",
        f"{p}:19:1: warning[M015]: raw HTML removed by the sanitizer: <font>; {colour}",
    ]
    html = result.html
    for gone in ("<script", "onclick", "style=", "<iframe", "<svg", "<form", "javascript", "data:"):
        assert gone not in html.lower()
    assert "&lt;script&gt;" in html or '<span class="nt">script</span>' in html  # the code block


def test_sanitize_keeps_allowed_markup_and_reports_nothing() -> None:
    html = (
        '<h2 id="a">T</h2><p class="lead">x <a href="mailto:a@b.org" title="t">m</a> '
        '<img src="a.png" alt="A" width="10"> <abbr title="x">X</abbr></p>'
        '<aside class="admonition note" role="note"><p>n</p></aside>'
        '<table><thead><tr><th align="left" scope="col">h</th></tr></thead></table>'
        "<details open><summary>s</summary>d</details>"
    )
    clean, removed = sanitize(html)
    assert removed == []
    assert 'role="note"' in clean and 'scope="col"' in clean and "<details open" in clean
    assert '<a href="mailto:a@b.org" title="t" rel="noopener noreferrer">m</a>' in clean


def test_sanitize_restricts_attribute_values() -> None:
    clean, removed = sanitize(
        '<img src="a.png" alt="" role="button"><aside role="banner">x</aside>'
    )
    assert "role" not in clean
    assert [r.message for r in removed] == [
        "raw HTML removed by the sanitizer: 'role' attribute on <img>",
        "raw HTML removed by the sanitizer: 'role' attribute on <aside>",
    ]


def test_sanitize_rewrites_course_files_only_when_asked() -> None:
    html = '<img src="img/a.png" alt="A"><a href="files/w.pdf">W</a><a href="b.md">B</a>'
    assert sanitize(html)[0].count('"img/a.png"') == 1
    clean, _ = sanitize(html, asset_url=lambda p: "/x/" + p)
    assert 'src="/x/img/a.png"' in clean and 'href="/x/files/w.pdf"' in clean
    assert 'href="b.md"' in clean


# --- snippets ----------------------------------------------------------------------------------


def test_render_markdown_block_and_inline() -> None:
    assert render_markdown("Which gas do plants **absorb**?") == (
        "<p>Which gas do plants <strong>absorb</strong>?</p>"
    )
    assert render_markdown("Carbon *dioxide*", inline=True) == "Carbon <em>dioxide</em>"
    assert render_markdown("A [link](https://x.org) and $x$", inline=True) == (
        'A <a href="https://x.org" rel="noopener noreferrer">link</a> and '
        '<span class="arithmatex">\\(x\\)</span>'
    )
    assert render_markdown("one\n\ntwo", inline=True) == "<p>one</p>\n<p>two</p>"
    assert render_markdown("") == ""
    assert render_markdown("<img src=x onerror=alert(1)>", inline=True) == (
        '<img src="x" loading="lazy">'
    )


def _slow(text: str, inline: bool) -> str:
    out = render._render(text, render.default_asset_url).html.strip()
    if inline and out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list("ab c*`&<>._-#1$[]\\\"'é\u00a0\t")),
            st.characters(codec="utf-8"),
        ),
        max_size=16,
    ),
    st.booleans(),
)
def test_the_shortcut_for_simple_text_matches_python_markdown(text: str, inline: bool) -> None:
    fast = render._fast_path(text, inline)
    if fast is not None:
        assert fast == _slow(text, inline)


# --- questions ---------------------------------------------------------------------------------

HERE = SourceRef("modules/01-light.md", 20)


def choice(qid: str, text: str, correct: bool, feedback: str = "", line: int = 21) -> Choice:
    return Choice(option_id(qid, text), text, correct, feedback, SourceRef(HERE.path, line))


SINGLE = Question(
    id="lr-gas",
    kind=Kind.SINGLE,
    stem_md="Which gas do plants **absorb**?",
    points=2,
    choices=(
        choice("lr-gas", "Oxygen", False, "That's released, not absorbed."),
        choice("lr-gas", "Carbon *dioxide*", True, "Right."),
        choice("lr-gas", "Nitrogen", False),
    ),
    hints=("Think about what animals exhale.",),
    explain_md="Plants fix CO₂ and release O₂.",
    where=HERE,
)
SHORT = Question(
    id="capital",
    kind=Kind.SHORT,
    stem_md="Name the capital of France.",
    answers=(TextAnswer("Paris", feedback_md="Yes, **Paris**."), TextAnswer("/par.*/", 0.5, True)),
    default_feedback_md="Not the capital.",
    where=HERE,
)
NUMERIC = Question(
    id="pi",
    kind=Kind.NUMERIC,
    stem_md="Give π to two decimals.",
    numeric=(NumericAnswer(3.13, 3.15, feedback_md="Close enough."),),
    where=HERE,
)
TRUEFALSE = Question(id="tf", kind=Kind.TRUEFALSE, stem_md="Leaves are green.", truth=True)
MATCHING = Question(
    id="match",
    kind=Kind.MATCHING,
    stem_md="Match the organelle to its job.",
    pairs=(
        MatchPair(option_id("match", "Chloroplast"), "Chloroplast", "photosynthesis"),
        MatchPair(option_id("match", "Mitochondrion"), "Mitochondrion", "respiration"),
    ),
    distractors=("digestion",),
)
ORDERING = Question(
    id="order",
    kind=Kind.ORDERING,
    stem_md="Put the steps in order.",
    steps=tuple(
        Step(option_id("order", t), t) for t in ("Absorb light", "Split water", "Make ATP")
    ),
)


def test_single_choice_parts() -> None:
    public, private = render_question(SINGLE)
    assert public == {
        "id": "lr-gas",
        "kind": "single",
        "points": 2,
        "stem_html": "<p>Which gas do plants <strong>absorb</strong>?</p>",
        "shuffle": True,
        "hint_count": 1,
        "input": "radio",
        "options": [
            {"id": SINGLE.choices[0].id, "html": "Oxygen"},
            {"id": SINGLE.choices[1].id, "html": "Carbon <em>dioxide</em>"},
            {"id": SINGLE.choices[2].id, "html": "Nitrogen"},
        ],
    }
    assert private == {
        "id": "lr-gas",
        "option_feedback": {
            SINGLE.choices[0].id: "<p>That's released, not absorbed.</p>",
            SINGLE.choices[1].id: "<p>Right.</p>",
        },
        "hints_html": ["<p>Think about what animals exhale.</p>"],
        "explain_html": "<p>Plants fix CO₂ and release O₂.</p>",
        "default_feedback_html": "",
        "answer_feedback_html": [],
    }
    json.dumps([public, private])  # both parts travel as JSON


def test_text_and_number_parts() -> None:
    public, private = render_question(SHORT)
    assert public["input"] == "text" and "options" not in public
    assert private["answer_feedback_html"] == ["<p>Yes, <strong>Paris</strong>.</p>", ""]
    assert private["default_feedback_html"] == "<p>Not the capital.</p>"
    public, private = render_question(NUMERIC)
    assert public["input"] == "number"
    assert private["answer_feedback_html"] == ["<p>Close enough.</p>"]


def test_truefalse_matching_and_ordering_parts() -> None:
    public, _ = render_question(TRUEFALSE)
    assert public["input"] == "radio"
    assert public["options"] == [{"id": "true", "html": "True"}, {"id": "false", "html": "False"}]
    public, _ = render_question(MATCHING)
    assert public["input"] == "select"
    assert public["lefts"] == [
        {"id": MATCHING.pairs[0].id, "html": "Chloroplast"},
        {"id": MATCHING.pairs[1].id, "html": "Mitochondrion"},
    ]
    assert public["rights"] == ["digestion", "photosynthesis", "respiration"]
    public, _ = render_question(ORDERING)
    assert public["input"] == "order"
    assert [s["id"] for s in public["steps"]] == sorted(s.id for s in ORDERING.steps)
    assert {s["html"] for s in public["steps"]} == {"Absorb light", "Split water", "Make ATP"}


ALL = (SINGLE, SHORT, NUMERIC, TRUEFALSE, MATCHING, ORDERING)


def test_nothing_student_facing_tells_the_answer() -> None:
    body = "".join(f"```quiz id={q.id}\n? {q.stem_md}\n```\n\n" for q in ALL)
    html = render_module(module(body, ALL)).html
    public = json.dumps([render_question(q)[0] for q in ALL], ensure_ascii=False)
    for student_sees in (html, public):
        lowered = student_sees.lower()
        for secret in (
            "correct",
            "paris",
            "par.*",
            "3.13",
            "3.14",
            "3.15",
            "released",
            "right.",
            "exhale",
            "fix co₂",
            "close enough",
            "not the capital",
            "truth",
            "weight",
        ):
            assert secret not in lowered
    # the pairing is not given away by the order of the right-hand sides
    rights = json.loads(public)[4]["rights"]
    assert rights == sorted(rights)


def test_problems_inside_questions_are_reported_at_their_lines() -> None:
    q = Question(
        id="bad",
        kind=Kind.SINGLE,
        stem_md="Look ![](img/x.png) and [here](https://x.org).",
        choices=(
            choice("bad", "<b onclick=steal()>A</b>", True, line=22),
            choice("bad", "B", False, "<script>x</script>", line=23),
        ),
        where=HERE,
    )
    assert [d.format() for d in check_question(q)] == [
        "modules/01-light.md:20:1: error[M006]: image 'img/x.png' has no alt text; describe it "
        "in the brackets, ![what it shows](...), or mark it ![](...){decorative} (WCAG 1.1.1)",
        "modules/01-light.md:20:1: warning[M008]: link text 'here' does not describe its "
        "target; make the link text say where it goes (WCAG 2.4.4)",
        "modules/01-light.md:22:1: warning[M011]: raw HTML removed by the sanitizer: 'onclick' "
        "attribute on <b>; event handlers and unknown attributes are not kept",
        "modules/01-light.md:23:1: warning[M011]: raw HTML removed by the sanitizer: <script> "
        "and its content; write Markdown; docs/authoring.md lists the HTML that is kept",
    ]
    result = render_module(module("```quiz id=bad\n```", (q,)))
    assert [d.code for d in result.diagnostics] == ["M006", "M008", "M011", "M011"]
    public, _ = render_question(q)
    assert "onclick" not in json.dumps(public)


@pytest.mark.parametrize("q", ALL, ids=lambda q: q.kind.value)
def test_every_kind_has_the_public_keys_the_player_needs(q: Question) -> None:
    public, private = render_question(q)
    assert {"id", "kind", "points", "stem_html", "shuffle", "hint_count", "input"} <= set(public)
    assert set(private) == {
        "id",
        "option_feedback",
        "hints_html",
        "explain_html",
        "default_feedback_html",
        "answer_feedback_html",
    }


def test_problems_in_a_quiz_of_the_module_point_into_the_quiz_block() -> None:
    body = (
        "A chart ![](img/q.png) in the text is not the quiz's.\n"  # line 4
        "\n"
        "```quiz id=chart\n"  # line 6
        "? Which chart is this? ![](img/q.png)\n"  # line 7
        "(x) A [bar chart](https://x.org/bar)\n"
        "( ) [here](https://x.org/pie)\n"  # line 9
        "```\n"
    )
    here = SourceRef("modules/01-light.md", 6)
    q = Question(
        id="chart",
        kind=Kind.SINGLE,
        stem_md="Which chart is this? ![](img/q.png)",
        choices=(
            Choice("o1", "A [bar chart](https://x.org/bar)", True, where=SourceRef(here.path, 8)),
            Choice("o2", "[here](https://x.org/pie)", False, where=SourceRef(here.path, 9)),
        ),
        where=here,
    )
    no_alt = (
        "error[M006]: image 'img/q.png' has no alt text; describe it in the brackets, "
        "![what it shows](...), or mark it ![](...){decorative} (WCAG 1.1.1)"
    )
    assert formatted(render_module(module(body, (q,)))) == [
        f"modules/01-light.md:4:9: {no_alt}",
        f"modules/01-light.md:7:24: {no_alt}",
        "modules/01-light.md:9:5: warning[M008]: link text 'here' does not describe its target; "
        "make the link text say where it goes (WCAG 2.4.4)",
    ]


def test_question_assets_and_their_urls() -> None:
    q = Question(
        id="img",
        kind=Kind.SINGLE,
        stem_md="See ![A leaf](img/leaf.png)",
        choices=(
            Choice("o1", "![A root](img/root.png)", True, "[Notes](files/notes.pdf)"),
            Choice("o2", "B", False),
        ),
        explain_md="![The leaf again](img/leaf.png)",
    )
    assert question_assets(q) == ("img/leaf.png", "img/root.png", "files/notes.pdf")
    public, private = render_question(q, asset_url=lambda p: "/a/" + p)
    assert 'src="/a/img/leaf.png"' in public["stem_html"]
    assert 'src="/a/img/root.png"' in public["options"][0]["html"]
    assert 'href="/a/files/notes.pdf"' in private["option_feedback"]["o1"]


def test_asset_url_cannot_be_tricked_into_a_script_url() -> None:
    body = "![x](javascript%3Aalert(1)) [y](javascript%3Aalert%281%29.pdf)"
    html = render_module(module(body), asset_url=lambda p: p).html
    assert "javascript:" not in html
    clean, _ = sanitize('<img src="javascript%3Ax" alt="x">', asset_url=lambda p: p)
    assert "javascript:" not in clean


def test_authors_cannot_borrow_the_tools_own_classes() -> None:
    clean, _ = sanitize('<div class="mc-quiz lead" data-quiz-id="x">a</div><p class="mc-video">')
    assert clean == '<div class="lead">a</div><p></p>'


@pytest.mark.parametrize("raw", ["<![0", "<![A", "text <![if x]> more", "<![CDATA[x]]>"])
def test_malformed_declarations_are_dropped_not_a_crash(raw: str) -> None:
    # the stdlib HTML parser behind the removal report raised AssertionError on these (found
    # by hypothesis); now the author gets clean HTML without the declaration
    html, _removed = render.sanitize(f"<div>{raw}</div><p>after</p>")
    assert "<!" not in html and "after</p>" in html


@pytest.mark.parametrize(
    "tag", ["p", "P", "div", "DIV/", "pre", "span", "em", "table", "hr/", "x-widget", "", "details"]
)
def test_the_remembered_block_level_test_answers_as_markdown_does(tag: str) -> None:
    stock = Markdown()
    engine = render._engine()
    assert engine.md.is_block_level(tag) == stock.is_block_level(tag)
    assert engine.md.is_block_level(tag) == stock.is_block_level(tag)  # remembered answer
    assert engine.md.is_block_level(None) is False


def test_highlighting_a_repeated_snippet_gives_the_same_html() -> None:
    from authoring.mdext.quizfence import highlight_code

    code = 'totals = sales.groupby("region")["sales_eur"].sum()\n'
    first = render_markdown(f"```python\n{code}```")
    again = render_markdown(f"Intro.\n\n```python\n{code}```")
    assert 'class="highlight"' in first and first in again
    assert highlight_code.__wrapped__(code, "python") == highlight_code(code, "python")
