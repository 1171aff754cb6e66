"""CSV export of the instructor's gradebook: RFC 4180 quoting, no spreadsheet formulas.

A cell that starts with = + - @ (or a tab or carriage return) would run as a formula in Excel,
LibreOffice or Google Sheets; such text is prefixed with a single quote (OWASP's advice).
Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Cell = str | int | float | None


def safe_cell(value: Cell) -> str | int | float:
    """A value ready for a spreadsheet: None is empty, text that would be a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(header: Sequence[Cell], rows: Iterable[Sequence[Cell]]) -> str:
    """The table as CSV text (CRLF line ends, quotes where needed), with a UTF-8 BOM so
    spreadsheet programs read names in any script correctly."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return "\ufeff" + out.getvalue()


def csv_filename(*parts: str) -> str:
    """A download name made of safe characters only."""
    name = "-".join(p for p in (_FILENAME_UNSAFE.sub("_", part).strip("_") for part in parts) if p)
    return (name or "gradebook")[:80] + ".csv"
