"""Catalog commands: `microcred publish` (client side, HTTP only), `microcred tokens ...` and
`microcred catalog load|list` (server side), and `microcred export cc` (thin Common Cartridge).

`publish` exits 0 when the version is published (or already was, unchanged), 1 when the tool
refused it (every reason is printed) or could not be reached, 2 for usage errors.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import click

from ..cli import with_app

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _user_agent() -> str:
    try:
        return f"microcred-cli/{dist_version('microcred')}"
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "microcred-cli"


def _print_refusal(status: int, body: Any) -> None:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        click.echo(f"refused: HTTP {status}", err=True)
        return
    click.echo(
        f"refused: {error.get('message') or error.get('title')} [{error.get('code')}]", err=True
    )
    for line in error.get("errors") or []:
        click.echo(f"  {line}", err=True)


@click.command("publish")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--url",
    required=True,
    envvar="MICROCRED_URL",
    help="The tool's public URL, e.g. https://tool.example.edu (or MICROCRED_URL).",
)
@click.option(
    "--token",
    required=True,
    envvar="MICROCRED_TOKEN",
    help="An API token (or MICROCRED_TOKEN, which other users cannot see in ps).",
)
@click.option(
    "--timeout",
    default=120,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds to wait for the tool.",
)
def publish_command(package: Path, url: str, token: str, timeout: int) -> None:
    """Publish a built PACKAGE (.mcpkg) to the tool at --url."""
    import requests

    from ..ops.outbound import GuardedSession, OutboundError

    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise click.UsageError(f"--url must start with https:// (got {url!r})")
    if base.startswith("http://") and not base.startswith(("http://localhost", "http://127.0.0.1")):
        click.echo("warning: sending the token over plain http", err=True)
    # The guard caps the answer and checks every redirect; the person running the command
    # names the tool, so a tool on loopback or the campus network is fine.
    session = GuardedSession(timeout=float(timeout), allow_private=True)
    try:
        response = session.post(
            f"{base}/api/v1/packages",
            data=package.read_bytes(),
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": _user_agent(),
                "Content-Type": "application/octet-stream",
                "Accept": "application/json",
            },
        )
    except requests.RequestException as exc:
        click.echo(f"could not reach {base}: {exc.__class__.__name__}", err=True)
        sys.exit(EXIT_REFUSED)
    except OutboundError as exc:
        click.echo(f"could not reach {base}: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    finally:
        session.close()
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code in (200, 201) and isinstance(body, dict):
        version = body.get("version") or {}
        what = "published" if body.get("status") == "published" else "already published, unchanged:"
        click.echo(
            f"{what} {version.get('course_id')} {version.get('version')} "
            f"({version.get('content_hash', '')[:19]})"
        )
        for warning in body.get("warnings") or []:
            click.echo(f"  warning[{warning.get('code')}]: {warning.get('message')}", err=True)
        return
    _print_refusal(response.status_code, body)
    sys.exit(EXIT_REFUSED)


@click.group("tokens")
def tokens_group() -> None:
    """API tokens for `microcred publish` (server side)."""


@tokens_group.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. 'course CI'.")
@click.option(
    "--days",
    default=90,
    show_default=True,
    type=click.IntRange(0, 3650),
    help="Days until it expires; 0 never expires.",
)
@with_app
def tokens_create(name: str, days: int) -> None:
    """Create a server token and print it once (only its hash is stored)."""
    from ..errors import ValidationError
    from ..extensions import db
    from .tokens import create_token

    try:
        token, raw = create_token(name, days=days or None)
    except ValidationError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    expires = token.expires_at.strftime("%Y-%m-%d") if token.expires_at else "never"
    click.echo(raw)
    click.echo(
        f"token {token.id} {token.name!r} expires {expires}; it is not shown again", err=True
    )


@tokens_group.command("list")
@with_app
def tokens_list() -> None:
    """Every token: id, name, owner, prefix, state."""
    from .tokens import list_tokens

    for t in list_tokens(everyone=True):
        state = "revoked" if t.revoked_at else ("active" if t.is_active() else "expired")
        click.echo(f"{t.id}\t{t.name}\t{t.owner_label}\t{t.prefix}…\t{state}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_app
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID."""
    from ..extensions import db
    from .tokens import get_token, revoke_token

    token = get_token(token_id)
    if token is None:
        raise click.ClickException(f"no token {token_id}")
    revoke_token(token)
    db.session.commit()
    click.echo(f"token {token_id} revoked")


@click.group("catalog")
def catalog_group() -> None:
    """Published courses on this server."""


@catalog_group.command("load")
@click.argument(
    "folders",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@with_app
def catalog_load(folders: tuple[Path, ...]) -> None:
    """Build each course FOLDER and publish it here (what `make run` does with the samples)."""
    from ..extensions import db
    from .services import load_course_folders

    failed = 0
    for load in load_course_folders(folders):
        if load.result is not None:
            v = load.result.version
            what = "published" if load.result.created else "unchanged"
            click.echo(f"{what} {v.course_id} {v.version} from {load.folder}")
        else:
            failed += 1
            click.echo(f"refused {load.folder}: {load.error}", err=True)
        for diag in load.diagnostics:
            click.echo(f"  {load.folder}/{diag.format()}", err=True)
    db.session.commit()
    if failed:
        sys.exit(EXIT_REFUSED)


@catalog_group.command("list")
@with_app
def catalog_list() -> None:
    """The newest version of every published course."""
    from .services import list_courses

    for v in list_courses():
        click.echo(f"{v.course_id}\t{v.version}\t{v.title}")


@click.command("cc")
@click.argument("course")
@click.option(
    "--url",
    required=True,
    envvar="PUBLIC_URL",
    help="The tool's public URL the links launch (or PUBLIC_URL).",
)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--version", "version", default=None, help="A published version (default newest).")
def export_cc(course: str, url: str, out: Path, version: str | None) -> None:
    """Write a thin Common Cartridge 1.3 of COURSE (a published course id, or a .mcpkg file)
    with one LTI 1.3 link per module."""
    from .cc import thin_cartridge

    if not url.startswith(("http://", "https://")):
        raise click.UsageError(f"--url must be an absolute http(s) URL (got {url!r})")
    path = Path(course)
    if path.is_file():
        from authoring.package import PackageError
        from authoring.reader import read_package

        try:
            course_data = read_package(path).course()
        except PackageError as exc:
            raise click.ClickException(str(exc)) from exc
    else:
        course_data = _published_course(course, version)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(thin_cartridge(course_data, url))
    click.echo(f"wrote {out} ({len(course_data.get('modules') or [])} LTI links)")


@with_app
def _published_course(course_id: str, version: str | None) -> dict[str, Any]:
    from .services import find_version, latest_version

    row = find_version(course_id, version) if version else latest_version(course_id)
    if row is None:
        what = f"{course_id} {version}" if version else course_id
        raise click.ClickException(f"no published course {what} (and no such package file)")
    return row.course


def register(group: click.Group) -> None:
    """Add publish, tokens, catalog and `export cc` to the `microcred` command."""
    group.add_command(publish_command)
    group.add_command(tokens_group)
    group.add_command(catalog_group)
    export = group.commands.get("export")
    if not isinstance(export, click.Group):
        export = click.Group("export", help="Write courses in other tools' formats.")
        group.add_command(export)
    export.add_command(export_cc)
