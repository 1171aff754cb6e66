"""Safe file access inside a course folder: escapes, symlinks, size, encodings, line ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from authoring.diagnostics import DiagnosticBag
from authoring.fsutil import (
    MAX_FILE_BYTES,
    decode_text,
    has_url_scheme,
    normalize_rel,
    path_problem,
    read_text,
    resolve_inside,
)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    (root / "img").mkdir(parents=True)
    (root / "img" / "a.png").write_bytes(b"png")
    (tmp_path / "secret.txt").write_text("outside")
    return root.resolve()


@pytest.mark.parametrize(
    ("rel", "problem"),
    [
        ("img/a.png", ""),
        ("./img/../img/a.png", ""),
        ("img/missing.png", ""),  # existence is the caller's question, not safety
        ("../secret.txt", "leaves the course folder"),
        ("img/../../secret.txt", "leaves the course folder"),
        ("../../etc/passwd", "leaves the course folder"),
        ("/etc/passwd", "is absolute"),
        ("\\\\server\\share", "is absolute"),
        ("C:/Windows/win.ini", "is absolute"),
        ("", "is empty"),
    ],
)
def test_path_problem(course: Path, rel: str, problem: str) -> None:
    assert path_problem(course, rel) == problem


def test_symlink_pointing_outside_is_refused(course: Path) -> None:
    os.symlink(course.parent / "secret.txt", course / "img" / "link.png")
    os.symlink(course.parent, course / "up")
    os.symlink(course / "img" / "a.png", course / "img" / "inside.png")
    assert path_problem(course, "img/link.png") == "is a symlink pointing outside the course folder"
    assert path_problem(course, "up/secret.txt") == (
        "is a symlink pointing outside the course folder"
    )
    assert path_problem(course, "img/inside.png") == ""


def test_resolve_inside_reports_f004_where_the_path_was_written(course: Path) -> None:
    bag = DiagnosticBag()
    assert resolve_inside(course, "./img/a.png", bag, "course.yml", 7, 5) == course / "img/a.png"
    assert resolve_inside(course, "../secret.txt", bag, "course.yml", 8, 5) is None
    assert [d.format() for d in bag.items] == [
        "course.yml:8:5: error[F004]: path '../secret.txt' leaves the course folder; use a path "
        "relative to the course folder that stays inside it"
    ]


def test_normalize_and_url_schemes() -> None:
    assert normalize_rel("./img/../img/a.png") == "img/a.png"
    assert normalize_rel("img\\a.png") == "img/a.png"
    assert has_url_scheme("https://x.org/a.png") and has_url_scheme("data:image/png;base64,AA")
    assert has_url_scheme("//cdn.example.org/a.png")
    assert not has_url_scheme("img/a.png") and not has_url_scheme("C:/a.png")


def test_bom_is_removed_and_line_ends_become_lf(tmp_path: Path) -> None:
    path = tmp_path / "m.md"
    path.write_bytes(b"\xef\xbb\xbfline 1\r\nline 2\rline 3\n")
    bag = DiagnosticBag()
    text = read_text(path, "m.md", bag)
    assert bag.items == []
    assert text is not None and text.text == "line 1\nline 2\nline 3\n"
    assert len(text.sha256) == 64


def test_non_utf8_names_the_first_bad_byte(tmp_path: Path) -> None:
    bag = DiagnosticBag()
    assert decode_text("ok\nCafé ok\n".encode("latin-1"), "m.md", bag) is None
    assert [d.format() for d in bag.items] == [
        "m.md:2:4: error[F001]: file is not valid UTF-8 (byte 0xe9 cannot be decoded); save the "
        "file as UTF-8"
    ]


def test_column_counts_characters_not_bytes() -> None:
    bag = DiagnosticBag()
    decode_text("ééé".encode() + b"\xff", "m.md", bag)
    assert (bag.items[0].line, bag.items[0].column) == (1, 4)


def test_utf16_gets_a_specific_hint() -> None:
    bag = DiagnosticBag()
    decode_text("id: x\n".encode("utf-16"), "course.yml", bag)
    assert bag.items[0].hint == "the file looks like UTF-16; save it as UTF-8"


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    bag = DiagnosticBag()
    assert read_text(path, "modules/big.md", bag) is None
    assert [d.format() for d in bag.items] == [
        f"modules/big.md:1:1: error[F002]: file is too large ({MAX_FILE_BYTES + 1} bytes, the "
        f"limit is {MAX_FILE_BYTES} bytes); split it into smaller files or move media into img/"
    ]


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.md"
    path.write_bytes(b"a" * MAX_FILE_BYTES)
    bag = DiagnosticBag()
    assert read_text(path, "edge.md", bag) is not None and bag.items == []


def test_unreadable_path_is_f005(tmp_path: Path) -> None:
    bag = DiagnosticBag()
    assert read_text(tmp_path / "missing.md", "missing.md", bag) is None
    assert [d.code for d in bag.items] == ["F005"]


def test_without_a_folder_only_the_spelling_is_checked() -> None:
    assert path_problem(None, "banks/../b.md") == ""
    assert path_problem(None, "banks/../../b.md") == "leaves the course folder"
    assert path_problem(None, "/b.md") == "is absolute"
