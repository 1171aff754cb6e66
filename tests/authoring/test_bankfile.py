"""Bank files: questions written in our quiz-block syntax read back to equal questions."""

from __future__ import annotations

import dataclasses

from authoring.interop.aiken import parse_aiken
from authoring.interop.bankfile import write_bank
from authoring.interop.gift import parse_gift
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


def without_where(obj: object) -> object:
    """The same value with every `where` cleared: a bank file is not the file it came from."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        values = {
            f.name: None if f.name == "where" else without_where(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
        }
        return type(obj)(**values)
    if isinstance(obj, tuple):
        return tuple(without_where(x) for x in obj)
    return obj


def read_back(text: str) -> list[Question]:
    """Parse a bank file with the loader's quiz-block parser; it must report nothing."""
    from authoring.quiz import parse_quiz_blocks_in_text  # another module's: imported late

    questions, diags = parse_quiz_blocks_in_text(text, "banks/imported.md")
    assert [d.format() for d in diags] == []
    return questions


def ch(qid: str, text: str, ok: bool, feedback: str = "") -> Choice:
    return Choice(option_id(qid, text), text, ok, feedback)


def gen_every_kind() -> list[Question]:
    return [
        Question(
            id="lr-gas",
            kind=Kind.SINGLE,
            points=2,
            tags=("light", "week 1"),
            stem_md="Which gas do plants **absorb**?\nDuring the day.",
            choices=(
                ch("lr-gas", "Oxygen", False, "That's released."),
                ch("lr-gas", "Carbon dioxide", True, "Right."),
                ch("lr-gas", "C#", False),
            ),
            hints=("Think of animals.", "They exhale it."),
            hint_penalty=0.25,
            explain_md="Plants fix CO₂.\nAnd release O₂.",
            attempts=3,
        ),
        Question(
            id="any",
            kind=Kind.SINGLE,
            stem_md="A prime?",
            accept_any=True,
            shuffle=False,
            choices=(ch("any", "2", True), ch("any", "3", True), ch("any", "4", False)),
        ),
        Question(
            id="multi",
            kind=Kind.MULTIPLE,
            stem_md="Pick",
            scoring=Scoring.PARTIAL,
            choices=(
                ch("multi", "A", True, "yes"),
                ch("multi", "B", True),
                ch("multi", "C", False),
            ),
        ),
        Question(
            id="tf",
            kind=Kind.TRUEFALSE,
            stem_md="The sun is a star.",
            truth=True,
            answers=(TextAnswer("true", feedback_md="Yes."),),
            default_feedback_md="It is.\nLook it up.",
        ),
        Question(
            id="short",
            kind=Kind.SHORT,
            stem_md="Capital of France?",
            case_sensitive=True,
            answers=(
                TextAnswer("Paris", feedback_md="Yes"),
                TextAnswer("42", 0.5),
                TextAnswer("Lutèce", 0.25, feedback_md="Old name"),
                TextAnswer(r"par[iy]s?", 0.1, True, "i", "Close"),
            ),
            default_feedback_md="Think of the Seine.",
        ),
        Question(
            id="pi",
            kind=Kind.NUMERIC,
            stem_md="Pi to two places?",
            numeric=(
                NumericAnswer(3.13, 3.15, 1.0, "Good"),
                NumericAnswer(3.0, 3.0, 0.5),
                NumericAnswer(-1e-05, 2.5e-06, 0.25),
            ),
            default_feedback_md="About 3.14",
        ),
        Question(
            id="capitals",
            kind=Kind.MATCHING,
            stem_md="Match",
            scoring=Scoring.PARTIAL,
            pairs=(
                MatchPair(option_id("capitals", "Canada"), "Canada", "Ottawa"),
                MatchPair(option_id("capitals", "(x) Italy"), "(x) Italy", "Rome -> city"),
            ),
            distractors=("Sydney",),
        ),
        Question(
            id="steps",
            kind=Kind.ORDERING,
            stem_md="Order the steps",
            points=0.5,
            steps=tuple(Step(option_id("steps", t), t) for t in ("Mix", "Bake # hot", "Eat")),
        ),
    ]


def test_every_kind_and_option_reads_back_equal():
    questions = gen_every_kind()
    back = read_back(write_bank(questions, title="Imported questions"))
    assert [without_where(q) for q in back] == [without_where(q) for q in questions]


def test_gift_import_written_as_a_bank_reads_back_equal():
    gift = (
        "// [tag:photosynthesis]\n::Q1:: What gas? {=CO2 #Yes ~O2 #No ####Fixed.}\n\n"
        "::Q2:: Born in {#1822:1}.\n\n::Q3:: Two plus two {=four =%50%4 #digits =%0%*#No}\n\n"
        "::Q4:: Match {=Canada -> Ottawa =Italy -> Rome = -> Sydney}\n\n"
        "::Q5:: Sun is a star {TRUE#No, it is.#Yes.}\n\n::Q6:: Gases {~%50%CO2 ~%50%O2 ~%-100%Sand}"
    )
    questions, diags = parse_gift(gift, "import.gift")
    assert diags == []
    back = read_back(write_bank(questions))
    assert [without_where(q) for q in back] == [without_where(q) for q in questions]


def test_aiken_import_written_as_a_bank_reads_back_equal():
    questions, _ = parse_aiken("Is 2*3 = 6?\nA. yes_really\nB. [no]\nANSWER: A\n", "old.txt")
    back = read_back(write_bank(questions))
    assert [without_where(q) for q in back] == [without_where(q) for q in questions]


def test_bank_text_is_readable_quiz_syntax():
    question = gen_every_kind()[0]
    assert write_bank([question], title="Light") == (
        '---\ntitle: "Light"\n---\n\n'
        '```quiz id=lr-gas type=single points=2 attempts=3 hint_penalty=0.25 tags="light,week 1"\n'
        "? Which gas do plants **absorb**?\n"
        "? During the day.\n"
        "( ) Oxygen # That's released.\n"
        "(x) Carbon dioxide # Right.\n"
        "( ) C#\n"
        "hint: Think of animals.\n"
        "hint: They exhale it.\n"
        "explain: Plants fix CO₂.\n"
        "explain: And release O₂.\n"
        "```\n"
    )


def test_no_questions_no_title_is_an_empty_bank():
    assert write_bank([]) == ""
