"""The `microcred` command as an author uses it: exit codes, output formats, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from authoring.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_new_then_check_then_build(tmp_path: Path) -> None:
    folder = tmp_path / "statistics-basics"
    code, out = run("new", str(folder))
    assert code == 0 and "created" in out
    code, out = run("check", str(folder))
    assert code == 0, out
    assert "no problems found" in out
    code, out = run("check", "--strict", "--render", str(folder))
    assert code == 0 and "no problems found" in out, out
    code, out = run("build", str(folder), "-o", str(tmp_path))
    assert code == 0, out
    assert (tmp_path / "statistics-basics-0.1.0.mcpkg").exists()


def test_new_refuses_a_folder_with_content(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    code, out = run("new", str(tmp_path / "x"))
    assert code == 2
    assert "not empty" in out


def test_check_reports_errors_with_exit_1_and_json(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    run("new", str(folder))
    yml = folder / "course.yml"
    yml.write_text(
        yml.read_text().replace("version: 0.1.0", "version: 1.2").replace("modules:", "modles:", 1)
    )
    code, out = run("check", str(folder), "--format", "json")
    assert code == 1
    data = json.loads(out)
    codes = {d["code"] for d in data}
    assert "C004" in codes and "C003" in codes
    first = next(d for d in data if d["code"] == "C004")
    assert first["path"] == "course.yml" and first["line"] == 3


def test_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    run("new", str(folder))
    (folder / "modules" / "03-draft.md").write_text(
        "---\nid: 03-draft\ntitle: Draft\n---\n# Draft\n"
    )
    code, out = run("check", str(folder))
    assert code == 0 and "warning[C006]" in out
    code, out = run("check", str(folder), "--strict")
    assert code == 1 and "error[C006]" in out


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _ = run("check", str(tmp_path / "missing"))
    assert code == 2
    code, _ = run("frobnicate")
    assert code == 2


def test_no_colour_when_not_a_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    run("new", str(folder))
    (folder / "course.yml").write_text("id: c\n")
    proc = subprocess.run(
        [sys.executable, "-m", "authoring", "check", str(folder)], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stdout
    assert "course.yml:1:1: error[C002]" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_import_gift_writes_a_bank_that_checks(tmp_path: Path) -> None:
    gift = tmp_path / "quiz.gift"
    gift.write_text(
        "// [tag:capitals]\n::Q1:: The capital of France is {=Paris ~Lyon ~Nice}\n\n"
        "::Q2:: 2 + 2 = {#4}\n",
        "utf-8",
    )
    code, out = run("import", "gift", str(gift), "-o", str(tmp_path / "bank.md"))
    assert code == 0, out
    assert "wrote 2 questions" in out
    from authoring.quiz import parse_quiz_blocks_in_text

    questions, diags = parse_quiz_blocks_in_text((tmp_path / "bank.md").read_text(), "bank.md")
    assert [d for d in diags if d.severity.value == "error"] == []
    assert len(questions) == 2


def test_import_gift_errors_name_file_and_line(tmp_path: Path) -> None:
    gift = tmp_path / "broken.gift"
    gift.write_text("::Q1:: fine {=a ~b}\n\n::Q2:: unclosed {=a ~b\n", "utf-8")
    code, out = run("import", "gift", str(gift))
    assert code == 1
    assert "broken.gift:3:" in out and "error[G002]" in out
    assert not (tmp_path / "broken.md").exists()


SAMPLES = Path(__file__).resolve().parents[2] / "content_samples"


@pytest.mark.parametrize(
    "name",
    ["data-spreadsheets", "data-visualization", "descriptive-statistics", "program-data-literacy"],
)
def test_every_sample_passes_strict_rendered_check(name: str) -> None:
    code, out = run("check", "--strict", "--render", "--no-cache", str(SAMPLES / name))
    assert (code, out) == (0, f"{SAMPLES / name}: no problems found\n")


def _many_modules(folder: Path, count: int) -> Path:
    (folder / "modules").mkdir(parents=True)
    names = []
    for n in range(1, count + 1):
        names.append(f"modules/m{n:02d}.md")
        (folder / names[-1]).write_text(f"---\nid: m{n:02d}\ntitle: Module {n}\n---\n# M{n}\n")
    listed = "".join(f"  - {name}\n" for name in names)
    (folder / "course.yml").write_text(
        f"id: many\ntitle: Many\nversion: 1.0.0\nlanguage: en\nmodules:\n{listed}"
    )
    return folder


def _build_stderr(folder: Path, out: Path, *, terminal: bool) -> str:
    """stderr of `microcred build`, attached to a pseudo-terminal or to a pipe."""
    import os
    import pty

    cmd = [sys.executable, "-m", "authoring", "build", "--no-cache", str(folder), "-o", str(out)]
    if not terminal:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    leader, follower = pty.openpty()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=follower, check=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the terminal is closed and drained
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.returncode == 0
    return b"".join(chunks).decode()


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    folder = _many_modules(tmp_path / "many", 24)
    on_terminal = _build_stderr(folder, tmp_path / "a.mcpkg", terminal=True)
    assert "rendering" in on_terminal and "100%" in on_terminal
    piped = _build_stderr(folder, tmp_path / "b.mcpkg", terminal=False)
    assert "rendering" not in piped and piped == ""


def test_export_cc_from_the_tool_is_reachable_through_the_one_microcred_command() -> None:
    """`microcred export cc` (registered by the tool) sits beside the authoring export formats."""
    from click.testing import CliRunner

    from authoring.cli import main

    result = CliRunner().invoke(main, ["export", "cc", "--help"])
    assert result.exit_code == 0, result.output
    assert "Common Cartridge" in result.output or "cartridge" in result.output.lower()
    listing = CliRunner().invoke(main, ["export", "--help"])
    assert {"qti", "gift", "cc"} <= set(listing.output.split())
