"""`microcred pathway ...` and `microcred registrar ...` through the real command group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest

from .conftest import MEMBERS, world_context

SAMPLES = Path(__file__).resolve().parents[3] / "content_samples"


@pytest.fixture
def microcred(app: Any, app_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The `microcred` group; its commands build their app from this environment."""
    from plugin.cli import register_commands

    env = {
        "MICROCRED_ENV": "testing",
        "DATABASE_URL": app_config["DATABASE_URL"],
        "MICROCRED_INSTANCE": app_config["INSTANCE_PATH"],
        "SECRET_KEY": app_config["SECRET_KEY"],
        "PUBLIC_URL": app_config["PUBLIC_URL"],
        "REDIS_URL": app_config.get("REDIS_URL", ""),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    group = click.Group("microcred")
    register_commands(group)
    return group


def test_import_the_sample_program_then_compute_eligibility(
    app: Any, runner: Any, microcred: Any
) -> None:
    from plugin.extensions import db

    result = runner.invoke(microcred, ["pathway", "import", str(SAMPLES / "program-data-literacy")])
    assert result.exit_code == 0, result.output
    assert "pathway data-literacy-foundations created: 3 members, DATA 1010 3 credit hours" in (
        result.output
    )
    again = runner.invoke(
        microcred, ["pathway", "import", str(SAMPLES / "program-data-literacy" / "program.yml")]
    )
    assert "pathway data-literacy-foundations updated" in again.output
    with app.app_context():
        from plugin.registrar.history import history
        from plugin.registrar.pathways import list_pathways

        [entry] = history(list_pathways()[0])  # the same file again changes nothing
        assert (entry.changed_by, entry.source) == ("cli", "import")
        assert entry.changes == [("Pathway", "", "created, version 1.0.0")]
    listing = runner.invoke(microcred, ["pathway", "list"])
    assert "data-literacy-foundations\tall\tDATA 1010\t3 h" in listing.output
    with world_context(app) as world:
        world.complete(world.learner())
        db.session.commit()
    result = runner.invoke(microcred, ["pathway", "eligibility"])
    assert result.exit_code == 0, result.output
    assert "data-literacy-foundations: 1 newly eligible, 0 new alerts" in result.output
    result = runner.invoke(microcred, ["pathway", "eligibility", "--pathway", "nope"])
    assert result.exit_code == 2 and "there is no pathway 'nope'" in result.output
    assert MEMBERS[0] == "data-spreadsheets"


def test_import_reports_every_error_with_its_line(
    runner: Any, microcred: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "program"
    folder.mkdir()
    text = (SAMPLES / "program-data-literacy" / "program.yml").read_text()
    (folder / "program.yml").write_text(text.replace("rule: all", "rule: {n_of: 9}"))
    result = runner.invoke(microcred, ["pathway", "import", str(folder)])
    assert result.exit_code == 1
    assert "program.yml:" in result.output and "error[R005]" in result.output
    assert "error[R006]" in result.output and "nothing imported" in result.output
    assert "no pathways" in runner.invoke(microcred, ["pathway", "list"]).output


def test_map_role(runner: Any, microcred: Any) -> None:
    staff = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff"
    assert runner.invoke(microcred, ["registrar", "map-role", staff]).exit_code == 0
    assert staff in runner.invoke(microcred, ["registrar", "roles"]).output
    bad = runner.invoke(microcred, ["registrar", "map-role", "Staff"])
    assert bad.exit_code == 2 and "full LTI role URI" in bad.output
