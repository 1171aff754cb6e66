"""Property: whatever an author writes, the HTML a student's browser parses carries no script.

Random and adversarial Markdown/HTML goes through `render_module`, `render_markdown`,
`render_question` and `sanitize`; the output is parsed by html5lib (a real HTML5 parser, the way a
browser would) and every element and attribute is checked.
"""

from __future__ import annotations

import re

import html5lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authoring.model import Choice, Kind, Module, Question
from authoring.render import render_markdown, render_module, render_question, sanitize

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "background", "srcset"}
FORBIDDEN_TAGS = {
    "script", "style", "svg", "math", "object", "embed", "form", "base", "meta", "link", "frame",
    "frameset", "template", "applet", "input", "button", "textarea", "select",
}  # fmt: skip
EMBED_RE = re.compile(
    r"^https://(?:www\.youtube-nocookie\.com/embed/[A-Za-z0-9_-]{11}"
    r"|player\.vimeo\.com/video/\d+(?:\?h=[0-9a-f]+)?)$"
)
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def assert_safe(html: str) -> None:
    """Parse like a browser and fail on anything that could run script or restyle the page."""
    root = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    parents = {child: parent for parent in root.iter() for child in parent}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments
        tag = local(el.tag)
        assert tag not in FORBIDDEN_TAGS, html
        if tag == "iframe":
            parent = parents.get(el)
            assert parent is not None and local(parent.tag) == "figure", html
            assert parent.get("class") == "mc-video", html
            assert EMBED_RE.match(el.get("src", "")), html
            assert set(el.attrib) == {
                "src", "title", "loading", "allowfullscreen", "allow", "referrerpolicy",
            }, html  # fmt: skip
        for raw_name, value in el.attrib.items():
            name = local(raw_name)
            assert not name.startswith("on"), html
            assert name not in ("style", "srcdoc", "formaction"), html
            if name in URL_ATTRS or raw_name.endswith("}href"):
                # what a browser's URL parser does: trim C0 controls and spaces, drop tab/newline
                squeezed = re.sub(r"[\t\n\r]", "", value.strip(_C0_AND_SPACE)).lower()
                assert not squeezed.startswith(BAD_SCHEMES), html


# --- what a hostile (or careless) author writes ------------------------------------------------


def _casing(word: str, mask: int) -> str:
    return "".join(c.upper() if mask >> i & 1 else c for i, c in enumerate(word))


_ENCODINGS = ("{c}", "&#{d};", "&#x{x};", "&#X{X}", "&#000{d};")


@st.composite
def bad_urls(draw: st.DrawFn) -> str:
    scheme = _casing(draw(st.sampled_from(["javascript", "data", "vbscript"])), draw(st.integers()))
    encoding, which = draw(st.sampled_from(_ENCODINGS)), draw(st.integers(0, 2**10))
    chars = [
        encoding.format(c=c, d=ord(c), x=f"{ord(c):x}", X=f"{ord(c):X}") if which >> i & 1 else c
        for i, c in enumerate(scheme)
    ]
    gap = draw(st.sampled_from(["", "\t", "\n", "&#9;", "&#10;"]))  # browsers drop these
    chars.insert(draw(st.integers(0, len(chars))), gap)
    colon = draw(st.sampled_from([":", "&colon;", "&#58;", "&#x3a;"]))
    lead = draw(st.sampled_from(["", " ", "\x01", "&#32;"]))
    body = draw(st.sampled_from(["alert(1)", "text/html,<script>alert(1)</script>", "msgbox(1)"]))
    return lead + "".join(chars) + colon + body


@st.composite
def url_carriers(draw: st.DrawFn) -> str:
    url = draw(bad_urls())
    plain = url.replace("\n", "").replace("&", "")  # what survives in Markdown link syntax
    return draw(
        st.sampled_from(
            [
                f'<a href="{url}">x</a>',
                f"<a href={url.replace(' ', '')}>x</a>",
                f'<img src="{url}" alt="x">',
                f'<form action="{url}"><button formaction="{url}">go</button></form>',
                f'<svg><a xlink:href="{url}"><text>t</text></a></svg>',
                f'<iframe src="{url}"></iframe>',
                f'<object data="{url}"></object>',
                f'<embed src="{url}">',
                f'<video poster="{url}"></video>',
                f"[link]({plain})",
                f"![img]({plain})",
                f"[ref][r]\n\n[r]: {plain}",
                f"<{plain}>",
                f"!video[Clip]({plain}){{captions=auto}}",
                f'<div style="background:url({url})">x</div>',
            ]
        )
    )


@st.composite
def handlers(draw: st.DrawFn) -> str:
    event = draw(st.sampled_from(["onerror", "onload", "onclick", "onmouseover"]))
    event = _casing(event, draw(st.integers()))
    tag = draw(
        st.sampled_from(["img src=x", "svg", "body", "p", "a href=#", "details open", "div"])
    )
    sep = draw(st.sampled_from([" ", "/", "\n", " \t"]))
    quote = draw(st.sampled_from(['"', "'", ""]))
    return f"<{tag}{sep}{event}={quote}alert(1){quote}>x"


FIXED = [
    "<script>alert(1)</script>",
    "<ScRiPt SRC=//evil.example/x.js></sCrIpT>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    "<style>body{display:none}</style>",
    "<STYLE>@import url(javascript:alert(1));</STYLE>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x></animate></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<div style="width: expression(alert(1))">x</div>',
    '<span style="color:red">red</span>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<textarea><script>alert(1)</script></textarea>",
    "<template><script>alert(1)</script></template>",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!-- <script>alert(1)</script> -->",
    "<!--",
    "<div><p><a href='javascript:alert(1)'",
    "<table><tr><td><script>alert(1)</script>",
    "<a href=\"https://ok.example\" onclick='x' style='x'>ok</a>",
    'Text{onclick="alert(1)" style="color:red"}',
    "## Heading {: onmouseover=alert(1) }",
    "![alt](img/a.png){onerror=alert(1)}",
    "[x](https://ok.example){onclick=alert(1)}",
    ":::note\n<script>alert(1)</script>\n:::",
    "> [!WARNING]\n> <img src=x onerror=alert(1)>",
    '!!! danger "<script>alert(1)</script>"\n    body',
    "```quiz id=q1\n? <script>alert(1)</script>\n(x) a\n```",
    "```html\n<script>alert(1)</script>\n```",
    "$$\n</span><script>alert(1)</script>\n$$",
    "$<img src=x onerror=alert(1)>$",
    "`<script>alert(1)</script>`",
    "!video[<img src=x onerror=alert(1)>](https://youtu.be/dQw4w9WgXcQ){captions=auto}",
    '!video[x" onload="alert(1)](https://vimeo.com/1){captions=x.vtt" onerror="y}',
    "[^1]\n\n[^1]: <script>alert(1)</script>",
    '<div class="mc-quiz" data-quiz-id="x" onclick="y"></div>',
    '<div class="mc-slot-000000000000-q0"></div>',
    "<details open ontoggle=alert(1)><summary>s</summary></details>",
    '<a href="  javascript:alert(1)">x</a>',
    '<img src="x.png" srcset="javascript:alert(1) 1x">',
]

fragments = st.one_of(
    st.sampled_from(FIXED),
    url_carriers(),
    handlers(),
    st.text(max_size=20),
    st.sampled_from(["\n", "\n\n", "    ", "> ", "- ", "1. ", "# ", "| a |\n|---|\n| b |", ":::"]),
)
documents = st.lists(fragments, max_size=8).map("".join)


@SETTINGS
@given(documents)
def test_rendered_modules_are_safe(body: str) -> None:
    result = render_module(Module(id="m", title="M", path="m.md", body_md=body, body_line=1))
    assert_safe(result.html)
    assert result.html.count("<iframe") <= body.count("!video[")


@SETTINGS
@given(documents)
def test_rendered_snippets_and_question_parts_are_safe(text: str) -> None:
    assert_safe(render_markdown(text))
    assert_safe(render_markdown(text, inline=True))
    q = Question(
        id="q",
        kind=Kind.SINGLE,
        stem_md=text,
        choices=(Choice("o1", text, True, text), Choice("o2", "B", False)),
        hints=(text,),
        explain_md=text,
    )
    public, private = render_question(q)
    for html in (public["stem_html"], *(o["html"] for o in public["options"])):
        assert_safe(html)
    for html in (*private["option_feedback"].values(), *private["hints_html"]):
        assert_safe(html)
    assert_safe(private["explain_html"])


@SETTINGS
@given(
    st.lists(st.one_of(st.sampled_from(FIXED), url_carriers(), handlers(), st.text()), max_size=6)
)
def test_sanitize_alone_is_safe_on_raw_html(parts: list[str]) -> None:
    clean, _ = sanitize("".join(parts))
    assert_safe(clean)
    assert "<iframe" not in clean


def test_the_checker_itself_catches_what_it_should() -> None:
    for bad in (
        "<script>x</script>",
        '<a href="jav&#x09;ascript:x">x</a>',
        '<img src=" data:image/png,x">',
        '<p onclick="x">x</p>',
        '<p style="color:red">x</p>',
        '<svg><a xlink:href="javascript:x">x</a></svg>',
        '<iframe src="https://evil.example"></iframe>',
    ):
        try:
            assert_safe(bad)
        except AssertionError:
            continue
        raise AssertionError(f"assert_safe let {bad!r} through")
