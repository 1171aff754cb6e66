"""GIFT (Moodle) import and export, following Moodle's own `question/format/gift/format.php`.

Import reports Moodle's own error strings with file:line:col and codes G001-G008. Mappings:
`// [id:x]` -> quiz id (else the slug of `::Name::`, else `gift-<n>`); `// [tag:x]` and the last
segment of `$CATEGORY:` -> tags; `####` -> explain; multiple answer (no `=`) -> `multiple` with
partial scoring (Moodle always gives partial credit there); matching -> partial scoring too;
`{TRUE#wrong#right}` -> truth, `~` feedback (wrong) and the `= true # right` answer;
short answers with Moodle's `*` wildcard -> case-insensitive regex, and a lone `=%0%*#text`
-> the default feedback. Negative weights become plain wrong options. Two deliberate leniencies:
a line starting `::`, `//` or `$CATEGORY:` after a question's closing `}` starts the next question
even without a blank line, and weights may be written `%100%`.
Export writes `[markdown]` text; GIFT has no all-or-nothing multiple response or matching (Moodle
gives partial credit), no points, hints, shuffle or case setting, so those are not written.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from authoring.diagnostics import Diagnostic, DiagnosticBag
from authoring.interop.giftkinds import (
    BACK,
    BLANK,
    BRACE_ERROR,
    LEFT_BRACE_ERROR,
    MISSING_WORD,
    RIGHT_BRACE_ERROR,
    Builder,
    Cooked,
    build_matching,
    build_multichoice,
    build_numerical,
    build_short,
    build_truefalse,
    formatted,
    plain_to_markdown,
    to_md,
)
from authoring.model import (
    Question,
    SourceRef,
)

__all__ = ["MISSING_WORD", "parse_gift", "plain_to_markdown", "slugify", "write_gift"]

logger = logging.getLogger(__name__)


def slugify(text: str, max_len: int = 60) -> str:
    """A quiz-id slug (`[a-z0-9][a-z0-9-]*`) from any text; "" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-")


@dataclass
class _State:
    path: str
    bag: DiagnosticBag = field(default_factory=DiagnosticBag)
    used: set[str] = field(default_factory=set)
    category: str = ""
    count: int = 0

    def unique(self, base: str) -> str:
        cand, k = base, 2
        while cand in self.used:
            cand, k = f"{base}-{k}", k + 1
        self.used.add(cand)
        return cand


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Questions: runs of non-blank lines (see the module docstring for the one leniency)."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    opened = closed = False
    for n, line in enumerate(text.split("\n"), 1):
        t = line.strip()
        starts_new = t.startswith(("::", "//", "$CATEGORY:"))
        if not t or (closed and starts_new) or t.startswith("$CATEGORY:"):
            if current:
                blocks.append(current)
            current, opened, closed = [], False, False
            if not t:
                continue
        current.append((n, line))
        if t.startswith("$CATEGORY:"):
            blocks.append(current)
            current = []
        elif not t.startswith("//"):
            for ch in re.sub(r"\\.", "", t):
                opened = opened or ch == "{"
                closed = closed or (ch == "}" and opened)
    if current:
        blocks.append(current)
    return blocks


def parse_gift(text: str, path: str) -> tuple[list[Question], list[Diagnostic]]:
    """Questions of a GIFT file, and every problem found (nothing stops at the first)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    st = _State(path)
    questions = [q for block in _blocks(text) if (q := _parse_block(block, st)) is not None]
    return questions, st.bag.items


def _parse_block(block: list[tuple[int, str]], st: _State) -> Question | None:
    comments = " ".join(raw.strip() for _, raw in block if raw.strip().startswith("//"))
    body = [(n, raw) for n, raw in block if not raw.strip().startswith("//")]
    if not body:
        return None
    ck = Cooked(body)
    a, b = ck.strip(0, len(ck.s))
    if ck.s.startswith("$CATEGORY:", a):
        segments = [s for s in ck.s[a + 10 : b].translate(BACK).split("/") if s.strip()]
        st.category = slugify(segments[-1]) if segments else ""
        return None
    st.count += 1
    start = ck.loc(a)
    name = ""
    if ck.s.startswith("::", a):
        end = ck.s.find("::", a + 2, b)
        if end >= 0:
            name = ck.s[a + 2 : end].translate(BACK).strip()
            a, b = ck.strip(end + 2, b)
        else:
            a += 2
    id_match = re.search(r"\[id:\s*([^\]]+)\]", comments)
    base = slugify(id_match.group(1)) if id_match else ""
    qid = st.unique(base or slugify(name) or f"gift-{st.count}")
    tags = [slugify(t) for t in re.findall(r"\[tag:\s*([^\]]+)\]", comments)] + [st.category]
    common: dict[str, Any] = {
        "id": qid,
        "tags": tuple(dict.fromkeys(t for t in tags if t)),
        "where": SourceRef(st.path, *start),
    }

    def add(code: str, i: int, message: str, hint: str = "") -> None:
        st.bag.add(st.path, *ck.loc(i), code, message, hint)

    lbrace, rbrace = ck.s.find("{", a, b), ck.s.find("}", a, b)
    if lbrace < 0 and rbrace < 0:
        add("G007", a, "Description (no answers) has no equivalent here; skipped", f"id {qid}")
        return None
    if lbrace < 0:
        add("G002", rbrace, LEFT_BRACE_ERROR)
        return None
    if rbrace < 0:
        add("G002", lbrace, RIGHT_BRACE_ERROR)
        return None
    if rbrace < lbrace:
        add("G001", rbrace, BRACE_ERROR)
        return None
    at_end = ck.strip(rbrace + 1, b)[0] == b
    stem, fmt = formatted(ck.s[a:lbrace] + ("" if at_end else BLANK + ck.s[rbrace + 1 : b]))
    common["stem_md"] = stem.replace(BLANK, MISSING_WORD)
    aa, ab = ck.strip(lbrace + 1, rbrace)
    gf = ck.s.rfind("####", aa, ab)
    if gf >= 0:
        common["explain_md"] = to_md(ck.s[gf + 4 : ab], fmt)
        aa, ab = ck.strip(aa, gf)
    answer = ck.s[aa:ab]
    if not answer:
        add("G007", lbrace, "Essay questions have no equivalent here; skipped", f"id {qid}")
        return None
    builder: Builder = build_short
    if answer.startswith("#"):
        builder = build_numerical
    elif "~" in answer:
        builder = build_multichoice
    elif "=" in answer and "->" in answer:
        builder = build_matching
    elif answer.split("#", 1)[0].strip() in ("T", "TRUE", "F", "FALSE"):
        builder = build_truefalse
    return builder(ck, aa, ab, fmt, common, add)


def write_gift(questions: Sequence[Question]) -> str:
    """GIFT text for the questions (see `authoring.interop.giftexport`)."""
    from authoring.interop.giftexport import write_gift as write

    return write(questions)
