"""The `microcred` command: thin click wrappers that delegate to the toolkit.

Exit codes: 0 success, 1 content errors, 2 usage errors. Colour only on a terminal. The tool's
own commands (serve, db, keys, platform, admin, ...) join through the `microcred.commands`
entry point, so this module never imports the tool.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .diagnostics import Diagnostic, Severity, format_text, sort_diagnostics, summary_line, to_json

if TYPE_CHECKING:
    from .model import Question

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


def _echo_diagnostics(diags: Sequence[Diagnostic], fmt: str) -> None:
    if fmt == "json":
        click.echo(to_json(diags))
        return
    for d in sort_diagnostics(diags):
        color = "red" if d.severity is Severity.ERROR else "yellow"
        head, _, rest = d.format().partition(f"{d.severity.value}[")
        click.echo(head + click.style(f"{d.severity.value}[", fg=color, bold=True) + rest)
    if diags:
        click.echo(summary_line(diags), err=True)


def _exit_for(diags: Sequence[Diagnostic]) -> int:
    return EXIT_CONTENT if any(d.severity is Severity.ERROR for d in diags) else EXIT_OK


class MicrocredGroup(click.Group):
    """Adds the commands other installed packages register under `microcred.commands`."""

    _loaded = False

    def _load_plugins(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        from importlib.metadata import entry_points  # slow to import; only for other commands

        for ep in entry_points(group="microcred.commands"):
            try:
                register = ep.load()
            except ImportError as exc:  # the tool's dependencies are optional for authors
                click.echo(f"note: tool commands unavailable ({exc})", err=True)
                continue
            register(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None or isinstance(command, click.Group):
            # Unknown names may be the tool's; groups (export, import) may hold tool subcommands
            # such as `export cc`. Plain authoring commands (check, build) stay fast.
            self._load_plugins()
            command = super().get_command(ctx, cmd_name)
        return command


@click.group(cls=MicrocredGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="microcred")
def main() -> None:
    """Write micro-courses in Markdown, check them, build packages, and run the LTI tool."""


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--id", "course_id", help="Course id (a slug); default: the folder name.")
@click.option("--title", help="Course title.")
def new(folder: Path, course_id: str | None, title: str | None) -> None:
    """Create a working course in FOLDER to start from."""
    from .scaffold import ScaffoldError, scaffold_course

    try:
        created = scaffold_course(folder, course_id=course_id, title=title)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from exc
    for path in created:
        click.echo(f"created {path}")
    click.echo(f"next: microcred check {folder}")


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--render", is_flag=True, help="Also render every module and run the accessibility checks."
)
@click.option("--no-cache", is_flag=True, help="Render everything again (with --render).")
def check(folder: Path, fmt: str, strict: bool, render: bool, no_cache: bool) -> None:
    """Report every problem in a course FOLDER (or a program folder) at once.

    Without --render, the source is checked (fast: run it on every save). `build` and
    `check --render` also report what only the rendered page shows: accessibility problems,
    markup the sanitizer removed, math errors.
    """
    if (folder / "program.yml").exists() and not (folder / "course.yml").exists():
        from .loader import load_program

        _, diags = load_program(folder / "program.yml")
        if strict:
            from .diagnostics import apply_strict

            diags = apply_strict(diags)
    else:
        from .check import check_course

        diags = check_course(
            folder, strict=strict, render=render, cache_dir=not no_cache
        ).diagnostics
    _echo_diagnostics(diags, fmt)
    if fmt == "text" and not diags:
        click.echo(f"{folder}: no problems found")
    sys.exit(_exit_for(diags))


@contextmanager
def _one_shot_gc() -> Iterator[None]:
    """A one-shot build makes many short-lived, acyclic objects (element trees, strings): the
    cycle collector would rescan everything imported so far, again and again, for nothing. Keep
    what exists now out of its scans (forked render workers then leave those pages shared) and
    let it run less often while building; memory stays the same (bench_authoring prints it)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@main.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), help="Output file or folder.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--jobs", type=int, default=None, help="Processes for rendering (default: all cores)."
)
@click.option("--no-cache", is_flag=True, help="Render everything again.")
@click.option("--watch", is_flag=True, help="Rebuild whenever a file changes (Ctrl-C stops).")
def build(
    folder: Path,
    out: Path | None,
    strict: bool,
    fmt: str,
    jobs: int | None,
    no_cache: bool,
    watch: bool,
) -> None:
    """Check FOLDER and write its versioned package (.mcpkg)."""
    from .package import Builder, BuildResult, build_package

    if watch:
        from .watch import watch_and_build

        def report(result: BuildResult, seconds: float) -> None:
            _echo_diagnostics(result.diagnostics, fmt)
            if result.path is None:
                click.echo("build failed: fix the errors above; watching", err=True)
            else:
                n = result.rendered_count
                rendered = f"rendered {n} module{'' if n == 1 else 's'}"
                click.echo(f"wrote {result.path} in {seconds * 1000:.0f} ms ({rendered})")

        click.echo(f"watching {folder} (Ctrl-C stops)", err=True)
        try:
            watch_and_build(
                Builder(folder, cache=not no_cache, jobs=jobs), out, strict=strict, on_build=report
            )
        except KeyboardInterrupt:
            click.echo("stopped watching", err=True)
        return
    count = (
        sum(1 for _ in (folder / "modules").glob("*.md")) if (folder / "modules").is_dir() else 0
    )
    show_bar = sys.stderr.isatty() and count >= 20
    with _one_shot_gc():
        if show_bar:
            with click.progressbar(length=count, label="rendering", file=sys.stderr) as bar:
                result = build_package(
                    folder, out, strict=strict, jobs=jobs, cache=not no_cache, progress=bar.update
                )
        else:
            result = build_package(folder, out, strict=strict, jobs=jobs, cache=not no_cache)
    _echo_diagnostics(result.diagnostics, fmt)
    if result.path is None:
        click.echo("build failed: fix the errors above", err=True)
        sys.exit(EXIT_CONTENT)
    if fmt == "text":
        click.echo(f"wrote {result.path} ({result.manifest['content_hash']})")


@main.group("import")
def import_group() -> None:
    """Turn question files from other tools into a bank file."""


def _import(kind: str, file: Path, out: Path | None, fmt: str) -> None:
    from .interop.bankfile import write_bank

    text = _read_import_file(file)
    if kind == "gift":
        from .interop.gift import parse_gift

        questions, diags = parse_gift(text, file.name)
    else:
        from .interop.aiken import parse_aiken

        questions, diags = parse_aiken(text, file.name)
    _echo_diagnostics(diags, fmt)
    if any(d.severity is Severity.ERROR for d in diags):
        click.echo("nothing written: fix the errors above", err=True)
        sys.exit(EXIT_CONTENT)
    target = out or file.with_suffix(".md")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(write_bank(questions, title=f"Imported from {file.name}"), "utf-8")
    click.echo(f"wrote {len(questions)} questions to {target}")


def _read_import_file(file: Path) -> str:
    raw = file.read_bytes()
    try:
        return raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        click.echo(f"{file.name}:{line}:1: error[F001]: file is not valid UTF-8", err=False)
        sys.exit(EXIT_CONTENT)


@import_group.command("gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def import_gift(file: Path, out: Path | None, fmt: str) -> None:
    """Import a Moodle GIFT FILE into a bank file (default: FILE with .md)."""
    _import("gift", file, out, fmt)


@import_group.command("aiken")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def import_aiken(file: Path, out: Path | None, fmt: str) -> None:
    """Import an Aiken FILE into a bank file (default: FILE with .md)."""
    _import("aiken", file, out, fmt)


@main.group("export")
def export_group() -> None:
    """Write a course's questions in other tools' formats."""


def _course_questions(folder: Path) -> list[Question]:
    from .loader import load_course

    course, diags = load_course(folder)
    errors = [d for d in diags if d.severity is Severity.ERROR]
    if course is None or errors:
        click.echo(format_text(errors or diags))
        click.echo("nothing written: fix the errors above", err=True)
        sys.exit(EXIT_CONTENT)
    questions = [q for m in course.modules for q in m.questions]
    questions += [q for b in course.banks for q in b.questions]
    return questions


@export_group.command("qti")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True)
def export_qti(folder: Path, out: Path) -> None:
    """Write every question of FOLDER as a QTI 3.0 package (zip)."""
    from .interop.qti import export_qti as write_qti

    path = write_qti(_course_questions(folder), out)
    click.echo(f"wrote {path}")


@export_group.command("gift")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_gift(folder: Path, out: Path) -> None:
    """Write every question of FOLDER as a Moodle GIFT file."""
    from .interop.gift import write_gift

    out.write_text(write_gift(_course_questions(folder)), "utf-8")
    click.echo(f"wrote {out}")
