"""Backing services for load and fault runs: a fresh database on a PostgreSQL server, and
throwaway PostgreSQL clusters and Redis servers of our own that a test may stop and restart.

The shared PostgreSQL (port 5432) and Redis (6379) serve everybody's tests: a fault test never
touches them. It starts its own `initdb` cluster or `redis-server` on a free loopback port in a
temporary folder, and removes it afterwards.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tests.servers import free_port

log = logging.getLogger(__name__)

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/bin")


class ServiceStartError(RuntimeError):
    """A throwaway service did not start; the message carries the end of its log."""


def _pg_tool(name: str) -> str:
    for folder in PG_BIN_DIRS:
        path = Path(folder) / name
        if path.exists():
            return str(path)
    found = shutil.which(name)
    if not found:
        raise ServiceStartError(f"{name} is not installed (PostgreSQL server binaries)")
    return found


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def pg_url(url: str) -> sa.URL:
    """`url` with the psycopg2 driver named (SQLAlchemy 2.1 would pick psycopg 3 otherwise)."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def create_database(server_url: str, prefix: str = "microcred_load") -> str:
    """Create an empty database on the server at `server_url`; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return pg_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    """Drop the database at `database_url`, ending its sessions first."""
    url = pg_url(database_url)
    name = url.database
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()


@dataclass
class PgCluster:
    """A PostgreSQL cluster of our own (initdb in a temp folder, pg_ctl on a free port)."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mc-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        return self.folder / "server.log"

    @property
    def url(self) -> str:
        """The server URL (database `postgres`, trust authentication)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> PgCluster:
        """Create the cluster files (fsync off: a test cluster, not a durable one)."""
        self.folder.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        cmd = [
            _pg_tool("initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale",
            "C",
        ]
        run = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, check=False)
        if run.returncode != 0:
            raise ServiceStartError(f"initdb failed: {run.stderr[-2000:]}")
        return self

    def start(self, timeout: float = 30) -> PgCluster:
        """Start the server and wait until it answers."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c full_page_writes=off -c synchronous_commit=off -c max_connections=200 "
            f"-c unix_socket_directories={self.folder}"
        )
        cmd = [
            _pg_tool("pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "-t",
            str(int(timeout)),
            "start",
        ]
        run = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, check=False)
        if run.returncode != 0:
            raise ServiceStartError(f"pg_ctl start failed: {run.stdout[-500:]} {self._log_tail()}")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast` ends sessions; `immediate` is a crash)."""
        cmd = [_pg_tool("pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"]
        subprocess.run(_as_postgres(cmd), capture_output=True, text=True, check=False)

    def restart(self, down_seconds: float = 0.0, mode: str = "fast") -> None:
        """Stop, stay down `down_seconds`, start again."""
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        if self.data_dir.exists():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text()[-2000:]
        except OSError:
            return ""


@dataclass
class RedisServer:
    """A redis-server of our own on a free loopback port (no persistence)."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mc-redis-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15) -> RedisServer:
        """Start it and wait until it answers PING."""
        import redis

        binary = shutil.which("redis-server")
        if not binary:
            raise ServiceStartError("redis-server is not installed")
        log_path = self.folder / "redis.log"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(log_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    client.close()
                    return self
            except redis.RedisError:
                time.sleep(0.1)
        self.stop()
        raise ServiceStartError(f"redis-server on port {self.port} did not answer")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def remove(self) -> None:
        """Stop it and delete its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
