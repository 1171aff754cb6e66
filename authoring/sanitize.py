"""The sanitizer: nh3 with a documented allow-list, and a report of what it removed.

Whatever it removes is reported: M011 (raw HTML), M015 (colour-only `style`), M019 (a URL scheme
that is not allowed). Allow-list (the sanitizer's whole policy):

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
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import quote

import nh3

from authoring.mdext.media import EmbedBuilder, asset_path, has_scheme, vimeo_embed, youtube_embed

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
class Rewrite:
    """Course files met while sanitizing: paths in order, and served URL -> URL as written."""

    asset_url: AssetUrl
    assets: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # linked course file -> URL as written


_REWRITE: ContextVar[Rewrite | None] = ContextVar("mc_rewrite", default=None)


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
    if tag == "a":
        rewrite.links.setdefault(found[0], value)
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

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """`<![CDATA[...]]>` and other `<![` declarations are not HTML, and the stdlib parser
        fails on malformed ones: skip to the next `>` (nh3 drops them anyway)."""
        end = self.rawdata.find(">", i + 3)
        return -1 if end < 0 else end + 1

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
    found = _SIMPLE_TAG_RE.findall(html)  # (slash, name, attributes) per tag
    for closing, tag, attributes in set(found):  # each distinct tag once: most repeat
        if tag not in ALLOWED_TAGS:
            return False
        if closing or not attributes:
            continue
        if not _attributes_plain(tag, attributes):
            return False
    return len(found) == html.count("<")


@lru_cache(maxsize=4096)
def _attributes_plain(tag: str, attributes: str) -> bool:
    """Every attribute allowed as written (cached: highlighted code repeats a few dozen)."""
    for a in _SIMPLE_ATTR_RE.finditer(attributes):
        name, value = a[1], a[2] or ""
        if not _allowed(tag, name, value) or name == "style":
            return False
        if name in URL_ATTRIBUTES and has_scheme(htmlmod.unescape(value)) not in _OK_SCHEMES:
            return False
    return True


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
    return sanitize_with(html, Rewrite(asset_url) if asset_url else None)


def sanitize_with(html: str, rewrite: Rewrite | None) -> tuple[str, list[Removed]]:
    """`sanitize` with the asset rewriting of one render (None: URLs are kept as written)."""
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
