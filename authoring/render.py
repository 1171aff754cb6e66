"""Rendering: module Markdown to safe HTML, and questions to a public and a private part.

Pipeline, for a module body or a snippet (stem, option, feedback):

1. Python-Markdown, one configured instance per process (reset between documents), with tables,
   footnotes, attr_list, def_list, superfences + Pygments (CSS classes), arithmatex for KaTeX, and
   our extensions in `authoring.mdext` (callouts, media, quiz fences, math checks).
2. nh3 with the allow-list below. Whatever it removes is reported: M011 (raw HTML), M015
   (colour-only `style`), M019 (a URL scheme that is not allowed), with the source line.
3. Trusted markup that no author can write goes in only now, into slots the sanitizer kept:
   quiz placeholders `<div class="mc-quiz" data-quiz-id="ID">` and video `<figure><iframe>` whose
   `src` is built from `VIDEO_HOSTS`, never copied from the author.
4. Accessibility checks on the sanitized tree (`authoring.a11y`).

Allow-list (the sanitizer's whole policy):

- Tags (`ALLOWED_TAGS`): p br hr h1-h6 blockquote pre code kbd samp var em strong b i s del ins
  mark small sub sup abbr cite q dfn bdi bdo wbr span div ul ol li dl dt dd table caption colgroup
  col thead tbody tfoot tr th td a img figure figcaption details summary aside. Any other tag is
  dropped and its text kept.
- Dropped together with their content (`CLEAN_CONTENT_TAGS`): script style iframe frame frameset
  object embed applet svg math template noscript noembed noframes textarea select xmp.
- Attributes (`ALLOWED_ATTRIBUTES`): on every tag class id title lang dir; `a` href; `img` src alt
  width height; `ol` start reversed; `li` value; `td`/`th` colspan rowspan; `col`/`colgroup` span;
  `details` open. Restricted to fixed values (`ATTRIBUTE_VALUES`): `img` role=presentation|none,
  `aside` role=note, `th`/`td` align=left|center|right, `th` scope=col|row|colgroup|rowgroup.
  No `style`, no `on*` handlers, no `data-*`. Class names starting with `mc-` belong to the
  tool and are dropped from author markup. Links get `rel="noopener noreferrer"`, images
  `loading="lazy"`; comments are dropped silently.
- URLs in `href`/`src` (`URL_SCHEMES`): https, http, mailto, and relative URLs. Everything else
  (javascript:, data:, vbscript:, file:, ...) is removed. Relative image sources are course files:
  they are listed in `RenderedModule.assets` and rewritten through `asset_url(path)`, as are
  relative links to files that are not pages (`[slides](files/week1.pdf)`).
- Questions (`render_question`) are split in two. The public part (stem, option/left/step
  texts with their ids, right-hand sides sorted, steps sorted by id, hint count, input type) is
  all the browser gets; correct flags, accepted answers, feedback, hints and explanations are
  only in the private part, which stays on the server.
- Video hosts (`VIDEO_HOSTS`): youtube.com, youtu.be, youtube-nocookie.com ->
  `https://www.youtube-nocookie.com/embed/ID`; vimeo.com, player.vimeo.com ->
  `https://player.vimeo.com/video/ID`.
"""

from __future__ import annotations

import html as htmlmod
import logging
import re
import threading
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import nh3
from markdown import Markdown
from markdown.extensions.toc import slugify_unicode, unique
from markdown.treeprocessors import Treeprocessor

from authoring import a11y
from authoring.diagnostics import CODES, Diagnostic, sort_diagnostics
from authoring.mdext.admonitions import AdmonitionExtension
from authoring.mdext.mathblocks import MathExtension
from authoring.mdext.media import (
    EmbedBuilder,
    MediaExtension,
    asset_path,
    has_scheme,
    vimeo_embed,
    youtube_embed,
)
from authoring.mdext.quizfence import SUPERFENCES_CONFIG, QuizFenceExtension
from authoring.model import Kind, Module, NumericAnswer, Question, SourceRef, TextAnswer

log = logging.getLogger(__name__)

_TAGS = """p br hr h1 h2 h3 h4 h5 h6 blockquote pre code kbd samp var em strong b i s del ins mark
small sub sup abbr cite q dfn bdi bdo wbr span div ul ol li dl dt dd table caption colgroup col
thead tbody tfoot tr th td a img figure figcaption details summary aside"""
_CONTENT_TAGS = """script style iframe frame frameset object embed applet svg math template noscript
noembed noframes textarea select xmp"""
ALLOWED_TAGS: frozenset[str] = frozenset(_TAGS.split())
CLEAN_CONTENT_TAGS: frozenset[str] = frozenset(_CONTENT_TAGS.split())
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"class", "id", "title", "lang", "dir"}),
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "ol": frozenset({"start", "reversed"}),
    "li": frozenset({"value"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "details": frozenset({"open"}),
}
_ALIGN = frozenset({"left", "center", "right"})
ATTRIBUTE_VALUES: dict[str, dict[str, frozenset[str]]] = {
    "img": {"role": frozenset({"presentation", "none"})},
    "aside": {"role": frozenset({"note"})},
    "th": {"align": _ALIGN, "scope": frozenset({"col", "row", "colgroup", "rowgroup"})},
    "td": {"align": _ALIGN},
}
URL_SCHEMES: frozenset[str] = frozenset({"https", "http", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "src"})
VIDEO_HOSTS: dict[str, EmbedBuilder] = {
    "youtube.com": youtube_embed,
    "youtu.be": youtube_embed,
    "youtube-nocookie.com": youtube_embed,
    "vimeo.com": vimeo_embed,
    "player.vimeo.com": vimeo_embed,
}
_COLOUR_PROPS = frozenset({"color", "background", "background-color"})

AssetUrl = Callable[[str], str]
_PAGE_SUFFIXES = (".md", ".html", ".htm")


@dataclass
class _Rewrite:
    """Course files met while sanitizing: paths in order, and served URL -> URL as written."""

    asset_url: AssetUrl
    assets: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


_REWRITE: ContextVar[_Rewrite | None] = ContextVar("mc_rewrite", default=None)


def default_asset_url(path: str) -> str:
    """Course-relative path as a relative URL (what a preview next to the files needs)."""
    return quote(path)


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "class" and "mc-" in value:  # the tool's own classes: authors cannot use them
        kept = [c for c in value.split() if not c.startswith("mc-") or c.startswith("mc-slot-")]
        return " ".join(kept) or None
    rewrite = _REWRITE.get()
    if rewrite is None or (tag, attr) not in (("img", "src"), ("a", "href")):
        return value
    found = asset_path(value)
    if found is None:
        return value
    if tag == "a" and ("." not in found[0].rsplit("/", 1)[-1] or found[0].endswith(_PAGE_SUFFIXES)):
        return value  # a link to a page or a folder, not to a course file
    url = rewrite.asset_url(found[0]) + found[1]
    if has_scheme(url) not in _OK_SCHEMES:
        return None  # whatever asset_url returns, it cannot smuggle in a script URL
    rewrite.assets.append(found[0])
    rewrite.sources[url] = value
    return url


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(CLEAN_CONTENT_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    tag_attribute_values={
        t: {a: set(v) for a, v in m.items()} for t, m in ATTRIBUTE_VALUES.items()
    },
    set_tag_attribute_values={"img": {"loading": "lazy"}},
    url_schemes=set(URL_SCHEMES),
    attribute_filter=_attribute_filter,
    link_rel="noopener noreferrer",
    strip_comments=True,
)


@dataclass(frozen=True)
class Removed:
    """One thing the sanitizer took out: its code (M011/M015/M019), a message, and how to find
    it in the Markdown source: `needles` (text or patterns, tried in order) and `occurrence`,
    the index of the start tag it belongs to (problems on one tag share a line).
    An empty `code` marks a tag dropped with its parent's content: not reported, only located."""

    code: str
    message: str
    hint: str
    needles: tuple[str | re.Pattern[str], ...]
    occurrence: int


_TAG_HINT = "write Markdown; docs/authoring.md lists the HTML that is kept"
_COLOUR_HINT = "colour alone is not seen by everyone; use **strong** or a callout (WCAG 1.4.1)"


def _attr_needle(name: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(name)}\s*=", re.I)


class _RemovalScanner(HTMLParser):
    """Predicts, from the same allow-list, what nh3 removes (nh3 still does the removing).

    Raw HTML reaches the output verbatim, so a start tag's own text is the best needle."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Removed] = []
        self._skip: list[str] = []
        self._count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, void=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, void=True)

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_pi(self, data: str) -> None:
        self._count += 1
        self._add("M011", "raw HTML removed by the sanitizer: <?...?>", _TAG_HINT, f"<?{data}>")

    def _add(self, code: str, message: str, hint: str, *needles: str | re.Pattern[str]) -> None:
        self.found.append(Removed(code, message, hint, needles, self._count))

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], void: bool) -> None:
        self._count += 1
        text = self.get_starttag_text() or f"<{tag}"
        tag_re = re.compile(rf"<\s*{re.escape(tag)}\b", re.I)
        if self._skip:
            self._add("", "", "", text, tag_re)  # gone with its parent; keeps the needles in step
            if tag == self._skip[-1] and not void:
                self._skip.append(tag)
            return
        if tag in CLEAN_CONTENT_TAGS or tag not in ALLOWED_TAGS:
            colour = tag == "font" and any(k == "color" for k, _ in attrs)
            whole = " and its content" if tag in CLEAN_CONTENT_TAGS else ""
            hint = "embed videos with !video[Caption](url)" if tag == "iframe" else _TAG_HINT
            message = f"raw HTML removed by the sanitizer: <{tag}>{whole}"
            self._add(
                "M015" if colour else "M011",
                message,
                _COLOUR_HINT if colour else hint,
                text,
                tag_re,
            )
            if whole and not void:
                self._skip.append(tag)
            return
        for name, value in attrs:
            self._attribute(tag, name, value or "", text)

    def _attribute(self, tag: str, name: str, value: str, text: str) -> None:
        if name == "style":
            colour = _colour_only(value)
            kind = "colour-only emphasis" if colour else "inline CSS"
            hint = _COLOUR_HINT if colour else "style attributes are not kept; use Markdown"
            self._add(
                "M015" if colour else "M011",
                f'{kind} removed: style="{value}"',
                hint,
                text,
                _attr_needle(name),
            )
        elif not _allowed(tag, name, value):
            message = f"raw HTML removed by the sanitizer: '{name}' attribute on <{tag}>"
            self._add(
                "M011",
                message,
                "event handlers and unknown attributes are not kept",
                text,
                _attr_needle(name),
            )
        elif name in URL_ATTRIBUTES and (scheme := has_scheme(value)) and scheme not in URL_SCHEMES:
            message = f"URL scheme '{scheme}:' is not allowed ({name} of <{tag}>)"
            self._add(
                "M019",
                message,
                "use https:, http:, mailto: or a relative path",
                text,
                re.compile(rf"\(\s*<?(?P<at>{re.escape(value)})"),
                value,
                re.compile(rf"\b{re.escape(scheme)}\s*:", re.I),
            )


def _colour_only(style: str) -> bool:
    props = [d.split(":", 1)[0].strip().lower() for d in style.split(";") if d.strip()]
    return bool(props) and all(p in _COLOUR_PROPS for p in props)


_SIMPLE_TAG_RE = re.compile(r'<(/?)([a-z][a-z0-9]*)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*/?>')
_SIMPLE_ATTR_RE = re.compile(r'([a-z-]+)(?:="([^"<>]*)")?')


def _plainly_allowed(html: str) -> bool:
    """True when every tag is simple and allowed as written, so nothing can be removed.

    A quick regex pass for the common case (Markdown's own output); anything unusual is left to
    the full scanner. It only decides whether to report: nh3 cleans either way.
    """
    tags = 0
    for m in _SIMPLE_TAG_RE.finditer(html):
        tags += 1
        tag = m[2]
        if tag not in ALLOWED_TAGS:
            return False
        if m[1] or not m[3]:
            continue
        for a in _SIMPLE_ATTR_RE.finditer(m[3]):
            name, value = a[1], a[2] or ""
            if not _allowed(tag, name, value) or name == "style":
                return False
            if name in URL_ATTRIBUTES and has_scheme(htmlmod.unescape(value)) not in _OK_SCHEMES:
                return False
    return tags == html.count("<")


_OK_SCHEMES = URL_SCHEMES | {""}


def _allowed(tag: str, name: str, value: str) -> bool:
    return (
        name in ALLOWED_ATTRIBUTES["*"]
        or name in ALLOWED_ATTRIBUTES.get(tag, ())
        or value in ATTRIBUTE_VALUES.get(tag, {}).get(name, ())
    )


def sanitize(html: str, *, asset_url: AssetUrl | None = None) -> tuple[str, list[Removed]]:
    """Clean `html` with the allow-list; returns the safe HTML and what was removed.

    With `asset_url`, course files (relative image sources, relative links to files that are
    not pages such as `slides.pdf`) are rewritten to `asset_url(course-relative path)`.
    """
    return _sanitize(html, _Rewrite(asset_url) if asset_url else None)


def _sanitize(html: str, rewrite: _Rewrite | None) -> tuple[str, list[Removed]]:
    found: list[Removed] = []
    if not _plainly_allowed(html):
        scanner = _RemovalScanner()
        scanner.feed(html)
        scanner.close()
        found = scanner.found
    token = _REWRITE.set(rewrite)
    try:
        return _CLEANER.clean(html), found
    finally:
        _REWRITE.reset(token)


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
        self.md = Markdown(
            extensions=[
                "tables",
                "footnotes",
                "attr_list",
                "def_list",
                "pymdownx.superfences",
                self.callouts,
                self.math,
                self.media,
                self.quiz,
            ],
            extension_configs={
                "tables": {"use_align_attribute": True},
                "pymdownx.superfences": SUPERFENCES_CONFIG,
            },
            output_format="html",
        )
        self.headings = _Headings(self.md)
        self.md.treeprocessors.register(self.headings, "mc_headings", 5)
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


@dataclass(frozen=True)
class RenderedModule:
    """A module's student-facing HTML plus what rendering found out about it."""

    html: str
    diagnostics: tuple[Diagnostic, ...]
    assets: tuple[str, ...]  # course-relative paths the HTML references, in order, no repeats
    headings: tuple[tuple[int, str, str], ...]  # (level, text, anchor id)


@dataclass(frozen=True)
class _Rendered:
    html: str
    checked: str  # sanitized HTML before trusted embeds (what the checks read)
    removed: tuple[Removed, ...]
    issues: tuple[tuple[str, int, int, str, str], ...]
    headings: tuple[tuple[int, str, str], ...]
    assets: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]  # served URL -> URL as written


def _render(text: str, asset_url: AssetUrl) -> _Rendered:
    rewrite = _Rewrite(asset_url)
    engine = _engine()
    with engine.lock:
        raw = engine.convert(text)
        clean, removed = _sanitize(raw, rewrite)
        out = engine.media.fill(engine.quiz.fill(clean), asset_url, rewrite.assets)
        issues, headings = engine.issues(), engine.headings.headings
    return _Rendered(
        out,
        clean,
        tuple(removed),
        tuple(issues),
        tuple(headings),
        tuple(dict.fromkeys(rewrite.assets)),
        tuple(rewrite.sources.items()),
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
    diags += a11y.check_html(
        r.checked, path=path, locator=a11y.Locator(module.body_md, first), sources=dict(r.sources)
    )
    in_quiz = a11y.Locator(module.body_md, first)
    for q in module.questions:
        diags += check_question(q, path=path, locator=in_quiz)
    log.debug("rendered %s: %d diagnostics", path, len(diags))
    return RenderedModule(
        r.html, tuple(sort_diagnostics(dict.fromkeys(diags))), r.assets, r.headings
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
