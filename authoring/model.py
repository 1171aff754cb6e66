"""The parsed course model: frozen values shared by the loader, renderer, grader and packager.

Nothing here does I/O. Markdown text is kept as source (`*_md`) and rendered later by
`authoring.render`; answers live only in these objects and in the package's server part.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

FORMAT_VERSION = 1  # version of the course format and of the package layout


@dataclass(frozen=True)
class SourceRef:
    """Where something was written: course-relative path, 1-based line and column."""

    path: str
    line: int
    column: int = 1


class Kind(StrEnum):
    """Question kinds. The value is what `type=` takes in a quiz header."""

    SINGLE = "single"  # (x) / ( ) one correct option (or several with accept=any)
    MULTIPLE = "multiple"  # [x] / [ ] multiple response
    TRUEFALSE = "truefalse"  # = true / = false
    SHORT = "short"  # = text, = /regex/, =50% text
    NUMERIC = "numeric"  # = 3.14 ± 0.01, = 3.1..3.2
    MATCHING = "matching"  # left -> right
    ORDERING = "ordering"  # 1. step (correct order as written)


class Scoring(StrEnum):
    ALL_OR_NOTHING = "all-or-nothing"
    PARTIAL = "partial"


def option_id(quiz_id: str, text: str) -> str:
    """Stable id of an option or step that does not reveal its position or correctness."""
    return "o" + hashlib.sha256(f"{quiz_id}\x1f{text}".encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Choice:
    """An option of a single/multiple choice question."""

    id: str
    text_md: str
    correct: bool
    feedback_md: str = ""
    where: SourceRef | None = None


@dataclass(frozen=True)
class TextAnswer:
    """An accepted short answer: literal text or a regular expression, with a weight 0..1."""

    text: str
    weight: float = 1.0
    regex: bool = False
    regex_flags: str = ""  # "i" for case-insensitive regex
    feedback_md: str = ""
    where: SourceRef | None = None


@dataclass(frozen=True)
class NumericAnswer:
    """An accepted number: `value ± tolerance`, or the closed range `low..high`, weight 0..1."""

    low: float
    high: float
    weight: float = 1.0
    feedback_md: str = ""
    where: SourceRef | None = None

    @property
    def value(self) -> float:
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class MatchPair:
    id: str  # stable id of the left item
    left_md: str
    right: str  # plain text; right-hand sides are what the learner picks from
    where: SourceRef | None = None


@dataclass(frozen=True)
class Step:
    id: str
    text_md: str
    where: SourceRef | None = None


@dataclass(frozen=True)
class Question:
    """One gradable question (a `quiz` block, or one question of a bank)."""

    id: str
    kind: Kind
    stem_md: str
    points: float = 1.0
    shuffle: bool = True
    scoring: Scoring = Scoring.ALL_OR_NOTHING
    choices: tuple[Choice, ...] = ()
    accept_any: bool = False  # single choice: any (x) option counts as correct
    answers: tuple[TextAnswer, ...] = ()  # short answer
    case_sensitive: bool = False  # short answer, literal answers
    numeric: tuple[NumericAnswer, ...] = ()
    truth: bool | None = None  # true/false
    pairs: tuple[MatchPair, ...] = ()
    distractors: tuple[str, ...] = ()  # extra right-hand sides for matching
    steps: tuple[Step, ...] = ()  # ordering, in the correct order
    hints: tuple[str, ...] = ()
    hint_penalty: float = 0.0  # fraction of points lost per hint revealed
    explain_md: str = ""
    default_feedback_md: str = ""  # `~ feedback`: shown for any non-matching answer
    tags: tuple[str, ...] = ()
    attempts: int | None = None  # overrides the module's attempts for this quiz
    where: SourceRef | None = None

    def content_hash(self) -> str:
        """Hash of everything that affects grading; used by versioning checks."""
        h = hashlib.sha256(repr(self._grading_key()).encode())
        return h.hexdigest()[:16]

    def _grading_key(self) -> tuple[object, ...]:
        return (
            self.id,
            self.kind.value,
            self.points,
            self.scoring.value,
            self.accept_any,
            self.case_sensitive,
            tuple((c.id, c.correct) for c in self.choices),
            tuple((a.text, a.weight, a.regex, a.regex_flags) for a in self.answers),
            tuple((n.low, n.high, n.weight) for n in self.numeric),
            self.truth,
            tuple((p.id, p.right) for p in self.pairs),
            self.distractors,
            tuple(s.id for s in self.steps),
        )


@dataclass(frozen=True)
class Draw:
    """`quiz-draw`: N questions of a bank, chosen by tag, seeded per learner and attempt."""

    id: str
    bank: str  # course-relative path of the bank file
    count: int
    tags: tuple[str, ...] = ()
    points: float | None = None  # points per drawn question; None = the questions' own
    where: SourceRef | None = None


@dataclass(frozen=True)
class Module:
    """One module file: front matter plus a Markdown body with quiz and draw blocks."""

    id: str
    title: str
    path: str  # course-relative
    body_md: str  # the body after front matter, exactly as written
    body_line: int  # line number in the file where body_md starts
    minutes: int | None = None
    objectives: tuple[str, ...] = ()
    graded: bool = False
    points: float | None = None  # None: derived from the quizzes
    attempts: int = 1  # per quiz, unless a quiz overrides it; 0 means unlimited
    attempt_credit: tuple[float, ...] = ()  # fraction of points per attempt, e.g. (1, .8, .6)
    pass_score: float | None = None
    questions: tuple[Question, ...] = ()  # inline quiz blocks in order
    draws: tuple[Draw, ...] = ()  # draw blocks in order
    source_hash: str = ""  # sha256 of the file bytes

    @property
    def max_points(self) -> float:
        if self.points is not None:
            return self.points
        return sum(q.points for q in self.questions) + sum(
            (d.points or 0.0) * d.count for d in self.draws
        )


@dataclass(frozen=True)
class Bank:
    path: str
    questions: tuple[Question, ...]
    title: str = ""  # from the bank's optional front matter


@dataclass(frozen=True)
class Alignment:
    """An OB 3.0 Alignment to a skill or competency framework."""

    target_name: str
    target_url: str
    target_framework: str = ""
    target_code: str = ""
    target_type: str = ""


@dataclass(frozen=True)
class CredentialSpec:
    """What finishing the course earns: becomes an OB 3.0 Achievement."""

    name: str
    description: str
    criteria: str
    image: str = ""  # course-relative path; "" means a badge is generated
    credit_hours: float | None = None
    achievement_type: str = "MicroCredential"
    alignments: tuple[Alignment, ...] = ()
    expires_after_days: int | None = None
    human_code: str = ""
    field_of_study: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Completion:
    require: tuple[str, ...] = ()  # module ids; empty means every graded module
    min_score: float = 0.0  # 0..1, weighted by points over graded modules


@dataclass(frozen=True)
class Grading:
    passback: str = "per-module"  # "per-module" | "course"


@dataclass(frozen=True)
class Author:
    name: str
    email: str = ""
    orcid: str = ""


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    version: str
    language: str
    root: str  # absolute folder path at load time (not packaged)
    summary: str = ""
    authors: tuple[Author, ...] = ()
    license: str = ""
    modules: tuple[Module, ...] = ()
    banks: tuple[Bank, ...] = ()
    completion: Completion = field(default_factory=Completion)
    grading: Grading = field(default_factory=Grading)
    credential: CredentialSpec | None = None

    def module(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)

    def bank(self, path: str) -> Bank | None:
        return next((b for b in self.banks if b.path == path), None)


@dataclass(frozen=True)
class ProgramMember:
    course: str  # course id
    min_result: float = 0.0  # 0..1 of the course score
    required: bool = True


@dataclass(frozen=True)
class DegreeCredit:
    credit_hours: float
    level: str  # e.g. "undergraduate-lower", "undergraduate-upper", "graduate"
    institution_course: str  # the course it counts as, e.g. "DATA 101"
    grade_mode: str = "pass-fail"  # "pass-fail" | "letter" | "credit-no-credit"
    subject: str = ""


@dataclass(frozen=True)
class Program:
    """A program file: courses whose credentials stack into a certificate worth degree credit."""

    id: str
    title: str
    version: str
    path: str
    description: str = ""
    members: tuple[ProgramMember, ...] = ()
    rule: str = "all"  # "all" | "n-of"
    n_required: int | None = None  # for "n-of"
    recency_days: int | None = None  # member credentials must be earned within
    expires_after_days: int | None = None
    credit_cap: float | None = None
    certificate: CredentialSpec | None = None
    credit: DegreeCredit | None = None
