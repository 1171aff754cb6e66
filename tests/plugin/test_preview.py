"""`microcred preview FOLDER`: a copy of a sample course served live through the dev LMS; an edit
shows over HTTP after the automatic rebuild, a broken file shows its diagnostic instead of
crashing, and the command itself starts and serves the preview page."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from plugin.devlms.testing import DevLmsClient, browser_session
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "content_samples" / "data-visualization"
MODULE = "modules/01-choosing-charts.md"
WAIT = 60


@pytest.fixture
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "course"
    shutil.copytree(SAMPLE, folder)
    return folder


@pytest.fixture
def preview(course: Path, tmp_path: Path) -> Iterator[Any]:
    from plugin.devrun import DevRunConfig
    from plugin.preview import Preview

    config = DevRunConfig(
        instance=tmp_path / "instance",
        tool_port=free_port(),
        lms_port=free_port(),
        start_worker=False,
    )
    running = Preview(course, config)
    running.open()
    running.start(interval=0.2)
    try:
        yield running
    finally:
        running.close()


def status(preview: Any) -> dict[str, Any]:
    response = requests.get(f"{preview.config.lms_url}/preview/status", timeout=30)
    assert response.status_code == 200
    return dict(response.json())


def wait_for_build(preview: Any, after: int) -> dict[str, Any]:
    """The status once a build newer than `after` is done (the watcher saw the save)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        current = status(preview)
        if current["generation"] > after:
            return current
        time.sleep(0.2)
    raise AssertionError("no rebuild after the save")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def launch_first_module(preview: Any) -> str:
    """Grace launches the course's first module over HTTP; the tool's page after the launch."""
    placement = status(preview)["modules"][0]
    lms = DevLmsClient(preview.config.lms_url)
    browser = browser_session()
    auth = lms.start_tool_login(
        lms.login_initiation(placement["id"], "grace", target="window"), browser
    )
    page = lms.authorize(auth, browser).submit(browser, allow_redirects=True)
    assert page.status_code == 200, page.text[:500]
    return page.text


def test_an_edit_shows_after_the_automatic_rebuild(preview: Any, course: Path) -> None:
    first = status(preview)
    assert first["ok"] and first["title"] == "Data Visualization Principles"
    assert first["modules"][0]["title"] == "Choosing a chart for the question"
    page = requests.get(f"{preview.config.lms_url}/preview/", timeout=30).text
    assert "Choosing a chart for the question" in page and "/launch/" in page
    assert "Choosing a chart for the question" in launch_first_module(preview)

    edit(
        course / MODULE,
        "title: Choosing a chart for the question",
        "title: Picking a chart for the question",
    )
    edit(
        course / MODULE,
        "A chart is an argument made with shapes.",
        "A chart is an argument drawn with shapes.",
    )
    rebuilt = wait_for_build(preview, first["generation"])
    assert rebuilt["ok"], rebuilt["diagnostics"]
    assert rebuilt["modules"][0]["title"] == "Picking a chart for the question"
    assert rebuilt["modules"][0]["id"] == first["modules"][0]["id"]  # same place, new title
    shown = launch_first_module(preview)
    assert "Picking a chart for the question" in shown
    assert "A chart is an argument drawn with shapes." in shown


def test_a_broken_file_shows_its_diagnostic_and_the_last_good_version_stays(
    preview: Any, course: Path
) -> None:
    first = status(preview)
    edit(course / MODULE, "points: 4", "points: lots")
    broken = wait_for_build(preview, first["generation"])
    assert not broken["ok"] and broken["errors"] >= 1
    line = next(d for d in broken["diagnostics"] if d.startswith(f"{MODULE}:"))
    assert "error[" in line and "points" in line
    page = requests.get(f"{preview.config.lms_url}/preview/", timeout=30)
    assert page.status_code == 200
    assert line.split(": error")[0] in page.text and "last good version" in page.text
    assert broken["modules"] == first["modules"]
    assert "Choosing a chart for the question" in launch_first_module(preview)

    edit(course / MODULE, "points: lots", "points: 4")
    fixed = wait_for_build(preview, broken["generation"])
    assert fixed["ok"] and fixed["diagnostics"] == []


def test_the_preview_command_serves_the_page(course: Path, tmp_path: Path) -> None:
    tool_port, lms_port = free_port(), free_port()
    command = [
        str(Path(sys.executable).parent / "microcred"),
        "preview",
        str(course),
        "--tool-port",
        str(tool_port),
        "--lms-port",
        str(lms_port),
        "--instance",
        str(tmp_path / "kept"),
    ]
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Stop with Ctrl-C" in line:
                break
        out = "".join(lines)
        assert f"Preview of {course} at http://127.0.0.1:{lms_port}/preview/" in out, out
        assert "build 1: Data Visualization Principles, 5 modules" in out
        page = requests.get(f"http://127.0.0.1:{lms_port}/preview/", timeout=30)
        assert "Preview: Data Visualization Principles" in page.text
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    assert (tmp_path / "kept" / "microcred.sqlite3").is_file()


@pytest.mark.browser
def test_the_preview_page_reloads_in_the_browser_and_passes_axe(preview: Any, course: Path) -> None:
    from tests.browser import assert_accessible, open_browser

    with open_browser() as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{preview.config.lms_url}/preview/")
        tool = page.frame_locator("#preview-frame").frame_locator("iframe.tool-frame")
        tool.get_by_role("heading", name="Choosing a chart for the question").first.wait_for()
        assert_accessible(page, "the preview page")
        edit(course / MODULE, "points: 4", "points: lots")
        state = page.locator("#build-state")
        state.filter(has_text="1 error").wait_for()
        assert f"{MODULE}:" in page.locator("#diagnostics").inner_text()
        assert_accessible(page, "the preview page with a diagnostic")
        edit(course / MODULE, "points: lots", "points: 4")
        edit(
            course / MODULE,
            "title: Choosing a chart for the question",
            "title: Picking a chart for the question",
        )
        edit(
            course / MODULE,
            "A chart is an argument made with shapes.",
            "A chart is an argument drawn with shapes.",
        )
        page.get_by_role("heading", name="Picking a chart for the question").wait_for()
        tool.get_by_text("A chart is an argument drawn with shapes.").wait_for()
        assert page.locator("#diagnostics").inner_text().strip() == "None."
