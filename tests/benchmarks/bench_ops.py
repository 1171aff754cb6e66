"""Operations benchmark: what the production hardening costs per request, and the upload guard.

Prints requests per second through the Flask test client (in one process, no network) for
`/healthz` and a rate-limited endpoint with the hardening on and with rate limits off, the
time of one `/metrics` scrape over an outbox of N rows, and the upload guard's time on a real
package and on a 20 MB zip bomb (refused). Asserts nothing; `--quick` is a small smoke run.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "bench-metrics-token-0123456789"


def _app(instance: Path, **overrides: str) -> Any:
    from flask_migrate import upgrade

    from plugin import create_app

    config = {
        "MICROCRED_ENV": "testing",
        "INSTANCE_PATH": str(instance / "inst"),
        "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
        "LOG_LEVEL": "WARNING",
        "METRICS_TOKEN": TOKEN,
        "SECRET_KEY": "bench-secret-key-" + "x" * 20,
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def _rate(client: Any, method: str, path: str, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        client.open(path, method=method)
    return n / (time.perf_counter() - started)


def _fill_outbox(app: Any, rows: int) -> None:
    import sqlalchemy as sa

    from plugin.extensions import db

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO registrations (id, issuer, client_id, name, product, auth_login_url,"
                " auth_token_url, active, created_at) VALUES (1, 'https://lms.example.edu', 'c',"
                " 'LMS', 'generic', 'https://lms.example.edu/a', 'https://lms.example.edu/t', 1,"
                " CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO learners (id, issuer, sub, registration_id, created_at) VALUES"
                " (1, 'https://lms.example.edu', 's', 1, CURRENT_TIMESTAMP)"
            )
        )
        for i in range(rows):
            conn.execute(
                sa.text(
                    "INSERT INTO deployments (id, registration_id, deployment_id, status,"
                    " created_at) VALUES (:i, 1, :d, 'active', CURRENT_TIMESTAMP)"
                ),
                {"i": i + 1, "d": f"d{i}"},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO resource_links (id, deployment_pk, resource_link_id, title,"
                    " target_link_uri, custom, created_at) VALUES (:i, :i, :r, '', '', '{}',"
                    " CURRENT_TIMESTAMP)"
                ),
                {"i": i + 1, "r": f"r{i}"},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO outbox_scores (registration_id, learner_id, resource_link_pk,"
                    " user_sub, resource_link_id, label, score_given, score_maximum,"
                    " activity_progress, grading_progress, comment, timestamp_ms, status, tries,"
                    " next_try_at, created_at) VALUES (1, 1, :i, 's', 'r', 'q', 1, 1, 'Completed',"
                    " 'FullyGraded', '', 1, 'pending', :t, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"i": i + 1, "t": i % 3},
            )


def _bomb(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", "{}")
        archive.writestr("assets/zeros.bin", bytes(size))
    return out.getvalue()


def _package() -> bytes:
    from authoring.package import build_package

    with tempfile.TemporaryDirectory() as tmp:
        built = build_package(
            ROOT / "content_samples" / "data-spreadsheets", Path(tmp) / "p.mcpkg", cache=False
        )
        assert built.path is not None
        return built.path.read_bytes()


def _time(fn: Any, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    """Measure and print; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    args = parser.parse_args(argv)
    quick = args.quick or os.environ.get("MICROCRED_BENCH_QUICK") == "1"
    n, rows = (200, 200) if quick else (2000, 5000)
    from plugin.ops.uploads import UploadRefused, check_package_upload

    with tempfile.TemporaryDirectory() as tmp:
        on = _app(Path(tmp) / "on", RATE_LIMIT_LOGIN="1000000/minute")
        off = _app(Path(tmp) / "off", RATE_LIMITS_ENABLED="false")
        print(f"ops benchmark ({'quick' if quick else 'full'}): {n} requests per figure")
        for label, method, path in (
            ("GET /healthz", "GET", "/healthz"),
            ("GET /lti/login (refused, limited)", "GET", "/lti/login"),
        ):
            # Interleaved, best of three: the machine is shared.
            with_limits = without = 0.0
            for _ in range(3):
                without = max(without, _rate(off.test_client(), method, path, n))
                with_limits = max(with_limits, _rate(on.test_client(), method, path, n))
            print(
                f"  {label:36s} {with_limits:8.0f} req/s with limits, {without:8.0f} without"
                f" ({without / with_limits:.2f}x)"
            )
        _fill_outbox(on, rows)
        client = on.test_client()
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/metrics", headers=headers).status_code == 200
        scrape = _time(lambda: client.get("/metrics", headers=headers), 3)
        print(f"  /metrics scrape over {rows:,d} outbox rows: {scrape * 1000:.1f} ms")
    package = _package()
    guard = _time(lambda: check_package_upload(package, max_unpacked=256 << 20, max_ratio=100), 5)
    print(f"  upload guard, real package ({len(package) / 1024:.0f} KB): {guard * 1000:.1f} ms")
    bomb = _bomb(20 << 20)

    def refuse() -> None:
        try:
            check_package_upload(bomb, max_unpacked=256 << 20, max_ratio=100)
        except UploadRefused:
            return
        raise AssertionError("the bomb was not refused")

    print(
        f"  upload guard, 20 MB zip bomb ({len(bomb) / 1024:.0f} KB): refused in "
        f"{_time(refuse, 5) * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
