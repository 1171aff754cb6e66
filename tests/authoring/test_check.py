"""`check` runs source checks; `check --render` and `build` add the rendered-tree checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from authoring.check import check_course
from authoring.package import Builder

COURSE = (
    "id: sheets\ntitle: Spreadsheets\nversion: 1.0.0\nlanguage: en\n"
    "modules: [modules/01-intro.md]\n"
)
INTRO = """\
---
id: 01-intro
title: Introduction
---
# Introduction

The slides are in [the week 1 slides](files/week1.pdf).
For the rest, [click here](https://example.org/more).
"""


@pytest.fixture
def course(tmp_path: Path) -> Path:
    (tmp_path / "modules").mkdir()
    (tmp_path / "course.yml").write_text(COURSE, "utf-8")
    (tmp_path / "modules" / "01-intro.md").write_text(INTRO, "utf-8")
    return tmp_path


def lines(diags: list) -> list[str]:
    return [d.format() for d in diags]


def test_plain_check_reports_source_problems_only(course: Path) -> None:
    assert check_course(course).diagnostics == []


def test_render_adds_rendered_tree_checks_and_a_missing_linked_file(course: Path) -> None:
    result = check_course(course, render=True)
    assert lines(result.diagnostics) == [
        "modules/01-intro.md:7:39: error[M014]: linked file 'files/week1.pdf' not found; "
        "check the path: it is relative to the course folder",
        "modules/01-intro.md:8:15: warning[M008]: link text 'click here' does not describe its "
        "target; make the link text say where it goes (WCAG 2.4.4)",
    ]


def test_a_linked_file_that_appears_later_is_found_despite_the_render_cache(course: Path) -> None:
    assert any(d.code == "M014" for d in check_course(course, render=True).diagnostics)
    (course / "files").mkdir()
    (course / "files" / "week1.pdf").write_bytes(b"%PDF-1.4")
    result = check_course(course, render=True)
    assert result.rendered_count == 0  # served from the cache, still checked again
    assert [d.code for d in result.diagnostics] == ["M008"]


def test_a_misspelt_link_gets_a_did_you_mean(course: Path) -> None:
    (course / "files").mkdir()
    (course / "files" / "week-1.pdf").write_bytes(b"%PDF-1.4")
    diags = check_course(course, render=True).diagnostics
    assert diags[0].code == "M014" and diags[0].hint == "did you mean 'files/week-1.pdf'?"


def test_build_refuses_a_missing_linked_file_and_writes_nothing(course: Path) -> None:
    result = Builder(course, cache=False).build(course / "out.mcpkg")
    assert result.path is None and not (course / "out.mcpkg").exists()
    assert [d.code for d in result.diagnostics] == ["M014", "M008"]
