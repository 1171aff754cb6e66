"""Publishing rules: a version bump must match what changed since the last published version."""

from __future__ import annotations

from pathlib import Path

import pytest

from authoring.package import build_package
from authoring.reader import read_package
from authoring.scaffold import scaffold_course
from authoring.versioning import compare_versions, is_compatible


@pytest.fixture
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "vc"
    scaffold_course(folder)
    return folder


def _snap(course: Path, out: Path):  # type: ignore[no-untyped-def]
    result = build_package(course, out)
    assert result.path is not None, [d.format() for d in result.diagnostics]
    return read_package(result.path).snapshot()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_text_change_is_fine_as_a_patch(course: Path, tmp_path: Path) -> None:
    old = _snap(course, tmp_path / "a.mcpkg")
    _edit(course / "modules" / "01-welcome.md", "This first module", "This opening module")
    _edit(course / "course.yml", "version: 0.1.0", "version: 0.1.1")
    assert compare_versions(old, _snap(course, tmp_path / "b.mcpkg")) == []


def test_changed_answer_needs_a_major_bump(course: Path, tmp_path: Path) -> None:
    old = _snap(course, tmp_path / "a.mcpkg")
    _edit(course / "modules" / "02-practice.md", "= 120", "= 121")
    _edit(course / "course.yml", "version: 0.1.0", "version: 0.2.0")
    diags = compare_versions(old, _snap(course, tmp_path / "b.mcpkg"))
    assert [d.format() for d in diags] == [
        "course.yml:1:1: error[P001]: the answers, options or points of quiz 'vc-numbers' changed"
        " but version 0.2.0 is a minor bump;"
        " use a major version; learners in progress stay on 0.1.0"
    ]
    _edit(course / "course.yml", "version: 0.2.0", "version: 1.0.0")
    assert compare_versions(old, _snap(course, tmp_path / "c.mcpkg")) == []


def test_removed_quiz_is_p002(course: Path, tmp_path: Path) -> None:
    old = _snap(course, tmp_path / "a.mcpkg")
    text = (course / "modules" / "02-practice.md").read_text()
    start = text.index("```quiz id=vc-numbers")
    end = text.index("```\n", start + 10) + 4
    (course / "modules" / "02-practice.md").write_text(text[:start] + text[end:])
    _edit(course / "course.yml", "version: 0.1.0", "version: 0.2.0")
    diags = compare_versions(old, _snap(course, tmp_path / "b.mcpkg"))
    assert [d.code for d in diags] == ["P002"]


def test_same_version_different_content_is_refused(course: Path, tmp_path: Path) -> None:
    old = _snap(course, tmp_path / "a.mcpkg")
    assert compare_versions(old, old) == []
    _edit(course / "modules" / "01-welcome.md", "This first module", "A changed first module")
    diags = compare_versions(old, _snap(course, tmp_path / "b.mcpkg"))
    assert [d.code for d in diags] == ["P003"]
    assert "already published with different content" in diags[0].message


def test_compatibility_is_same_major() -> None:
    assert is_compatible("1.2.0", "1.3.1")
    assert not is_compatible("1.2.0", "2.0.0")
    assert not is_compatible("1.2.0", "1.1.0")


def test_adding_a_quiz_to_a_module_is_minor(course: Path, tmp_path: Path) -> None:
    old = _snap(course, tmp_path / "a.mcpkg")
    module = course / "modules" / "02-practice.md"
    module.write_text(
        module.read_text() + "\n```quiz id=vc-extra\n? Is this new?\n= true\n```\n", "utf-8"
    )
    _edit(course / "course.yml", "version: 0.1.0", "version: 0.2.0")
    assert compare_versions(old, _snap(course, tmp_path / "b.mcpkg")) == []
