"""Grade delivery benchmark: scores from the tool's outbox to the dev LMS over real AGS calls.

The dev LMS runs under gunicorn (threaded) on loopback, with every token, line item and score
call slowed by an injected latency (20 ms by default); the tool serves its JWKS from a threaded
werkzeug server, keeps its outbox in a real database (a fresh SQLite file, or --database) and
delivers with the production worker. Prints the time to queue and to deliver, scores per
second, token requests (target: one per platform per token lifetime) and scores lost (target 0,
checked value by value in the dev LMS gradebook). Asserts nothing about time; exits 1 when a
score is lost or more than one token was requested.

    python tests/benchmarks/bench_grades.py            # 10,000 scores
    python tests/benchmarks/bench_grades.py --quick    # 500 scores
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

CLIENT_ID = "microcred-dev"
DEPLOYMENT_ID = "1"
CONTEXT_ID = "course-101"
TOKEN_TARGET = 1


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _value(user: int, item: int) -> float:
    """The score of learner `user` on line item `item` (out of 10), known to both sides."""
    return float((user * 7 + item * 3) % 11)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 scores instead of 10,000")
    parser.add_argument("--scores", type=int, default=None, help="how many scores to deliver")
    parser.add_argument("--latency-ms", type=int, default=20, help="added per LMS call")
    parser.add_argument("--threads", type=int, default=16, help="worker delivery threads")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="GRADEBOOK_PLATFORM_CONCURRENCY (calls in flight to the LMS)",
    )
    parser.add_argument("--batch", type=int, default=200, help="rows claimed at once")
    parser.add_argument(
        "--postgres",
        default=None,
        help="a PostgreSQL server URL: the tool's outbox goes in a fresh database there "
        "(dropped afterwards); default a fresh SQLite file",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL") or None,
        help="the tool's REDIS_URL (default: $REDIS_URL, else the SQLite store)",
    )
    return parser.parse_args(argv)


class DevLmsServer:
    """The dev LMS under gunicorn in a subprocess, sharing its SQLite file with this process."""

    def __init__(self, config: dict[str, Any], port: int, folder: Path) -> None:
        self.config, self.port, self.folder = config, port, folder
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.folder / "gunicorn.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--threads",
                "64",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                f"plugin.devlms:create_devlms_app({self.config!r})",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        give_up = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/jwks", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.monotonic() > give_up:
                raise RuntimeError((self.folder / "gunicorn.log").read_text()[-2000:])
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def _seed_lms(lms_app: Any, tool_url: str, users: int, items: int) -> tuple[list[str], list[str]]:
    """Learners and line items on the dev LMS; (learner subs, line item URLs)."""
    from plugin.devlms import add_placement, get_devlms
    from plugin.devlms.data import User, save_user
    from plugin.devlms.vocab import ROLE_LEARNER

    devlms = get_devlms(lms_app)
    subs = []
    with devlms.store.transaction():
        for n in range(users):
            user = User(
                f"bench{n}",
                f"bench-user-{n}",
                "Bench",
                f"Learner {n}",
                None,
                (ROLE_LEARNER,),
                (),
                enrolled=True,
                share_name=True,
                share_email=False,
            )
            save_user(devlms.store, user, 100 + n)
            subs.append(user.sub)
    urls = []
    for n in range(items):
        placement = add_placement(
            lms_app,
            f"Quiz {n}",
            f"{tool_url}/lti/launch?quiz={n}",
            line_item={"label": f"Quiz {n}", "scoreMaximum": 10},
        )
        assert placement.line_item_id is not None
        urls.append(devlms.urls.lineitem(CONTEXT_ID, placement.line_item_id))
    return subs, urls


def _seed_tool(
    app: Any, lms_url: str, subs: list[str], urls: list[str]
) -> tuple[list[int], list[int]]:
    """The tool's records of what launches would have made; (learner ids, resource link ids)."""
    from plugin.extensions import db
    from plugin.lti import services
    from plugin.lti.models import Context, Learner, ResourceLink

    with app.app_context():
        reg = services.create_registration(
            issuer=lms_url,
            client_id=CLIENT_ID,
            name="dev LMS",
            auth_login_url=f"{lms_url}/auth",
            auth_token_url=f"{lms_url}/token",
            key_set_url=f"{lms_url}/jwks",
            deployment_ids=[DEPLOYMENT_ID],
        )
        deployment = reg.deployments[0]
        context = Context(
            registration_id=reg.id,
            deployment_pk=deployment.id,
            context_id=CONTEXT_ID,
            title="Benchmark course",
            label="BENCH",
        )
        db.session.add(context)
        db.session.flush()
        learners = [Learner(issuer=lms_url, sub=sub, registration_id=reg.id) for sub in subs]
        links = [
            ResourceLink(
                deployment_pk=deployment.id,
                context_pk=context.id,
                resource_link_id=f"rl-bench-{n}",
                title=f"Quiz {n}",
                ags_lineitem=url,
                ags_lineitems=f"{lms_url}/api/contexts/{CONTEXT_ID}/lineitems",
            )
            for n, url in enumerate(urls)
        ]
        db.session.add_all(learners + links)
        db.session.commit()
        ids = [lr.id for lr in learners], [lk.id for lk in links]
        db.session.remove()
    return ids


def _enqueue(app: Any, learner_ids: list[int], link_ids: list[int], total: int) -> int:
    from plugin.extensions import db
    from plugin.gradebook.services import enqueue_score

    queued = 0
    with app.app_context():
        for u, learner_id in enumerate(learner_ids):
            for i, link_id in enumerate(link_ids):
                if queued == total:
                    break
                enqueue_score(
                    learner_id=learner_id,
                    resource_link_pk=link_id,
                    score_given=_value(u, i),
                    score_maximum=10,
                    activity_progress="Completed",
                    grading_progress="FullyGraded",
                )
                queued += 1
            db.session.commit()
        db.session.remove()
    return queued


def _deliver(app: Any, threads: int, batch: int) -> dict[str, int]:
    from plugin.extensions import db
    from plugin.gradebook.services import delivery_counts
    from plugin.gradebook.worker import Worker

    with Worker(app, threads=threads, batch=batch) as worker:
        while True:
            worker.run_once()
            with app.app_context():
                counts = delivery_counts()
                db.session.remove()
            if counts["pending"] == 0:
                return counts
            time.sleep(0.05)  # rows waiting for a retry


def _lost(lms_app: Any, subs: list[str], urls: list[str], total: int) -> int:
    from plugin.devlms import get_devlms

    store = get_devlms(lms_app).store
    item_of = {int(url.rsplit("/", 1)[1]): n for n, url in enumerate(urls)}
    user_of = {sub: n for n, sub in enumerate(subs)}
    right = 0
    for row in store.query("SELECT line_item_id, user_sub, score_given FROM scores"):
        u, i = user_of.get(row["user_sub"]), item_of.get(row["line_item_id"])
        if u is not None and i is not None and row["score_given"] == _value(u, i):
            right += 1
    return total - right


@contextmanager
def _database(server_url: str | None, folder: Path) -> Iterator[str]:
    """A fresh, empty database URL: a new PostgreSQL database on `server_url`, or SQLite."""
    if not server_url:
        yield f"sqlite:///{folder / 'tool.sqlite3'}"
        return
    import sqlalchemy as sa

    name = f"bench_grades_{secrets.token_hex(5)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when no score was lost and one token served every call."""
    args = _parse(argv)
    total = args.scores or (500 if args.quick else 10_000)
    items = 20 if total <= 500 else 100
    users = math.ceil(total / items)

    from plugin import create_app
    from plugin.devlms import create_devlms_app
    from plugin.localserver import make_local_server

    with (
        tempfile.TemporaryDirectory(prefix="bench-grades-") as tmp,
        _database(args.postgres, Path(tmp)) as database_url,
    ):
        folder = Path(tmp)
        tool_port, lms_port = _free_port(), _free_port()
        tool_url, lms_url = f"http://localhost:{tool_port}", f"http://127.0.0.1:{lms_port}"
        lms_config = {
            "DEVLMS_PUBLIC_URL": lms_url,
            "DEVLMS_TOOL_URL": tool_url,
            "DEVLMS_DATABASE": str(folder / "devlms.sqlite3"),
            "DEVLMS_PLATFORM_STORAGE": False,
        }
        lms_app = create_devlms_app(lms_config)
        subs, urls = _seed_lms(lms_app, tool_url, users, items)
        config: dict[str, Any] = {
            "MICROCRED_ENV": "testing",
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": database_url,
            "PUBLIC_URL": tool_url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "RATE_LIMITS_ENABLED": "false",
            "GRADEBOOK_BACKOFF_BASE_SECONDS": 1,
            "GRADEBOOK_BACKOFF_CAP_SECONDS": 5,
            "GRADEBOOK_PLATFORM_CONCURRENCY": args.concurrency,
        }
        if args.redis:
            config["REDIS_URL"] = args.redis
        (folder / "instance").mkdir()
        app = create_app(config)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
        learner_ids, link_ids = _seed_tool(app, lms_url, subs, urls)
        tool_server = make_local_server("127.0.0.1", tool_port, app)
        tool_thread = threading.Thread(target=tool_server.serve_forever, daemon=True)
        tool_thread.start()
        lms = DevLmsServer(lms_config, lms_port, folder)
        lms.start()
        try:
            http = requests.Session()
            http.post(f"{lms_url}/_dev/reset", json={"scope": "runtime"}, timeout=30)
            for endpoint in ("token", "lineitems", "scores"):
                http.post(
                    f"{lms_url}/_dev/faults",
                    timeout=30,
                    json={"endpoint": endpoint, "mode": "ok", "delay_ms": args.latency_ms},
                )
            print(
                f"grade delivery: {total:,} scores ({users} learners x {items} line items), "
                f"{args.latency_ms} ms added per LMS call; tool database "
                f"{'PostgreSQL' if 'postgres' in config['DATABASE_URL'] else 'SQLite'}, "
                f"store {'Redis' if args.redis else 'SQLite'}",
                flush=True,
            )
            start = time.perf_counter()
            queued = _enqueue(app, learner_ids, link_ids, total)
            queue_s = time.perf_counter() - start
            print(
                f"queued: {queued:,} scores in {queue_s:.1f} s ({queued / queue_s:,.0f} scores/s)",
                flush=True,
            )
            start = time.perf_counter()
            counts = _deliver(app, args.threads, args.batch)
            took = time.perf_counter() - start
            stats = http.get(f"{lms_url}/_dev/stats", timeout=30).json()
        finally:
            lms.stop()
            tool_server.shutdown()
            tool_server.server_close()
        lost = _lost(lms_app, subs, urls, total)
        tokens = int(stats.get("token_requests", 0))
        twice = int(stats.get("scores_received", 0)) - total
        print(
            f"delivered: {total:,} scores in {took:.1f} s = {total / took:,.0f} scores/s "
            f"({args.threads} threads, {args.concurrency} calls in flight at most)"
        )
        print(f"token requests: {tokens} (target: {TOKEN_TARGET} per platform per token lifetime)")
        print(
            f"lost: {lost} (target 0); sent more than once: {max(twice, 0)}; "
            f"failed: {counts['failed']}"
        )
        print(
            json.dumps(
                {
                    "bench": "grades",
                    "scores": total,
                    "seconds": round(took, 2),
                    "scores_per_second": round(total / took, 1),
                    "token_requests": tokens,
                    "lost": lost,
                }
            )
        )
        return 0 if lost == 0 and tokens <= TOKEN_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
