"""QTI 3.0 export: one `qti-assessment-item` per question plus `imsmanifest.xml`, zipped.

Scores are fractions 0..1 (`SCORE`, with `MAXSCORE` 1); points stay in the course.
- single / true-false: choice interaction, `match_correct` (accept=any: a mapping, `map_response`).
- multiple: `match_correct`, or for partial scoring a mapping of +1/n per correct and -1/n per
  wrong option bounded to 0..1 with `map_response`: exactly our right-minus-wrong rule.
- short: text entry with a `qti-mapping` (case as the question says) and `map_response`; with
  regex answers, custom processing: `qti-pattern-match` (XML Schema regexes match the whole
  string, like our full match; `/i` is rewritten as `[aA]` classes) and `qti-string-match`.
- numeric: text entry with base-type float; custom processing tries the answers by weight, each
  as `qti-gte`/`qti-lte` on the inclusive bounds (value ± tolerance and ranges alike): exact
  bounds, no reliance on `tolerance-mode` (which some players lack).
- matching: match interaction of directed pairs; `match_correct` or a mapping of 1/n per pair.
- ordering: order interaction; `match_correct`, or for partial scoring custom processing that
  adds 1/(n-1) per adjacent pair found with `qti-contains` on an ordered sub-sequence.
Feedback, hints and explanations are not exported. Output bytes are deterministic.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import zipfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from lxml import etree

from authoring.interop.qtixml import NS, Element, append_md, qti_tag, xsd_pattern
from authoring.model import Kind, Question, Scoring

__all__ = ["NS", "export_qti", "item_identifier", "item_xml", "manifest_xml"]

logger = logging.getLogger(__name__)

XSI = "http://www.w3.org/2001/XMLSchema-instance"
ITEM_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
CP_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
RP_TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
ITEM_TYPE = "imsqti_item_xmlv3p0"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def item_identifier(question_id: str) -> str:
    """The QTI identifier of a question: `q-` + its id (identifiers may not start with digits)."""
    return f"q-{question_id}"


def _sub(parent: Element, tag: str, text: str | None = None, **attrs: str) -> Element:
    el = etree.SubElement(parent, qti_tag(tag), {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else format(Decimal(repr(float(x))), "f")


# --- response declarations and processing ----------------------------------------------------


def _declare(root: Element, cardinality: str, base_type: str, correct: Sequence[str]) -> Element:
    decl = _sub(root, "qti-response-declaration", identifier="RESPONSE")
    decl.set("cardinality", cardinality)
    decl.set("base-type", base_type)
    if correct:
        box = _sub(decl, "qti-correct-response")
        for value in correct:
            _sub(box, "qti-value", value)
    return decl


def _mapping(decl: Element, entries: Sequence[tuple[str, float]], **attrs: str) -> None:
    mapping = _sub(decl, "qti-mapping", default_value="0", **attrs)
    for key, value in entries:
        _sub(mapping, "qti-map-entry", map_key=key, mapped_value=_num(value))


def _set_score(parent: Element, value: float) -> None:
    setter = _sub(parent, "qti-set-outcome-value", identifier="SCORE")
    _sub(setter, "qti-base-value", _num(value), base_type="float")


def _response() -> Element:
    return etree.Element(qti_tag("qti-variable"), identifier="RESPONSE")


def _chain(rp: Element, branches: Sequence[tuple[Element, float]]) -> None:
    """if / else-if on each condition in turn, setting SCORE to the first one's weight."""
    if not branches:
        return
    condition = _sub(rp, "qti-response-condition")
    for index, (test, weight) in enumerate(branches):
        branch = _sub(condition, "qti-response-if" if index == 0 else "qti-response-else-if")
        branch.append(test)
        _set_score(branch, weight)


def _template(name: str) -> Element:
    return etree.Element(qti_tag("qti-response-processing"), template=RP_TEMPLATES + name)


def _right_id(question_id: str, right: str) -> str:
    return "r" + hashlib.sha256(f"{question_id}\x1f{right}".encode()).hexdigest()[:10]


def _choice_item(q: Question, root: Element, body: Element) -> Element:
    """Single, multiple and true/false: declare, add the interaction, return the processing."""
    if q.kind is Kind.TRUEFALSE:
        options = [("true", "True", q.truth is True), ("false", "False", q.truth is False)]
        shuffle = "false"
    else:
        options = [(c.id, c.text_md, c.correct) for c in q.choices]
        shuffle = "true" if q.shuffle else "false"
    correct = [oid for oid, _, ok in options if ok]
    multiple = q.kind is Kind.MULTIPLE
    decl = _declare(root, "multiple" if multiple else "single", "identifier", correct)
    template = "match_correct.xml"
    if multiple and q.scoring is Scoring.PARTIAL and correct:
        share = 1 / len(correct)
        entries = [(oid, share if ok else -share) for oid, _, ok in options]
        _mapping(decl, entries, lower_bound="0", upper_bound="1")
        template = "map_response.xml"
    elif not multiple and len(correct) > 1:  # accept=any
        _mapping(decl, [(oid, 1.0) for oid in correct])
        template = "map_response.xml"
    max_choices = "0" if multiple else "1"
    interaction = _sub(body, "qti-choice-interaction", response_identifier="RESPONSE")
    interaction.set("shuffle", shuffle)
    interaction.set("max-choices", max_choices)
    for oid, text, _ in options:
        append_md(_sub(interaction, "qti-simple-choice", identifier=oid), text, inline=True)
    return _template(template)


def _text_entry(body: Element, expected: int) -> None:
    para = _sub(body, "p")
    _sub(para, "qti-text-entry-interaction", response_identifier="RESPONSE")
    para[0].set("expected-length", str(max(5, min(expected, 60))))


def _short_item(q: Question, root: Element, body: Element) -> Element:
    best = [a.text for a in sorted(q.answers, key=lambda a: -a.weight) if not a.regex]
    decl = _declare(root, "single", "string", best[:1])
    _text_entry(body, max((len(a.text) for a in q.answers), default=10))
    case = "true" if q.case_sensitive else "false"
    if not any(a.regex for a in q.answers):
        mapping = _sub(decl, "qti-mapping", default_value="0")
        for a in q.answers:
            entry = _sub(mapping, "qti-map-entry", map_key=a.text, mapped_value=_num(a.weight))
            entry.set("case-sensitive", case)
        return _template("map_response.xml")
    branches = []
    for a in sorted(q.answers, key=lambda a: -a.weight):
        if a.regex:
            test = etree.Element(
                qti_tag("qti-pattern-match"), pattern=xsd_pattern(a.text, a.regex_flags)
            )
            test.append(_response())
        else:
            test = etree.Element(qti_tag("qti-string-match"), {"case-sensitive": case})
            test.append(_response())
            _sub(test, "qti-base-value", a.text, base_type="string")
        branches.append((test, a.weight))
    rp = etree.Element(qti_tag("qti-response-processing"))
    _chain(rp, branches)
    return rp


def _numeric_item(q: Question, root: Element, body: Element) -> Element:
    ranked = sorted(q.numeric, key=lambda n: -n.weight)
    if ranked:  # the decimal midpoint: 3.13..3.15 gives 3.14, not 3.1399999999999997
        middle = (Decimal(repr(ranked[0].low)) + Decimal(repr(ranked[0].high))) / 2
        _declare(root, "single", "float", [format(middle.normalize(), "f")])
    else:
        _declare(root, "single", "float", [])
    _text_entry(body, 12)
    branches = []
    for n in ranked:
        test = etree.Element(qti_tag("qti-and"))
        for op, bound in (("qti-gte", n.low), ("qti-lte", n.high)):
            cmp = _sub(test, op)
            cmp.append(_response())
            _sub(cmp, "qti-base-value", _num(bound), base_type="float")
        branches.append((test, n.weight))
    rp = etree.Element(qti_tag("qti-response-processing"))
    _chain(rp, branches)
    return rp


def _matching_item(q: Question, root: Element, body: Element) -> Element:
    rights = list(dict.fromkeys([p.right for p in q.pairs] + list(q.distractors)))
    rid = {r: _right_id(q.id, r) for r in rights}
    correct = [f"{p.id} {rid[p.right]}" for p in q.pairs]
    decl = _declare(root, "multiple", "directedPair", correct)
    template = "match_correct.xml"
    if q.scoring is Scoring.PARTIAL and q.pairs:
        _mapping(decl, [(c, 1 / len(q.pairs)) for c in correct], lower_bound="0", upper_bound="1")
        template = "map_response.xml"
    interaction = _sub(body, "qti-match-interaction", response_identifier="RESPONSE")
    interaction.set("shuffle", "true" if q.shuffle else "false")
    interaction.set("max-associations", str(len(q.pairs)))
    lefts, targets = (
        _sub(interaction, "qti-simple-match-set"),
        _sub(interaction, "qti-simple-match-set"),
    )
    for p in q.pairs:
        append_md(
            _sub(lefts, "qti-simple-associable-choice", identifier=p.id, match_max="1"),
            p.left_md,
            inline=True,
        )
    for r in rights:
        _sub(
            targets,
            "qti-simple-associable-choice",
            r,
            identifier=rid[r],
            match_max=str(max(1, len(q.pairs))),
        )
    return _template(template)


def _ordering_item(q: Question, root: Element, body: Element) -> Element:
    ids = [s.id for s in q.steps]
    _declare(root, "ordered", "identifier", ids)
    interaction = _sub(body, "qti-order-interaction", response_identifier="RESPONSE")
    interaction.set("shuffle", "true" if q.shuffle else "false")
    for s in q.steps:
        append_md(_sub(interaction, "qti-simple-choice", identifier=s.id), s.text_md, inline=True)
    if q.scoring is not Scoring.PARTIAL or len(ids) < 2:
        return _template("match_correct.xml")
    rp = etree.Element(qti_tag("qti-response-processing"))
    share = 1 / (len(ids) - 1)
    for first, second in itertools.pairwise(ids):
        branch = _sub(_sub(rp, "qti-response-condition"), "qti-response-if")
        contains = _sub(branch, "qti-contains")
        contains.append(_response())
        pair = _sub(contains, "qti-ordered")
        for step in (first, second):
            _sub(pair, "qti-base-value", step, base_type="identifier")
        total = _sub(_sub(branch, "qti-set-outcome-value", identifier="SCORE"), "qti-sum")
        _sub(total, "qti-variable", identifier="SCORE")
        _sub(total, "qti-base-value", _num(share), base_type="float")
    return rp


_BUILDERS = {
    Kind.SINGLE: _choice_item,
    Kind.MULTIPLE: _choice_item,
    Kind.TRUEFALSE: _choice_item,
    Kind.SHORT: _short_item,
    Kind.NUMERIC: _numeric_item,
    Kind.MATCHING: _matching_item,
    Kind.ORDERING: _ordering_item,
}


def item_xml(question: Question) -> bytes:
    """The `qti-assessment-item` document of one question, UTF-8 with an XML declaration."""
    root = etree.Element(qti_tag("qti-assessment-item"), nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NS} {ITEM_XSD}")
    root.set("identifier", item_identifier(question.id))
    root.set("title", question.id)
    root.set("adaptive", "false")
    root.set("time-dependent", "false")
    body = etree.Element(qti_tag("qti-item-body"))
    append_md(body, question.stem_md)
    processing = _BUILDERS[question.kind](question, root, body)
    for name, default in (("SCORE", "0"), ("MAXSCORE", "1")):
        outcome = _sub(root, "qti-outcome-declaration", identifier=name, cardinality="single")
        outcome.set("base-type", "float")
        _sub(_sub(outcome, "qti-default-value"), "qti-value", default)
    root.append(body)
    root.append(processing)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def manifest_xml(items: Sequence[tuple[str, str]]) -> bytes:
    """`imsmanifest.xml` for (identifier, href) items: a QTI 3.0 package."""
    digest = hashlib.sha256("\n".join(f"{i} {h}" for i, h in items).encode()).hexdigest()[:16]
    root = etree.Element(f"{{{CP_NS}}}manifest", nsmap={None: CP_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{CP_NS} {CP_XSD}")
    root.set("identifier", f"MANIFEST-{digest}")
    meta = etree.SubElement(root, f"{{{CP_NS}}}metadata")
    etree.SubElement(meta, f"{{{CP_NS}}}schema").text = "QTI Package"
    etree.SubElement(meta, f"{{{CP_NS}}}schemaversion").text = "3.0.0"
    etree.SubElement(root, f"{{{CP_NS}}}organizations")
    resources = etree.SubElement(root, f"{{{CP_NS}}}resources")
    for identifier, href in items:
        res = etree.SubElement(resources, f"{{{CP_NS}}}resource")
        res.set("identifier", identifier)
        res.set("type", ITEM_TYPE)
        res.set("href", href)
        etree.SubElement(res, f"{{{CP_NS}}}file", href=href)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_qti(questions: Sequence[Question], dest: Path) -> Path:
    """Write a QTI 3.0 package zip at `dest` (or `dest/qti3.zip` for a folder); returns its path."""
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / "qti3.zip"
    files: dict[str, bytes] = {}
    items: list[tuple[str, str]] = []
    for q in questions:
        identifier = item_identifier(q.id)
        href = f"items/{identifier}.xml"
        if href in files:
            raise ValueError(f"duplicate question id {q.id!r}")
        files[href] = item_xml(q)
        items.append((identifier, href))
    files["imsmanifest.xml"] = manifest_xml(items)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    logger.info("wrote QTI package %s with %d items", dest, len(items))
    return dest
