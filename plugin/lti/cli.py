"""`microcred platform add|list|disable` and `microcred keys rotate|list`."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from ..cli import with_app
from ..errors import ValidationError
from ..extensions import db


def _urls_text() -> str:
    from .services import tool_urls

    urls = tool_urls()
    return "\n".join(
        [
            "Paste these into the LMS:",
            f"  OIDC login / initiate login URL:  {urls.login}",
            f"  Redirect URI / launch URL:        {urls.launch}",
            f"  Target link URI:                  {urls.launch}",
            f"  Public keyset (JWKS) URL:         {urls.jwks}",
            f"  Deep linking URL:                 {urls.deep_link}",
            f"  Dynamic registration URL:         {urls.registration}",
            f"  Domain:                           {urls.domain}",
        ]
    )


@click.group("platform")
def platform_group() -> None:
    """LMS registrations (issuer + client_id)."""


@platform_group.command("add")
@click.option("--issuer", required=True, help="the platform's issuer (iss)")
@click.option("--client-id", required=True, help="the client_id the LMS gave the tool")
@click.option("--auth-url", required=True, help="the platform's OIDC authorization URL")
@click.option("--token-url", required=True, help="the platform's OAuth2 token URL")
@click.option("--jwks-url", required=True, help="the platform's public key set URL")
@click.option(
    "--deployment-id", "deployment_ids", multiple=True, help="a deployment id (repeat for several)"
)
@click.option("--name", default="", help="a name for people")
@click.option(
    "--product",
    default="generic",
    show_default=True,
    help="canvas, moodle, blackboard, brightspace, sakai or generic",
)
@click.option("--audience", default=None, help="token audience when it is not the token URL")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@with_app
def platform_add(
    issuer: str,
    client_id: str,
    auth_url: str,
    token_url: str,
    jwks_url: str,
    deployment_ids: tuple[str, ...],
    name: str,
    product: str,
    audience: str | None,
    as_json: bool,
) -> None:
    """Register an LMS and print the tool URLs to paste into it."""
    from .services import create_registration, tool_urls

    try:
        reg = create_registration(
            issuer=issuer,
            client_id=client_id,
            name=name,
            auth_login_url=auth_url,
            auth_token_url=token_url,
            auth_audience=audience,
            key_set_url=jwks_url,
            product=product,
            deployment_ids=deployment_ids,
        )
    except ValidationError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    if as_json:
        click.echo(
            json.dumps({"registration": _reg_dict(reg), "tool": asdict(tool_urls())}, indent=2)
        )
    else:
        click.echo(f"registered {reg.issuer} client {reg.client_id} (id {reg.id})")
        click.echo(_urls_text())


def _reg_dict(reg: object) -> dict[str, object]:
    from .models import Registration

    assert isinstance(reg, Registration)
    return {
        "id": reg.id,
        "issuer": reg.issuer,
        "client_id": reg.client_id,
        "name": reg.name,
        "product": reg.product,
        "active": reg.active,
        "auth_login_url": reg.auth_login_url,
        "auth_token_url": reg.auth_token_url,
        "auth_audience": reg.auth_audience,
        "key_set_url": reg.key_set_url,
        "deployments": [
            {"deployment_id": d.deployment_id, "status": d.status} for d in reg.deployments
        ],
    }


@platform_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@with_app
def platform_list(as_json: bool) -> None:
    """List the registrations and their deployments."""
    from .services import list_registrations

    regs = list_registrations()
    if as_json:
        click.echo(json.dumps([_reg_dict(r) for r in regs], indent=2))
        return
    if not regs:
        click.echo("no platform is registered")
    for reg in regs:
        state = "active" if reg.active else "inactive"
        deps = ", ".join(f"{d.deployment_id} ({d.status})" for d in reg.deployments) or "none"
        click.echo(
            f"{reg.id}  {reg.issuer}  client {reg.client_id}  {reg.product}  {state}  "
            f"deployments: {deps}"
        )


@platform_group.command("disable")
@click.argument("issuer")
@click.argument("client_id")
@with_app
def platform_disable(issuer: str, client_id: str) -> None:
    """Disable a registration: its logins and launches are refused."""
    from .services import find_registration, set_registration_active

    reg = find_registration(issuer, client_id)
    if reg is None:
        raise click.ClickException(f"no registration for {issuer} client {client_id}")
    set_registration_active(reg, False)
    db.session.commit()
    click.echo(f"disabled {issuer} client {client_id}")


@click.group("keys")
def keys_group() -> None:
    """The tool's signing keys."""


@keys_group.command("rotate")
@with_app
def keys_rotate() -> None:
    """Make a new signing key; the old one stays published for the overlap period."""
    from .services import rotate_tool_key

    key = rotate_tool_key()
    db.session.commit()
    click.echo(f"new current key {key.kid}")


@keys_group.command("list")
@with_app
def keys_list() -> None:
    """List the keys: kid, created, current, published until."""
    from .services import jwks, list_tool_keys

    published = {k["kid"] for k in jwks()["keys"]}
    for key in list_tool_keys():
        flags = ["current"] if key.current else []
        flags.append("published" if key.kid in published else "retired")
        until = f" until {key.retire_at:%Y-%m-%d %H:%M}" if key.retire_at else ""
        click.echo(f"{key.kid}  created {key.created_at:%Y-%m-%d %H:%M}  {', '.join(flags)}{until}")


def register(group: click.Group) -> None:
    """Add the LTI commands to `microcred` (and `preview`, which runs the dev LMS)."""
    from ..preview.cli import preview_command

    group.add_command(platform_group)
    group.add_command(keys_group)
    group.add_command(preview_command)
