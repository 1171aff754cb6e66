"""Building packages: deterministic bytes, answers only in the server part, safe reading."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from authoring.package import build_package, write_zip
from authoring.reader import PackageError, read_package
from authoring.scaffold import scaffold_course


@pytest.fixture
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "intro-course"
    scaffold_course(folder, title="Intro course")
    return folder


def test_build_writes_one_versioned_package(course: Path, tmp_path: Path) -> None:
    result = build_package(course, tmp_path / "out")
    assert result.ok, [d.format() for d in result.diagnostics]
    assert result.path == tmp_path / "out" / "intro-course-0.1.0.mcpkg"
    package = read_package(result.path)
    assert package.course_id == "intro-course"
    assert package.version == "0.1.0"
    assert package.manifest["format_version"] == 1
    assert package.content_hash.startswith("sha256:")
    names = set(package.entries)
    assert {"course.json", "public/questions.json", "server/questions.json"} <= names
    assert "modules/01-welcome.html" in names
    assert "assets/img/welcome.svg" in names


def test_identical_input_gives_identical_bytes(course: Path, tmp_path: Path) -> None:
    first = build_package(course, tmp_path / "a.mcpkg", cache=False).path
    copy = tmp_path / "copy" / "intro-course"
    shutil.copytree(course, copy)
    second = build_package(copy, tmp_path / "b.mcpkg", cache=False).path
    assert first is not None and second is not None
    assert first.read_bytes() == second.read_bytes()


def test_answers_never_reach_the_public_part(course: Path, tmp_path: Path) -> None:
    package = read_package(build_package(course, tmp_path / "p.mcpkg").path)  # type: ignore[arg-type]
    public = package.entries["public/questions.json"].decode()
    html = "".join(package.module_html(m["id"]) for m in package.course()["modules"])
    server = package.server_questions()
    # the numeric answer 120 and the short answers "md"/"markdown" are only on the server side
    assert server["intro-course-numbers"]["numeric"][0]["low"] == 120
    for secret in ('"correct"', "120", '"markdown"', "Yes: the `modules` list"):
        assert secret not in public
    assert "Multiply the number of hours" not in public + html
    assert "course.yml" in public  # option text is public; whether it is right is not
    questions = package.questions()
    assert questions["intro-course-format"].choices[1].correct is True


def test_a_changed_entry_is_refused(course: Path, tmp_path: Path) -> None:
    path = build_package(course, tmp_path / "p.mcpkg").path
    assert path is not None
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["public/questions.json"] = entries["public/questions.json"].replace(b"120", b"121")
    entries["server/questions.json"] = b"{}"
    with pytest.raises(PackageError, match="was changed after the package was built"):
        read_package(write_zip(entries))


@pytest.mark.parametrize(
    "name, message",
    [("../evil.txt", "outside the package"), ("/etc/passwd", "outside the package")],
)
def test_hostile_entry_names_are_refused(name: str, message: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "microcred-course-package"}))
        zf.writestr(name, "x")
    with pytest.raises(PackageError, match=message):
        read_package(buffer.getvalue())


def test_not_a_zip_is_refused_with_a_reason() -> None:
    with pytest.raises(PackageError, match="not a zip archive"):
        read_package(b"hello")


def test_content_errors_write_nothing(course: Path, tmp_path: Path) -> None:
    (course / "course.yml").write_text(
        (course / "course.yml").read_text().replace("version: 0.1.0", "version: one"), "utf-8"
    )
    result = build_package(course, tmp_path / "never.mcpkg")
    assert result.path is None
    assert not (tmp_path / "never.mcpkg").exists()
    assert any(d.code == "C004" for d in result.diagnostics)


def test_rebuild_renders_only_the_changed_module(course: Path, tmp_path: Path) -> None:
    first = build_package(course, tmp_path / "1.mcpkg")
    assert first.rendered_count == 2
    assert build_package(course, tmp_path / "2.mcpkg").rendered_count == 0
    module = course / "modules" / "02-practice.md"
    module.write_text(module.read_text() + "\nOne more sentence.\n", "utf-8")
    third = build_package(course, tmp_path / "3.mcpkg")
    assert third.rendered_count == 1
    assert "One more sentence." in read_package(third.path).module_html("02-practice")  # type: ignore[arg-type]


def test_output_to_a_folder_that_does_not_exist_yet(course: Path, tmp_path: Path) -> None:
    result = build_package(course, str(tmp_path / "new-folder") + "/")
    assert result.path == tmp_path / "new-folder" / "intro-course-0.1.0.mcpkg"
    again = build_package(course, tmp_path / "other")
    assert again.path == tmp_path / "other" / "intro-course-0.1.0.mcpkg"


def test_a_large_course_built_on_every_core_gives_the_same_bytes(tmp_path: Path) -> None:
    course = tmp_path / "large"
    (course / "modules").mkdir(parents=True)
    names = [f"modules/m{n:02d}.md" for n in range(60)]
    for n, name in enumerate(names):
        (course / name).write_text(
            f"---\nid: m{n:02d}\ntitle: Module {n}\n---\n# Module {n}\n\nText with **bold** and a"
            f" [link](https://example.org/{n}).\n\n```quiz id=q{n} points=2\n? Pick {n}.\n"
            f"(x) {n}\n( ) {n + 1}  # No.\n```\n",
            "utf-8",
        )
    listed = "".join(f"  - {name}\n" for name in names)
    (course / "course.yml").write_text(
        f"id: large\ntitle: Large\nversion: 1.0.0\nlanguage: en\nmodules:\n{listed}", "utf-8"
    )
    one = build_package(course, tmp_path / "one.mcpkg", jobs=1, cache=False)
    two = build_package(course, tmp_path / "two.mcpkg", jobs=2, cache=False)
    assert one.ok and two.ok and one.rendered_count == two.rendered_count == 60
    assert (tmp_path / "one.mcpkg").read_bytes() == (tmp_path / "two.mcpkg").read_bytes()
    public = json.loads(zipfile.ZipFile(tmp_path / "two.mcpkg").read("public/questions.json"))
    assert sorted(public) == sorted(f"q{n}" for n in range(60))
