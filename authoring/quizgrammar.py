"""The line grammar of quiz blocks: header options, line markers and the messages they raise.

docs/format-spec.md "Quiz blocks" describes it. `classify_line` says what one body line is;
`parse_header` reads `key=value` options; `Report.say` turns a MESSAGES key into a diagnostic.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from authoring.diagnostics import DiagnosticBag, Severity, did_you_mean
from authoring.model import Kind, SourceRef

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NUMBER = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
QUIZ_OPTIONS: tuple[str, ...] = ("id", "points", "type", "shuffle", "scoring", "attempts")
QUIZ_OPTIONS += ("hint_penalty", "case", "accept", "tags")
DRAW_OPTIONS = ("id", "from", "tags", "count", "points")
LINE_FORMS = "quiz lines start with ?, ( ), [ ], =, ~, ->, 1., hint: or explain:"
_TOKEN = re.compile(r'([^\s=]+)=("(?:[^"\\]|\\.)*"?|\S*)|(\S+)')
FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
# One pattern classifies a body line by its leading marker; `lastgroup` names the kind.
_LINE = re.compile(
    r"(?P<indent>[ \t]*)(?:"
    r"(?P<option>(?:\((?P<mark>[ xX]?)\)|\[(?P<mark2>[ xX]?)\])(?=\s|$))"
    r"|(?P<answer>=(?P<weight>-?[0-9]+(?:\.[0-9]+)?%)?)"
    r"|(?P<step>[0-9]+\.(?=\s|$))"
    r"|(?P<word>\?|hint:|explain:|~)"
    r")?"
)
_MARKER_KIND = {"?": "stem", "hint:": "hint", "explain:": "explain", "~": "default"}
_FEEDBACK = re.compile(r"\s#(?=\s|$)")
REGEX = re.compile(r"^/(.*)/([A-Za-z]*)$", re.S)
NUMERIC_LOOK = re.compile(
    r"^[-+]?(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*(?:(?:±|\+-|\.\.).*)?$"
)
WORD_CHAR = re.compile(r"[^\W_]")
MD_NOISE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|<[^>]*>|\{[^}]*\}")  # keeps alt / link text

#: Every quiz message: key -> (code, message, hint). `{q}` is " 'quiz-id'" (or "" without id).
MESSAGES: dict[str, tuple[str, str, str]] = {
    "not-kv": ("Q003", "header option '{key}' is not written as key=value", ""),
    "quote": ("Q003", "header option '{key}' has an unclosed quote", ""),
    "unknown-option": ("Q003", "unknown header option '{key}'", "{hint}"),
    "twice": ("Q003", "header option '{key}' is given twice", ""),
    "bad-value": ("Q003", "value '{value}' of option '{key}' must be {what}", "{hint}"),
    "accept": ("Q003", "accept=any only applies to single-choice questions", ""),
    "no-count": ("Q003", "draw{q} has no count=", "add count=N, how many questions to draw"),
    "no-id": ("Q001", "{block} has no id", "add id=... to the header; ids key the grades"),
    "bad-id": (
        "Q001",
        "{block} id '{value}' is not valid",
        "use lower-case letters, digits and '-', starting with a letter or digit",
    ),
    "no-stem": ("Q004", "quiz{q} has no stem", "start the block with a '? question' line"),
    "no-correct": (
        "Q005",
        "single-choice question{q} has no correct option",
        "mark the correct option with (x)",
    ),
    "many-correct": (
        "Q005",
        "single-choice question{q} has {n} correct options",
        "use [x] for multiple response or add accept=any",
    ),
    "mixed-options": (
        "Q006",
        "quiz{q} mixes ( ) and [ ] options",
        "use ( ) for single choice or [ ] for multiple response",
    ),
    "nothing": ("Q007", "quiz{q} has no options or answers", LINE_FORMS),
    "none-of-type": ("Q007", "quiz{q} has no {what}", ""),
    "few-options": ("Q007", "quiz{q} needs at least 2 options, has {n}", ""),
    "few-pairs": ("Q007", "matching question{q} needs at least 2 pairs, has {n}", ""),
    "one-truth": ("Q007", "true/false question{q} needs exactly one '= true' or '= false'", ""),
    "dup-option": ("Q008", "duplicate option '{text}' (also at line {n})", ""),
    "dup-answer": ("Q008", "duplicate answer '{text}' (also at line {n})", ""),
    "dup-distractor": ("Q008", "distractor '{text}' repeats a right-hand side", ""),
    "number": ("Q009", "{text}", "{hint}"),
    "no-arrow": ("Q010", "matching line without '->'", "write 'left -> right'"),
    "no-right": ("Q010", "matching pair '{text}' has no right-hand side", ""),
    "dup-left": ("Q010", "duplicate left item '{text}' (also at line {n})", ""),
    "weight": ("Q011", "partial weight '{text}' is outside 0-100 %", ""),
    "no-full": (
        "Q011",
        "no answer of quiz{q} is worth 100 %",
        "give one answer full credit: '= answer' without a weight",
    ),
    "regex-flag": ("Q012", "unknown regex flag '{value}' in '{text}'", "only /i is supported"),
    "regex": ("Q012", "invalid regular expression '{text}': {what}", ""),
    "mixed": (
        "Q013",
        "cannot infer the type of quiz{q}: it mixes {what} and {value}",
        "set type= or split the quiz",
    ),
    "misfit": ("Q013", "{what} do not fit type={value}", "{value} questions use {hint}"),
    "not-truth": (
        "Q013",
        "answer '{text}' does not fit type=truefalse",
        "write '= true' or '= false'",
    ),
    "stray": (
        "Q014",
        "'{text}:' line outside a quiz block is shown as text",
        "move it into the quiz",
    ),
    "no-text": (
        "Q015",
        "the stem of quiz{q} has no text for screen readers",
        "say in words what is asked, or give the image alt text",
    ),
    "few-steps": ("Q016", "ordering question{q} needs at least 2 steps, has {n}", ""),
    "dup-step": ("Q016", "duplicate step '{text}' (also at line {n})", ""),
    "unknown-line": ("Q018", "unrecognised line '{text}'", LINE_FORMS),
    "late-stem": ("Q018", "stem line after the answers", "put every '?' line first"),
    "empty": ("Q018", "'{text}' line without text", ""),
    "tilde": (
        "Q018",
        "'~' feedback only applies to '=' answers",
        "put feedback after ' # ' on an option line",
    ),
    "draw-lines": ("Q018", "a quiz-draw block takes no lines", "put every setting in the header"),
    "no-bank": ("B001", "draw{q} has no from= bank", "add from=banks/<file>.md"),
    "unclosed": ("M003", "code fence '{text}' is never closed", "close it with a line '{text}'"),
}

_WARNING_MESSAGES = frozenset({"no-full"})  # Q011 is an error except for this case

# Line families: which kind of question each kind of line belongs to.
FAMILY = {"round": "round", "square": "square", "answer": "answer", "pair": "match"}
FAMILY |= {"distractor": "match", "step": "step"}
# Kinds are handled by their string value here: Enum hashing and lookups are slow in a hot loop.
KINDS = {k.value: k for k in Kind}
KIND_NAMES = tuple(KINDS)
KIND_FAMILY = {"single": "round", "multiple": "square", "truefalse": "answer"}
KIND_FAMILY |= {"short": "answer", "numeric": "answer", "matching": "match", "ordering": "step"}
FAMILY_KIND = {"round": "single", "square": "multiple", "match": "matching", "step": "ordering"}
ANSWER_KINDS = ("short", "numeric", "truefalse")
FAMILY_NAME = {"round": "( ) options", "square": "[ ] options", "answer": "'=' answers"}
FAMILY_NAME |= {"match": "'->' pairs", "step": "numbered steps"}
EMPTY_NAME = {"round": "( )", "square": "[ ]", "answer": "=", "step": "1.", "hint": "hint:"}
EMPTY_NAME |= {"explain": "explain:", "default": "~"}


@dataclass(slots=True)
class QuizLine:
    """One classified body line of a quiz block."""

    kind: str  # stem round square answer pair distractor step default hint explain unknown
    text: str
    line: int
    column: int  # 1-based column of the text after the marker
    marker: int  # 1-based column of the marker
    correct: bool = False
    weight: float = 1.0  # answer lines: =50% gives 0.5
    feedback: str = ""
    right: str = ""  # pair and distractor lines


@dataclass(slots=True)
class Report:
    """Where one block is and where its diagnostics go; `say` formats from MESSAGES."""

    path: str
    line: int
    column: int
    bag: DiagnosticBag
    qid: str = ""
    block: str = "quiz"

    def say(self, msg: str, line: int = 0, column: int = 0, /, **fmt: object) -> None:
        """Add MESSAGES[msg] at line:column (default: the block's opening fence)."""
        code, message, hint = MESSAGES[msg]
        fmt["q"] = f" '{self.qid}'" if self.qid else ""
        fmt["block"] = self.block
        severity = Severity.WARNING if msg in _WARNING_MESSAGES else None
        self.bag.add(
            self.path,
            line or self.line,
            column or self.column,
            code,
            message.format(**fmt),
            hint.format(**fmt),
            severity,
        )

    def at(self, q: QuizLine, msg: str, /, **fmt: object) -> None:
        self.say(msg, q.line, q.column, **fmt)

    def ref(self, q: QuizLine) -> SourceRef:
        return SourceRef(self.path, q.line, q.marker)


@dataclass
class Header:
    """Parsed `key=value` options of a fence header, with the column of each."""

    values: dict[str, str] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)

    def check(self, rep: Report, key: str, ok: bool, what: str, hint: str = "") -> bool:
        """Q003 at the option when `ok` is false."""
        if not ok:
            value = self.values[key]
            rep.say(
                "bad-value", rep.line, self.columns[key], key=key, value=value, what=what, hint=hint
            )
        return ok

    def number(
        self, rep: Report, key: str, low: float = 0.0, high: float | None = None
    ) -> float | None:
        """A number > `low` (or from `low` to `high` inclusive when `high` is given)."""
        if key not in self.values:
            return None
        text = self.values[key]
        value = float(text) if NUMBER.match(text) else None
        if value is not None and not math.isfinite(value):
            value = None
        if high is None:
            ok = value is not None and value > low
            what = f"a number > {low:g}"
        else:
            ok = value is not None and low <= value <= high
            what = f"a number from {low:g} to {high:g}"
        return value if self.check(rep, key, ok, what) else None

    def integer(self, rep: Report, key: str, low: int) -> int | None:
        if key not in self.values:
            return None
        text = self.values[key]
        ok = text.isascii() and text.isdigit() and int(text) >= low
        return int(text) if self.check(rep, key, ok, f"an integer >= {low}") else None

    def word(self, rep: Report, key: str, words: tuple[str, ...]) -> str | None:
        if key not in self.values:
            return None
        value = self.values[key]
        if value in words:
            return value
        listed = ", ".join(f"'{w}'" for w in words)
        what = f"one of {listed}" if len(words) > 2 else listed.replace(", ", " or ")
        self.check(rep, key, False, what, did_you_mean(value, words))
        return None

    def tags(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.values.get("tags", "").split(",") if t.strip())


def parse_header(info: str, allowed: tuple[str, ...], rep: Report, column: int) -> Header:
    """`quiz id=x points=2 tags="a,b"`: the options after the block word; Q003 for bad ones."""
    header = Header()
    for index, match in enumerate(_TOKEN.finditer(info)):
        col = column + match.start()
        key, value, bare = match.group(1), match.group(2), match.group(3)
        if index == 0:  # the block word: quiz / quiz-draw
            continue
        if bare is not None:
            rep.say("not-kv", rep.line, col, key=bare)
        elif value.startswith('"') and (len(value) < 2 or not re.search(r'(?<!\\)"$', value[1:])):
            rep.say("quote", rep.line, col, key=key)
        elif key not in allowed:
            rep.say("unknown-option", rep.line, col, key=key, hint=did_you_mean(key, allowed))
        elif key in header.values:
            rep.say("twice", rep.line, col, key=key)
        else:
            quoted = value.startswith('"')
            header.values[key] = value[1:-1].replace('\\"', '"') if quoted else value
            header.columns[key] = col
    qid = header.values.get("id")
    if qid is None:
        rep.say("no-id")
    elif not SLUG.match(qid):
        rep.say("bad-id", rep.line, header.columns["id"], value=qid)
    else:
        rep.qid = qid
    return header


def _split_feedback(text: str) -> tuple[str, str]:
    match = _FEEDBACK.search(text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), text[match.end() :].strip()


def classify_line(raw: str, line: int, rep: Report) -> QuizLine | None:
    """What one body line is (None for a blank line); Q011 for a weight outside 0-100 %."""
    match = _LINE.match(raw)
    assert match is not None  # _LINE matches every line (the marker is optional)
    col = match.end("indent") + 1
    name = match.lastgroup
    if name == "indent":  # no marker
        stripped = raw[col - 1 :]
        if not stripped.strip():
            return None
        if stripped.startswith("\\"):  # an escaped leading marker: only a matching line is left
            return _pair(stripped[1:], line, col + 1, col)
        return _pair(stripped, line, col, col)
    end = match.end()
    rest = raw[end:]
    kind = _MARKER_KIND[match.group(name)] if name == "word" else str(name)
    if kind == "option":
        kind = "round" if raw[col - 1] == "(" else "square"
    q = QuizLine(kind, rest.strip(), line, end + 1 + len(rest) - len(rest.lstrip()), col)
    if name in ("option", "answer"):  # the lines where ` # ` starts feedback and `\#` is `#`
        q.text, feedback = _split_feedback(rest)
        q.feedback = feedback.replace("\\#", "#")
        if name == "option":
            q.text = q.text.replace("\\#", "#")
            q.correct = match.group("mark") in ("x", "X") or match.group("mark2") in ("x", "X")
        elif weight := match.group("weight"):
            percent = float(weight[:-1])
            if 0 <= percent <= 100:
                q.weight = percent / 100
            else:
                rep.say("weight", line, col + 1, text=weight)
    return q


def _pair(text: str, line: int, col: int, marker: int) -> QuizLine:
    left, arrow, right = text.partition("->")
    right = right.strip().replace("\\#", "#")
    if not arrow:
        return QuizLine("unknown", text.strip(), line, col, marker)
    if not left.strip():
        return QuizLine("distractor", right, line, col, marker, right=right)
    return QuizLine("pair", left.strip(), line, col, marker, right=right)
