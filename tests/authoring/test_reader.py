"""authoring.reader: packages that are damaged are refused with a reason, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_a_damaged_entry_is_refused_with_its_name(tmp_path: Path) -> None:
    """A bad CRC inside a package is a PackageError naming the entry, not a crash."""
    import zipfile

    from authoring.reader import PackageError, read_package

    target = tmp_path / "p.mcpkg"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("manifest.json", b'{"format": "x"}')
        zf.writestr("course.json", b"hello world, this is the course")
    raw = bytearray(target.read_bytes())
    at = raw.find(b"hello world")
    raw[at] ^= 0xFF  # flip a byte of the stored data: the CRC no longer matches
    with pytest.raises(PackageError, match=r"course\.json"):
        read_package(bytes(raw))
