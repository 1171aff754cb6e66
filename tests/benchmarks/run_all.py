"""`make bench`: run every benchmark script in turn and print their figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
#: (script, extra arguments); each prints its own figures and targets.
BENCHES: list[tuple[str, list[str]]] = [
    ("bench_authoring.py", []),
]


def main() -> int:
    only = os.environ.get("BENCH")
    failures = 0
    for script, args in BENCHES:
        if only and only not in script:
            continue
        print(f"\n=== {script}", flush=True)
        rc = subprocess.run([sys.executable, str(HERE / script), *args]).returncode
        failures += rc != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
