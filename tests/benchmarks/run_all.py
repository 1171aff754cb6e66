"""`make bench`: run every benchmark in tests/benchmarks in turn, then print a summary table.

A benchmark is a `bench_<area>.py` module exposing `main(argv: list[str] | None = None) -> int`.
Each runs in its own process (`python -m tests.benchmarks.bench_<area>`), so one that crashes
or exits early does not stop the others; its figures are its own output, printed as it goes.

    python -m tests.benchmarks.run_all            # full sizes
    python -m tests.benchmarks.run_all --quick    # or MICROCRED_BENCH_QUICK=1: small sizes
    BENCH=launch python -m tests.benchmarks.run_all   # only benchmarks whose name has "launch"
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@dataclass(frozen=True)
class Bench:
    """A benchmark module found in tests/benchmarks."""

    path: Path
    has_quick: bool  # the benchmark knows a --quick flag

    @property
    def module(self) -> str:
        return f"tests.benchmarks.{self.path.stem}"


@dataclass(frozen=True)
class Outcome:
    """How one benchmark run ended."""

    bench: Bench
    status: str  # "ok", "failed (exit N)", "timed out", "not run: ..."
    seconds: float


def find_benches(folder: Path = HERE) -> tuple[list[Bench], list[tuple[Path, str]]]:
    """Benchmarks with a module-level `main` (read without importing them), and the
    bench_*.py files left out with the reason."""
    found: list[Bench] = []
    skipped: list[tuple[Path, str]] = []
    for path in sorted(folder.glob("bench_*.py")):
        source = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source, filename=str(path))
        except SyntaxError as exc:
            skipped.append((path, f"does not parse: line {exc.lineno}: {exc.msg}"))
            continue
        main = next(
            (
                node
                for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "main"
            ),
            None,
        )
        if main is None:
            skipped.append((path, "has no main(argv) function"))
            continue
        found.append(Bench(path, "--quick" in source))
    return found, skipped


def run_bench(bench: Bench, quick: bool, timeout: float | None) -> Outcome:
    """Run one benchmark in its own process, its output going straight to ours."""
    cmd = [sys.executable, "-c", _LAUNCHER, bench.module]
    if quick and bench.has_quick:
        cmd.append("--quick")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if quick:
        env["MICROCRED_BENCH_QUICK"] = "1"
    start = time.monotonic()
    try:
        rc = subprocess.run(cmd, cwd=ROOT, env=env, timeout=timeout, check=False).returncode
    except subprocess.TimeoutExpired:
        return Outcome(bench, f"timed out after {timeout:.0f} s", time.monotonic() - start)
    status = "ok" if rc == 0 else f"failed (exit {rc})"
    return Outcome(bench, status, time.monotonic() - start)


# Calls the module's main(argv) whatever its `if __name__ == "__main__"` block does.
_LAUNCHER = """
import importlib, inspect, sys
module = importlib.import_module(sys.argv[1])
args = sys.argv[2:]
sys.argv = [module.__file__, *args]  # a main() without argv reads sys.argv itself
takes_argv = bool(inspect.signature(module.main).parameters)
rc = module.main(args) if takes_argv else module.main()
sys.exit(rc if isinstance(rc, int) else 0)
"""


def summary(outcomes: list[Outcome], skipped: list[tuple[Path, str]]) -> str:
    """The table printed at the end: benchmark, result, seconds."""
    width = max(
        [len(o.bench.path.stem) for o in outcomes] + [len(p.stem) for p, _ in skipped] + [9]
    )
    lines = [f"{'benchmark':<{width}}  {'result':<28}{'seconds':>9}", "-" * (width + 39)]
    for o in outcomes:
        lines.append(f"{o.bench.path.stem:<{width}}  {o.status:<28}{o.seconds:>9.1f}")
    for path, reason in skipped:
        lines.append(f"{path.stem:<{width}}  not run: {reason}")
    failed = sum(o.status != "ok" for o in outcomes)
    total = sum(o.seconds for o in outcomes)
    lines.append(f"{len(outcomes)} run, {failed} failed, {total:.0f} s in all")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; exit 1 when any failed or timed out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes (also MICROCRED_BENCH_QUICK=1)"
    )
    parser.add_argument(
        "--only",
        default=os.environ.get("BENCH", ""),
        help="run only benchmarks whose name contains this (also BENCH=...)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds before a benchmark is stopped (default: no limit)",
    )
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("MICROCRED_BENCH_QUICK", "") == "1"
    benches, skipped = find_benches()
    benches = [b for b in benches if args.only in b.path.stem]
    outcomes = []
    for bench in benches:
        print(
            f"\n=== {bench.path.stem}{' --quick' if quick and bench.has_quick else ''}", flush=True
        )
        outcomes.append(run_bench(bench, quick, args.timeout))
    print("\n=== summary" + (" (quick)" if quick else ""))
    print(summary(outcomes, skipped), flush=True)
    return 1 if any(o.status != "ok" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
