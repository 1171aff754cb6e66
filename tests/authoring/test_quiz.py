"""Quiz blocks as an author writes them: every question kind, every Q code, exact positions."""

from __future__ import annotations

import textwrap

import pytest

from authoring.diagnostics import DiagnosticBag, Severity, sort_diagnostics
from authoring.model import Kind, Question, Scoring, SourceRef, option_id
from authoring.quiz import (
    parse_draw_block,
    parse_numeric,
    parse_quiz_block,
    parse_quiz_blocks_in_text,
)

PATH = "modules/m.md"


def parse(header: str, body: str, first_line: int = 10) -> tuple[Question | None, list[str]]:
    """Parse one block; returns (question, diagnostics formatted and sorted)."""
    bag = DiagnosticBag()
    lines = textwrap.dedent(body).strip("\n").split("\n")
    question = parse_quiz_block(header, lines, PATH, first_line, bag)
    return question, [d.format() for d in sort_diagnostics(bag.items)]


def codes(diags: list[str]) -> list[str]:
    return [d.split("[", 1)[1].split("]", 1)[0] for d in diags]


# --- every kind, into the right model values ---------------------------------------------------


def test_single_choice_with_feedback_hints_and_explanation() -> None:
    q, diags = parse(
        "quiz id=lr-gas points=2 shuffle=false",
        """
        ? Which gas do plants **absorb** during photosynthesis?
        ( ) Oxygen            # That's released, not absorbed.
        (x) Carbon dioxide    # Right.
        ( ) Nitrogen
        hint: Think about what animals exhale.
        hint: It has carbon in it.
        explain: Plants fix CO₂ and release O₂.
        """,
    )
    assert diags == []
    assert q is not None
    assert q.id == "lr-gas" and q.kind is Kind.SINGLE and q.points == 2.0 and q.shuffle is False
    assert q.stem_md == "Which gas do plants **absorb** during photosynthesis?"
    assert [(c.text_md, c.correct, c.feedback_md) for c in q.choices] == [
        ("Oxygen", False, "That's released, not absorbed."),
        ("Carbon dioxide", True, "Right."),
        ("Nitrogen", False, ""),
    ]
    assert q.choices[1].id == option_id("lr-gas", "Carbon dioxide")
    assert q.choices[0].where == SourceRef(PATH, 12, 1)
    assert q.hints == ("Think about what animals exhale.", "It has carbon in it.")
    assert q.explain_md == "Plants fix CO₂ and release O₂."
    assert q.where == SourceRef(PATH, 10, 1)


def test_option_ids_do_not_depend_on_position_or_correctness() -> None:
    first, _ = parse("quiz id=q", "? S\n(x) A\n( ) B")
    second, _ = parse("quiz id=q", "? S\n( ) B\n(x) A")
    assert first and second
    assert {c.text_md: c.id for c in first.choices} == {c.text_md: c.id for c in second.choices}


def test_multiple_response_with_partial_scoring() -> None:
    q, diags = parse("quiz id=m scoring=partial", "? Pick\n[x] A\n[X] B\n[ ] C\n[] D")
    assert diags == []
    assert q is not None and q.kind is Kind.MULTIPLE and q.scoring is Scoring.PARTIAL
    assert [c.correct for c in q.choices] == [True, True, False, False]


def test_accept_any_allows_several_correct_single_options() -> None:
    q, diags = parse("quiz id=a accept=any", "? Pick\n(x) A\n(x) B\n( ) C")
    assert diags == [] and q is not None and q.accept_any is True


def test_truefalse_keeps_the_answer_feedback() -> None:
    q, diags = parse("quiz id=tf", "? Water boils at 100 °C at sea level.\n= TRUE # Yes.\n~ Think.")
    assert diags == []
    assert q is not None and q.kind is Kind.TRUEFALSE and q.truth is True
    assert q.answers[0].feedback_md == "Yes." and q.default_feedback_md == "Think."


def test_short_answers_literal_weighted_regex_and_escaped_hash() -> None:
    q, diags = parse(
        "quiz id=s case=sensitive",
        r"""
        ? Name the language.
        = C\# # Right.
        =50% C
        = /c(sharp|\#)/i
        ~ Not quite.
        """,
    )
    assert diags == []
    assert q is not None and q.kind is Kind.SHORT and q.case_sensitive
    assert [(a.text, a.weight, a.regex, a.regex_flags, a.feedback_md) for a in q.answers] == [
        ("C#", 1.0, False, "", "Right."),
        ("C", 0.5, False, "", ""),
        ("c(sharp|#)", 1.0, True, "i", ""),
    ]
    assert q.default_feedback_md == "Not quite."


@pytest.mark.parametrize(
    ("line", "low", "high"),
    [
        ("= 3.14 ± 0.01", 3.13, 3.15),
        ("= 3.14 +- 0.01", 3.13, 3.15),
        ("= 3.1..3.2", 3.1, 3.2),
        ("= -5 .. -3", -5.0, -3.0),
        ("= 42", 42.0, 42.0),
        ("= 1e3", 1000.0, 1000.0),
        ("= .5", 0.5, 0.5),
    ],
)
def test_numeric_forms(line: str, low: float, high: float) -> None:
    q, diags = parse("quiz id=n", f"? How much?\n{line}")
    assert diags == []
    assert q is not None and q.kind is Kind.NUMERIC
    assert (q.numeric[0].low, q.numeric[0].high) == (low, high)


def test_numeric_partial_credit_and_feedback() -> None:
    q, diags = parse("quiz id=n", "? Pi?\n= 3.14 ± 0.005 # Good.\n=50% 3.1..3.3\n~ No.")
    assert diags == []
    assert q is not None
    assert [(n.weight, n.feedback_md) for n in q.numeric] == [(1.0, "Good."), (0.5, "")]
    assert q.default_feedback_md == "No."


def test_a_number_among_words_makes_a_short_answer() -> None:
    q, _ = parse("quiz id=s", "? Year?\n= 1984\n= nineteen eighty-four")
    assert q is not None and q.kind is Kind.SHORT


def test_type_short_keeps_numbers_literal() -> None:
    q, diags = parse("quiz id=s type=short", "? Code?\n= 007")
    assert diags == [] and q is not None and q.kind is Kind.SHORT and q.answers[0].text == "007"


def test_matching_pairs_and_distractors() -> None:
    q, diags = parse(
        "quiz id=caps",
        r"""
        ? Match the capitals.
        France -> Paris
        Spain->Madrid
        \1. Mai -> Labour Day
        -> Berlin
        """,
    )
    assert diags == []
    assert q is not None and q.kind is Kind.MATCHING and q.shuffle is True
    assert [(p.left_md, p.right) for p in q.pairs] == [
        ("France", "Paris"),
        ("Spain", "Madrid"),
        ("1. Mai", "Labour Day"),
    ]
    assert q.pairs[0].id == option_id("caps", "France")
    assert q.distractors == ("Berlin",)


def test_ordering_steps_in_written_order() -> None:
    q, diags = parse("quiz id=o", "? Order.\n1. Boil water\n2. Add pasta\n1. Drain")
    assert diags == []
    assert q is not None and q.kind is Kind.ORDERING
    assert [s.text_md for s in q.steps] == ["Boil water", "Add pasta", "Drain"]
    assert q.steps[2].where == SourceRef(PATH, 14, 1)


def test_header_options_are_parsed() -> None:
    q, diags = parse(
        'quiz id=h points=1.5 attempts=3 hint_penalty=0.25 tags="light, calvin" type=single',
        "? S\n(x) A\n( ) B",
    )
    assert diags == []
    assert q is not None
    assert (q.points, q.attempts, q.hint_penalty, q.tags) == (1.5, 3, 0.25, ("light", "calvin"))


def test_stem_lines_are_joined_and_blank_lines_and_indentation_are_allowed() -> None:
    q, diags = parse("quiz id=s", "? First line.\n?\n? Third line.\n\n   (x) A\n\t( ) B")
    assert diags == []
    assert q is not None and q.stem_md == "First line.\n\nThird line."
    assert q.choices[0].where == SourceRef(PATH, 15, 4)


# --- every Q code, at the right place ----------------------------------------------------------


def test_q001_missing_and_invalid_ids() -> None:
    q, diags = parse("quiz points=1", "? S\n(x) A\n( ) B")
    assert q is None
    assert diags == [
        "modules/m.md:10:1: error[Q001]: quiz has no id; add id=... to the header; ids key the "
        "grades"
    ]
    q, diags = parse("quiz id=Lr_Gas", "? S\n(x) A\n( ) B")
    assert q is None and codes(diags) == ["Q001"] and ":10:9:" in diags[0]


def test_q003_header_problems_point_at_the_option() -> None:
    _, diags = parse("quiz id=x point=2 shuffle=yes type=order lr", "? S\n1. a\n2. b")
    assert diags == [
        "modules/m.md:10:14: error[Q003]: unknown header option 'point'; did you mean 'points'?",
        "modules/m.md:10:22: error[Q003]: value 'yes' of option 'shuffle' must be 'true' or "
        "'false'",
        "modules/m.md:10:34: error[Q003]: value 'order' of option 'type' must be one of 'single', "
        "'multiple', 'truefalse', 'short', 'numeric', 'matching', 'ordering'; did you mean "
        "'ordering'?",
        "modules/m.md:10:45: error[Q003]: header option 'lr' is not written as key=value",
    ]


def test_q003_accept_any_on_another_kind() -> None:
    _, diags = parse("quiz id=x accept=any", "? S\n[x] A\n[ ] B")
    assert diags == ["modules/m.md:10:14: error[Q003]: accept=any only applies to single-choice "
                     "questions"]  # fmt: skip


def test_q004_no_stem() -> None:
    q, diags = parse("quiz id=x", "(x) A\n( ) B")
    assert codes(diags) == ["Q004"] and q is not None and q.stem_md == ""


def test_q005_zero_or_two_correct() -> None:
    _, diags = parse("quiz id=lr-gas", "? S\n(x) A\n(x) B\n( ) C")
    assert diags == [
        "modules/m.md:10:1: error[Q005]: single-choice question 'lr-gas' has 2 correct options; "
        "use [x] for multiple response or add accept=any"
    ]
    _, diags = parse("quiz id=x", "? S\n( ) A\n( ) B")
    assert codes(diags) == ["Q005"] and "no correct option" in diags[0]


def test_q006_mixed_round_and_square() -> None:
    q, diags = parse("quiz id=x", "? S\n(x) A\n[ ] B")
    assert q is None and codes(diags) == ["Q006"] and ":13:1:" in diags[0]


def test_q007_not_enough_options_pairs_or_answers() -> None:
    assert codes(parse("quiz id=x", "? S\n(x) A")[1]) == ["Q007"]
    assert codes(parse("quiz id=x", "? S\na -> b")[1]) == ["Q007"]
    assert codes(parse("quiz id=x", "? S")[1]) == ["Q007"]
    assert codes(parse("quiz id=x type=numeric", "? S\n(x) A\n( ) B")[1]) == ["Q007", "Q013"]
    assert codes(parse("quiz id=x", "? S\n= true\n= false")[1]) == ["Q007"]


def test_q008_duplicate_option_answer_distractor() -> None:
    _, diags = parse("quiz id=x", "? S\n(x) Oxygen\n( ) Nitrogen\n( ) Oxygen")
    assert diags == ["modules/m.md:14:5: error[Q008]: duplicate option 'Oxygen' (also at line 12)"]
    assert codes(parse("quiz id=x", "? S\n= a\n= a")[1]) == ["Q008"]
    assert codes(parse("quiz id=x", "? S\na -> 1\nb -> 2\n-> 1")[1]) == ["Q008"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("3,14", "numeric answer '3,14' is not a number"),
        ("1,000", "numeric answer '1,000' is not a number"),
        ("3.14 ± x", "tolerance 'x' is not a number"),
        ("3.14 +- -1", "tolerance '-1' must be >= 0"),
        ("3.2..3.1", "range '3.2..3.1' has its minimum above its maximum"),
    ],
)
def test_q009_numbers(answer: str, message: str) -> None:
    _, diags = parse("quiz id=x", f"? S\n= {answer}")
    assert codes(diags) == ["Q009"]
    assert diags[0].startswith(f"modules/m.md:12:3: error[Q009]: {message}")


def test_q009_type_numeric_with_a_word() -> None:
    _, diags = parse("quiz id=x type=numeric", "? S\n= pi")
    assert codes(diags) == ["Q009"]


def test_q010_matching_line_without_arrow_and_duplicate_left() -> None:
    _, diags = parse("quiz id=x", "? S\na -> 1\nb 2\nc ->\na -> 3")
    assert diags == [
        "modules/m.md:10:1: error[Q007]: matching question 'x' needs at least 2 pairs, has 1",
        "modules/m.md:13:1: error[Q010]: matching line without '->'; write 'left -> right'",
        "modules/m.md:14:1: error[Q010]: matching pair 'c' has no right-hand side",
        "modules/m.md:15:1: error[Q010]: duplicate left item 'a' (also at line 12)",
    ]


def test_q011_weights_out_of_range_and_no_full_credit_warning() -> None:
    bag = DiagnosticBag()
    parse_quiz_block("quiz id=x", ["? S", "=150% a", "=50% b"], PATH, 1, bag)
    assert [(d.code, d.severity, d.line, d.column) for d in bag.items] == [
        ("Q011", Severity.ERROR, 3, 2)
    ]
    bag = DiagnosticBag()
    parse_quiz_block("quiz id=x", ["? S", "=50% a", "=20% b"], PATH, 1, bag)
    assert [(d.code, d.severity, d.line, d.column) for d in bag.items] == [
        ("Q011", Severity.WARNING, 1, 1)
    ]


def test_q012_invalid_regex_points_at_the_problem() -> None:
    _, diags = parse("quiz id=x", "? S\n= /pa(ris/\n= /x/g")
    assert diags == [
        "modules/m.md:12:6: error[Q012]: invalid regular expression '/pa(ris/': missing ), "
        "unterminated subpattern",
        "modules/m.md:13:3: error[Q012]: unknown regex flag 'g' in '/x/g'; only /i is supported",
    ]


def test_q012_regex_that_only_warns_in_python_is_accepted_quietly() -> None:
    q, diags = parse("quiz id=x", "? S\n= /[[a]/")
    assert diags == [] and q is not None and q.answers[0].regex


def test_q013_mixed_kinds_and_type_mismatch() -> None:
    q, diags = parse("quiz id=x", "? S\n(x) A\n( ) B\n= A")
    assert q is None and codes(diags) == ["Q013"] and ":14:1:" in diags[0]
    q, diags = parse("quiz id=x type=multiple", "? S\n[x] A\n[ ] B\n(x) C")
    assert codes(diags) == ["Q013"] and q is not None and len(q.choices) == 2
    assert codes(parse("quiz id=x type=truefalse", "? S\n= yes")[1]) == ["Q013"]


def test_q015_stem_without_text_for_screen_readers() -> None:
    _, diags = parse("quiz id=x", "? ![](img/graph.png){decorative}\n(x) A\n( ) B")
    assert codes(diags) == ["Q015"]
    assert parse("quiz id=x", "? ![A rising line](img/graph.png)\n(x) A\n( ) B")[1] == []


def test_q016_ordering_steps() -> None:
    assert codes(parse("quiz id=x", "? S\n1. a")[1]) == ["Q016"]
    _, diags = parse("quiz id=x", "? S\n1. a\n2. b\n3. a")
    assert diags == ["modules/m.md:14:4: error[Q016]: duplicate step 'a' (also at line 12)"]


def test_q018_unrecognised_and_misplaced_lines() -> None:
    _, diags = parse("quiz id=x", "? S\n(x) A\n( ) B\n* bullet\n? late\nhint:\n~ nothing")
    assert codes(diags) == ["Q018"] * 4
    assert diags[0].startswith("modules/m.md:14:1: error[Q018]: unrecognised line '* bullet'")


def test_a_backslash_keeps_a_marker_from_being_read() -> None:
    _, diags = parse("quiz id=x", "? S\n\\? not a stem")
    assert codes(diags) == ["Q007", "Q018"]


# --- draws, numbers, scanning text ---------------------------------------------------------------


def test_draw_block() -> None:
    bag = DiagnosticBag()
    draw = parse_draw_block(
        "quiz-draw id=pool from=./banks/b.md tags=light,calvin count=3 points=2", [], PATH, 5, bag
    )
    assert bag.items == []
    assert draw is not None
    assert (draw.id, draw.bank, draw.tags, draw.count, draw.points) == (
        "pool",
        "banks/b.md",
        ("light", "calvin"),
        3,
        2.0,
    )


def test_draw_block_problems() -> None:
    bag = DiagnosticBag()
    draw = parse_draw_block("quiz-draw id=p count=0 size=2", ["junk"], PATH, 5, bag)
    assert draw is None
    assert sorted(d.code for d in bag.items) == ["B001", "Q003", "Q003", "Q018"]


def test_parse_numeric_is_exact_in_decimal() -> None:
    assert parse_numeric("0.3 ± 0.1") == (0.2, 0.4)
    assert parse_numeric("abc") == "numeric answer 'abc' is not a number"


def test_parse_quiz_blocks_in_text_skips_examples_inside_longer_fences() -> None:
    text = textwrap.dedent(
        """\
        Intro.

        ````markdown
        ```quiz id=example
        ? Not a real quiz
        ```
        ````

        ```quiz id=real tags=a
        ? Real
        = 1
        ```

        ~~~python
        print("```quiz")
        ~~~

        hint: outside
        """
    )
    questions, diags = parse_quiz_blocks_in_text(text, "banks/b.md", first_line=3)
    assert [q.id for q in questions] == ["real"]
    assert questions[0].where == SourceRef("banks/b.md", 11, 1)
    assert [d.format() for d in diags] == [
        "banks/b.md:20:1: warning[Q014]: 'hint:' line outside a quiz block is shown as text; "
        "move it into the quiz"
    ]


def test_unclosed_fence_is_m003_and_not_parsed() -> None:
    questions, diags = parse_quiz_blocks_in_text("```quiz id=x\n? S\n(x) A\n", "m.md")
    assert questions == []
    assert [d.format() for d in diags] == [
        "m.md:1:1: error[M003]: code fence '```' is never closed; close it with a line '```'"
    ]


def test_header_positions_follow_the_fence_indentation() -> None:
    text = "- item\n\n    ```quiz id=x pointz=1\n    ? S\n    (x) A\n    ( ) B\n    ```\n"
    _, diags = parse_quiz_blocks_in_text(text, "m.md")
    assert [(d.line, d.column, d.code) for d in diags] == [(3, 18, "Q003")]


def test_escaped_hash_is_a_literal_hash_in_options_answers_and_feedback() -> None:
    q, diags = parse(
        "quiz id=h", r"? Which?" + "\n" + r"(x) Use \# here # Yes \# really" + "\n( ) No"
    )
    assert diags == [] and q is not None
    assert (q.choices[0].text_md, q.choices[0].feedback_md) == ("Use # here", "Yes # really")
    assert q.choices[0].id == option_id("h", "Use # here")
