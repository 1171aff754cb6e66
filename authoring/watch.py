"""`microcred build --watch`: build, then rebuild whenever an author saves a file.

One `Builder` lives for the whole session, so a rebuild re-parses the files that changed
(`CourseLoader.reload`), re-renders only the modules whose source changed and re-compresses only
the package entries that changed: tens of milliseconds for a large course.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from .package import PACKAGE_SUFFIX, Builder, BuildResult

log = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int]]


def snapshot(folder: Path) -> Snapshot:
    """(mtime_ns, size) of each file an author edits: hidden folders, `dist/` and packages are
    left out, so writing the package never triggers another build."""
    out: Snapshot = {}
    top = str(folder)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [
            d for d in dirnames if not d.startswith(".") and not (dirpath == top and d == "dist")
        ]
        for name in filenames:
            if name.startswith(".") or name.endswith((PACKAGE_SUFFIX, ".tmp")):
                continue
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError:  # deleted while we looked
                continue
            out[os.path.relpath(path, top)] = (st.st_mtime_ns, st.st_size)
    return out


def watch_and_build(
    builder: Builder,
    out: str | Path | None,
    *,
    strict: bool,
    on_build: Callable[[BuildResult, float], None],
    interval: float = 0.3,
    builds: int | None = None,
) -> None:
    """Build now and after every change until interrupted (or after `builds` builds).

    `on_build(result, seconds)` hears about each build; content errors do not stop watching.
    """
    seen = snapshot(builder.folder)
    start = time.perf_counter()
    on_build(builder.build(out, strict=strict), time.perf_counter() - start)
    done = 1
    while builds is None or done < builds:
        time.sleep(interval)
        now = snapshot(builder.folder)
        if now == seen:
            continue
        changed = sorted(p for p in now.keys() | seen.keys() if now.get(p) != seen.get(p))
        seen = now
        log.debug("changed: %s", changed)
        start = time.perf_counter()
        result = builder.build(out, strict=strict, changed=changed)  # relative to the folder
        on_build(result, time.perf_counter() - start)
        done += 1
