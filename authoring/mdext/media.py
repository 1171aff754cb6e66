"""Media: video embeds from allowlisted hosts, decorative images, course asset paths.

`!video[Caption](url){captions=path|auto}` on a line of its own becomes a slot that `fill` replaces,
after sanitizing, by a `<figure>` with an `<iframe title="Caption">` whose `src` is built here from
the video id (never copied from the author's URL). The host allowlist is passed in by
`authoring.render` (`VIDEO_HOSTS`). Other hosts, or an embed without captions, are M009.
`![](img/x.png){decorative}` becomes `alt="" role="presentation"`.
"""

from __future__ import annotations

import html
import posixpath
import re
import secrets
import xml.etree.ElementTree as etree
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from authoring.mdext.quizfence import fence_mask, register_slot_unwrap

EmbedBuilder = Callable[[SplitResult], "str | None"]

_VIDEO_RE = re.compile(
    r"^(?P<prefix>[ \t>]*)!video\[(?P<caption>[^\]]*)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))*)\)"
    r"(?:\{(?P<attrs>[^}]*)\})?[ \t]*$"
)
_CAPTIONS_RE = re.compile(r"""(?:^|\s)captions=(?:"(?P<q>[^"]*)"|(?P<bare>[^\s"]+))""")
_SLOT_RE = re.compile(r'<div class="mc-slot-(?P<nonce>[0-9a-f]{12})-v(?P<n>\d+)">\s*</div>')
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_URL_NOISE_RE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def youtube_embed(url: SplitResult) -> str | None:
    """youtube.com/watch?v=ID, /embed/ID, /shorts/ID, /live/ID, youtu.be/ID -> nocookie embed."""
    parts = [p for p in url.path.split("/") if p]
    if url.hostname == "youtu.be":
        vid = parts[0] if parts else ""
    elif parts[:1] == ["watch"]:
        vid = (parse_qs(url.query).get("v") or [""])[0]
    elif len(parts) >= 2 and parts[0] in ("embed", "shorts", "live", "v"):
        vid = parts[1]
    else:
        return None
    return f"https://www.youtube-nocookie.com/embed/{vid}" if _YOUTUBE_ID.fullmatch(vid) else None


def vimeo_embed(url: SplitResult) -> str | None:
    """vimeo.com/ID[/HASH], player.vimeo.com/video/ID -> player.vimeo.com/video/ID."""
    parts = [p for p in url.path.split("/") if p]
    if url.hostname == "player.vimeo.com":
        parts = parts[1:] if parts[:1] == ["video"] else []
    if not parts or not parts[0].isdigit():
        return None
    embed = f"https://player.vimeo.com/video/{parts[0]}"
    if len(parts) > 1 and re.fullmatch(r"[0-9a-f]{6,20}", parts[1]):
        embed += f"?h={parts[1]}"  # unlisted videos need their hash
    return embed


def has_scheme(url: str) -> str:
    """The lower-case scheme a browser would see in `url` (tabs/newlines ignored), or ""."""
    m = _SCHEME_RE.match(_URL_NOISE_RE.sub("", url).strip(_C0_AND_SPACE))
    return m[0][:-1].lower() if m else ""


def asset_path(url: str) -> tuple[str, str] | None:
    """(course-relative path, "?query#fragment" suffix) for a relative file URL, else None."""
    if not url or has_scheme(url) or url.startswith(("/", "#", "?", "\\")):
        return None
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    path = posixpath.normpath(unquote(url[:cut]))
    if path in (".", "..") or path.startswith(("../", "/", "\\")) or has_scheme(path):
        return None
    return path, url[cut:]


class _VideoPreprocessor(Preprocessor):
    def __init__(self, md: Markdown, ext: MediaExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, lines: list[str]) -> list[str]:
        if not any("!video[" in ln for ln in lines):
            return lines
        mask = fence_mask(lines)
        out: list[str] = []
        for i, line in enumerate(lines):
            m = None if mask[i] else _VIDEO_RE.match(line)
            if m is None:
                out.append(line)
                continue
            blank = m["prefix"].rstrip() if ">" in m["prefix"] else ""
            out.extend([blank, m["prefix"] + self.md.htmlStash.store(self.ext.video(i, m)), blank])
        return out


class _DecorativeImages(Treeprocessor):
    """`{decorative}` (via attr_list) -> empty alt and role="presentation"."""

    def run(self, root: etree.Element) -> None:
        for img in root.iter("img"):
            if "decorative" in img.attrib:
                del img.attrib["decorative"]
                img.set("alt", "")
                img.set("role", "presentation")


class MediaExtension(Extension):
    """Videos and images. Config: `video_hosts` maps host name to an embed URL builder."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {"video_hosts": [{}, "host name -> embed URL builder"]}
        super().__init__(**kwargs)
        self.issues: list[tuple[str, int, int, str, str]] = []
        self.videos: list[tuple[str, str, str]] = []  # (embed URL, caption, captions path or "")
        self.nonce = ""
        self.reset()

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.register(_VideoPreprocessor(md, self), "mc_video", 29.7)
        md.treeprocessors.register(_DecorativeImages(md), "mc_decorative", 6)
        register_slot_unwrap(md)

    def reset(self) -> None:
        """Forget the previous document (Markdown.reset() calls this)."""
        self.issues = []
        self.videos = []
        self.nonce = secrets.token_hex(6)

    def video(self, line_index: int, m: re.Match[str]) -> str:
        """Markup to stash for one `!video` line: a slot, or a plain link when not embeddable."""
        caption, url = m["caption"].strip(), m["url"]
        hosts: Mapping[str, EmbedBuilder] = self.getConfig("video_hosts")
        try:
            parsed = urlsplit(url)
        except ValueError:
            parsed = urlsplit("")
        host = (parsed.hostname or "").removeprefix("www.").removeprefix("m.")
        builder = hosts.get(host) if parsed.scheme in ("http", "https") else None
        embed = builder(parsed) if builder else None
        if builder is None:
            self._report(
                line_index,
                f"video host '{host or url}' is not allowed",
                "allowed hosts: " + ", ".join(sorted(hosts)),
            )
        elif embed is None:
            self._report(line_index, f"cannot find the video id in '{url}'")
        if embed is None:
            text = html.escape(caption or url)
            return f'<p><a href="{html.escape(url, quote=True)}">{text}</a></p>'
        cm = _CAPTIONS_RE.search(m["attrs"] or "")
        captions = (cm["q"] if cm["q"] is not None else cm["bare"]) if cm else ""
        if not captions:
            self._report(
                line_index,
                "video has no captions",
                "add {captions=path/to/file.vtt} or {captions=auto} (WCAG 1.2.2)",
            )
        if not caption:
            self._report(
                line_index,
                "video has no caption text to name it for screen readers",
                "write the caption between the brackets: !video[Caption](url)",
            )
        self.videos.append((embed, caption or "Video", captions if captions != "auto" else ""))
        return f'<div class="mc-slot-{self.nonce}-v{len(self.videos) - 1}"></div>'

    def _report(self, line_index: int, message: str, hint: str = "") -> None:
        self.issues.append(("M009", line_index, 1, message, hint))

    def fill(self, text: str, asset_url: Callable[[str], str], assets: list[str]) -> str:
        """Replace the surviving slots by the trusted `<figure>`; captions files join `assets`."""
        if not self.videos:
            return text

        def figure(m: re.Match[str]) -> str:
            index = int(m["n"])
            if m["nonce"] != self.nonce or index >= len(self.videos):
                return ""
            embed, caption, captions = self.videos[index]
            title = html.escape(caption, quote=True)
            extra = ""
            found = asset_path(captions) if captions else None
            url = asset_url(found[0]) + found[1] if found else ""
            if found and has_scheme(url) in ("", "http", "https"):
                assets.append(found[0])
                href = html.escape(url, quote=True)
                extra = f' <a class="mc-captions" href="{href}">Captions (WebVTT)</a>'
            return (
                f'<figure class="mc-video"><iframe src="{html.escape(embed, quote=True)}" '
                f'title="{title}" loading="lazy" allowfullscreen '
                'allow="encrypted-media; fullscreen; picture-in-picture" '
                'referrerpolicy="strict-origin-when-cross-origin"></iframe>'
                f"<figcaption>{html.escape(caption)}{extra}</figcaption></figure>"
            )

        return _SLOT_RE.sub(figure, text)
