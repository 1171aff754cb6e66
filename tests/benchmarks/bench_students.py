"""Students benchmark (issue 4): 300 simulated students each open a module from the dev LMS
(OIDC login and launch), autosave and submit its quiz, against gunicorn on PostgreSQL.

Prints p50/p95/p99 latency per step (target: p95 under 200 ms), the error count (target 0),
and whether every graded score reached the dev LMS gradebook. Asserts nothing about time.

    python -m tests.benchmarks.bench_students [--quick] [--students N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 200.0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    from tests.loadkit.report import add_service_options

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="30 students instead of 300")
    parser.add_argument("--students", type=int, default=None, help="students (default 300)")
    parser.add_argument("--concurrency", type=int, default=10, help="students on their way at once")
    parser.add_argument("--modules", type=int, default=5, help="modules placed (students spread)")
    parser.add_argument(
        "--warmup", type=int, default=10, help="students first, not measured (warm processes)"
    )
    parser.add_argument("--processes", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--deliver-wait", type=float, default=60, help="seconds to wait for scores")
    add_service_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when a student saw an error or a score did not arrive."""
    from tests.loadkit.crowd import run_once
    from tests.loadkit.observe import graded_scores, wait_until
    from tests.loadkit.report import machine_note, print_figures, print_memory, service_problems
    from tests.loadkit.stack import Stack, StackConfig
    from tests.loadkit.students import Router

    args = _parse(argv)
    problems = service_problems(args.postgres, args.redis or None)
    for problem in problems:
        print(f"cannot run: {problem}", file=sys.stderr)
    if problems:
        return 2
    students = args.students or (30 if args.quick else 300)
    config = StackConfig(
        database_server=args.postgres,
        redis_url=args.redis or None,
        app_servers=1,
        processes_per_server=args.processes,
        threads_per_process=args.threads,
        workers=1,
        students=students + args.warmup,
        modules=args.modules,
        env={"GRADEBOOK_POLL_SECONDS": "0.5"},
    )
    print(
        f"{students} students (after {args.warmup} not measured), {args.concurrency} at a time, "
        f"over {args.modules} modules; "
        f"1 gunicorn server ({args.processes} processes x {args.threads} threads), 1 worker; "
        f"PostgreSQL, {'Redis' if args.redis else 'SQLite store'}",
        flush=True,
    )
    print(machine_note(), flush=True)
    with Stack(config) as stack:
        router = Router(stack.tool_url, stack.server_urls)
        measured, warmup = stack.students[:students], stack.students[students:]
        if warmup:
            run_once(warmup, stack.placements, stack.lms_url, router, concurrency=args.concurrency)
        result = run_once(
            measured, stack.placements, stack.lms_url, router, concurrency=args.concurrency
        )
        print_figures(result, TARGET_P95_MS)
        start = time.monotonic()
        expected = graded_scores(stack)
        shown = wait_until(
            lambda: stack.lms_scores() == expected and expected, timeout=args.deliver_wait
        )
        arrived = (
            len(shown) if shown else len(set(stack.lms_scores().items()) & set(expected.items()))
        )
        print(
            f"scores in the dev LMS gradebook: {arrived} of {len(expected)} graded "
            f"(waited {time.monotonic() - start:.1f} s after the last submit)"
        )
        print_memory(stack)
    print(machine_note())
    errors = len(result.recorder.errors())
    over = [
        f.step for f in result.recorder.figures() if f.step != "lms" and f.p95_ms >= TARGET_P95_MS
    ]
    verdict = "met" if not over else "missed by " + ", ".join(over)
    print(f"target p95 < {TARGET_P95_MS:.0f} ms: {verdict}")
    print(f"target 0 errors: {'met' if not errors else f'missed ({errors})'}")
    return 0 if not errors and arrived == len(expected) else 1


if __name__ == "__main__":
    sys.exit(main())
