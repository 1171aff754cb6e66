"""`microcred pathway import|list|eligibility` and `microcred registrar map-role|roles`.

`pathway import` exits 0 when the pathway was created or updated, 1 when the program file has
errors (every one printed as file:line:col), 2 for usage errors.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import with_app


@click.group("pathway")
def pathway_group() -> None:
    """Pathways that stack course credentials into a certificate and degree credit."""


@pathway_group.command("import")
@click.argument("program", type=click.Path(exists=True, path_type=Path))
@with_app
def import_command(program: Path) -> None:
    """Create or update the pathway of PROGRAM (a program.yml or the folder holding it)."""
    from ..extensions import db
    from .pathways import ProgramFileError, import_program, load_program_file

    try:
        parsed = load_program_file(program)
    except ProgramFileError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.format(), err=True)
        click.echo(f"{len(exc.diagnostics)} error(s); nothing imported", err=True)
        raise SystemExit(1) from exc
    pathway, created = import_program(parsed, by="cli")
    db.session.commit()
    verb = "created" if created else "updated"
    click.echo(
        f"pathway {pathway.slug} {verb}: {len(pathway.members)} members, "
        f"{pathway.institution_course} {pathway.credit_hours:g} credit hours"
    )


@pathway_group.command("list")
@with_app
def list_command() -> None:
    """Every pathway with its rule and credit."""
    from .pathways import list_pathways

    rows = list_pathways()
    if not rows:
        click.echo("no pathways; import one with `microcred pathway import FILE`")
    for p in rows:
        rule = "all" if p.rule == "all" else f"{p.n_required} of {len(p.members)}"
        click.echo(f"{p.id}\t{p.slug}\t{rule}\t{p.institution_course}\t{p.credit_hours:g} h")


@pathway_group.command("eligibility")
@click.option("--pathway", "slug", help="Only this pathway (its id from the program file).")
@with_app
def eligibility_command(slug: str | None) -> None:
    """Compute eligibility: open credit cases and issue stacks for newly eligible learners."""
    from ..extensions import db
    from .cases import refresh_pathway
    from .pathways import list_pathways

    chosen = [p for p in list_pathways() if slug is None or p.slug == slug]
    if slug and not chosen:
        raise click.UsageError(f"there is no pathway {slug!r}")
    for pathway in chosen:
        result = refresh_pathway(pathway)
        db.session.commit()
        click.echo(f"{pathway.slug}: {result.opened} newly eligible, {result.alerts} new alerts")


@click.group("registrar")
def registrar_group() -> None:
    """Who may use the registrar area through an LMS launch."""


@registrar_group.command("map-role")
@click.argument("role")
@with_app
def map_role_command(role: str) -> None:
    """Let launches with ROLE (a full LTI role URI) use the registrar area."""
    from ..errors import ValidationError
    from ..extensions import db
    from .access import map_role

    try:
        map_role(role, "cli")
    except ValidationError as exc:
        raise click.UsageError(exc.message) from exc
    db.session.commit()
    click.echo(f"mapped to registrar: {role}")


@registrar_group.command("roles")
@with_app
def roles_command() -> None:
    """The LTI roles mapped to registrar."""
    from .access import mapped_roles

    for row in mapped_roles():
        click.echo(row.role)


def register(group: click.Group) -> None:
    """Add the pathway and registrar commands to `microcred`."""
    group.add_command(pathway_group)
    group.add_command(registrar_group)
