"""YAML with positions: syntax errors and tabs where they are, typed getters at the exact node."""

from __future__ import annotations

import pytest
import yaml

from authoring import yamlpos
from authoring.diagnostics import DiagnosticBag
from authoring.yamlpos import (
    COURSE_CODES,
    MODULE_CODES,
    Fields,
    YamlCodes,
    YamlDoc,
    compose,
    root_fields,
)


def load(
    text: str, first_line: int = 1, codes: YamlCodes = COURSE_CODES
) -> tuple[Fields | None, DiagnosticBag]:
    bag = DiagnosticBag()
    doc = YamlDoc("course.yml" if codes is COURSE_CODES else "m.md", bag, codes, first_line)
    return root_fields(doc, text, "course.yml"), bag


def formatted(bag: DiagnosticBag) -> list[str]:
    return [d.format() for d in bag.items]


def test_tab_indentation_is_reported_at_the_tab() -> None:
    fields, bag = load("id: x\nmodules:\n  - a.md\n\t- b.md\n")
    assert fields is None
    assert formatted(bag) == [
        "course.yml:4:1: error[C001]: tab character in YAML indentation; indent with spaces"
    ]


def test_tab_after_spaces_is_found_too() -> None:
    _, bag = load("credential:\n  name: x\n  \tcriteria: y\n")
    assert [(d.line, d.column, d.code) for d in bag.items] == [(3, 3, "C001")]


def test_syntax_error_keeps_the_parser_problem_and_its_context() -> None:
    _, bag = load('id: x\ntitle: "unclosed\n')
    assert formatted(bag) == [
        "course.yml:3:1: error[C001]: invalid YAML: found unexpected end of stream; while "
        "scanning a quoted scalar at line 2, column 8"
    ]


def test_front_matter_errors_use_module_codes_and_file_lines() -> None:
    _, bag = load("id: x\ntitle: a: b\n", first_line=2, codes=MODULE_CODES)
    assert formatted(bag) == [
        "m.md:3:9: error[M001]: invalid YAML: mapping values are not allowed here"
    ]


def test_the_pure_python_parser_reports_even_when_libyaml_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(yamlpos, "_FastLoader", yaml.SafeLoader)
    _, slow = load("a: [1, 2\nb: 3\n")
    if hasattr(yaml, "CSafeLoader"):
        monkeypatch.setattr(yamlpos, "_FastLoader", yaml.CSafeLoader)
    _, fast = load("a: [1, 2\nb: 3\n")
    assert formatted(slow) == formatted(fast)


def test_empty_document_is_an_empty_mapping() -> None:
    fields, bag = load("")
    assert fields is not None and fields.entries == {} and bag.items == []
    fields.text("id", required=True)
    assert formatted(bag) == ["course.yml:1:1: error[C002]: missing required field 'id'"]


def test_root_that_is_not_a_mapping() -> None:
    fields, bag = load("- a\n- b\n")
    assert fields is None
    assert formatted(bag) == [
        "course.yml:1:1: error[C012]: course.yml must be a mapping of fields, got a list"
    ]


def test_duplicate_key_is_reported_at_the_second_one() -> None:
    fields, bag = load("title: a\ntitle: b\n")
    assert fields is not None and fields.text("title") == "b"
    assert formatted(bag) == [
        "course.yml:2:1: error[C001]: duplicate key 'title' (first at line 1)"
    ]


def test_values_are_read_as_written_not_as_yaml_11_types() -> None:
    fields, bag = load("version: 1.2\nlanguage: no\ntitle: 2024\n")
    assert fields is not None
    assert (fields.text("version"), fields.text("language"), fields.text("title")) == (
        "1.2",
        "no",
        "2024",
    )
    assert bag.items == []


def test_typed_getters_report_at_the_value() -> None:
    fields, bag = load(
        "minutes: fifteen\ngraded: maybe\nscore: 1.5\npoints: -2\nmode: per-modul\nlist: x\n"
    )
    assert fields is not None
    assert fields.integer("minutes", minimum=0) is None
    assert fields.flag("graded") is None
    assert fields.number("score", low=0, high=1) is None
    assert fields.number("points", positive=True) is None
    assert fields.choice("mode", ("per-module", "course"), "per-module") == "per-module"
    assert fields.str_list("list") == []
    assert formatted(bag) == [
        "course.yml:1:10: error[C012]: 'minutes' must be an integer >= 0, got 'fifteen'",
        "course.yml:2:9: error[C012]: 'graded' must be true or false, got 'maybe'",
        "course.yml:3:8: error[C012]: 'score' must be a number from 0 to 1, got '1.5'",
        "course.yml:4:9: error[C012]: 'points' must be a number > 0, got '-2'",
        "course.yml:5:7: error[C012]: 'mode' must be 'per-module' or 'course', got 'per-modul'; "
        "did you mean 'per-module'?",
        "course.yml:6:7: error[C012]: 'list' must be a list of text items, got 'x'",
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [("n: 3", 3), ("n: '3'", 3), ("n: +3", 3)],
)
def test_integer_accepts_plain_and_quoted_digits(text: str, value: int) -> None:
    fields, _ = load(text)
    assert fields is not None and fields.integer("n") == value


def test_flag_accepts_yaml_booleans() -> None:
    fields, _ = load("a: true\nb: No\nc: 'yes'\n")
    assert fields is not None
    assert (fields.flag("a"), fields.flag("b"), fields.flag("c")) == (True, False, True)


def test_null_value_counts_as_missing() -> None:
    fields, bag = load("title:\n")
    assert fields is not None and fields.text("title", required=True) == ""
    assert [d.code for d in bag.items] == ["C002"]


def test_unknown_keys_get_a_did_you_mean_hint_with_nested_names() -> None:
    fields, bag = load("modles: [a]\ncredential:\n  nmae: x\n  zzz: 1\n")
    assert fields is not None
    cred = fields.mapping("credential")
    assert cred is not None
    cred.text("name")
    cred.finish()
    fields.finish(also_known=("modules",))
    assert formatted(bag) == [
        "course.yml:3:3: warning[C003]: unknown field 'credential.nmae'; did you mean 'name'?",
        "course.yml:4:3: warning[C003]: unknown field 'credential.zzz'",
        "course.yml:1:1: warning[C003]: unknown field 'modles'; did you mean 'modules'?",
    ]


def test_nested_missing_field_points_at_the_mapping() -> None:
    fields, bag = load("id: x\ncredential:\n  name: n\n")
    assert fields is not None
    cred = fields.mapping("credential")
    assert cred is not None
    cred.text("criteria", required=True)
    assert formatted(bag) == [
        "course.yml:3:3: error[C002]: missing required field 'credential.criteria'"
    ]


def test_compose_returns_nodes_with_positions() -> None:
    bag = DiagnosticBag()
    node = compose(YamlDoc("x.yml", bag, COURSE_CODES, first_line=5), "a:\n  - b\n")
    assert node is not None
    item = node.value[0][1].value[0]
    assert YamlDoc("x.yml", bag, COURSE_CODES, first_line=5).pos(item) == (6, 5)
