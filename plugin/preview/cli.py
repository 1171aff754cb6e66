"""`microcred preview FOLDER`: serve a course folder live inside the dev LMS."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import click

from .. import devrun
from .session import Preview, PreviewStatus


def _report(status: PreviewStatus) -> None:
    for line in status.diagnostics:
        click.echo(line, err=True)
    if status.ok:
        click.echo(f"build {status.generation}: {status.title}, {len(status.modules)} modules")
    else:
        click.echo(
            f"build {status.generation}: {status.errors} error(s); the page keeps the "
            "last good version"
        )


@click.command("preview")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--tool-port",
    type=click.IntRange(1, 65535),
    default=5100,
    show_default=True,
    help="The tool's port (localhost).",
)
@click.option(
    "--lms-port",
    type=click.IntRange(1, 65535),
    default=5101,
    show_default=True,
    help="The dev LMS's port (127.0.0.1).",
)
@click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the preview's databases here (default: a temporary folder).",
)
def preview_command(folder: Path, tool_port: int, lms_port: int, instance: Path | None) -> None:
    """Build FOLDER and show it as a student sees it inside the dev LMS; rebuild on save."""
    if tool_port == lms_port:
        raise click.UsageError("--tool-port and --lms-port must differ")
    scratch = None if instance else Path(tempfile.mkdtemp(prefix="microcred-preview-"))
    where = (instance or scratch).resolve()  # type: ignore[union-attr]
    # The preview's own database and store, whatever the environment names for the server.
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    config = devrun.DevRunConfig(
        instance=where,
        tool_port=tool_port,
        lms_port=lms_port,
        extra_config=devrun.console_logging(False),
    )
    preview = Preview(folder.resolve(), config, on_build=_report)
    try:
        preview.open()
        preview.start()
        click.echo(
            f"\nPreview of {folder} at {preview.url}\n"
            "Edit and save: the page rebuilds and reloads. Stop with Ctrl-C.\n"
        )
        devrun.wait_for_stop()
    finally:
        preview.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
