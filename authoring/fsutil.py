"""Safe file access inside a course folder: path containment (F004) and text decoding (F001, F002).

Every course path is relative to the course folder, uses `/`, and may not leave the folder. Text
files are UTF-8; a leading BOM is removed silently (the spec says so, so no F003 is emitted) and
CRLF / CR line ends become LF, so line numbers match what an editor shows.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from authoring.diagnostics import DiagnosticBag

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024  # F002 above this
_BOM = "\ufeff"
_DRIVE = re.compile(r"^[A-Za-z]:")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@dataclass(frozen=True)
class TextFile:
    """A decoded text file: LF line ends, no BOM, plus the sha256 of the bytes on disk."""

    rel: str
    text: str
    sha256: str


def has_url_scheme(ref: str) -> bool:
    """True for `https://...`, `mailto:...`, `data:...` and protocol-relative `//host` refs."""
    return ref.startswith("//") or (_SCHEME.match(ref) is not None and not _DRIVE.match(ref))


def path_problem(root: Path | None, rel: str) -> str:
    """Why `rel` may not be used inside `root` ("" when fine): absolute, escaping or linked out.

    `root` must be an absolute, resolved folder (None: check the spelling only, no symlinks).
    A `..` that stays inside the folder is allowed. Only the components of `rel` are checked for
    symlinks (one lstat each), which keeps a large course fast; a symlink found is resolved.
    """
    if not rel or rel.startswith(("/", "\\")) or _DRIVE.match(rel):
        return "is absolute" if rel else "is empty"
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".")]
    if root is None:
        return "leaves the course folder" if _escapes(parts) else ""
    base = str(root)
    current, depth = base, 0
    for index, part in enumerate(parts):
        if part == "..":
            depth -= 1
            if depth < 0:
                return "leaves the course folder"
            current = os.path.dirname(current)
            continue
        depth += 1
        current = os.path.join(current, part)
        if os.path.islink(current):
            real = os.path.realpath(os.path.join(current, *parts[index + 1 :]))
            if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
                return "is a symlink pointing outside the course folder"
            return ""
    return ""


def _escapes(parts: list[str]) -> bool:
    depth = 0
    for part in parts:
        depth += -1 if part == ".." else 1
        if depth < 0:
            return True
    return False


def normalize_rel(rel: str) -> str:
    """The canonical form of a safe course-relative path: `./img/../img/a.png` -> `img/a.png`."""
    return posixpath.normpath(rel.replace("\\", "/")).lstrip("/")


def resolve_inside(
    root: Path, rel: str, bag: DiagnosticBag, where: str, line: int, column: int
) -> Path | None:
    """The file `rel` names under `root`, or None after adding F004 at `where:line:column`."""
    problem = path_problem(root, rel)
    if problem:
        bag.add(
            where,
            line,
            column,
            "F004",
            f"path '{rel}' {problem}",
            "use a path relative to the course folder that stays inside it",
        )
        return None
    return root / normalize_rel(rel)


def decode_text(data: bytes, rel: str, bag: DiagnosticBag) -> str | None:
    """UTF-8 text with LF line ends and no BOM, or None after F001 at the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
        hint = "save the file as UTF-8"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = "the file looks like UTF-16; save it as UTF-8"
        bag.add(
            rel,
            line,
            column,
            "F001",
            f"file is not valid UTF-8 (byte 0x{data[start]:02x} cannot be decoded)",
            hint,
        )
        return None
    if text.startswith(_BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_bytes(path: Path, rel: str, bag: DiagnosticBag) -> bytes | None:
    """The bytes of a file the loader needs; F002 when over 2 MiB, F005 when unreadable.

    `path` must already be checked (see `resolve_inside`); `rel` names it in diagnostics.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            bag.add(
                rel,
                1,
                1,
                "F002",
                f"file is too large ({size} bytes, the limit is {MAX_FILE_BYTES} bytes)",
                "split it into smaller files or move media into img/",
            )
            return None
        return path.read_bytes()
    except OSError as exc:
        log.debug("cannot read %s: %s", path, exc)
        bag.add(rel, 1, 1, "F005", f"cannot read '{rel}': {exc.strerror or exc}")
        return None


def text_file(data: bytes, rel: str, bag: DiagnosticBag) -> TextFile | None:
    """`data` decoded as a TextFile, or None after F001."""
    text = decode_text(data, rel, bag)
    if text is None:
        return None
    return TextFile(rel, text, hashlib.sha256(data).hexdigest())


def read_text(path: Path, rel: str, bag: DiagnosticBag) -> TextFile | None:
    """Read a text file the loader needs; F002 when over 2 MiB, F001 when not UTF-8.

    `path` must already be checked (see `resolve_inside`); `rel` names it in diagnostics.
    An unreadable file (permissions, a folder) is F005.
    """
    data = read_bytes(path, rel, bag)
    return None if data is None else text_file(data, rel, bag)
