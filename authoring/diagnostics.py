"""Diagnostics: content problems as data, collected in full and printed GCC-style.

A diagnostic names a file, a 1-based line and column, a stable code and a severity.
`path:line:col: error[Q005]: message; hint` is the one text form; `to_json` is the other.
The catalogue of codes lives in `CODES`; docs/authoring.md documents every one.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum


class Severity(StrEnum):
    """How bad a diagnostic is; `--strict` turns warnings into errors."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One content problem at one place.

    `path` is relative to the course folder and uses forward slashes; line and column
    are 1-based (column 1 when only the line is known).
    """

    path: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str
    hint: str = ""

    def format(self) -> str:
        """The GCC-style line editors and CI understand."""
        text = f"{self.path}:{self.line}:{self.column}: {self.severity.value}[{self.code}]: "
        text += self.message
        if self.hint:
            text += f"; {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


@dataclass
class DiagnosticBag:
    """Collects diagnostics while loading; nothing stops at the first problem."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        path: str,
        line: int,
        column: int,
        code: str,
        message: str,
        hint: str = "",
        severity: Severity | None = None,
    ) -> Diagnostic:
        sev = severity if severity is not None else CODES[code]
        diag = Diagnostic(path, max(line, 1), max(column, 1), sev, code, message, hint)
        self.items.append(diag)
        return diag

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable order for printing: by file, then position, then code."""
    return sorted(diags, key=lambda d: (d.path, d.line, d.column, d.code, d.message))


def apply_strict(diags: Sequence[Diagnostic]) -> list[Diagnostic]:
    """`--strict`: every warning becomes an error."""
    return [replace(d, severity=Severity.ERROR) for d in diags]


def format_text(diags: Sequence[Diagnostic]) -> str:
    """All diagnostics, one per line, sorted, plus a closing count line when any exist."""
    lines = [d.format() for d in sort_diagnostics(diags)]
    return "\n".join(lines)


def summary_line(diags: Sequence[Diagnostic]) -> str:
    """`2 errors, 1 warning`: the count printed after the diagnostics."""
    errors = sum(1 for d in diags if d.severity is Severity.ERROR)
    warnings = len(diags) - errors
    plural = {1: ""}
    return f"{errors} error{plural.get(errors, 's')}, {warnings} warning{plural.get(warnings, 's')}"


def to_json(diags: Sequence[Diagnostic]) -> str:
    """The `--format json` output: a list of objects, sorted like the text form."""
    return json.dumps([d.as_dict() for d in sort_diagnostics(diags)], indent=2, ensure_ascii=False)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A fix hint for an unknown name, or "" when nothing is close."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


E, W = Severity.ERROR, Severity.WARNING

#: Every stable code and its default severity. Codes never change meaning once released.
CODES: dict[str, Severity] = {
    # files and encoding
    "F001": E,  # file is not valid UTF-8
    "F002": E,  # file too large
    "F004": E,  # path leaves the course folder (.., absolute, symlink out)
    "F005": E,  # required file missing (course.yml / program.yml)
    # course.yml
    "C001": E,  # YAML syntax error
    "C002": E,  # missing required field
    "C003": W,  # unknown field (did you mean)
    "C004": E,  # version is not semver
    "C005": E,  # module file listed but not found
    "C006": W,  # module file exists but is not listed
    "C007": E,  # duplicate module id
    "C008": E,  # language is not BCP 47
    "C009": E,  # completion.require names an unknown module
    "C010": E,  # credential is missing name / description / criteria
    "C011": E,  # per-module passback with a graded module worth 0 points
    "C012": E,  # wrong type or value for a field
    "C013": E,  # bank listed but not found
    "C014": E,  # credential image missing or not an allowed format
    # module files
    "M001": E,  # front matter YAML error / not closed
    "M002": E,  # missing id or title in front matter
    "M003": E,  # unclosed fence / container
    "M004": W,  # heading levels skip / more than one H1
    "M005": E,  # image not found
    "M006": E,  # image has no alt text
    "M007": W,  # alt text looks like a file name or is too long
    "M008": W,  # non-descriptive link text
    "M009": W,  # video without captions / host not allowed
    "M010": E,  # math error
    "M011": W,  # raw HTML removed by the sanitizer
    "M012": W,  # table without header row
    "M013": W,  # unknown admonition type
    "M014": E,  # link to a course file that does not exist (rendered-tree check)
    "M015": W,  # colour-only emphasis removed
    "M016": E,  # module points do not match its quizzes
    "M017": W,  # unknown front matter field
    "M018": E,  # front matter field has the wrong type or value
    "M019": E,  # link or image URL with a scheme that is not allowed
    "M020": W,  # raw HTML element never closed
    # quiz blocks
    "Q001": E,  # quiz has no id / invalid id
    "Q002": E,  # duplicate quiz id
    "Q003": E,  # unknown header option / bad option value
    "Q004": E,  # no stem
    "Q005": E,  # single choice with 0 or 2+ correct
    "Q006": E,  # mixed ( ) and [ ] options
    "Q007": E,  # not enough options / answers
    "Q008": E,  # duplicate option text
    "Q009": E,  # numeric answer not a number / bad tolerance / bad range
    "Q010": E,  # matching line without -> / duplicate left item
    "Q011": E,  # partial weight out of range (W when no answer is worth 100 %)
    "Q012": E,  # invalid regex
    "Q013": E,  # cannot infer question type
    "Q014": W,  # hint/explain outside a quiz block
    "Q015": W,  # stem is empty of text for screen readers
    "Q016": E,  # ordering question with < 2 steps / duplicate steps
    "Q017": W,  # attempts=1 with hint_penalty
    "Q018": E,  # unrecognised line inside a quiz block
    # banks and draws
    "B001": E,  # bank file not found / not listed
    "B002": E,  # count exceeds matching questions
    "B003": W,  # bank questions in one draw have different points
    "B004": E,  # same bank question drawn twice in one module
    # program files
    "R001": E,  # program YAML error
    "R002": E,  # missing required field
    "R003": W,  # unknown field
    "R004": E,  # wrong type or value
    "R005": E,  # member course not found
    "R006": E,  # rule impossible (N of M with N > M, min result out of range)
    # GIFT / Aiken import
    "G001": E,  # GIFT: Could not find {...} around answers
    "G002": E,  # GIFT: Could not find a { / }
    "G003": E,  # GIFT: Matching question answers are improperly formatted
    "G004": E,  # GIFT: No answers found for numerical question
    "G005": E,  # GIFT: not enough answers for this question type
    "G006": E,  # GIFT: numbers expected (errornotnumbers)
    "G007": W,  # GIFT: question type not supported (essay, description) skipped
    "G008": W,  # GIFT: a feature with no equivalent here was approximated (weights, wildcards)
    "A001": E,  # Aiken: ANSWER line missing or invalid
    "A002": E,  # Aiken: not enough options / bad option line
    # publishing, compared with the last published version
    "P001": E,  # answers, options or points changed but the version bump is not major
    "P002": E,  # module or quiz removed or renamed without a major bump
    "P003": E,  # version already published with different content / not greater
    "P004": W,  # learners in progress stay on the old major version
}
