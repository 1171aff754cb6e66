"""The generated SVG badge: well-formed, accessible, self-contained, deterministic."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from plugin.credentials.badge import contrast_with_white, generate_badge_svg

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("name", "subtitle"),
    [
        ("Tidy Data 101", "Micro-credential"),
        ("Introduction to Statistical Thinking for Social Scientists", "Certificate · 9 credits"),
        ('R&D <Ethics> "quoted"', ""),
        ("", ""),
        ("Ünïcödé 数据 101", "Mikro-Zertifikat"),
    ],
)
def test_badge_is_accessible_well_formed_svg(name: str, subtitle: str) -> None:
    svg = generate_badge_svg(name, subtitle)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == (" ".join(name.split()) or "Achievement")
    labelled = (root.get("aria-labelledby") or "").split()
    assert title.get("id") in labelled
    assert root.find(f"{SVG}desc") is not None


def test_badge_has_no_script_and_no_external_reference() -> None:
    svg = generate_badge_svg("Data 101", "<script>alert(1)</script>", seed="x")
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}foreignObject")]
    assert "href" not in svg and "url(" not in svg and "<script" not in svg
    assert "&lt;script&gt;" in svg or "…" in svg


def test_badge_is_deterministic_and_coloured_from_the_seed() -> None:
    assert generate_badge_svg("Data 101", seed="a") == generate_badge_svg("Data 101", seed="a")
    fills = {
        re.findall(r'fill="(#[0-9a-f]{6})"', generate_badge_svg("Data 101", seed=s))[1]
        for s in "abcdefgh"
    }
    assert len(fills) > 4


@pytest.mark.parametrize("seed", [f"seed-{n}" for n in range(40)])
def test_text_meets_wcag_aa_contrast(seed: str) -> None:
    background = re.findall(r'fill="(#[0-9a-f]{6})"', generate_badge_svg("X", seed=seed))[1]
    assert contrast_with_white(background) >= 4.5


def test_long_names_are_wrapped_and_cut() -> None:
    svg = generate_badge_svg("word " * 40)
    lines = ET.fromstring(svg).findall(f".//{SVG}text")
    assert 1 < len(lines) <= 3
    assert lines[-1].text is not None and lines[-1].text.endswith("…")
