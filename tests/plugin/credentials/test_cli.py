"""`microcred credentials export | rotate-key | issuer` through the real command group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from plugin.credentials import services
from plugin.extensions import db
from tests.plugin.credentials import independent_verifier
from tests.plugin.credentials.factories import complete_course, make_learner, publish_sample


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


def _issue(app: Any) -> str:
    with app.app_context():
        version = publish_sample()
        learner = make_learner()
        complete_course(learner, version)
        award = services.award_for_completion(learner.id, version.id)
        db.session.commit()
        return award.public_id


def test_export_writes_credentials_that_still_verify(
    app: Any, microcred: Any, client: Any, tmp_path: Path
) -> None:
    public_id = _issue(app)
    runner = CliRunner()
    lines = runner.invoke(microcred, ["credentials", "export"])
    assert lines.exit_code == 0, lines.output
    exported = json.loads(lines.output.strip().splitlines()[-1])
    assert exported["id"].endswith(public_id)
    out = tmp_path / "export"
    folder = runner.invoke(microcred, ["credentials", "export", "--out", str(out)])
    assert "exported 1 credential to" in folder.output
    saved = json.loads((out / f"{public_id}.json").read_text("utf-8"))
    document = client.get("/.well-known/did.json").get_json()
    key = independent_verifier.public_key_from_multibase(
        document["verificationMethod"][0]["publicKeyMultibase"]
    )
    assert independent_verifier.verify(saved, key)
    none = runner.invoke(microcred, ["credentials", "export", "--achievement", "nothing"])
    assert none.exit_code == 0 and "no credentials match" in none.output


def test_rotate_key_and_issuer_profile(app: Any, microcred: Any, client: Any) -> None:
    _issue(app)
    runner = CliRunner()
    rotated = runner.invoke(microcred, ["credentials", "rotate-key"])
    assert rotated.exit_code == 0 and "now signing with did:web:localhost%3A5000#" in rotated.output
    assert len(client.get("/.well-known/did.json").get_json()["verificationMethod"]) == 2
    named = runner.invoke(
        microcred,
        ["credentials", "issuer", "--name", "Example University", "--url", "https://x.edu"],
    )
    assert named.exit_code == 0, named.output
    wrong = runner.invoke(
        microcred, ["credentials", "issuer", "--name", "X", "--registration", "99"]
    )
    assert wrong.exit_code != 0 and "no platform registration 99" in wrong.output
    with app.app_context():
        learner = make_learner(sub="user-alan")
        from plugin.catalog.services import find_version

        version = find_version("data-spreadsheets", "1.0.0")
        complete_course(learner, version)
        award = services.award_for_completion(learner.id, version.id)
        issuer = json.loads(award.credential_json)["issuer"]
        assert issuer["name"] == "Example University" and issuer["url"] == "https://x.edu"
        assert services.verify_award(award.id).ok
