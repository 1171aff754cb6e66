"""Start a whole deployment on loopback: N gunicorn app servers, M `microcred worker` processes and
a dev LMS server, against a fresh PostgreSQL database and Redis; stop it and clean up.

    with Stack(StackConfig(app_servers=2, workers=2, database_server=PG, redis_url=REDIS)) as s:
        s.placements          # the sample course's modules, placed on the dev LMS course page
        s.students            # dev LMS handles of the simulated students
        s.server_urls         # where each app server listens (all share s.tool_url)

Every app server has the same PUBLIC_URL (the first server's address), as behind one load
balancer; the simulated students play the balancer and send each request to the next server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.loadkit.lms import PlacedModule, seed_lms
from tests.loadkit.rss import RssSampler
from tests.loadkit.services import create_database, drop_database
from tests.servers import free_port

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SAMPLE_COURSE = ROOT / "content_samples" / "data-spreadsheets"
CLIENT_ID = "microcred-dev"
DEPLOYMENT_ID = "1"
WORKER_READY = "delivering grades"  # what `microcred worker` prints once it runs
SETPRIV = shutil.which("setpriv")
LOG_ARCHIVE = Path(tempfile.gettempdir()) / "microcred-loadkit-logs"


class StackError(RuntimeError):
    """A part of the stack did not start; the message names it and quotes its log."""


@dataclass
class StackConfig:
    """What to start. `database_server` is a PostgreSQL server URL (a database is created on it)."""

    database_server: str
    redis_url: str | None = None
    app_servers: int = 1
    processes_per_server: int = 1
    threads_per_process: int = 8
    workers: int = 1
    students: int = 10
    course_folder: Path = SAMPLE_COURSE
    modules: int = 1
    env: dict[str, str] = field(default_factory=dict)
    lms_threads: int = 16
    drop_database: bool = True  # False when the whole server goes away afterwards


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


class Stack:
    """The running deployment; a context manager that stops and removes everything."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.folder = Path(tempfile.mkdtemp(prefix="mc-stack-"))
        self.instance = self.folder / "instance"
        self.database_url = ""
        ports = [free_port() for _ in range(config.app_servers)]
        self.server_urls = [f"http://localhost:{p}" for p in ports]
        self.tool_url = self.server_urls[0]
        self.lms_port = free_port()
        self.lms_url = f"http://127.0.0.1:{self.lms_port}"
        self.lms_database = self.folder / "devlms.sqlite3"
        self.placements: list[PlacedModule] = []
        self.students = [f"s{i:04d}" for i in range(1, config.students + 1)]
        self.servers: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        self.lms: subprocess.Popen[bytes] | None = None
        self.rss = RssSampler()
        self._secret = secrets.token_urlsafe(48)

    # -- environment -------------------------------------------------------------------------

    def tool_env(self, **extra: str) -> dict[str, str]:
        """The environment of every tool process (servers, workers, CLI)."""
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("MICROCRED_", "GRADEBOOK_"))
        }
        env.update(
            {
                "MICROCRED_ENV": "development",
                "DEVLMS_ENABLED": "false",
                "MICROCRED_INSTANCE": str(self.instance),
                "SECRET_KEY": self._secret,
                "DATABASE_URL": self.database_url,
                "PUBLIC_URL": self.tool_url,
                "START_WORKER": "false",
                "PROXY_FIX_HOPS": "1",  # the students play the load balancer (X-Forwarded-For)
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.config.redis_url:
            env["REDIS_URL"] = self.config.redis_url
        else:
            env.pop("REDIS_URL", None)
        env.update(self.config.env)
        env.update(extra)
        return env

    def cli(self, *args: str) -> str:
        """Run `microcred ARGS` with the tool's environment; its output (StackError if it fails)."""
        return self.cli_all([list(args)])[0]

    def cli_all(self, commands: list[list[str]]) -> list[str]:
        """Run several `microcred` commands at once; their outputs, in order."""
        procs = [
            subprocess.Popen(
                [str(VENV_BIN / "microcred"), *args],
                cwd=ROOT,
                env=self.tool_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for args in commands
        ]
        outputs = []
        for args, proc in zip(commands, procs, strict=True):
            out, err = proc.communicate(timeout=300)
            if proc.returncode != 0:
                raise StackError(f"microcred {' '.join(args)} failed: {err[-3000:]}")
            outputs.append(out)
        return outputs

    # -- start / stop ------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is not None:
            self.keep_logs()
        self.stop()

    def keep_logs(self) -> Path:
        """Copy every process's log out of the stack's folder (kept after a failure)."""
        kept = LOG_ARCHIVE / time.strftime("%Y%m%d-%H%M%S") / self.folder.name
        kept.mkdir(parents=True, exist_ok=True)
        for path in self.folder.glob("*.log"):
            shutil.copy(path, kept / path.name)
        log.warning("logs of the failed run kept in %s", kept)
        return kept

    def start(self) -> Stack:
        """Database, migrations, catalog, registration, dev LMS, app servers, workers."""
        self.instance.mkdir(parents=True, exist_ok=True)
        self.database_url = create_database(self.config.database_server)
        self.cli("db", "upgrade")
        lms = self.lms_url
        register = ["platform", "add", "--issuer", lms, "--client-id", CLIENT_ID]
        register += ["--auth-url", f"{lms}/auth", "--token-url", f"{lms}/token"]
        register += ["--jwks-url", f"{lms}/jwks", "--deployment-id", DEPLOYMENT_ID]
        self.cli_all(
            [["catalog", "load", str(self.config.course_folder)], register, ["keys", "rotate"]]
        )
        self.placements = seed_lms(
            self.config.course_folder,
            self.lms_url,
            self.tool_url,
            self.lms_database,
            self.students,
            self.config.modules,
        )
        # Everything starts at once; then each part is waited for.
        self._spawn_lms()
        self.servers = [self._start_server(i) for i in range(self.config.app_servers)]
        spawned = self._spawn_workers(self.config.workers)
        self._wait_ready(f"{self.lms_url}/jwks", "dev LMS", self.lms)
        for url, proc in zip(self.server_urls, self.servers, strict=True):
            self._wait_ready(f"{url}/healthz", "app server", proc)
        self._wait_workers(spawned)
        self.rss.start()
        return self

    def stop(self) -> None:
        """Stop every process (all at once), drop the database, remove the folder."""
        self.rss.stop()
        _terminate_all([*self.workers, *self.servers, *([self.lms] if self.lms else [])], 30)
        self.workers, self.servers, self.lms = [], [], None
        if self.database_url and self.config.drop_database:
            try:
                drop_database(self.database_url)
            except Exception as exc:  # the server may be the one a fault test stopped
                log.warning("could not drop %s: %s", self.database_url, exc)
        self.database_url = ""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _popen(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        out = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (the child owns it)
        if SETPRIV:  # if this process dies without stopping the stack, its servers stop too
            cmd = [SETPRIV, "--pdeathsig", "TERM", "--", *cmd]
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        self.rss.watch(name, proc.pid)
        return proc

    def log_text(self, name: str) -> str:
        """The output of process `name` (app-0, worker-1, lms) so far."""
        return _tail(self.folder / f"{name}.log", 200_000)

    def _gunicorn(
        self, name: str, port: int, app: str, processes: int, threads: int, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(processes),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
            "--backlog",
            "512",
            "--no-control-socket",
            app,
        ]
        return self._popen(name, cmd, env)

    def _start_server(self, index: int) -> subprocess.Popen[bytes]:
        port = int(self.server_urls[index].rsplit(":", 1)[1])
        return self._gunicorn(
            f"app-{index}",
            port,
            "plugin:create_app()",
            self.config.processes_per_server,
            self.config.threads_per_process,
            self.tool_env(),
        )

    def start_workers(self, count: int) -> None:
        """Start `count` more `microcred worker` processes; return once each says it delivers."""
        self._wait_workers(self._spawn_workers(count))

    def _spawn_workers(self, count: int) -> list[tuple[str, subprocess.Popen[bytes]]]:
        started = []
        for _ in range(count):
            name = f"worker-{len(self.workers)}"
            proc = self._popen(name, [str(VENV_BIN / "microcred"), "worker"], self.tool_env())
            self.workers.append(proc)
            started.append((name, proc))
        return started

    def _wait_workers(
        self, started: list[tuple[str, subprocess.Popen[bytes]]], timeout: float = 90
    ) -> None:
        deadline = time.monotonic() + timeout
        for name, proc in started:
            while WORKER_READY not in self.log_text(name):
                if proc.poll() is not None:
                    raise StackError(f"{name} exited with {proc.returncode}: {self.log_text(name)}")
                if time.monotonic() > deadline:
                    raise StackError(f"{name} did not start within {timeout:.0f} s")
                time.sleep(0.2)

    def stop_workers(self) -> None:
        """Stop every worker (SIGTERM: each finishes its deliveries in flight)."""
        _terminate_all(self.workers, 30)
        self.workers = []

    def start_lms(self) -> None:
        """Start (or restart) the dev LMS server on its port, with the data seeded before."""
        self._spawn_lms()
        self._wait_ready(f"{self.lms_url}/jwks", "dev LMS", self.lms)

    def _spawn_lms(self) -> None:
        env = {
            **os.environ,
            "LOADKIT_DEVLMS_URL": self.lms_url,
            "LOADKIT_DEVLMS_DATABASE": str(self.lms_database),
            "LOADKIT_TOOL_URL": self.tool_url,
        }
        self.lms = self._gunicorn(
            "lms", self.lms_port, "tests.loadkit.lmsapp:app", 1, self.config.lms_threads, env
        )

    def stop_lms(self) -> None:
        """Stop the dev LMS server (its data stays in its SQLite file)."""
        if self.lms is not None:
            _terminate_all([self.lms])
            self.lms = None

    def _wait_ready(
        self, url: str, what: str, proc: subprocess.Popen[bytes] | None, timeout: float = 60
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise StackError(f"{what} exited with {proc.returncode}: {self._log_of(proc)}")
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise StackError(f"{what} at {url} did not answer within {timeout:.0f} s")

    def _log_of(self, proc: subprocess.Popen[bytes]) -> str:
        name = self.rss.name_of(proc.pid)
        return _tail(self.folder / f"{name}.log") if name else ""

    # -- observations ------------------------------------------------------------------------

    def lms_json(self, path: str) -> Any:
        """GET a JSON endpoint of the dev LMS (e.g. /_dev/stats, /gradebook?format=json)."""
        response = requests.get(self.lms_url + path, timeout=30)
        response.raise_for_status()
        return response.json()

    def set_lms_fault(
        self,
        endpoint: str,
        mode: str = "ok",
        *,
        delay_ms: int = 0,
        count: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make a dev LMS service endpoint (scores, token, lineitems, ...) misbehave or slow."""
        response = requests.post(
            f"{self.lms_url}/_dev/faults",
            json={
                "endpoint": endpoint,
                "mode": mode,
                "delay_ms": delay_ms,
                "count": count,
                "retry_after": retry_after,
            },
            timeout=30,
        )
        response.raise_for_status()

    def lms_scores(self) -> dict[tuple[str, str], float | None]:
        """(student handle, line item label) -> score shown in the dev LMS gradebook."""
        book = self.lms_json("/gradebook?format=json")
        labels = {str(i["id"]): i["label"] for i in book["line_items"]}
        return {
            (row["user"], labels[item]): cell["score"]
            for row in book["rows"]
            for item, cell in row["scores"].items()
            if cell is not None
        }

    def sql(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        """Run a read query on the tool's database (a short-lived connection)."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.database_url, pool_pre_ping=True)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(sa.text(query), params)]
        finally:
            engine.dispose()


def _terminate_all(procs: list[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """SIGTERM every process group at once, wait, SIGKILL what is left."""
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
