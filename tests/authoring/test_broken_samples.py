"""Every broken sample course reports exactly the diagnostics written in its expected.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from authoring.diagnostics import sort_diagnostics
from authoring.loader import load_course, load_program

BROKEN = Path(__file__).resolve().parents[2] / "content_samples" / "broken"
SAMPLES = sorted(p.parent for p in BROKEN.glob("*/expected.txt"))


def check(folder: Path) -> str:
    """What `load_course` (or `load_program` for a program folder) reports, one line each."""
    if (folder / "program.yml").exists() and not (folder / "course.yml").exists():
        _, diags = load_program(folder)
    else:
        _, diags = load_course(folder)
    return "".join(d.format() + "\n" for d in sort_diagnostics(diags))


def test_there_are_broken_samples() -> None:
    assert len(SAMPLES) >= 8


@pytest.mark.parametrize("folder", SAMPLES, ids=[p.name for p in SAMPLES])
def test_diagnostics_match_expected_txt(folder: Path) -> None:
    expected = (folder / "expected.txt").read_text(encoding="utf-8")
    assert check(folder) == expected


def test_the_bom_crlf_sample_really_has_a_bom_and_crlf() -> None:
    raw = (BROKEN / "bom-crlf" / "course.yml").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert (BROKEN / "bom-crlf" / "expected.txt").read_text() == ""


def test_the_encoding_sample_really_is_not_utf8() -> None:
    raw = (BROKEN / "encoding" / "modules" / "01-latin1.md").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
