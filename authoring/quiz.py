"""Quiz blocks: the line grammar of docs/format-spec.md "Quiz blocks" into `Question` and `Draw`.

Every problem becomes a Q0xx diagnostic at the line and column where it was written, and parsing
goes on after each one. `scan_markdown` finds the ```quiz / ```quiz-draw fences of a Markdown text
and skips every other fence, so an example inside a ````markdown fence stays an example. The line
grammar is in `authoring.quizgrammar`, the kinds in `authoring.quizkinds`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from authoring.diagnostics import Diagnostic, DiagnosticBag
from authoring.fsutil import normalize_rel
from authoring.model import Draw, Question, Scoring, SourceRef
from authoring.quizgrammar import (
    ANSWER_KINDS,
    DRAW_OPTIONS,
    EMPTY_NAME,
    FAMILY,
    FENCE,
    KIND_FAMILY,
    KIND_NAMES,
    KINDS,
    MD_NOISE,
    MESSAGES,
    NUMBER,
    QUIZ_OPTIONS,
    SLUG,
    WORD_CHAR,
    QuizLine,
    Report,
    classify_line,
    parse_header,
)
from authoring.quizkinds import BUILDERS, infer_kind, parse_numeric, shorten

__all__ = [
    "MESSAGES",
    "NUMBER",
    "SLUG",
    "BodyScan",
    "Fence",
    "find_fences",
    "parse_draw_block",
    "parse_numeric",
    "parse_quiz_block",
    "parse_quiz_blocks_in_text",
    "scan_markdown",
]


def parse_quiz_block(
    info: str,
    body_lines: list[str],
    path: str,
    first_line: int,
    bag: DiagnosticBag,
    *,
    info_column: int = 4,
    fence_column: int = 1,
) -> Question | None:
    """Parse one ```quiz block into a Question; None when its id or its kind cannot be known.

    `first_line` is the file line of the opening fence; body line i is line first_line + 1 + i.
    `info_column` is the column where `info` starts, so header diagnostics point at the option.
    A Question with other errors is still returned (for previews); the errors are in `bag`.
    """
    rep = Report(path, first_line, fence_column, bag)
    header = parse_header(info, QUIZ_OPTIONS, rep, info_column)
    kind_name = header.word(rep, "type", KIND_NAMES)
    options: dict[str, Any] = {
        "points": header.number(rep, "points"),
        "shuffle": header.word(rep, "shuffle", ("true", "false")),
        "scoring": header.word(rep, "scoring", ("all-or-nothing", "partial")),
        "case": header.word(rep, "case", ("insensitive", "sensitive")),
        "accept": header.word(rep, "accept", ("any",)),
        "attempts": header.integer(rep, "attempts", 0),
        "hint_penalty": header.number(rep, "hint_penalty", 0.0, 1.0),
    }
    lines = [
        q
        for i, raw in enumerate(body_lines)
        if (q := classify_line(raw, first_line + 1 + i, rep)) is not None
    ]
    stems: list[str] = []
    extras: dict[str, list[str]] = {"hint": [], "explain": [], "default": []}
    content: list[QuizLine] = []
    others: list[QuizLine] = []  # unknown lines and ~ lines, judged once the kind is known
    for q in lines:
        if q.kind == "stem":
            if content or others or any(extras.values()):
                rep.say("late-stem", q.line, q.marker)
            else:
                stems.append(q.text)
        elif q.kind in extras and not q.text:
            rep.say("empty", q.line, q.marker, text=EMPTY_NAME[q.kind])
        elif q.kind in extras:
            extras[q.kind].append(q.text)
            if q.kind == "default":
                others.append(q)
        elif q.kind == "unknown":
            others.append(q)
        else:
            content.append(q)
    stem = "\n".join(stems).strip()
    if not stem:
        rep.say("no-stem")
    elif not WORD_CHAR.search(MD_NOISE.sub(r"\1", stem)):
        rep.say("no-text")
    kind = infer_kind(rep, kind_name, content)
    for q in others:
        if q.kind == "unknown" and kind == "matching":
            rep.say("no-arrow", q.line, q.marker)
        elif q.kind == "unknown":
            rep.say("unknown-line", q.line, q.marker, text=shorten(q.text))
        elif kind is not None and kind not in ANSWER_KINDS:
            rep.say("tilde", q.line, q.marker)
    if kind is None:
        return None
    accept_any = options["accept"] == "any"
    if accept_any and kind != "single":
        rep.say("accept", rep.line, header.columns["accept"])
    family = KIND_FAMILY[kind]
    parts = BUILDERS[kind](rep, kind, [q for q in content if FAMILY[q.kind] == family], accept_any)
    if not rep.qid:
        return None
    return Question(
        id=rep.qid,
        kind=KINDS[kind],
        stem_md=stem,
        points=options["points"] or 1.0,
        shuffle=options["shuffle"] != "false",
        scoring=Scoring.PARTIAL if options["scoring"] == "partial" else Scoring.ALL_OR_NOTHING,
        accept_any=accept_any,
        case_sensitive=options["case"] == "sensitive",
        hints=tuple(extras["hint"]),
        hint_penalty=options["hint_penalty"] or 0.0,
        explain_md="\n".join(extras["explain"]),
        default_feedback_md="\n".join(extras["default"]),
        tags=header.tags(),
        attempts=options["attempts"],
        where=SourceRef(path, first_line, fence_column),
        **parts,
    )


def parse_draw_block(
    info: str,
    body_lines: list[str],
    path: str,
    first_line: int,
    bag: DiagnosticBag,
    *,
    info_column: int = 4,
    fence_column: int = 1,
) -> Draw | None:
    """Parse one ```quiz-draw block (a header only); None when its id, bank or count is unusable.

    The bank path is normalised; whether it is safe, listed and found is checked in validate.
    """
    rep = Report(path, first_line, fence_column, bag, block="draw")
    header = parse_header(info, DRAW_OPTIONS, rep, info_column)
    for i, raw in enumerate(body_lines):
        if raw.strip():
            rep.say("draw-lines", first_line + 1 + i, len(raw) - len(raw.lstrip()) + 1)
    bank = header.values.get("from", "").strip()
    if not bank:
        rep.say("no-bank")
    if "count" not in header.values:
        rep.say("no-count")
    count = header.integer(rep, "count", 1)
    points = header.number(rep, "points")
    if not rep.qid or not bank or count is None:
        return None
    where = SourceRef(path, first_line, fence_column)
    return Draw(rep.qid, normalize_rel(bank), count, header.tags(), points, where)


@dataclass
class BodyScan:
    """What the line scanner found in a Markdown text: quizzes, draws, and lines with images."""

    questions: list[Question] = field(default_factory=list)
    draws: list[Draw] = field(default_factory=list)
    # (line, text) of lines with "![" outside code fences or inside quiz blocks, for image checks
    image_lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Fence:
    """A fenced block: opening line, fence, info string, columns and body (None when unclosed)."""

    line: int
    fence: str
    info: str
    column: int
    info_column: int
    body: list[str] | None

    @property
    def last_line(self) -> int:
        """The closing fence's line (for an unclosed fence: the line before the text's end)."""
        return self.line + len(self.body) + 1 if self.body is not None else 1 << 30


def find_fences(lines: list[str], first_line: int) -> list[Fence]:
    """Every fenced block, in order (fences inside a fence are content, not fences).

    A closing fence uses the same character, at least as many, and nothing else on its line.
    """
    candidates = [i for i, text in enumerate(lines) if "```" in text or "~~~" in text]
    fences: list[Fence] = []
    k, n = 0, len(candidates)
    while k < n:
        i = candidates[k]
        k += 1
        match = FENCE.match(lines[i])
        if match is None or (match.group(2)[0] == "`" and "`" in match.group(3)):
            continue
        indent, fence, rest = match.groups()
        closer = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        while k < n and not closer.match(lines[candidates[k]]):
            k += 1
        body = lines[i + 1 : candidates[k]] if k < n else None
        k += 1
        info_column = len(indent) + len(fence) + len(rest) - len(rest.lstrip()) + 1
        fences.append(
            Fence(first_line + i, fence, rest.strip(), len(indent) + 1, info_column, body)
        )
    return fences


def scan_markdown(text: str, path: str, first_line: int, bag: DiagnosticBag) -> BodyScan:
    """Find quiz and draw blocks (M003 for unclosed fences, Q014 for stray hint:/explain:)."""
    scan = BodyScan()
    rep = Report(path, first_line, 1, bag)
    lines = text.split("\n")
    fences = find_fences(lines, first_line)
    quiz_lines: set[int] = set()
    for fence in fences:
        if fence.body is None:
            rep.say("unclosed", fence.line, fence.column, text=fence.fence)
            continue
        word = fence.info.split(None, 1)[0] if fence.info else ""
        where = {"info_column": fence.info_column, "fence_column": fence.column}
        if word == "quiz":
            question = parse_quiz_block(fence.info, fence.body, path, fence.line, bag, **where)
            if question is not None:
                scan.questions.append(question)
            quiz_lines.update(range(fence.line + 1, fence.last_line))
        elif word == "quiz-draw":
            draw = parse_draw_block(fence.info, fence.body, path, fence.line, bag, **where)
            if draw is not None:
                scan.draws.append(draw)
    starts = [f.line for f in fences]
    for i, raw in enumerate(lines):
        if "![" not in raw and "hint:" not in raw and "explain:" not in raw:
            continue
        line = first_line + i
        at = bisect_right(starts, line) - 1
        if at >= 0 and line <= fences[at].last_line and line not in quiz_lines:
            continue  # inside a code block
        if "![" in raw:
            scan.image_lines.append((line, raw))
        stripped = raw.lstrip()
        if line not in quiz_lines and stripped.startswith(("hint:", "explain:")):
            column = len(raw) - len(stripped) + 1
            rep.say("stray", line, column, text=stripped.split(":", 1)[0])
    return scan


def parse_quiz_blocks_in_text(
    text: str, path: str, first_line: int = 1
) -> tuple[list[Question], list[Diagnostic]]:
    """Every ```quiz block of a Markdown text (a bank file, a GIFT import) with its diagnostics.

    ```quiz-draw blocks are checked but not returned; `first_line` is the file line of the text's
    first line.
    """
    bag = DiagnosticBag()
    scan = scan_markdown(text, path, first_line, bag)
    return scan.questions, bag.items
