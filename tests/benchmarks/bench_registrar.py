"""Registrar benchmark: eligibility for every pathway over 100,000 learners and 1,000,000 awards
in PostgreSQL, and one page of the review queue rendered by the tool.

Loads the rows with COPY into a database it creates (and drops afterwards), then prints the time
of the one set-wise eligibility query of each pathway and their total, the same rules evaluated
in Python over fetched rows (the peer, for one pathway) with the ratio, and the median time to
render one page of the review queue through the app. Asserts nothing.

Targets (issue 6): eligibility for every pathway < 2 s; one queue page < 200 ms.
`--quick` uses 10x fewer rows. MICROCRED_BENCH_POSTGRES_URL (or MICROCRED_TEST_POSTGRES_URL)
names the server; the default is postgresql+psycopg2://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

COURSES = [f"course-{n:02d}" for n in range(20)]
PROGRAMS = [
    ("data-literacy", "all", None, COURSES[0:3], 0.7, 1095),
    ("analytics", "n-of", 2, COURSES[3:7], 0.6, None),
    ("ml-basics", "all", None, COURSES[7:11], 0.8, 730),
    ("visual", "n-of", 3, COURSES[11:16], 0.5, 1095),
    ("ethics", "all", None, COURSES[16:18], 0.0, None),
]
NULL = "\\N"  # COPY's text format
DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _server_url() -> str:
    url = (
        os.environ.get("MICROCRED_BENCH_POSTGRES_URL")
        or os.environ.get("MICROCRED_TEST_POSTGRES_URL")
        or DEFAULT_URL
    )
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


def _copy(conn: Any, table: str, columns: str, rows: io.StringIO) -> None:
    rows.seek(0)
    with conn.connection.dbapi_connection.cursor() as cur:
        cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", rows)


def load(url: str, learners: int, awards_per_learner: int, seed: int = 6) -> float:
    """Migrate the database, then COPY learners and awards; returns the seconds it took."""
    from plugin import create_app
    from plugin.extensions import db

    start = time.perf_counter()
    app = create_app(
        {
            "MICROCRED_ENV": "testing",
            "DATABASE_URL": url,
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-registrar-"),
            "LOG_LEVEL": "WARNING",  # the figures, not a log line per page, on the terminal
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        from plugin.credentials.models import StatusList
        from plugin.lti import services as lti

        upgrade()
        reg = lti.create_registration(
            issuer="https://lms.example.edu",
            client_id="bench",
            name="Bench LMS",
            product="generic",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
            key_set_url="https://lms.example.edu/jwks",
        )
        listing = StatusList(number=1, bits=b"\0")
        db.session.add(listing)
        db.session.commit()
        reg_id, list_id = reg.id, listing.id
        db.engine.dispose()
    engine = sa.create_engine(url)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        buf = io.StringIO()
        for lid in range(1, learners + 1):
            buf.write(
                f"{lid}\thttps://lms.example.edu\tuser-{lid}\tLearner {lid:06d}\t{reg_id}\t{now}\n"
            )
        _copy(conn, "learners", "id, issuer, sub, name, registration_id, created_at", buf)
        award_id = 0
        for first in range(1, learners + 1, 10_000):
            buf = io.StringIO()
            for lid in range(first, min(first + 10_000, learners + 1)):
                for course in rng.sample(COURSES, awards_per_learner):
                    award_id += 1
                    issued = now - timedelta(days=rng.randint(0, 1500))
                    until = str(issued + timedelta(days=1200)) if rng.random() < 0.2 else NULL
                    revoked = str(now) if rng.random() < 0.01 else NULL
                    buf.write(
                        f"{award_id}\t{lid}\t{course}\t{course}\t{rng.uniform(0.4, 1.0):.4f}\t1\t"
                        f"{issued}\t{issued}\t{until}\t{revoked}\t{award_id}\t"
                        f"{{}}\tcourse\t{uuid.UUID(int=award_id)}\t{list_id}\n"
                    )
            _copy(
                conn,
                "awards",
                "id, learner_id, achievement_id, course_id, score, credits,"
                " issued_at, valid_from, valid_until, revoked_at, status_index,"
                " credential_json, kind, public_id, status_list_id",
                buf,
            )
        conn.execute(sa.text("SELECT setval('learners_id_seq', :n)"), {"n": learners})
        conn.execute(sa.text("SELECT setval('awards_id_seq', :n)"), {"n": award_id})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - start


def _program_yaml(
    slug: str, rule: str, n: int | None, members: list[str], minimum: float, recency: int | None
) -> str:
    lines = [f"id: {slug}", f"title: {slug.title()}", "version: 1.0.0", "courses:"]
    lines += [f"  - course: {m}\n    min_result: {minimum}" for m in members]
    lines.append("rule: all" if rule == "all" else f"rule: {{n_of: {n}}}")
    if recency:
        lines.append(f"recency_days: {recency}")
    lines += [
        "certificate:",
        f"  name: {slug.title()}",
        "  description: A stack.",
        "  criteria: Earn the members.",
        "credit:",
        "  credit_hours: 3",
        "  level: undergraduate-lower",
        f'  institution_course: "{slug.upper()[:4]} 1010"',
        "  grade_mode: pass-fail",
    ]
    return "\n".join(lines) + "\n"


def measure(url: str, repeats: int) -> dict[str, float]:
    """Time eligibility per pathway, the Python peer, and one queue page; print as it goes."""
    from werkzeug.security import generate_password_hash

    from plugin import create_app
    from plugin.admin.models import AdminUser
    from plugin.credentials.models import Award
    from plugin.db import utcnow
    from plugin.extensions import db
    from plugin.registrar import eligibility
    from plugin.registrar.models import CreditCase
    from plugin.registrar.pathways import import_program, parse_program_text

    app = create_app(
        {
            "MICROCRED_ENV": "testing",
            "DATABASE_URL": url,
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-registrar-"),
            "SECRET_KEY": uuid.uuid4().hex,
            "LOG_LEVEL": "WARNING",
        }
    )
    figures: dict[str, float] = {}
    with app.app_context():
        pathways = [import_program(parse_program_text(_program_yaml(*p)))[0] for p in PROGRAMS]
        db.session.add(
            AdminUser(
                username="bench-registrar",
                roles="registrar",
                password_hash=generate_password_hash("bench passphrase 1"),
            )
        )
        db.session.commit()
        now = utcnow()
        total = 0.0
        for pathway in pathways:
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                rows = db.session.execute(eligibility.eligible_learners_query(pathway, now)).all()
                best = min(best, time.perf_counter() - start)
            total += best
            print(
                f"  eligibility {pathway.slug:14} ({pathway.rule}, {len(pathway.members)} "
                f"members): {len(rows):7,d} eligible in {best * 1000:7.1f} ms"
            )
        figures["eligibility_all_s"] = total
        print(f"eligibility for all {len(pathways)} pathways: {total:.3f} s (target < 2 s)")

        pathway = pathways[0]
        start = time.perf_counter()
        held: dict[int, int] = {}
        mins = {m.achievement_id: m.min_result for m in pathway.members}
        cutoff = now - timedelta(days=pathway.recency_days or 100_000)
        for lid, aid, score, issued, until, revoked in db.session.execute(
            sa.select(
                Award.learner_id,
                Award.achievement_id,
                Award.score,
                Award.issued_at,
                Award.valid_until,
                Award.revoked_at,
            ).where(Award.achievement_id.in_(list(mins)))
        ):
            if (
                revoked is None
                and (until is None or until > now)
                and issued >= cutoff
                and (score or 0) >= mins[aid]
            ):
                held[lid] = held.get(lid, 0) + 1
        peer = sum(1 for n in held.values() if n >= pathway.needed)
        peer_s = time.perf_counter() - start
        figures["peer_s"] = peer_s
        sql_s = total / len(pathways)
        print(
            f"peer: {pathway.slug} evaluated in Python over fetched rows: {peer:,d} eligible in "
            f"{peer_s * 1000:.1f} ms ({peer_s / max(sql_s, 1e-9):.1f}x the average SQL query)"
        )

        # Open a case for every eligible learner, set-wise, so the queue is full.
        for pathway in pathways:
            q = eligibility.eligible_learners_query(pathway, now).subquery()
            db.session.execute(
                sa.insert(CreditCase).from_select(
                    [
                        "pathway_id",
                        "learner_id",
                        "status",
                        "eligible_at",
                        "created_at",
                    ],
                    sa.select(
                        sa.literal(pathway.id),
                        q.c.learner_id,
                        sa.literal("pending"),
                        sa.literal(now, CreditCase.eligible_at.type),
                        sa.literal(now, CreditCase.created_at.type),
                    ),
                )
            )
        db.session.commit()
        cases = db.session.scalar(sa.select(sa.func.count()).select_from(CreditCase))
        db.session.execute(sa.text("ANALYZE credit_cases"))
        db.session.commit()
    client = app.test_client()
    page = client.get("/admin/sign-in").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token
    client.post(
        "/admin/sign-in",
        data={
            "csrf_token": token.group(1),
            "username": "bench-registrar",
            "password": "bench passphrase 1",
        },
    )
    times = []
    for n in range(max(repeats, 5)):
        start = time.perf_counter()
        response = client.get("/registrar/", query_string={"page": 1 + n % 3})
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            print(f"queue page answered {response.status_code}", file=sys.stderr)
            return figures
    figures["queue_page_s"] = statistics.median(times)
    print(
        f"one review-queue page (25 of {cases:,d} cases, through the app): median "
        f"{figures['queue_page_s'] * 1000:.1f} ms (target < 200 ms)"
    )
    with app.app_context():
        db.engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    """Create a database, load it, measure, drop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x fewer rows")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("MICROCRED_BENCH_QUICK") == "1"
    learners = 10_000 if quick else 100_000
    server = sa.make_url(_server_url())
    name = f"microcred_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL not reachable at {server.render_as_string()}: {exc}", file=sys.stderr)
        return 1
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        print(f"registrar benchmark: {learners:,d} learners, {learners * 10:,d} awards")
        seconds = load(url, learners, 10)
        print(f"loaded with COPY in {seconds:.1f} s")
        measure(url, args.repeats)
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
