"""QTI 3.0 export: well-formed items in the QTI namespace whose answers match the questions."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from authoring.interop.qti import NS, export_qti, item_identifier, item_xml
from authoring.model import (
    Choice,
    Kind,
    MatchPair,
    NumericAnswer,
    Question,
    Scoring,
    Step,
    TextAnswer,
    option_id,
)

CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
Q = {"q": NS}
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"


def ch(qid: str, text: str, ok: bool) -> Choice:
    return Choice(option_id(qid, text), text, ok)


def gen_questions() -> list[Question]:
    return [
        Question(
            id="01-gas",
            kind=Kind.SINGLE,
            stem_md="Which gas is **absorbed**?",
            choices=(ch("01-gas", "Oxygen", False), ch("01-gas", "Carbon *dioxide*", True)),
        ),
        Question(
            id="prime",
            kind=Kind.SINGLE,
            stem_md="A prime?",
            accept_any=True,
            choices=(ch("prime", "2", True), ch("prime", "3", True), ch("prime", "4", False)),
        ),
        Question(
            id="multi",
            kind=Kind.MULTIPLE,
            stem_md="Pick",
            scoring=Scoring.PARTIAL,
            choices=(ch("multi", "A", True), ch("multi", "B", True), ch("multi", "C", False)),
        ),
        Question(
            id="multi-strict",
            kind=Kind.MULTIPLE,
            stem_md="Pick all",
            choices=(ch("multi-strict", "A", True), ch("multi-strict", "B", False)),
        ),
        Question(id="tf", kind=Kind.TRUEFALSE, stem_md="The sun is a star.", truth=False),
        Question(
            id="capital",
            kind=Kind.SHORT,
            stem_md="Capital of France?",
            answers=(TextAnswer("Lutèce", 0.5), TextAnswer("Paris")),
        ),
        Question(
            id="capital-rx",
            kind=Kind.SHORT,
            stem_md="Capital?",
            answers=(TextAnswer("Paris"), TextAnswer(r"par[iy]s? city", 0.5, True, "i")),
        ),
        Question(
            id="pi",
            kind=Kind.NUMERIC,
            stem_md="Pi?",
            numeric=(NumericAnswer(3.0, 3.3, 0.5), NumericAnswer(3.13, 3.15)),
        ),
        Question(
            id="capitals",
            kind=Kind.MATCHING,
            stem_md="Match",
            scoring=Scoring.PARTIAL,
            pairs=(
                MatchPair(option_id("capitals", "Canada"), "Canada", "Ottawa"),
                MatchPair(option_id("capitals", "Italy"), "Italy", "Rome"),
                MatchPair(option_id("capitals", "Vatican"), "Vatican", "Rome"),
            ),
            distractors=("Sydney",),
        ),
        Question(
            id="steps",
            kind=Kind.ORDERING,
            stem_md="Order",
            scoring=Scoring.PARTIAL,
            steps=tuple(Step(option_id("steps", t), t) for t in ("Mix", "Bake", "Eat")),
        ),
        Question(
            id="steps-strict",
            kind=Kind.ORDERING,
            stem_md="Order",
            shuffle=False,
            steps=tuple(Step(option_id("s2", t), t) for t in ("One", "Two")),
        ),
    ]


@pytest.fixture
def package(tmp_path: Path) -> zipfile.ZipFile:
    path = export_qti(gen_questions(), tmp_path / "out" / "quiz.zip")
    assert path == tmp_path / "out" / "quiz.zip"
    return zipfile.ZipFile(path)


def items(pkg: zipfile.ZipFile) -> dict[str, etree._Element]:
    """Every item, parsed (which proves it is well-formed), by question id."""
    out = {}
    for name in pkg.namelist():
        if name.startswith("items/"):
            root = etree.fromstring(pkg.read(name))
            out[root.get("title")] = root
    return out


def correct_values(item: etree._Element) -> list[str]:
    return item.xpath(
        "q:qti-response-declaration/q:qti-correct-response/q:qti-value/text()", namespaces=Q
    )


def template(item: etree._Element) -> str | None:
    return item.find("q:qti-response-processing", Q).get("template")


def test_package_layout_and_manifest(package):
    names = package.namelist()
    assert names == sorted(names)
    assert names[0] == "imsmanifest.xml" and len(names) == 12
    manifest = etree.fromstring(package.read("imsmanifest.xml"))
    assert manifest.tag == f"{{{CP_NS}}}manifest"
    assert manifest.findtext(f"{{{CP_NS}}}metadata/{{{CP_NS}}}schema") == "QTI Package"
    assert manifest.findtext(f"{{{CP_NS}}}metadata/{{{CP_NS}}}schemaversion") == "3.0.0"
    resources = manifest.findall(f"{{{CP_NS}}}resources/{{{CP_NS}}}resource")
    assert [r.get("identifier") for r in resources] == [
        item_identifier(q.id) for q in gen_questions()
    ]
    for res in resources:
        assert res.get("type") == "imsqti_item_xmlv3p0"
        assert res.get("href") in names
        assert res.find(f"{{{CP_NS}}}file").get("href") == res.get("href")


def test_items_are_qti3_in_the_right_namespace(package):
    for qid, item in items(package).items():
        assert item.tag == f"{{{NS}}}qti-assessment-item"
        assert item.get("identifier") == f"q-{qid}"
        assert [etree.QName(child).localname for child in item] == [
            "qti-response-declaration",
            "qti-outcome-declaration",
            "qti-outcome-declaration",
            "qti-item-body",
            "qti-response-processing",
        ]
        assert all(etree.QName(el).namespace == NS for el in item.iter(etree.Element))


def test_single_choice(package):
    item, question = items(package)["01-gas"], gen_questions()[0]
    assert correct_values(item) == [question.choices[1].id]
    assert template(item) == TEMPLATES + "match_correct.xml"
    interaction = item.find(".//q:qti-choice-interaction", Q)
    assert interaction.get("max-choices") == "1" and interaction.get("shuffle") == "true"
    choice = interaction.find(f"q:qti-simple-choice[@identifier='{question.choices[1].id}']", Q)
    assert etree.tostring(choice, method="text", encoding="unicode", with_tail=False) == (
        "Carbon dioxide"
    )
    assert choice.find("q:em", Q).text == "dioxide"
    assert item.find("q:qti-item-body/q:p/q:strong", Q).text == "absorbed"


def test_single_choice_accepting_any_marked_option_uses_a_mapping(package):
    item, question = items(package)["prime"], gen_questions()[1]
    entries = item.findall(".//q:qti-map-entry", Q)
    assert {e.get("map-key"): e.get("mapped-value") for e in entries} == {
        question.choices[0].id: "1",
        question.choices[1].id: "1",
    }
    assert template(item) == TEMPLATES + "map_response.xml"


def test_multiple_partial_is_right_minus_wrong(package):
    item, question = items(package)["multi"], gen_questions()[2]
    assert correct_values(item) == [question.choices[0].id, question.choices[1].id]
    mapping = item.find(".//q:qti-mapping", Q)
    assert (mapping.get("lower-bound"), mapping.get("upper-bound")) == ("0", "1")
    assert [e.get("mapped-value") for e in mapping] == ["0.5", "0.5", "-0.5"]
    assert item.find(".//q:qti-choice-interaction", Q).get("max-choices") == "0"
    assert template(items(package)["multi-strict"]) == TEMPLATES + "match_correct.xml"


def test_truefalse(package):
    item = items(package)["tf"]
    assert correct_values(item) == ["false"]
    ids = item.xpath(".//q:qti-simple-choice/@identifier", namespaces=Q)
    assert ids == ["true", "false"]


def test_short_answer_mapping(package):
    item = items(package)["capital"]
    assert correct_values(item) == ["Paris"]
    entries = item.findall(".//q:qti-map-entry", Q)
    assert [
        (e.get("map-key"), e.get("mapped-value"), e.get("case-sensitive")) for e in entries
    ] == [
        ("Lutèce", "0.5", "false"),
        ("Paris", "1", "false"),
    ]
    assert item.find(".//q:qti-text-entry-interaction", Q).get("response-identifier") == "RESPONSE"
    assert template(item) == TEMPLATES + "map_response.xml"


def test_short_answer_regex_becomes_an_xml_schema_pattern_with_the_same_meaning(package):
    item = items(package)["capital-rx"]
    ifs = item.find("q:qti-response-processing/q:qti-response-condition", Q)
    literal, regex = ifs
    assert literal.find("q:qti-string-match/q:qti-base-value", Q).text == "Paris"
    pattern = regex.find("q:qti-pattern-match", Q).get("pattern")
    assert regex.find(".//q:qti-base-value", Q).text == "0.5"
    xsd = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a">'
        '<xs:simpleType><xs:restriction base="xs:string">'
        f'<xs:pattern value="{pattern}"/>'
        "</xs:restriction></xs:simpleType></xs:element></xs:schema>"
    )
    schema = etree.XMLSchema(etree.fromstring(xsd))

    def accepts(text: str) -> bool:
        element = etree.Element("a")
        element.text = text
        return schema.validate(element)

    for text in ("PARIS city", "parys CITY", "pari city", "par city", "in paris city", "paris"):
        assert accepts(text) == bool(re.fullmatch(r"par[iy]s? city", text, re.I)), text
    assert accepts("PARIS city") and not accepts("in paris city")


def test_numeric_uses_inclusive_bounds_best_weight_first(package):
    item = items(package)["pi"]
    assert correct_values(item) == ["3.14"]
    decl = item.find("q:qti-response-declaration", Q)
    assert decl.get("base-type") == "float"
    branches = item.find("q:qti-response-processing/q:qti-response-condition", Q)
    found = [
        (
            b.xpath("q:qti-and/q:qti-gte/q:qti-base-value/text()", namespaces=Q),
            b.xpath("q:qti-and/q:qti-lte/q:qti-base-value/text()", namespaces=Q),
            b.findtext("q:qti-set-outcome-value/q:qti-base-value", namespaces=Q),
        )
        for b in branches
    ]
    assert found == [(["3.13"], ["3.15"], "1"), (["3"], ["3.3"], "0.5")]
    assert [etree.QName(b).localname for b in branches] == [
        "qti-response-if",
        "qti-response-else-if",
    ]


def test_matching_pairs_and_partial_mapping(package):
    item, question = items(package)["capitals"], gen_questions()[8]
    sets = item.findall(".//q:qti-simple-match-set", Q)
    rights = {c.text: c.get("identifier") for c in sets[1]}
    assert sorted(rights) == ["Ottawa", "Rome", "Sydney"]  # one target per distinct text
    assert correct_values(item) == [f"{p.id} {rights[p.right]}" for p in question.pairs]
    assert [e.get("mapped-value") for e in item.findall(".//q:qti-map-entry", Q)] == [
        "0.3333333333333333"
    ] * 3
    assert item.find("q:qti-response-declaration", Q).get("base-type") == "directedPair"


def test_ordering(package):
    partial, strict = items(package)["steps"], items(package)["steps-strict"]
    question = gen_questions()[9]
    assert correct_values(partial) == [s.id for s in question.steps]
    pairs = partial.xpath(".//q:qti-contains/q:qti-ordered", namespaces=Q)
    assert [[v.text for v in p] for p in pairs] == [
        [question.steps[0].id, question.steps[1].id],
        [question.steps[1].id, question.steps[2].id],
    ]
    assert partial.find("q:qti-response-declaration", Q).get("cardinality") == "ordered"
    assert template(strict) == TEMPLATES + "match_correct.xml"
    assert strict.find(".//q:qti-order-interaction", Q).get("shuffle") == "false"


def test_markdown_is_sanitised():
    question = Question(
        id="x",
        kind=Kind.TRUEFALSE,
        truth=True,
        stem_md='Hi <script>alert(1)</script>[link](javascript:alert(1)) <b onclick="x">b</b>',
    )
    text = item_xml(question).decode()
    assert "script" not in text and "javascript" not in text and "onclick" not in text
    etree.fromstring(item_xml(question))


def test_output_is_byte_identical_on_two_runs(tmp_path):
    first = export_qti(gen_questions(), tmp_path / "a.zip").read_bytes()
    (tmp_path / "b").mkdir()  # a folder: the package is written inside it
    second = export_qti(gen_questions(), tmp_path / "b").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.zip") as pkg:
        assert {info.date_time for info in pkg.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_duplicate_ids_are_refused(tmp_path):
    question = gen_questions()[4]
    with pytest.raises(ValueError, match="duplicate question id 'tf'"):
        export_qti([question, question], tmp_path / "dup.zip")
