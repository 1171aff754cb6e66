"""GIFT import and export: the reference example, Moodle's error strings, escapes, round trips."""

from __future__ import annotations

import dataclasses

import pytest

from authoring.diagnostics import Severity
from authoring.grading import grade
from authoring.interop.gift import parse_gift, write_gift
from authoring.model import (
    Choice,
    Kind,
    MatchPair,
    NumericAnswer,
    Question,
    Scoring,
    Step,
    TextAnswer,
    option_id,
)

REFERENCE_EXAMPLE = """\
// [tag:photosynthesis]
::Q1:: What gas do plants absorb? {
  =CO2 # Correct.
  ~O2  # That is released.
  ~%-50%N2 # No.
  ####Plants fix carbon dioxide.
}
::Q2:: Grant was born in {#1822:1}.
::Q3:: Two plus two equals {=four =4}.
::Q4:: Match: {=Canada -> Ottawa =Italy -> Rome =Japan -> Tokyo}
"""


def without_where(obj: object) -> object:
    """The same value with every `where` cleared, for comparing parses of different files."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        values = {
            f.name: None if f.name == "where" else without_where(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
        }
        return type(obj)(**values)
    if isinstance(obj, tuple):
        return tuple(without_where(x) for x in obj)
    return obj


def parse_ok(text: str) -> list[Question]:
    questions, diags = parse_gift(text, "import.gift")
    assert diags == []
    return questions


def messages(text: str) -> list[str]:
    return [d.format() for d in parse_gift(text, "import.gift")[1]]


# --- the reference example -------------------------------------------------------------------


def test_reference_example_imports_four_questions():
    q1, q2, q3, q4 = parse_ok(REFERENCE_EXAMPLE)
    assert [q.id for q in (q1, q2, q3, q4)] == ["q1", "q2", "q3", "q4"]
    assert [q.kind for q in (q1, q2, q3, q4)] == [
        Kind.SINGLE,
        Kind.NUMERIC,
        Kind.SHORT,
        Kind.MATCHING,
    ]
    assert q1.stem_md == "What gas do plants absorb?"
    assert q1.tags == ("photosynthesis",) and q2.tags == ()
    assert [(c.text_md, c.correct, c.feedback_md) for c in q1.choices] == [
        ("CO2", True, "Correct."),
        ("O2", False, "That is released."),
        ("N2", False, "No."),
    ]
    assert q1.choices[0].id == option_id("q1", "CO2")
    assert q1.explain_md == "Plants fix carbon dioxide."
    assert q2.stem_md == r"Grant was born in \_\_\_\_\_."
    assert [(n.low, n.high, n.weight) for n in q2.numeric] == [(1821.0, 1823.0, 1.0)]
    assert [(a.text, a.weight) for a in q3.answers] == [("four", 1.0), ("4", 1.0)]
    assert [(p.left_md, p.right) for p in q4.pairs] == [
        ("Canada", "Ottawa"),
        ("Italy", "Rome"),
        ("Japan", "Tokyo"),
    ]
    assert q4.stem_md == "Match:" and q4.scoring is Scoring.PARTIAL


def test_reference_example_grades_like_moodle():
    q1, q2, q3, q4 = parse_ok(REFERENCE_EXAMPLE)
    assert grade(q1, q1.choices[0].id).correct
    assert grade(q2, "1822,5").correct and not grade(q2, "1824").correct
    assert grade(q3, " Four ").correct
    lefts = {p.left_md: p.id for p in q4.pairs}
    assert grade(q4, {lefts["Canada"]: "Ottawa", lefts["Italy"]: "Tokyo"}).fraction == 1 / 3


def test_positions_point_at_the_source():
    q1 = parse_ok(REFERENCE_EXAMPLE)[0]
    assert (q1.where.line, q1.where.column) == (2, 1)
    assert (q1.choices[1].where.line, q1.choices[1].where.column) == (4, 3)


# --- Moodle's error strings ------------------------------------------------------------------


def test_braces_the_wrong_way_round_at_line_88():
    filler = "\n".join(f"::F{i}:: Filler {i} {{T}}\n" for i in range(1, 44))
    text = filler + "\n\n}Who is buried here? {=Grant}\n"
    assert text.split("\n").index("}Who is buried here? {=Grant}") == 87
    assert messages(text) == ["import.gift:88:1: error[G001]: Could not find {...} around answers"]


def test_missing_braces():
    assert messages("::Q:: Who is buried here?\n=Grant ~Lee}\n") == [
        "import.gift:2:12: error[G002]: Could not find a {",
    ]
    assert messages("::Q:: Who is buried here? {=Grant ~Lee\n") == [
        "import.gift:1:27: error[G002]: Could not find a }",
    ]


def test_matching_answer_without_arrow():
    assert messages("Match: {=Canada -> Ottawa =Italy Rome}") == [
        "import.gift:1:28: error[G003]: Matching question answers are improperly formatted",
    ]


def test_numerical_without_answers():
    assert messages("Year? {#}") == [
        "import.gift:1:8: error[G004]: No answers found for numerical question",
    ]


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("Pick {~only one}", 7),
        ("Match {=Canada -> Ottawa}", 8),
        ("Say {=}", 6),
        ("Match {=Canada -> Ottawa = -> Rome}", 8),
    ],
)
def test_not_enough_answers(text, column):
    assert messages(text) == [
        f"import.gift:1:{column}: error[G005]: There is an error in the question. "
        "There are not enough answers for this question type",
    ]


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("Year? {#abc}", "'abc' is not a number"),
        ("Year? {#1822:one}", "'one' is not a number"),
        ("Year? {#1822:-1}", "the tolerance must not be negative"),
        ("Year? {#1830..1820}", "the range minimum is greater than its maximum"),
    ],
)
def test_numbers_expected(text, hint):
    assert messages(text) == [
        f"import.gift:1:9: error[G006]: Error - answers must be numeric; {hint}",
    ]


def test_essay_and_description_are_skipped_with_warnings():
    questions, diags = parse_gift("::E:: Write an essay. {}\n\n::D:: Just some text.\n", "a.gift")
    assert questions == []
    assert [d.format() for d in diags] == [
        "a.gift:1:23: warning[G007]: Essay questions have no equivalent here; skipped; id e",
        "a.gift:3:7: warning[G007]: Description (no answers) has no equivalent here; skipped; id d",
    ]
    assert all(d.severity is Severity.WARNING for d in diags)


def test_every_problem_is_reported_and_good_questions_still_import():
    text = "Q1 {=a ~b}\n\nQ2 {#x}\n\nQ3 {=yes}\n\nQ4 {=a ~b\n\nQ5 {}\n"
    questions, diags = parse_gift(text, "import.gift")
    assert [q.id for q in questions] == ["gift-1", "gift-3"]
    assert [(d.line, d.code) for d in diags] == [(3, "G006"), (7, "G002"), (9, "G007")]


# --- grammar details -------------------------------------------------------------------------


def test_ids_from_comments_names_and_position_are_unique_slugs():
    text = (
        "// [id:Photo Q-01]\n::ignored:: A {T}\n\n::Über Frage!:: B {T}\n\n"
        "::über frage:: C {T}\n\nD {T}\n"
    )
    assert [q.id for q in parse_ok(text)] == ["photo-q-01", "uber-frage", "uber-frage-2", "gift-4"]


def test_tags_from_comments_and_category():
    text = "$CATEGORY: $course$/top/Light Reactions\n\n// [tag:Exam] [tag:week 2]\nA {T}\n\nB {F}\n"
    a, b = parse_ok(text)
    assert a.tags == ("exam", "week-2", "light-reactions")
    assert b.tags == ("light-reactions",)


def test_questions_without_blank_lines_between_names_and_comments():
    text = "::A:: One? {T}\n// [tag:x]\n::B:: Two? {F}\n::C:: Three? {=3}\n"
    a, b, c = parse_ok(text)
    assert (a.id, b.id, b.tags, c.id) == ("a", "b", ("x",), "c")


def test_escapes():
    text = r"::E:: Braces \{ and \} with \~ \= \# \: and a\nnew line, \\ too {=a\=b \#1 \: c}"
    (q,) = parse_ok(text)
    assert q.stem_md == "Braces { and } with ~ = # : and a\nnew line, \\ too"
    assert [a.text for a in q.answers] == ["a=b #1 : c"]


def test_text_formats():
    html, plain, md = parse_ok(
        "[html]<b>Bold</b> {=[plain]<x>}\n\n[plain]2*3*4 = ? {=24}\n\n[markdown]**Bold** {T}\n"
    )
    assert html.stem_md == "<b>Bold</b>" and html.answers[0].text == "<x>"
    assert plain.stem_md == r"2\*3\*4 = ?"
    assert md.stem_md == "**Bold**"


def test_multiple_answer_when_no_option_is_marked_with_equals():
    (q,) = parse_ok("Pick the gases {~%50%CO2 ~%50%O2 #Yes ~%-100%Sand}")
    assert q.kind is Kind.MULTIPLE and q.scoring is Scoring.PARTIAL
    assert [(c.text_md, c.correct, c.feedback_md) for c in q.choices] == [
        ("CO2", True, ""),
        ("O2", True, "Yes"),
        ("Sand", False, ""),
    ]
    assert grade(q, [q.choices[0].id]).fraction == 0.5


def test_weights_we_cannot_express_are_reported():
    _, diags = parse_gift("Pick {=A ~%50%B ~C}\n\nMany {~%70%A ~%30%B ~C}\n", "w.gift")
    assert [(d.line, d.code, d.severity) for d in diags] == [
        (1, "G008", Severity.WARNING),
        (3, "G008", Severity.WARNING),
    ]


def test_several_equals_options_mean_any_of_them():
    (q,) = parse_ok("Prime? {=2 =3 ~4}")
    assert q.kind is Kind.SINGLE and q.accept_any
    assert grade(q, q.choices[1].id).correct


def test_truefalse_with_feedback():
    true_q, false_q = parse_ok("Sky is blue {TRUE#No, look up.#Yes.}\n\nFire is cold {F}\n")
    assert true_q.truth is True and false_q.truth is False
    assert true_q.default_feedback_md == "No, look up."
    assert grade(true_q, "true").feedback_md == ("Yes.",)
    assert grade(true_q, False).feedback_md == ("No, look up.",)


def test_lower_case_true_is_a_short_answer_as_in_moodle():
    (q,) = parse_ok("Say it {true}")
    assert q.kind is Kind.SHORT and q.answers[0].text == "true"


def test_short_answers_with_weights_feedback_and_wildcards():
    (q,) = parse_ok("Capital? {=Paris #Yes =%50%Lutèce #Old =%0%* #Think of the Seine}")
    assert [(a.text, a.weight, a.feedback_md) for a in q.answers] == [
        ("Paris", 1.0, "Yes"),
        ("Lutèce", 0.5, "Old"),
    ]
    assert q.default_feedback_md == "Think of the Seine"
    assert grade(q, "London").feedback_md == ("Think of the Seine",)
    questions, diags = parse_gift("Capital? {=Par*s}", "w.gift")
    assert questions[0].answers[0].regex and grade(questions[0], "PARIS").correct
    assert [d.code for d in diags] == ["G008"]


def test_numerical_answers_ranges_weights_and_default_feedback():
    (q,) = parse_ok("Grant's birth? {#\n=1822:0 #Exact\n=%50%1820..1824\n~#Off by years\n}")
    assert [(n.low, n.high, n.weight, n.feedback_md) for n in q.numeric] == [
        (1822.0, 1822.0, 1.0, "Exact"),
        (1820.0, 1824.0, 0.5, ""),
    ]
    assert q.default_feedback_md == "Off by years"
    assert grade(q, "1823").fraction == 0.5


def test_matching_extra_answers_become_distractors():
    (q,) = parse_ok("Match {=Canada -> Ottawa =Italy -> Rome = -> Sydney}")
    assert q.distractors == ("Sydney",) and len(q.pairs) == 2


def test_crlf_and_byte_order_mark():
    (q,) = parse_ok("\ufeff::A:: Line one\r\nline two {T}\r\n")
    assert q.stem_md == "Line one\nline two"


def test_comment_only_blocks_and_blank_files():
    assert parse_ok("// nothing here\n\n\n") == []
    assert parse_ok("") == []


# --- export ----------------------------------------------------------------------------------


def gen_questions() -> list[Question]:
    def ch(qid: str, text: str, ok: bool, fb: str = "") -> Choice:
        return Choice(option_id(qid, text), text, ok, fb)

    return [
        Question(
            id="single",
            kind=Kind.SINGLE,
            stem_md="Which {gas} #1: *really*?\nTwo lines.",
            choices=(ch("single", "CO~2", True, "Yes = right"), ch("single", "O2", False)),
            explain_md="Plants: fix {C}.",
            tags=("light", "exam"),
        ),
        Question(
            id="multi",
            kind=Kind.MULTIPLE,
            stem_md="Pick",
            scoring=Scoring.PARTIAL,
            choices=(ch("multi", "A", True), ch("multi", "B", True), ch("multi", "C", False)),
        ),
        Question(
            id="tf",
            kind=Kind.TRUEFALSE,
            stem_md="True?",
            truth=False,
            answers=(TextAnswer("false", feedback_md="Right."),),
            default_feedback_md="Wrong.",
        ),
        Question(
            id="short",
            kind=Kind.SHORT,
            stem_md=r"Capital: \_\_\_\_\_!",
            answers=(TextAnswer("Paris", 1.0, feedback_md="Yes"), TextAnswer("a*b", 0.5)),
            default_feedback_md="Nope",
        ),
        Question(
            id="num",
            kind=Kind.NUMERIC,
            stem_md="Pi?",
            numeric=(NumericAnswer(3.13, 3.15, 1.0, "Good"), NumericAnswer(3.0, 3.0, 0.25)),
            default_feedback_md="No",
        ),
        Question(
            id="match",
            kind=Kind.MATCHING,
            stem_md="Match",
            scoring=Scoring.PARTIAL,
            pairs=(
                MatchPair(option_id("match", "Canada"), "Canada", "Ottawa"),
                MatchPair(option_id("match", "Italy"), "Italy", "Rome: city"),
            ),
            distractors=("Sydney",),
        ),
    ]


def test_write_then_parse_gives_the_same_questions():
    questions = gen_questions()
    back = parse_ok(write_gift(questions))
    assert [without_where(q) for q in back] == [without_where(q) for q in questions]


def test_export_escapes_and_uses_moodle_syntax():
    text = write_gift(gen_questions()[:1])
    assert text == (
        "// [id:single]\n// [tag:light]\n// [tag:exam]\n"
        r"::single::[markdown]Which \{gas\} \#1\: *really*?\nTwo lines. {"
        + "\n\t=CO~2#Yes \\= right\n".replace("~", "\\~")
        + "\t~O2\n"
        "\t####Plants\\: fix \\{C\\}.\n}\n"
    )


def test_kinds_gift_cannot_express_are_skipped_with_a_comment():
    ordering = Question(
        id="steps", kind=Kind.ORDERING, stem_md="Order", steps=(Step("a", "one"), Step("b", "two"))
    )
    regex = Question(id="rx", kind=Kind.SHORT, stem_md="?", answers=(TextAnswer("a+", regex=True),))
    text = write_gift([ordering, regex, gen_questions()[2]])
    assert text.startswith(
        "// skipped steps: ordering questions have no GIFT form\n\n"
        "// skipped rx: regular-expression answers have no GIFT form\n"
    )
    assert [q.id for q in parse_ok(text)] == ["tf"]
