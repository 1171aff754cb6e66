"""QTI 3.0 XML helpers: Markdown copied in as QTI-namespace XHTML, and regexes as XSD patterns.

`authoring.interop.qti` builds the items; this module holds what is about XML itself.
"""

from __future__ import annotations

import re
from typing import TypeAlias

import lxml.html
import markdown
import nh3
from lxml import etree

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
_TAGS = {"p", "br", "em", "strong", "b", "i", "code", "pre", "ul", "ol", "li", "a", "img", "hr"}
_TAGS |= {"blockquote", "sub", "sup", "table", "thead", "tbody", "tr", "th", "td", "span", "div"}
_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "dl", "dt", "dd"}
_ATTRS = {"a": {"href"}, "img": {"src", "alt", "width", "height"}, "ol": {"start"}}
_ATTRS |= {"th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
Element: TypeAlias = etree._Element  # lxml's element class (no stubs here)


def qti_tag(tag: str) -> str:
    """The namespaced name of a QTI 3.0 element."""
    return f"{{{NS}}}{tag}"


# --- Markdown into QTI's XHTML ---------------------------------------------------------------


def append_md(parent: Element, md: str, *, inline: bool = False) -> None:
    """Render Markdown, sanitise it, and copy it into `parent` as QTI-namespace XHTML."""
    html = markdown.markdown(md, extensions=["tables", "fenced_code"])
    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRS, link_rel=None).strip()
    if not clean:
        return
    nodes = lxml.html.fragments_fromstring(clean)
    if inline and len(nodes) == 1 and not isinstance(nodes[0], str) and nodes[0].tag == "p":
        _add_text(parent, nodes[0].text)
        for child in nodes[0]:
            _copy(parent, child)
        return
    for node in nodes:
        if isinstance(node, str):
            _add_text(parent, node)
        else:
            _copy(parent, node)


def _add_text(parent: Element, text: str | None) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _copy(parent: Element, node: Element) -> None:
    if not isinstance(node.tag, str):  # comments, processing instructions
        _add_text(parent, node.tail)
        return
    el = etree.SubElement(parent, qti_tag(node.tag))
    for key in sorted(_ATTRS.get(node.tag, ())):
        if node.get(key) is not None:
            el.set(key, node.get(key))
    el.text = node.text
    for child in node:
        _copy(el, child)
    el.tail = node.tail


_XSD_ESCAPES = set("\\|.?*+(){}-[]^")


def xsd_pattern(pattern: str, flags: str) -> str:
    """A Python regex as an XML Schema one: anchors dropped, escapes XSD lacks resolved, and
    `i` spelled as `[aA]` classes. Lookarounds, `\\b` and lazy quantifiers have no XSD form."""
    if pattern.startswith("^"):
        pattern = pattern[1:]
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1]
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            m = re.match(r"\\[pP]\{[^}]*\}|\\.", pattern[i:], re.S)
            token = m.group(0) if m else ch
            i += len(token)
            if len(token) == 2 and not token[1].isalnum() and token[1] not in _XSD_ESCAPES:
                token = token[1]  # `\ `, `\#`, `\$`... are plain characters in XML Schema
            out.append(token)
            continue
        if "i" not in flags:
            out.append(ch)
            i += 1
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        elif ch.lower() != ch.upper():
            rng = re.match(r"([A-Za-z])-([A-Za-z])", pattern[i:]) if in_class else None
            if rng:
                lo, hi = rng.group(1), rng.group(2)
                out.append(f"{lo.lower()}-{hi.lower()}{lo.upper()}-{hi.upper()}")
                i += 3
                continue
            pair = ch.lower() + ch.upper()
            out.append(pair if in_class else f"[{pair}]")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)
