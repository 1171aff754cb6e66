"""Load benchmark (issue 7): 300 simulated students for 5 minutes (launch, read, submit) against
two gunicorn servers and two `microcred worker`s on PostgreSQL and Redis, with the dev LMS.

Each student opens a module from the dev LMS course page, reads it, autosaves and submits its
quiz, pauses, and comes back as the next identity (a new student or the next module). Prints
throughput, p50/p95/p99 per step, the error count (target 0), how many scores reached the dev
LMS, and the peak memory of every process. Asserts nothing about time.

    python -m tests.benchmarks.bench_load [--quick] [--students N] [--seconds S]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))


def _parse(argv: list[str] | None) -> argparse.Namespace:
    from tests.loadkit.report import add_service_options

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="30 students for 20 s")
    parser.add_argument("--students", type=int, default=None, help="students at once (300)")
    parser.add_argument("--seconds", type=float, default=None, help="duration (300)")
    parser.add_argument(
        "--read-seconds", type=float, default=None, help="mean reading time (20; quick 3)"
    )
    parser.add_argument(
        "--think-seconds", type=float, default=None, help="mean pause after a path (10; quick 2)"
    )
    parser.add_argument("--servers", type=int, default=2, help="gunicorn app servers")
    parser.add_argument("--processes", type=int, default=2, help="processes per server")
    parser.add_argument("--threads", type=int, default=4, help="threads per process")
    parser.add_argument("--workers", type=int, default=2, help="`microcred worker` processes")
    parser.add_argument("--modules", type=int, default=5, help="modules placed")
    add_service_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when a student saw an error."""
    from tests.loadkit.crowd import run_for
    from tests.loadkit.observe import outbox_rows, wait_until
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
    seconds = args.seconds or (20.0 if args.quick else 300.0)
    read = args.read_seconds if args.read_seconds is not None else (3.0 if args.quick else 20.0)
    think = args.think_seconds if args.think_seconds is not None else (2.0 if args.quick else 10.0)
    # Enough identities that every path can submit: a module's attempts run out only after
    # each identity took it (paths per student ~ seconds / (read + think)).
    per_student = seconds / max(read + think, 1.0)
    identities = max(students, int(students * per_student / args.modules) + students)
    config = StackConfig(
        database_server=args.postgres,
        redis_url=args.redis or None,
        app_servers=args.servers,
        processes_per_server=args.processes,
        threads_per_process=args.threads,
        workers=args.workers,
        students=identities,
        modules=args.modules,
        env={"GRADEBOOK_POLL_SECONDS": "0.5"},
    )
    print(
        f"{students} students at once for {seconds:.0f} s (reading ~{read:g} s, "
        f"pausing ~{think:g} s; {identities} identities x {args.modules} modules); "
        f"{args.servers} gunicorn servers ({args.processes} processes x {args.threads} threads), "
        f"{args.workers} workers; PostgreSQL, {'Redis' if args.redis else 'SQLite store'}",
        flush=True,
    )
    print(machine_note(), flush=True)
    with Stack(config) as stack:
        router = Router(stack.tool_url, stack.server_urls)
        result = run_for(
            seconds,
            students,
            stack.students,
            stack.placements,
            stack.lms_url,
            router,
            read_seconds=read,
            think_seconds=think,
        )
        print_figures(result)
        start = time.monotonic()
        drained = wait_until(lambda: outbox_rows(stack) == [], timeout=120, interval=0.5)
        drain_seconds = time.monotonic() - start
        received = stack.lms_json("/_dev/stats")["scores_received"]
        left = "" if drained else f"; {len(outbox_rows(stack))} still in the outbox"
        print(
            f"scores: {result.submitted} quizzes submitted, {received} received by the dev LMS; "
            f"outbox empty {drain_seconds:.1f} s after the last submit{left}"
        )
        print_memory(stack)
    print(machine_note())
    errors = len(result.recorder.errors())
    print(f"target 0 errors: {'met' if not errors else f'missed ({errors})'}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
