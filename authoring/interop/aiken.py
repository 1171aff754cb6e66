"""Aiken import: single-choice questions as Moodle reads them, with positioned diagnostics.

A question is its text (one line, or several before the first option), options `A. text` or
`A) text` (a capital letter, `.` or `)`, a space), then `ANSWER: X` in capitals. Blank lines
separate questions. Problems: A001 for a missing or invalid ANSWER line, A002 for fewer than two
options, a malformed or duplicate option line. Text is plain, so it is escaped for Markdown.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from authoring.diagnostics import Diagnostic, DiagnosticBag
from authoring.interop.gift import plain_to_markdown
from authoring.model import Choice, Kind, Question, SourceRef, option_id

logger = logging.getLogger(__name__)

_OPTION = re.compile(r"([A-Z])[.)][ \t]+(\S.*)")
_ANSWER = re.compile(r"ANSWER:[ \t]*([A-Z])")
_ANSWER_LIKE = re.compile(r"answer\s*[:=]", re.IGNORECASE)
OPTION_HINT = "an option is a capital letter, '.' or ')', a space, then its text"


@dataclass
class _Pending:
    """The question being read."""

    number: int  # position in the file, broken questions included: ids stay put when fixed
    line: int
    stem: list[str]
    options: list[tuple[str, str, int, int]] = field(default_factory=list)  # letter, text, pos
    broken: bool = False


def parse_aiken(text: str, path: str) -> tuple[list[Question], list[Diagnostic]]:
    """Questions of an Aiken file and every problem found; ids are `aiken-<n>`, n-th in the file."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    bag = DiagnosticBag()
    questions: list[Question] = []
    cur: _Pending | None = None
    after_blank = False
    count = 0

    def start(n: int, line: str) -> _Pending:
        nonlocal count
        count += 1
        return _Pending(count, n, [line])

    def finish(q: _Pending, letter: str, n: int, col: int) -> None:
        if q.broken:
            return
        if len(q.options) < 2:
            bag.add(
                path,
                q.line,
                1,
                "A002",
                "Question must have at least 2 options",
                f"found {len(q.options)}",
            )
            return
        texts = [o[1] for o in q.options]
        if len(set(texts)) != len(texts):
            dup = next(t for t in texts if texts.count(t) > 1)
            bag.add(path, q.line, 1, "A002", f"Option text {dup[:40]!r} appears twice")
            return
        if letter not in {o[0] for o in q.options}:
            bag.add(path, n, col, "A001", f"ANSWER: {letter} names no option of this question")
            return
        qid = f"aiken-{q.number}"
        choices = []
        for opt_letter, opt_text, line, column in q.options:
            md = plain_to_markdown(opt_text)
            choices.append(
                Choice(
                    option_id(qid, md),
                    md,
                    opt_letter == letter,
                    where=SourceRef(path, line, column),
                )
            )
        questions.append(
            Question(
                id=qid,
                kind=Kind.SINGLE,
                stem_md=plain_to_markdown("\n".join(q.stem)),
                choices=tuple(choices),
                where=SourceRef(path, q.line, 1),
            )
        )

    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        col = len(raw) - len(raw.lstrip()) + 1
        if not line:
            after_blank = True
            continue
        option = _OPTION.fullmatch(line)
        if line.startswith("ANSWER:") or _ANSWER_LIKE.match(line):
            answer = _ANSWER.fullmatch(line.rstrip())
            if cur is None:
                bag.add(path, n, col, "A001", "ANSWER line without a question")
            elif answer is None:
                bag.add(
                    path,
                    n,
                    col,
                    "A001",
                    f"Invalid ANSWER line {line!r}",
                    "write ANSWER: and one option letter in capitals, e.g. ANSWER: B",
                )
            else:
                finish(cur, answer.group(1), n, col)
            cur = None
        elif cur is None:
            cur = start(n, line)
        elif option:
            if option.group(1) in {o[0] for o in cur.options}:
                bag.add(path, n, col, "A002", f"Option {option.group(1)} appears twice")
                cur.broken = True
            cur.options.append((option.group(1), option.group(2).strip(), n, col))
        elif not cur.options:
            cur.stem.append(line)
        elif after_blank:
            bag.add(path, cur.line, 1, "A001", "Question not complete: the ANSWER line is missing")
            cur = start(n, line)
        else:
            if not cur.broken:
                bag.add(path, n, col, "A002", f"Bad option line {line[:40]!r}", OPTION_HINT)
            cur.broken = True
        after_blank = False
    if cur is not None:
        bag.add(path, cur.line, 1, "A001", "Question not complete: the ANSWER line is missing")
    return questions, bag.items
