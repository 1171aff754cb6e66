"""Prometheus metrics, gathered at scrape time: database counts (cheap aggregate queries) and
counters kept in the shared store (so every process and server adds to the same numbers).

Tables that a feature has not created yet are skipped, so the scrape never fails on them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from ..extensions import db
from ..store import Store

log = logging.getLogger(__name__)
COUNTER_TTL = 10 * 365 * 24 * 3600
LAUNCH_OUTCOMES = ("ok", "refused", "error")


def launch_counter(prefix: str, outcome: str) -> str:
    """The shared counter of launches that ended with `outcome` (one of LAUNCH_OUTCOMES)."""
    return f"ops:{prefix}:launches:{outcome}"


def count_launch(store: Store, status: int, prefix: str = "") -> None:
    """Add one finished launch to the shared counters by its outcome (the response status)."""
    if status < 300:
        return  # an intermediate page (Platform Storage), not the end of the launch
    outcome = "ok" if status < 400 else "refused" if status < 500 else "error"
    try:
        store.incr(launch_counter(prefix, outcome), COUNTER_TTL)
    except Exception:  # a metric must never break the launch it counts
        log.warning("could not count a launch (store unavailable)")


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _scalar(sql: str, **params: Any) -> Any:
    return db.session.execute(sa.text(sql), params).scalar()


class DatabaseCollector(Collector):
    """Collects the tool's figures when Prometheus scrapes."""

    def __init__(self, store: Store, prefix: str = "") -> None:
        self.store = store
        self.prefix = prefix

    def collect(self) -> Iterator[Any]:
        """Yield every metric family; a failing source is logged and left out."""
        launches = CounterMetricFamily(
            "microcred_launches", "LTI launches by outcome", labels=["outcome"]
        )
        for outcome in LAUNCH_OUTCOMES:
            raw = self.store.get(launch_counter(self.prefix, outcome))
            launches.add_metric([outcome], float(raw or 0))
        yield launches
        tables = _tables()
        yield from self._learning(tables)
        yield from self._outbox(tables)
        yield from self._credentials(tables)

    def _learning(self, tables: set[str]) -> Iterator[Any]:
        if "learners" in tables:
            gauge = GaugeMetricFamily("microcred_learners", "learners the tool knows")
            gauge.add_metric([], float(_scalar("SELECT count(*) FROM learners") or 0))
            yield gauge
        if "attempts" in tables:
            counter = CounterMetricFamily("microcred_attempts", "quiz attempts recorded")
            counter.add_metric([], float(_scalar("SELECT count(*) FROM attempts") or 0))
            yield counter

    def _outbox(self, tables: set[str]) -> Iterator[Any]:
        if "outbox_scores" not in tables:
            return
        depth = GaugeMetricFamily(
            "microcred_outbox_depth", "scores waiting for the LMS", labels=["status"]
        )
        counts: dict[str, int] = dict(
            db.session.execute(
                sa.text("SELECT status, count(*) FROM outbox_scores GROUP BY status")
            ).all()
        )
        for status in ("pending", "failed"):
            depth.add_metric([status], float(counts.get(status, 0)))
        yield depth
        oldest = _scalar("SELECT min(created_at) FROM outbox_scores")
        age = GaugeMetricFamily(
            "microcred_outbox_oldest_age_seconds", "age of the oldest score waiting for the LMS"
        )
        age.add_metric([], _age(oldest))
        yield age
        failures = GaugeMetricFamily(
            "microcred_delivery_failures",
            "scores whose last delivery try failed, by platform",
            labels=["platform"],
        )
        rows = db.session.execute(
            sa.text(
                "SELECT r.issuer, count(*) FROM outbox_scores o JOIN registrations r"
                " ON r.id = o.registration_id WHERE o.tries > 0 OR o.status = 'failed'"
                " GROUP BY r.issuer"
            )
        ).all()
        for issuer, n in rows:
            failures.add_metric([str(issuer)], float(n))
        yield failures

    def _credentials(self, tables: set[str]) -> Iterator[Any]:
        if "awards" not in tables:
            return
        issued = CounterMetricFamily(
            "microcred_credentials_issued", "credentials issued, by kind", labels=["kind"]
        )
        for kind, n in db.session.execute(
            sa.text("SELECT kind, count(*) FROM awards GROUP BY kind")
        ).all():
            issued.add_metric([str(kind)], float(n))
        yield issued


def _age(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):  # SQLite hands back text from a raw query
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - value).total_seconds())


def render_metrics(store: Store, prefix: str = "") -> bytes:
    """The Prometheus text exposition of every metric, gathered now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(store, prefix))
    return generate_latest(registry)
