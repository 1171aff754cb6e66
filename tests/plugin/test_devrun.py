"""`make run` (python -m plugin.devrun) as a newcomer meets it: the real entry point in a
subprocess on free ports and a fresh instance folder, then a student launch over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from plugin.devlms.testing import DevLmsClient, browser_session
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
LEARNING_VIEWS = ROOT / "plugin" / "learning" / "views.py"
#: Generous: the first run migrates and builds three courses on a busy 2-core machine.
START_TIMEOUT = 180


@dataclass
class Running:
    """A running `python -m plugin.devrun` and what it printed until it was ready."""

    process: subprocess.Popen[str]
    output: str
    tool_url: str
    lms_url: str


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "MICROCRED_ENV", "PUBLIC_URL", "SECRET_KEY")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def devrun(instance: Path, ports: tuple[int, int]) -> Iterator[Running]:
    """Start devrun on `ports`; yield once it printed its welcome; stop it with SIGTERM."""
    tool_port, lms_port = ports
    command = [
        sys.executable,
        "-m",
        "plugin.devrun",
        "--instance",
        str(instance),
        "--tool-port",
        str(tool_port),
        "--lms-port",
        str(lms_port),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Stop with Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "microcred is ready" in output, output
        yield Running(
            process, output, f"http://localhost:{tool_port}", f"http://127.0.0.1:{lms_port}"
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def student_launch(running: Running, placement: dict[str, Any]) -> str:
    """Grace opens `placement` from the course page (in a new window: no Platform Storage
    frame without a browser); returns the page the tool shows after the launch."""
    lms = DevLmsClient(running.lms_url)
    browser = browser_session()
    auth = lms.start_tool_login(
        lms.login_initiation(placement["id"], "grace", target="window"), browser
    )
    response = lms.authorize(auth, browser).submit(browser, allow_redirects=True)
    assert response.status_code == 200, response.text[:500]
    assert response.url.startswith(running.tool_url)
    return response.text


def test_make_run_from_a_fresh_clone_launches_a_student_and_is_idempotent(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    ports = (free_port(), free_port())
    with devrun(instance, ports) as running:
        out = running.output
        for course in ("data-spreadsheets", "descriptive-statistics", "data-visualization"):
            assert f"published {course} 1.0.0" in out
        assert f"Open {running.lms_url}/?as=grace" in out
        assert "grace      Grace Hopper (Learner)" in out
        course_page = browser_session().get(f"{running.lms_url}/?as=grace", timeout=30)
        assert course_page.status_code == 200
        placements = DevLmsClient(running.lms_url).placements()
        assert len(placements) == 16  # 5 + 6 + 5 modules of the three samples
        first = next(p for p in placements if p["custom"]["module_id"] == "01-tidy-data")
        assert first["title"] in course_page.text
        assert first["custom"]["course_id"] == "data-spreadsheets"
        assert first["lineitem"], "a graded module is placed with its gradebook column"

        page = student_launch(running, first)
        assert first["title"] in page
        if LEARNING_VIEWS.exists():
            assert "Tidy data" in page
        else:
            assert "Grace Hopper" in page
    assert (instance / "microcred.sqlite3").is_file() and (instance / "secret_key").is_file()

    with devrun(instance, ports) as again:
        assert "unchanged data-spreadsheets 1.0.0" in again.output
        assert "published" not in again.output
        placements_again = DevLmsClient(again.lms_url).placements()
        assert [p["id"] for p in placements_again] == [p["id"] for p in placements]
        last = placements_again[-1]
        assert last["title"] in student_launch(again, last)


def test_a_taken_port_is_reported_clearly(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "plugin.devrun",
                "--instance",
                str(tmp_path / "i"),
                "--tool-port",
                str(port),
                "--lms-port",
                str(free_port()),
                "--no-samples",
            ],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
    assert result.returncode == 1
    assert f"port {port} for the tool is in use" in result.stderr


@pytest.mark.parametrize("argv", [["--tool-port", "5005", "--lms-port", "5005"]])
def test_same_ports_are_refused(argv: list[str]) -> None:
    from plugin.devrun import main

    assert main(argv) == 2
