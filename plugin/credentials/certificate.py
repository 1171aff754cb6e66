"""A printable PDF certificate of an award (fpdf2) with a QR code (segno) to its verify page."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class CertificateText:
    """What the certificate says."""

    learner: str
    achievement: str
    description: str
    issuer: str
    issued_on: str
    valid_until: str | None
    verify_url: str
    revoked: bool = False


def _fonts(pdf: FPDF) -> str:
    """DejaVu (any script) when installed, else Helvetica with non-Latin-1 text replaced."""
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu"
    return "Helvetica"


def _text(value: str, family: str) -> str:
    if family == "Helvetica":
        return value.encode("latin-1", "replace").decode("latin-1")
    return value


def certificate_pdf(text: CertificateText) -> bytes:
    """One A4 landscape page: who earned what, from whom, when, and a QR code to verify it."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{text.achievement}: certificate")
    pdf.set_author(text.issuer)
    pdf.set_lang("en")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    family = _fonts(pdf)

    def line(value: str, size: float, style: str = "", height: float = 10) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(0, height, _text(value, family), align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_draw_color(30, 64, 120)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_text_color(20, 20, 20)
    pdf.set_y(28)
    line("Certificate of achievement", 28, "B", 14)
    pdf.ln(4)
    line("This certifies that", 14)
    line(text.learner, 24, "B", 13)
    line("has earned", 14)
    line(text.achievement, 22, "B", 12)
    line(text.description[:300], 11, "", 6)
    pdf.ln(4)
    dates = f"Issued by {text.issuer} on {text.issued_on}"
    if text.valid_until:
        dates += f", valid until {text.valid_until}"
    line(dates, 12, "", 8)
    if text.revoked:
        pdf.set_text_color(160, 0, 0)
        line("This credential has been revoked.", 14, "B", 9)
        pdf.set_text_color(20, 20, 20)

    qr = segno.make(text.verify_url, error="m")
    image = io.BytesIO()
    qr.save(image, kind="png", scale=6, border=2)
    image.seek(0)
    pdf.image(image, x=22, y=150, w=40, h=40, alt_text="QR code linking to the verify page")
    pdf.set_xy(68, 160)
    pdf.set_font(family, "", 10)
    pdf.multi_cell(
        200, 6, _text(f"Verify this credential: scan the code or open\n{text.verify_url}", family)
    )
    return bytes(pdf.output())
