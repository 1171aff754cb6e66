"""Reading a built package back, safely: the tool's publish step and the live preview use this.

Every entry is checked against the manifest's hashes, names may not leave the archive, and sizes
are bounded, so a damaged, tampered or hostile upload is refused with a clear reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .model import FORMAT_VERSION, Question
from .package import (
    MAX_ENTRIES,
    MAX_ENTRY_BYTES,
    MAX_TOTAL_BYTES,
    PACKAGE_FORMAT,
    PackageError,
    canonical_json,
)
from .serialize import question_from_data
from .versioning import Snapshot


@dataclass(frozen=True)
class Package:
    """A verified package held in memory."""

    manifest: dict[str, Any]
    entries: dict[str, bytes]

    @property
    def course_id(self) -> str:
        return str(self.manifest["course_id"])

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def content_hash(self) -> str:
        return str(self.manifest["content_hash"])

    def course(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.entries["course.json"])
        return data

    def module_html(self, module_id: str) -> str:
        return self.entries[f"modules/{module_id}.html"].decode("utf-8")

    def public_questions(self) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = json.loads(self.entries["public/questions.json"])
        return data

    def server_questions(self) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = json.loads(self.entries["server/questions.json"])
        return data

    def questions(self) -> dict[str, Question]:
        """Every question, ready for `authoring.grading.grade`."""
        out: dict[str, Question] = {}
        for qid, data in self.server_questions().items():
            clean = {k: v for k, v in data.items() if k not in ("private", "bank")}
            out[qid] = question_from_data(clean)
        return out

    def snapshot(self) -> Snapshot:
        """What the versioning rules compare between two published versions."""
        return Snapshot.from_package_parts(
            self.version, self.content_hash, self.course(), self.server_questions()
        )

    def assets(self) -> dict[str, bytes]:
        return {k[len("assets/") :]: v for k, v in self.entries.items() if k.startswith("assets/")}


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not (
        name.startswith(("/", "\\")) or ".." in path.parts or "\\" in name or ":" in path.parts[0]
    )


def read_package(source: str | Path | bytes) -> Package:
    """Open and verify a package; raise PackageError with the reason when it is not acceptable."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise PackageError("not a microcred package (the file is not a zip archive)") from exc
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise PackageError(f"the package has {len(infos)} files; at most {MAX_ENTRIES} are allowed")
    total = 0
    entries: dict[str, bytes] = {}
    for info in infos:
        if info.is_dir():
            continue
        if not _safe_name(info.filename):
            raise PackageError(f"entry '{info.filename}' would be written outside the package")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise PackageError(f"entry '{info.filename}' is a symbolic link")
        if info.file_size > MAX_ENTRY_BYTES:
            raise PackageError(f"entry '{info.filename}' is larger than {MAX_ENTRY_BYTES} bytes")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise PackageError("the package unpacks to more than the allowed total size")
        try:
            with zf.open(info) as fh:
                data = fh.read(MAX_ENTRY_BYTES + 1)  # never trust the declared size (zip bombs)
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
            raise PackageError(f"entry '{info.filename}' is damaged ({exc})") from exc
        if len(data) > MAX_ENTRY_BYTES or len(data) != info.file_size:
            raise PackageError(f"entry '{info.filename}' does not match its declared size")
        entries[info.filename] = data
    if "manifest.json" not in entries:
        raise PackageError("not a microcred package (manifest.json is missing)")
    try:
        manifest = json.loads(entries.pop("manifest.json"))
    except ValueError as exc:
        raise PackageError("manifest.json is not valid JSON") from exc
    if manifest.get("format") != PACKAGE_FORMAT:
        raise PackageError("not a microcred package (unknown format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise PackageError(
            f"package format version {manifest.get('format_version')} is not supported "
            f"(this tool reads version {FORMAT_VERSION})"
        )
    files = manifest.get("files") or {}
    if set(files) != set(entries):
        extra = sorted(set(entries) ^ set(files))
        raise PackageError(f"the package's files do not match its manifest: {', '.join(extra[:5])}")
    for name, data in entries.items():
        if hashlib.sha256(data).hexdigest() != files[name]:
            raise PackageError(f"'{name}' was changed after the package was built")
    expected = "sha256:" + hashlib.sha256(canonical_json(files)).hexdigest()
    if manifest.get("content_hash") != expected:
        raise PackageError("the manifest's content hash does not match its files")
    for required in ("course.json", "public/questions.json", "server/questions.json"):
        if required not in entries:
            raise PackageError(f"the package has no {required}")
    return Package(manifest, entries)
