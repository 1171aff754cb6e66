"""A clean, accessible SVG badge for achievements whose author gave no image.

Deterministic (the same name and seed give the same bytes), self-contained (no script, no
external reference, no web font) and readable: white text on a colour darkened until it meets
WCAG AA contrast (4.5:1), with ``role="img"``, a ``<title>`` and a ``<desc>``.
"""

from __future__ import annotations

import colorsys
import hashlib
from xml.sax.saxutils import escape

SIZE = 240
MAX_LINES = 3
LINE_CHARS = 14
SUBTITLE_CHARS = 22
MIN_CONTRAST = 4.5


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(hex_colour: str) -> float:
    """WCAG contrast ratio of white text on ``#rrggbb``."""
    rgb = tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 1.05 / (_luminance(rgb) + 0.05)  # type: ignore[arg-type]


def _hex(h: float, lightness: float, saturation: float) -> str:
    r, g, b = colorsys.hls_to_rgb(h, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in (r, g, b)))


def _palette(seed: str) -> tuple[str, str, str]:
    """Background, darker ring and light accent, from the seed; the background passes AA."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    hue = digest[0] / 255
    saturation = 0.45 + digest[1] / 255 * 0.3
    lightness = 0.42
    while contrast_with_white(_hex(hue, lightness, saturation)) < MIN_CONTRAST + 0.2:
        lightness -= 0.02
    return (
        _hex(hue, lightness, saturation),
        _hex(hue, max(lightness - 0.14, 0.05), saturation),
        _hex(hue, 0.86, saturation * 0.6),
    )


def _wrap(text: str) -> list[str]:
    """Greedy word wrap into at most MAX_LINES lines, with an ellipsis when it does not fit."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > LINE_CHARS:  # a very long word is cut, not overflowed
            head, word = word[: LINE_CHARS - 1] + "-", word[LINE_CHARS - 1 :]
            if current:
                lines.append(current)
                current = ""
            lines.append(head)
        candidate = f"{current} {word}".strip()
        if len(candidate) <= LINE_CHARS:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1][: LINE_CHARS - 1].rstrip() + "…"
    return lines or [""]


def _hexagon(radius: float) -> str:
    centre = SIZE / 2
    # Flat-topped hexagon: six points, starting at the right.
    points = [
        (centre + radius * dx, centre + radius * dy)
        for dx, dy in ((1, 0), (0.5, 0.866), (-0.5, 0.866), (-1, 0), (-0.5, -0.866), (0.5, -0.866))
    ]
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def generate_badge_svg(name: str, subtitle: str = "", seed: str = "") -> str:
    """An SVG badge showing ``name`` (and a smaller ``subtitle``), coloured from ``seed``.

    The seed defaults to the name, so a course keeps its colour; pass the achievement id to
    tell apart two achievements with the same name.
    """
    name = " ".join(name.split()) or "Achievement"
    subtitle = " ".join(subtitle.split())
    key = seed or name
    background, ring, accent = _palette(key)
    uid = hashlib.sha256(f"{key}\0{name}\0{subtitle}".encode()).hexdigest()[:10]
    lines = _wrap(name)
    longest = max(len(line) for line in lines)
    font = 26 if longest <= 8 else 21 if longest <= 11 else 18
    line_height = font * 1.2
    short_subtitle = (
        subtitle
        if len(subtitle) <= SUBTITLE_CHARS
        else subtitle[: SUBTITLE_CHARS - 1].rstrip() + "…"
    )
    block = line_height * len(lines) + (22 if short_subtitle else 0)
    top = SIZE / 2 - block / 2 + font * 0.85
    texts = [
        f'<text x="{SIZE / 2:.0f}" y="{top + i * line_height:.1f}" font-size="{font}" '
        f'font-weight="700">{escape(line)}</text>'
        for i, line in enumerate(lines)
    ]
    if short_subtitle:
        y = top + len(lines) * line_height + 6
        texts.append(
            f'<text x="{SIZE / 2:.0f}" y="{y:.1f}" font-size="13">{escape(short_subtitle)}</text>'
        )
    description = f"{name}: {subtitle}" if subtitle else name
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img" '
        f'aria-labelledby="badge-title-{uid} badge-desc-{uid}">'
        f'<title id="badge-title-{uid}">{escape(name)}</title>'
        f'<desc id="badge-desc-{uid}">Badge for {escape(description)}</desc>'
        f'<polygon points="{_hexagon(112)}" fill="{ring}"/>'
        f'<polygon points="{_hexagon(100)}" fill="{background}"/>'
        f'<polygon points="{_hexagon(92)}" fill="none" stroke="{accent}" '
        f'stroke-width="2" stroke-opacity="0.6"/>'
        f'<g fill="#ffffff" text-anchor="middle" '
        f'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">'
        f"{''.join(texts)}</g>"
        "</svg>"
    )
