"""Upload guards in front of every package upload: the zip's own directory is read (nothing is
unpacked) and a package is refused before any other code touches it when an entry would leave
its folder, is a link, or the archive would unpack to too much (zip bombs: total size and ratio).

`authoring.reader.read_package` checks names, links and sizes again while it unpacks; this guard
makes the refusal cheap and the limits configurable. Views may call `check_package_upload(data)`
themselves to show the message in their own page.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from flask import Flask, request

from ..errors import ValidationError

#: Endpoints that receive a package (patterns), checked before the view runs.
UPLOAD_ENDPOINTS: list[str] = ["catalog_api.publish*", "catalog.upload*"]
#: Below this many unpacked bytes, any compression ratio is fine (small text compresses well).
RATIO_FLOOR_BYTES = 8 * 1024 * 1024


class UploadRefused(ValidationError):
    """A package upload refused by the guard; the message says why."""

    code = "UPLOAD_REFUSED"
    title = "The package was refused"


def _escapes(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return (
        name.startswith(("/", "\\"))
        or ".." in path.parts
        or (bool(path.parts) and ":" in path.parts[0])
    )


def check_package_upload(data: bytes, *, max_unpacked: int, max_ratio: float) -> None:
    """Raise UploadRefused when the zip in `data` is unsafe to unpack; other bytes pass through
    (the package reader explains what is wrong with them).

    Sizes are counted on the bytes actually inflated (streamed, never held), not on what the
    archive declares, so a forged directory cannot hide a bomb.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        return
    for info in infos:
        if _escapes(info.filename):
            raise UploadRefused(
                f"The package entry '{info.filename[:200]}' would be written "
                "outside the package folder."
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UploadRefused(
                f"The package entry '{info.filename[:200]}' is a link; packages "
                "may hold files only."
            )
    declared = sum(info.file_size for info in infos)
    if declared > max_unpacked:
        raise _too_big(declared, max_unpacked)
    total = 0
    for info in infos:
        total = _inflate(archive, info, total, len(data), max_unpacked, max_ratio)


def _too_big(total: int, max_unpacked: int) -> UploadRefused:
    return UploadRefused(
        f"The package would unpack to more than {total / 2**20:.0f} MB; this "
        f"tool unpacks at most {max_unpacked / 2**20:.0f} MB."
    )


def _inflate(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    total: int,
    packed: int,
    max_unpacked: int,
    max_ratio: float,
) -> int:
    name = info.filename[:200]
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                total += len(chunk)
                if size > info.file_size:
                    raise UploadRefused(
                        f"The package entry '{name}' is larger than the archive "
                        "says: the file is damaged or forged."
                    )
                if total > max_unpacked:
                    raise _too_big(total, max_unpacked)
                if total > RATIO_FLOOR_BYTES and total / max(packed, 1) > max_ratio:
                    raise UploadRefused(
                        f"The package unpacks to more than {total / max(packed, 1):.0f} times "
                        f"its size (at most {max_ratio:g} times is accepted): it looks like a "
                        "zip bomb."
                    )
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        RuntimeError,
        NotImplementedError,
        ValueError,
    ) as exc:
        raise UploadRefused(
            f"The package entry '{name}' cannot be read: the file is damaged "
            f"({type(exc).__name__})."
        ) from exc
    return total


def _upload_bytes() -> bytes | None:
    if request.method not in ("POST", "PUT"):
        return None
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("package")
        if upload is None:
            return None
        data = upload.read()
        upload.seek(0)  # the view reads it again
        return data
    return request.get_data(cache=True)  # cached: the view's get_data() sees the same bytes


def init_app(app: Flask, max_unpacked: int, max_ratio: float) -> None:
    """Check every package upload before its view runs."""

    @app.before_request
    def _guard_uploads() -> None:
        endpoint = request.endpoint or ""
        if not any(fnmatchcase(endpoint, pattern) for pattern in UPLOAD_ENDPOINTS):
            return
        data = _upload_bytes()
        if data:
            check_package_upload(data, max_unpacked=max_unpacked, max_ratio=max_ratio)
