"""Peak memory of the stack's processes: VmHWM (peak resident set) from /proc, sampled in a
background thread so that a process's peak is kept after it exits."""

from __future__ import annotations

import threading
from pathlib import Path


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids.extend(int(p) for p in task.read_text().split())
        except (OSError, ValueError):
            continue
    return kids


def peak_rss_kb(pid: int) -> int | None:
    """The peak resident set size of `pid` in KiB, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class RssSampler:
    """Watch named root processes and their descendants; keep each one's peak RSS."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._roots: dict[int, str] = {}
        self._peaks: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, name: str, pid: int) -> None:
        """Follow process `pid` (and the processes it starts) as `name`."""
        with self._lock:
            self._roots[pid] = name

    def name_of(self, pid: int) -> str | None:
        return self._roots.get(pid)

    def sample(self) -> None:
        """Read the peak of every watched process now."""
        with self._lock:
            roots = dict(self._roots)
        for root, name in roots.items():
            pending = [root]
            while pending:
                pid = pending.pop()
                peak = peak_rss_kb(pid)
                if peak is None:
                    continue
                label = name if pid == root else f"{name}/{pid}"
                key = (label, pid)
                with self._lock:
                    self._peaks[key] = max(peak, self._peaks.get(key, 0))
                pending.extend(_children(pid))

    def start(self) -> None:
        """Sample every `interval` seconds until stop()."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(self.interval):
                self.sample()

        self.sample()
        self._thread = threading.Thread(target=loop, name="rss-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Take a last sample and stop the thread."""
        if self._thread is None:
            return
        self.sample()
        self._stop.set()
        self._thread.join(5)
        self._thread = None

    def peaks_mb(self) -> dict[str, float]:
        """Process label -> peak RSS in MiB (a gunicorn master and each of its workers)."""
        with self._lock:
            return {label: round(kb / 1024, 1) for (label, _), kb in sorted(self._peaks.items())}
