"""What the load benchmarks share: where PostgreSQL and Redis are, and how figures are printed."""

from __future__ import annotations

import argparse
import os
from collections import Counter

from tests.loadkit.crowd import CrowdResult
from tests.loadkit.recorder import format_table
from tests.loadkit.stack import Stack
from tests.loadkit.students import STEPS

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def add_service_options(parser: argparse.ArgumentParser) -> None:
    """--postgres and --redis, defaulting to the test suite's variables, then the local ones."""
    parser.add_argument(
        "--postgres",
        default=os.environ.get("MICROCRED_TEST_POSTGRES_URL") or DEFAULT_POSTGRES,
        help="PostgreSQL server URL; a fresh database is created on it and dropped after",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("MICROCRED_TEST_REDIS_URL") or DEFAULT_REDIS,
        help="Redis URL for launch state, caches and rate limits ('' for the SQLite store)",
    )


def service_problems(postgres: str, redis_url: str | None) -> list[str]:
    """What keeps a benchmark from running: PostgreSQL or Redis not answering, in plain words."""
    import redis
    import sqlalchemy as sa

    from tests.loadkit.services import pg_url

    problems = []
    engine = sa.create_engine(pg_url(postgres))
    try:
        with engine.connect():
            pass
    except sa.exc.SQLAlchemyError as exc:
        problems.append(
            f"PostgreSQL at {postgres} is not answering ({type(exc).__name__}); "
            "start it or pass --postgres"
        )
    finally:
        engine.dispose()
    if redis_url:
        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            problems.append(
                f"Redis at {redis_url} is not answering ({type(exc).__name__}); "
                "start it, pass --redis URL, or --redis '' for the SQLite store"
            )
    return problems


def print_figures(result: CrowdResult, target_ms: float | None = None) -> None:
    """Per-step latency table, errors (grouped, with examples) and throughput."""
    recorder = result.recorder
    print(format_table(recorder.figures(STEPS), target_ms))
    errors = recorder.errors()
    print(f"errors: {len(errors)} of {len(recorder.samples)} requests")
    kinds = Counter((s.step, s.status) for s in errors)
    for (step, status), count in kinds.most_common(8):
        example = next(s.detail for s in errors if (s.step, s.status) == (step, status))
        print(f"  {count} x {step} HTTP {status or '-'}: {example[:160]}")
    done = len(result.outcomes) - len(result.failed)
    print(
        f"students: {len(result.outcomes)} paths, {done} completed, {result.submitted} quizzes "
        f"submitted in {result.seconds:.0f} s (wall {result.wall_seconds:.1f} s): "
        f"{result.journeys_per_second} paths/s, {len(recorder.samples) / result.seconds:.1f} "
        f"requests/s"
    )
    if len(result.server_hits) > 1:
        spread = ", ".join(f"{url.rsplit(':', 1)[1]}: {n}" for url, n in result.server_hits.items())
        print(f"requests per app server (port: count): {spread}")


def machine_note() -> str:
    """CPUs and load average: the benchmark shares the machine with everything else on it."""
    one, five, _ = os.getloadavg()
    return f"machine: {os.cpu_count()} CPUs, load average {one:.1f} (1 min), {five:.1f} (5 min)"


def print_memory(stack: Stack) -> None:
    """Peak resident memory of every process of the stack."""
    stack.rss.sample()
    print("peak RSS per process (MiB):")
    for label, mb in stack.rss.peaks_mb().items():
        print(f"  {label:<22}{mb:>8.1f}")
