"""Module and bank files: front matter, quiz blocks, draws and the images a body shows.

Each parser takes a decoded file and reports problems into a bag; the loader caches the result
per file, so a reload parses only the files that changed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import unquote

from authoring.coursefile import slug_field
from authoring.diagnostics import DiagnosticBag
from authoring.fsutil import TextFile, has_url_scheme
from authoring.model import Bank, Draw, Module, SourceRef
from authoring.quiz import scan_markdown
from authoring.validate import ImageRef, SourceMap, draw_candidates
from authoring.yamlpos import MODULE_CODES, Fields, YamlDoc, root_fields, scalar_text

_IMAGE = re.compile(
    r"!\[([^\]]*)\]\(\s*(<[^>]*>|[^\s)]*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)(\{[^}]*\})?"
)
_CODE_SPAN = re.compile(r"(`+).+?\1")
_SLUG_WHAT = "a slug of lower-case letters, digits and '-'"


def _front_matter(
    text: str, rel: str, bag: DiagnosticBag, required: bool
) -> tuple[Fields | None, int, bool]:
    """(fields, body's first index, usable): M001 when not closed, M002 when required and absent."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        if required:
            bag.add(
                rel,
                1,
                1,
                "M002",
                "module has no front matter with 'id' and 'title'",
                "start the file with '---', 'id: ...', 'title: ...' and '---'",
            )
        return None, 0, True
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        bag.add(rel, 1, 1, "M001", "front matter is not closed", "end it with a line '---'")
        return None, 0, False
    doc = YamlDoc(rel, bag, MODULE_CODES, first_line=2)
    return root_fields(doc, "\n".join(lines[1:end]), "front matter"), end + 1, True


def parse_module(
    file: TextFile, bag: DiagnosticBag, sources: SourceMap, banks: dict[str, Bank]
) -> Module | None:
    """One module file: front matter, quizzes, draws; images recorded for validate (M006 here).

    Its field positions go to `sources.refs`, its local images to `sources.images`.
    """
    rel = file.rel
    fields, start, usable = _front_matter(file.text, rel, bag, required=True)
    if not usable:
        return None
    lines = file.text.split("\n")
    body = "\n".join(lines[start:])
    scan = scan_markdown(body, rel, start + 1, bag)
    _scan_images(scan.image_lines, rel, bag, sources)
    if fields is None:
        return None
    module_id = slug_field(fields, "id")
    title = fields.text("title", required=True)
    for key in ("id", "points", "graded"):
        sources.refs[f"{rel}#{key}"] = SourceRef(rel, *fields.key_pos(key))
    credit = []
    for i, node in fields.items("attempt_credit"):
        text = scalar_text(node)
        if text is None or not _is_fraction(text):
            fields.wrong(f"attempt_credit[{i}]", node, "a number from 0 to 1")
        else:
            credit.append(float(text))
    module = Module(
        id=module_id,
        title=title,
        path=rel,
        body_md=body,
        body_line=start + 1,
        minutes=fields.integer("minutes", minimum=0),
        objectives=tuple(fields.str_list("objectives", allow_one=True)),
        graded=bool(fields.flag("graded")),
        points=fields.number("points", low=0),
        attempts=_default(fields.integer("attempts", minimum=0), 1),
        attempt_credit=tuple(credit),
        pass_score=fields.number("pass_score", low=0, high=1),
        questions=tuple(scan.questions),
        draws=tuple(_draw_points(d, banks) for d in scan.draws),
        source_hash=file.sha256,
    )
    fields.finish()
    return module if module_id else None


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def _is_fraction(text: str) -> bool:
    try:
        return 0 <= float(text) <= 1
    except ValueError:
        return False


def _draw_points(draw: Draw, banks: dict[str, Bank]) -> Draw:
    """Give a draw without points= the points its questions share, so Module.max_points is right."""
    bank = banks.get(draw.bank)
    if draw.points is not None or bank is None:
        return draw
    worths = {q.points for q in draw_candidates(bank, draw)}
    return replace(draw, points=worths.pop()) if len(worths) == 1 else draw


def _scan_images(
    image_lines: list[tuple[int, str]], rel: str, bag: DiagnosticBag, sources: SourceMap
) -> None:
    """M006 for images without alt text; local image targets go to `sources` for M005."""
    for line, text in image_lines:
        if "`" in text:  # an image inside a code span is an example, not an image
            text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), text)
        for match in _IMAGE.finditer(text):
            alt, target, attrs = match.group(1), match.group(2).strip("<>"), match.group(3) or ""
            column = match.start() + 1
            if not alt.strip() and "decorative" not in attrs:
                bag.add(
                    rel,
                    line,
                    column,
                    "M006",
                    f"image '{target}' has no alt text",
                    # the same words as authoring.a11y, so `check` prints the problem once
                    "describe it in the brackets, ![what it shows](...), or mark it "
                    "![](...){decorative} (WCAG 1.1.1)",
                )
            if target and not has_url_scheme(target) and not target.startswith("#"):
                path = re.split(r"[?#]", target, maxsplit=1)[0]
                sources.images.append(ImageRef(rel, line, column, unquote(path)))


def parse_bank(file: TextFile, bag: DiagnosticBag) -> Bank | None:
    """A bank file: optional front matter (title), quiz blocks; prose between them is ignored."""
    rel = file.rel
    fields, start, usable = _front_matter(file.text, rel, bag, required=False)
    if not usable:
        return None
    title = ""
    if fields is not None:
        title = fields.text("title")
        fields.finish()
    body = "\n".join(file.text.split("\n")[start:])
    scan = scan_markdown(body, rel, start + 1, bag)
    for draw in scan.draws:
        assert draw.where is not None
        bag.add(
            rel,
            draw.where.line,
            draw.where.column,
            "B001",
            "a bank cannot draw from a bank",
            "move the quiz-draw block into a module",
        )
    return Bank(rel, tuple(scan.questions), title)
