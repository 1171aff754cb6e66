"""`microcred worker` (grade delivery) and `microcred grades status|retry`."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from ..cli import app_context, with_app
from ..errors import MicrocredError
from ..extensions import db
from .services import delivery_counts, retry_delivery, retry_failed_deliveries
from .tokens import token_request_count
from .worker import Worker


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option(
    "--batch",
    type=click.IntRange(1, 1000),
    default=None,
    help="Rows claimed at once (default GRADEBOOK_BATCH).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Deliveries in flight (default GRADEBOOK_WORKER_THREADS).",
)
def worker_command(once: bool, batch: int | None, threads: int | None) -> None:
    """Deliver queued grades to the LMSs (several workers may run at once)."""
    with app_context() as app:
        worker = Worker(app, batch=batch, threads=threads)
    try:
        if once:
            stats = worker.run_once()
            click.echo(f"worker {worker.worker_id}: {stats.summary()}")
            return
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        click.echo(f"worker {worker.worker_id} delivering grades (stop with Ctrl-C)")
        worker.run_forever(stop)
    finally:
        worker.close()


@click.group("grades")
def grades_group() -> None:
    """Grades waiting for, or refused by, the LMS."""


@grades_group.command("status")
@with_app
def status() -> None:
    """How many scores are pending and failed, and token requests made."""
    counts = delivery_counts()
    click.echo(f"pending: {counts['pending']}")
    click.echo(f"failed: {counts['failed']}")
    click.echo(f"token requests: {token_request_count()}")


@grades_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Every failed delivery.")
@with_app
def retry(ids: tuple[int, ...], every: bool) -> None:
    """Queue failed deliveries IDS (or --all) again, from their first try."""
    if not ids and not every:
        raise click.UsageError("name delivery ids or use --all")
    try:
        count = retry_failed_deliveries() if every else len([retry_delivery(i) for i in ids])
    except MicrocredError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"queued again: {count}")


def register(group: click.Group) -> None:
    """Add the gradebook commands to `microcred`."""
    group.add_command(worker_command)
    group.add_command(grades_group)
