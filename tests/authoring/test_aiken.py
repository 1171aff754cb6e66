"""Aiken import: the reference example, variants Moodle accepts, and broken files."""

from __future__ import annotations

from authoring.grading import grade
from authoring.interop.aiken import parse_aiken
from authoring.model import Kind, option_id

REFERENCE_EXAMPLE = """\
What is the correct answer to this question?
A. Is it this one?
B. Maybe this answer?
C. Possibly this one?
ANSWER: C
"""


def messages(text: str) -> list[str]:
    return [d.format() for d in parse_aiken(text, "old.txt")[1]]


def test_reference_example():
    questions, diags = parse_aiken(REFERENCE_EXAMPLE, "old.txt")
    assert diags == []
    (q,) = questions
    assert (q.id, q.kind) == ("aiken-1", Kind.SINGLE)
    assert q.stem_md == "What is the correct answer to this question?"
    assert [(c.text_md, c.correct) for c in q.choices] == [
        ("Is it this one?", False),
        ("Maybe this answer?", False),
        ("Possibly this one?", True),
    ]
    assert q.choices[2].id == option_id("aiken-1", "Possibly this one?")
    assert grade(q, q.choices[2].id).correct
    assert (q.where.line, q.choices[1].where.line, q.choices[1].where.column) == (1, 3, 1)


def test_several_questions_parenthesis_labels_and_wrapped_stems():
    text = (
        "First?\nA) yes\nB) no\nANSWER: A\n"  # no blank line needed after ANSWER
        "Second question\nwraps onto two lines?\n\n  A. one\n  B. two\nANSWER: B\n"
    )
    questions, diags = parse_aiken(text, "old.txt")
    assert diags == []
    assert [q.id for q in questions] == ["aiken-1", "aiken-2"]
    assert questions[1].stem_md == "Second question\nwraps onto two lines?"
    assert questions[1].choices[1].correct
    assert questions[1].choices[0].where.column == 3


def test_plain_text_is_escaped_for_markdown():
    questions, _ = parse_aiken("Is 2*3*4 = 24 [yes]?\nA. <b>yes</b>\nB. no_way\nANSWER: A\n", "a")
    (q,) = questions
    assert q.stem_md == r"Is 2\*3\*4 = 24 \[yes\]?"
    assert [c.text_md for c in q.choices] == ["&lt;b>yes&lt;/b>", r"no\_way"]


def test_crlf_and_byte_order_mark():
    questions, diags = parse_aiken("\ufeffQ?\r\nA. x\r\nB. y\r\nANSWER: B\r\n", "a")
    assert diags == [] and questions[0].choices[1].correct


def test_missing_answer_line():
    assert messages("Q one?\nA. x\nB. y\n\nQ two?\nA. x\nB. y\nANSWER: A\n") == [
        "old.txt:1:1: error[A001]: Question not complete: the ANSWER line is missing",
    ]
    assert messages("Q?\nA. x\nB. y\n") == [
        "old.txt:1:1: error[A001]: Question not complete: the ANSWER line is missing",
    ]


def test_answer_line_in_the_wrong_form():
    assert messages("Q?\nA. x\nB. y\nAnswer: b\n") == [
        "old.txt:4:1: error[A001]: Invalid ANSWER line 'Answer: b'; "
        "write ANSWER: and one option letter in capitals, e.g. ANSWER: B",
    ]
    assert messages("Q?\nA. x\nB. y\nANSWER: AB\n")[0].startswith(
        "old.txt:4:1: error[A001]: Invalid ANSWER line 'ANSWER: AB'"
    )


def test_answer_naming_no_option():
    assert messages("Q?\nA. x\nB. y\nANSWER: D\n") == [
        "old.txt:4:1: error[A001]: ANSWER: D names no option of this question",
    ]


def test_answer_without_a_question():
    assert messages("ANSWER: A\n") == ["old.txt:1:1: error[A001]: ANSWER line without a question"]


def test_too_few_options():
    assert messages("Q?\nA. only\nANSWER: A\n") == [
        "old.txt:1:1: error[A002]: Question must have at least 2 options; found 1",
    ]


def test_bad_option_line():
    assert messages("Q?\nA. x\nb) y\nANSWER: A\n") == [
        "old.txt:3:1: error[A002]: Bad option line 'b) y'; "
        "an option is a capital letter, '.' or ')', a space, then its text",
    ]


def test_duplicate_options():
    assert messages("Q?\nA. x\nA. y\nANSWER: A\n") == [
        "old.txt:3:1: error[A002]: Option A appears twice",
    ]
    assert messages("Q?\nA. same\nB. same\nANSWER: A\n") == [
        "old.txt:1:1: error[A002]: Option text 'same' appears twice",
    ]


def test_broken_questions_do_not_stop_the_rest():
    text = "Bad?\nA. x\nANSWER: A\n\nGood?\nA. x\nB. y\nANSWER: B\n"
    questions, diags = parse_aiken(text, "old.txt")
    assert [(q.id, q.stem_md) for q in questions] == [("aiken-2", "Good?")]
    assert [d.code for d in diags] == ["A002"]
