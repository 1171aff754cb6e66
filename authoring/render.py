"""Rendering: module Markdown to safe HTML, and questions to a public and a private part.

Pipeline, for a module body or a snippet (stem, option, feedback):

1. Python-Markdown, one configured instance per process (reset between documents), with tables,
   footnotes, attr_list, def_list, superfences + Pygments (CSS classes), arithmatex for KaTeX, and
   our extensions in `authoring.mdext` (callouts, media, quiz fences, math checks, and an inline
   processor that tries a pattern only on text that can match it: same HTML, a third faster).
2. nh3 with the allow-list of `authoring.sanitize`. What it removes is reported: M011 (raw
   HTML), M015 (colour-only `style`), M019 (a URL scheme that is not allowed), with its line;
   so is raw HTML left open (M020, `authoring.rawhtml`), which Markdown's output shows.
3. Trusted markup that no author can write goes in only now, into slots the sanitizer kept:
   quiz placeholders `<div class="mc-quiz" data-quiz-id="ID">` and video `<figure><iframe>` whose
   `src` is built from `VIDEO_HOSTS`, never copied from the author.
4. Accessibility checks on the sanitized tree (`authoring.a11y`).
"""

from __future__ import annotations

import html as htmlmod
import logging
import re
import threading
import xml.etree.ElementTree as etree
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from markdown import Markdown
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import slugify_unicode, unique
from markdown.treeprocessors import Treeprocessor
from pymdownx.superfences import SuperFencesCodeExtension

from authoring import a11y
from authoring.diagnostics import CODES, Diagnostic, sort_diagnostics
from authoring.mdext.admonitions import AdmonitionExtension
from authoring.mdext.fastcore import FastMarkdown
from authoring.mdext.fastinline import FastInlineExtension
from authoring.mdext.mathblocks import MathExtension
from authoring.mdext.media import MediaExtension
from authoring.mdext.quizfence import SUPERFENCES_CONFIG, QuizFenceExtension
from authoring.model import Kind, Module, NumericAnswer, Question, SourceRef, TextAnswer
from authoring.rawhtml import SOURCE_TAG_RE, Unclosed, register_open_tag_scan, report_unclosed
from authoring.sanitize import (
    VIDEO_HOSTS,
    AssetUrl,
    Removed,
    Rewrite,
    default_asset_url,
    sanitize,
    sanitize_with,
)

# Removed, sanitize and default_asset_url live in authoring.sanitize.
__all__ = ["Removed", "RenderedModule", "check_question", "default_asset_url", "question_assets"]
__all__ += ["render_markdown", "render_module", "render_question", "sanitize", "warm"]

log = logging.getLogger(__name__)


class _Headings(Treeprocessor):
    """Gives every heading a unique id (an author's `{#id}` wins) and records the outline."""

    def __init__(self, md: Markdown) -> None:
        super().__init__(md)
        self.headings: list[tuple[int, str, str]] = []

    def run(self, root: etree.Element) -> None:
        self.headings = []
        used = {el.get("id", "") for el in root.iter() if el.get("id")}
        for el in root.iter():
            level = _LEVELS.get(el.tag) if isinstance(el.tag, str) else None
            if level is None:
                continue
            text = " ".join(_STASHED_RE.sub("", "".join(el.itertext())).split())
            anchor = el.get("id") or unique(slugify_unicode(text, "-") or "section", used)
            el.set("id", anchor)
            used.add(anchor)
            self.headings.append((level, text, anchor))


_LEVELS = {f"h{n}": n for n in range(1, 7)}
_STASHED_RE = re.compile("\x02[^\x03]*\x03")


class _Engine:
    """The process's one Markdown instance and its extensions, used under a lock."""

    def __init__(self) -> None:
        self.callouts = AdmonitionExtension()
        self.math = MathExtension()
        self.media = MediaExtension(video_hosts=VIDEO_HOSTS)
        self.quiz = QuizFenceExtension()
        self.md = FastMarkdown(
            # instances, not names: a name makes Markdown scan every installed package's entry
            # points, which costs a build more than rendering ten modules
            extensions=[
                TableExtension(use_align_attribute=True),
                FootnoteExtension(),
                AttrListExtension(),
                DefListExtension(),
                SuperFencesCodeExtension(**SUPERFENCES_CONFIG),
                self.callouts,
                self.math,
                self.media,
                self.quiz,
                FastInlineExtension(),
            ],
            output_format="html",
        )
        self.headings = _Headings(self.md)
        self.md.treeprocessors.register(self.headings, "mc_headings", 5)
        self.open_tags = register_open_tag_scan(self.md)
        self.lock = threading.Lock()

    def convert(self, text: str) -> str:
        self.md.reset()
        return self.md.convert(text)

    def issues(self) -> list[tuple[str, int, int, str, str]]:
        return self.callouts.issues + self.math.issues + self.media.issues


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> _Engine:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE


def warm() -> None:
    """Build the Markdown engine now (a build does this before it starts worker processes)."""
    _engine()


@dataclass(frozen=True)
class RenderedModule:
    """A module's student-facing HTML plus what rendering found out about it."""

    html: str
    diagnostics: tuple[Diagnostic, ...]
    assets: tuple[str, ...]  # course-relative paths the HTML references, in order, no repeats
    headings: tuple[tuple[int, str, str], ...]  # (level, text, anchor id)
    links: tuple[tuple[str, str], ...] = ()  # linked course files: (path, URL as written)


@dataclass(frozen=True)
class _Rendered:
    html: str
    checked: str  # sanitized HTML before trusted embeds (what the checks read)
    removed: tuple[Removed, ...]
    issues: tuple[tuple[str, int, int, str, str], ...]
    headings: tuple[tuple[int, str, str], ...]
    assets: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]  # served URL -> URL as written
    links: tuple[tuple[str, str], ...] = ()  # linked course files: (path, URL as written)
    unclosed: tuple[Unclosed, ...] = ()  # raw HTML left open (M020)


def _render(text: str, asset_url: AssetUrl) -> _Rendered:
    rewrite = Rewrite(asset_url)
    engine = _engine()
    with engine.lock:
        # no start tag in the source, nothing left open: the scan is skipped
        engine.open_tags.enabled = SOURCE_TAG_RE.search(text) is not None
        raw = engine.convert(text)
        clean, removed = sanitize_with(raw, rewrite)
        out = engine.media.fill(engine.quiz.fill(clean), asset_url, rewrite.assets)
        issues, headings = engine.issues(), engine.headings.headings
        unclosed = engine.open_tags.found
    return _Rendered(
        out,
        clean,
        tuple(removed),
        tuple(issues),
        tuple(headings),
        tuple(dict.fromkeys(rewrite.assets)),
        tuple(rewrite.sources.items()),
        tuple(rewrite.links.items()),
        tuple(unclosed),
    )


def render_module(module: Module, *, asset_url: AssetUrl = default_asset_url) -> RenderedModule:
    """Render a module body to student-safe HTML, with every rendering diagnostic at its place.

    Quiz blocks become empty placeholders; the Markdown inside the module's questions is
    checked here too (`check_question`) but rendered only by `render_question`.
    """
    r = _render(module.body_md, asset_url)
    path, first = module.path, module.body_line
    diags = [
        Diagnostic(path, first + index, column, CODES[code], code, message, hint)
        for code, index, column, message, hint in r.issues
    ]
    locator = a11y.Locator(module.body_md, first)
    places: dict[int, tuple[int, int]] = {}  # problems on one tag share its place
    for item in r.removed:
        if item.occurrence not in places:
            places[item.occurrence] = locator.position(*item.needles)
        if item.code:
            line, column = places[item.occurrence]
            diags.append(
                Diagnostic(path, line, column, CODES[item.code], item.code, item.message, item.hint)
            )
    diags += report_unclosed(r.unclosed, module.body_md, first, path)
    diags += a11y.check_html(
        r.checked, path=path, locator=a11y.Locator(module.body_md, first), sources=dict(r.sources)
    )
    in_quiz = a11y.Locator(module.body_md, first)
    for q in module.questions:
        diags += check_question(q, path=path, locator=in_quiz)
    log.debug("rendered %s: %d diagnostics", path, len(diags))
    return RenderedModule(
        r.html, tuple(sort_diagnostics(dict.fromkeys(diags))), r.assets, r.headings, r.links
    )


_PLAIN_RE = re.compile(r"[^\x00-\x1f\x7f-\x9f\\`*_\[\]<>&$~{}]*")
_LEADING_RE = re.compile(r"[#>+=-]|\d+[.)]")
_SPAN = r"[^*\s`](?:[^*`]*[^*\s`])?"
_SIMPLE_INLINE_RE = re.compile(
    rf"(?<![*`])(?:\*\*(?P<strong>{_SPAN})\*\*|\*(?P<em>{_SPAN})\*"
    r"|`(?P<code>[^`\s\x00-\x1f\x7f-\x9f](?:[^`\x00-\x1f\x7f-\x9f]*[^`\s\x00-\x1f\x7f-\x9f])?)`)"
    r"(?![*`])"
)


def _esc(text: str) -> str:
    """Text escaped exactly as nh3 serializes it."""
    return htmlmod.escape(text, quote=False).replace("\xa0", "&nbsp;")


def _fast_path(text: str, inline: bool) -> str | None:
    """HTML for one line of plain text with at most simple `**strong**`, `*em*` and `` `code` ``,
    built without running Markdown; None when the text needs the real renderer."""
    if not text:
        return ""
    if _LEADING_RE.match(text) or text != text.strip() or "\n" in text:
        return None
    out: list[str] = []
    pos = 0
    for m in _SIMPLE_INLINE_RE.finditer(text):
        between = text[pos : m.start()]
        inner = m["strong"] or m["em"]
        if not _PLAIN_RE.fullmatch(between) or (inner and not _PLAIN_RE.fullmatch(inner)):
            return None
        out.append(_esc(between))
        if m["strong"]:
            out.append(f"<strong>{_esc(inner)}</strong>")
        elif m["em"]:
            out.append(f"<em>{_esc(inner)}</em>")
        else:
            out.append(f"<code>{_esc(m['code'])}</code>")
        pos = m.end()
    if not _PLAIN_RE.fullmatch(text, pos):
        return None
    out.append(_esc(text[pos:]))
    body = "".join(out)
    return body if inline else f"<p>{body}</p>"


@lru_cache(maxsize=16384)
def _snippet(text: str, inline: bool, asset_url: AssetUrl) -> _Rendered:
    fast = _fast_path(text, inline)
    if fast is not None:
        return _Rendered(fast, fast, (), (), (), (), ())
    r = _render(text, asset_url)
    out = r.html.strip()
    if inline and out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return replace(r, html=out)


def render_markdown(
    text: str, *, inline: bool = False, asset_url: AssetUrl = default_asset_url
) -> str:
    """Sanitized HTML for a snippet (stem, option, feedback); `inline` drops a lone `<p>`."""
    return _snippet(text, inline, asset_url).html


@lru_cache(maxsize=16384)
def _snippet_findings(text: str, inline: bool) -> tuple[a11y.Finding, ...]:
    r = _snippet(text, inline, default_asset_url)
    if not (r.removed or r.issues or any(t in r.checked for t in ("<a", "<img", "<table"))):
        return ()
    found = [a11y.Finding(code, message, hint) for code, _i, _c, message, hint in r.issues]
    found += [a11y.Finding(i.code, i.message, i.hint, i.needles) for i in r.removed if i.code]
    found += a11y.find_problems(r.checked, sources=dict(r.sources), headings=False)
    return tuple(found)


def _question_texts(q: Question) -> Iterator[tuple[str, SourceRef | None, bool]]:
    """Every Markdown text of a question with where it was written and whether it is inline."""
    yield q.stem_md, q.where, False
    for c in q.choices:
        yield c.text_md, c.where or q.where, True
        yield c.feedback_md, c.where or q.where, False
    answers: tuple[TextAnswer | NumericAnswer, ...] = (*q.answers, *q.numeric)
    for a in answers:
        yield a.feedback_md, a.where or q.where, False
    for p in q.pairs:
        yield p.left_md, p.where or q.where, True
    for s in q.steps:
        yield s.text_md, s.where or q.where, True
    for text in (*q.hints, q.explain_md, q.default_feedback_md):
        yield text, q.where, False


def check_question(
    q: Question, *, path: str = "", locator: a11y.Locator | None = None
) -> tuple[Diagnostic, ...]:
    """Rendering diagnostics (M006-M019) for the Markdown inside one question.

    With the `locator` of the file the question sits in, each problem is found in the quiz block
    (line and column); otherwise it is put on the line of the part it was found in.
    """
    out: dict[Diagnostic, None] = {}
    if locator is not None and q.where is not None and q.where.path not in ("", path):
        locator = None  # a bank question: the locator reads another file
    for text, where, inline in _question_texts(q):
        if not text:
            continue
        file = (where.path if where else "") or path
        line = where.line if where else 1
        for f in _snippet_findings(text, inline):
            at = (line, 1)
            if locator is not None and f.needles:
                at = locator.position(*f.needles, start_line=line, in_quiz=True, fallback=line)
            out[Diagnostic(file, *at, CODES[f.code], f.code, f.message, f.hint)] = None
    return tuple(out)


def question_assets(q: Question) -> tuple[str, ...]:
    """Course files (images, linked files) the Markdown of a question refers to, in order."""
    found: dict[str, None] = {}
    for text, _where, inline in _question_texts(q):
        if text:
            found.update(dict.fromkeys(_snippet(text, inline, default_asset_url).assets))
    return tuple(found)


_INPUTS = {
    Kind.SINGLE: "radio",
    Kind.MULTIPLE: "checkbox",
    Kind.TRUEFALSE: "radio",
    Kind.SHORT: "text",
    Kind.NUMERIC: "number",
    Kind.MATCHING: "select",
    Kind.ORDERING: "order",
}


def render_question(
    q: Question, *, asset_url: AssetUrl = default_asset_url
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public, private) parts of a question.

    public goes to the browser: text to show and ids to answer with, nothing that tells which
    answer is right (no correct flags, no accepted answers, no feedback, no hints).
    private stays on the server: feedback per option/answer, hints, explanation.
    """

    def md(text: str, inline: bool = False) -> str:
        return render_markdown(text, inline=inline, asset_url=asset_url) if text else ""

    public: dict[str, Any] = {
        "id": q.id,
        "kind": q.kind.value,
        "points": q.points,
        "stem_html": md(q.stem_md),
        "shuffle": q.shuffle,
        "hint_count": len(q.hints),
        "input": _INPUTS[q.kind],
    }
    if q.kind in (Kind.SINGLE, Kind.MULTIPLE):
        public["options"] = [{"id": c.id, "html": md(c.text_md, True)} for c in q.choices]
    elif q.kind is Kind.TRUEFALSE:
        public["options"] = [{"id": "true", "html": "True"}, {"id": "false", "html": "False"}]
    elif q.kind is Kind.MATCHING:
        public["lefts"] = [{"id": p.id, "html": md(p.left_md, True)} for p in q.pairs]
        public["rights"] = sorted({p.right for p in q.pairs} | set(q.distractors))
    elif q.kind is Kind.ORDERING:
        steps = sorted(q.steps, key=lambda s: s.id)
        public["steps"] = [{"id": s.id, "html": md(s.text_md, True)} for s in steps]
    private: dict[str, Any] = {
        "id": q.id,
        "option_feedback": {c.id: md(c.feedback_md) for c in q.choices if c.feedback_md},
        "hints_html": [md(h) for h in q.hints],
        "explain_html": md(q.explain_md),
        "default_feedback_html": md(q.default_feedback_md),
        "answer_feedback_html": [md(a.feedback_md) for a in q.answers]
        + [md(a.feedback_md) for a in q.numeric],
    }
    return public, private
