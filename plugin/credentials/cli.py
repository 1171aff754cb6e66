"""`microcred credentials export | rotate-key | issuer`: credentials from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy import select

from ..cli import with_app
from ..extensions import db
from .models import Award


@click.group("credentials")
def credentials_group() -> None:
    """Issued credentials and the issuer's keys."""


@credentials_group.command("export")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write one <id>.json per credential (default: JSON lines on stdout).",
)
@click.option("--achievement", default=None, help="Only this achievement (course id).")
@click.option("--learner", "learner_id", type=int, default=None, help="Only this learner id.")
@click.option("--include-revoked", is_flag=True, help="Also export revoked credentials.")
@with_app
def export(
    out: Path | None, achievement: str | None, learner_id: int | None, include_revoked: bool
) -> None:
    """Export signed credentials exactly as issued (they verify anywhere)."""
    query = select(Award).order_by(Award.id)
    if achievement:
        query = query.where(Award.achievement_id == achievement)
    if learner_id is not None:
        query = query.where(Award.learner_id == learner_id)
    if not include_revoked:
        query = query.where(Award.revoked_at.is_(None))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    count = 0
    for award in db.session.scalars(query):
        if out is None:
            click.echo(json.dumps(json.loads(award.credential_json), separators=(",", ":")))
        else:
            (out / f"{award.public_id}.json").write_text(award.credential_json, "utf-8")
        count += 1
    if out is not None:
        click.echo(f"exported {count} credential{'s' if count != 1 else ''} to {out}")
    elif count == 0:
        click.echo("no credentials match", err=True)


@credentials_group.command("rotate-key")
@with_app
def rotate_key_command() -> None:
    """Sign with a new key from now on; older keys stay published so old credentials verify."""
    from .issuer import rotate_key

    key = rotate_key()
    db.session.commit()
    click.echo(f"now signing with {key.key_id}")


@credentials_group.command("issuer")
@click.option("--name", required=True, help="The institution's name as verifiers see it.")
@click.option(
    "--registration",
    "registration_id",
    type=int,
    default=None,
    help="The platform registration id (default: the profile for every platform).",
)
@click.option("--url", default=None, help="The institution's web site.")
@click.option("--email", default=None, help="A contact e-mail address.")
@click.option(
    "--image",
    "image_url",
    default=None,
    help="The institution's logo: an http(s) URL or a data:image/... URI.",
)
@with_app
def issuer_command(
    name: str,
    registration_id: int | None,
    url: str | None,
    email: str | None,
    image_url: str | None,
) -> None:
    """Set the issuer profile credentials carry (per institution, or the default)."""
    from .issuer import set_profile

    try:
        set_profile(
            name=name, registration_id=registration_id, url=url, email=email, image_url=image_url
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"issuer profile saved: {name}")


def register(group: click.Group) -> None:
    """Add `microcred credentials` to the command group."""
    group.add_command(credentials_group)
