"""`microcred build --watch`: an author saves a module and the package follows."""

from __future__ import annotations

import selectors
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

from click.testing import CliRunner

from authoring.cli import main
from authoring.package import Builder
from authoring.watch import snapshot, watch_and_build

WAIT_SECONDS = 120  # a guard against hanging, not a measurement


def new_course(tmp_path: Path) -> Path:
    folder = tmp_path / "course"
    assert CliRunner().invoke(main, ["new", str(folder)]).exit_code == 0
    return folder


def first_module(folder: Path) -> Path:
    return sorted((folder / "modules").glob("*.md"))[0]


def test_snapshot_ignores_the_package_the_build_writes(tmp_path: Path) -> None:
    folder = new_course(tmp_path)
    before = snapshot(folder)
    Builder(folder).build()  # writes dist/ and .microcred-cache/
    (folder / "other.mcpkg").write_bytes(b"x")
    assert snapshot(folder) == before


def test_watch_rebuilds_only_what_changed(tmp_path: Path) -> None:
    folder = new_course(tmp_path)
    module = first_module(folder)
    results = []

    def on_build(result, seconds):  # type: ignore[no-untyped-def]
        results.append(result)
        if len(results) == 1:  # the author saves a change after the first build
            module.write_text(module.read_text("utf-8") + "\nA new closing sentence.\n", "utf-8")

    watch_and_build(
        Builder(folder),
        tmp_path / "out.mcpkg",
        strict=False,
        on_build=on_build,
        interval=0.05,
        builds=2,
    )
    first, second = results
    assert first.ok and second.ok and second.rendered_count == 1
    html = zipfile.ZipFile(second.path).read(f"modules/{module.stem}.html").decode()
    assert "A new closing sentence." in html


def read_until(proc: subprocess.Popen[str], needle: str, seen: list[str]) -> str:
    """Lines of the watcher's stdout until one contains `needle`."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while True:
        assert sel.select(WAIT_SECONDS), f"no {needle!r} in {seen}"
        line = proc.stdout.readline()
        assert line, f"watcher ended early: {seen}"
        seen.append(line)
        if needle in line:
            return line


def test_build_watch_command_rebuilds_on_save_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    folder = new_course(tmp_path)
    out = tmp_path / "out.mcpkg"
    # the folder as an author types it: relative to where the command runs
    command = [sys.executable, "-m", "authoring", "build", "--watch", "course", "-o", str(out)]
    seen: list[str] = []
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with subprocess.Popen(command, cwd=tmp_path, **pipes) as proc:  # type: ignore[call-overload]
        try:
            read_until(proc, "wrote", seen)
            module = first_module(folder)
            module.write_text(module.read_text("utf-8") + "\nSaved while watching.\n", "utf-8")
            line = read_until(proc, "wrote", seen)
            assert "(rendered 1 module)" in line
            html = zipfile.ZipFile(out).read(f"modules/{module.stem}.html").decode()
            assert "Saved while watching." in html
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=WAIT_SECONDS)
        finally:
            if proc.poll() is None:  # a failed assertion above: do not leave the watcher running
                proc.kill()
    assert proc.returncode == 0 and "stopped watching" in err and "Traceback" not in err
