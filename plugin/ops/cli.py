"""Operations commands: `microcred doctor`, `microcred privacy export|erase|purge` and
`microcred settings` (the reference table of every setting)."""

from __future__ import annotations

import json
import sys
from typing import TextIO

import click

from ..cli import with_app


@click.command("doctor")
def doctor() -> None:
    """Check configuration, database, Redis, keys, public URL and platform key sets."""
    from .doctor import run_doctor

    checks = run_doctor()
    for check in checks:
        click.echo(check.line())
    problems = [c for c in checks if not c.ok]
    if problems:
        click.echo(
            f"\n{len(problems)} problem(s) found; fix them and run `microcred doctor` again."
        )
        sys.exit(1)
    click.echo("\nEverything looks right.")


@click.group("privacy")
def privacy_group() -> None:
    """Learner data: export, erase, and purge by retention (RETENTION_DAYS)."""


def _learner_id(learner_id: int | None, issuer: str | None, sub: str | None) -> int:
    from .privacy import find_learner

    if learner_id is not None:
        return learner_id
    if not (issuer and sub):
        raise click.UsageError("give --learner-id, or --issuer together with --sub")
    found = find_learner(issuer, sub)
    if found is None:
        raise click.ClickException(f"no learner {sub!r} from {issuer!r}")
    return found


_WHO = [
    click.option("--learner-id", type=int, help="the tool's learner number"),
    click.option("--issuer", help="the LMS issuer (with --sub)"),
    click.option("--sub", help="the learner's user id in that LMS (with --issuer)"),
]


def _who(fn):
    for option in reversed(_WHO):
        fn = option(fn)
    return fn


@privacy_group.command("export")
@_who
@click.option("--output", "-o", type=click.File("w"), default="-", help="file (default stdout)")
@with_app
def privacy_export(
    learner_id: int | None, issuer: str | None, sub: str | None, output: TextIO
) -> None:
    """Write everything the tool holds about one learner as JSON."""
    from ..errors import NotFoundError
    from ..extensions import db
    from .privacy import export_learner

    try:
        document = export_learner(_learner_id(learner_id, issuer, sub), actor="cli")
    except NotFoundError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    output.write(json.dumps(document, indent=2, sort_keys=True) + "\n")


@privacy_group.command("erase")
@_who
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@with_app
def privacy_erase(learner_id: int | None, issuer: str | None, sub: str | None, yes: bool) -> None:
    """Erase one learner's personal data (issued credentials stay verifiable)."""
    from ..errors import NotFoundError
    from ..extensions import db
    from .privacy import erase_learner

    target = _learner_id(learner_id, issuer, sub)
    if not yes:
        click.confirm(
            f"Erase the personal data of learner {target}? This cannot be undone", abort=True
        )
    try:
        report = erase_learner(target, actor="cli")
    except NotFoundError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    deleted = ", ".join(f"{n} from {t}" for t, n in sorted(report.deleted.items())) or "no rows"
    click.echo(f"erased learner {target}: deleted {deleted}; name, e-mail and LMS id removed")
    for table, n in sorted(report.kept.items()):
        click.echo(f"kept {n} row(s) of {table} (no personal data; credentials stay verifiable)")


@privacy_group.command("purge")
@click.option("--days", type=int, default=None, help="override RETENTION_DAYS")
@click.option("--dry-run", is_flag=True, help="only list who would be erased")
@with_app
def privacy_purge(days: int | None, dry_run: bool) -> None:
    """Erase learners inactive longer than RETENTION_DAYS (0 means keep everyone)."""
    from ..extensions import db
    from .privacy import erase_learner, inactive_learners
    from .settings import ops_settings

    days = ops_settings().retention_days if days is None else days
    if days <= 0:
        click.echo("retention is off (RETENTION_DAYS=0): nobody is erased")
        return
    stale = inactive_learners(days)
    if dry_run:
        click.echo(f"{len(stale)} learner(s) inactive for {days} days: {stale}")
        return
    for learner_id in stale:
        erase_learner(learner_id, actor=f"retention {days} days")
    db.session.commit()
    click.echo(f"erased {len(stale)} learner(s) inactive for {days} days")


@click.command("settings")
def settings_command() -> None:
    """Print the reference table of every setting (Markdown), as in docs/deployment.md."""
    from .settings_doc import settings_table

    click.echo(settings_table())


def register(group: click.Group) -> None:
    """Add the operations commands to `microcred`."""
    group.add_command(doctor)
    group.add_command(privacy_group)
    group.add_command(settings_command)
