"""The issuer profile carries an image (logo) into issued credentials (issue #5)."""

from __future__ import annotations

import json
from typing import Any

import click
import pytest
from click.testing import CliRunner
from jsonschema import Draft201909Validator

from plugin.credentials import services
from plugin.credentials.issuer import get_profile, set_profile
from plugin.extensions import db
from tests.plugin.credentials import independent_verifier
from tests.plugin.credentials.factories import complete_course, make_learner, publish_sample
from tests.plugin.credentials.test_services import SCHEMA, served_public_key

LOGO = "https://www.example.edu/brand/logo.png"


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


def test_issuer_image_set_by_cli_is_in_a_verifiable_valid_credential(
    app: Any, microcred: Any, client: Any
) -> None:
    saved = CliRunner().invoke(
        microcred,
        [
            "credentials",
            "issuer",
            "--name",
            "Example University",
            "--url",
            "https://www.example.edu",
            "--email",
            "badges@example.edu",
            "--image",
            LOGO,
        ],
    )
    assert saved.exit_code == 0, saved.output
    with app.app_context():
        version = publish_sample()
        learner = make_learner()
        complete_course(learner, version)
        award = services.award_for_completion(learner.id, version.id)
        db.session.commit()
        credential = json.loads(award.credential_json)
        assert services.verify_award(award.id).ok

    issuer = credential["issuer"]
    assert issuer["image"] == {"id": LOGO, "type": "Image"}
    assert (issuer["name"], issuer["url"], issuer["email"]) == (
        "Example University",
        "https://www.example.edu",
        "badges@example.edu",
    )
    key_id = credential["proof"][0]["verificationMethod"]
    assert independent_verifier.verify(credential, served_public_key(client, key_id))
    validator = Draft201909Validator(json.loads(SCHEMA.read_text("utf-8")))
    assert [e.message for e in validator.iter_errors(credential)] == []
    # Changing the image afterwards would break the signature: the credential is sealed.
    credential["issuer"]["image"]["id"] = "https://evil.example/logo.png"
    assert not independent_verifier.verify(credential, served_public_key(client, key_id))


def test_a_bad_image_is_refused_with_a_clear_message_and_keeps_the_profile(
    app: Any, microcred: Any
) -> None:
    runner = CliRunner()
    first = ["credentials", "issuer", "--name", "Example University", "--image", LOGO]
    assert runner.invoke(microcred, first).exit_code == 0
    bad = runner.invoke(
        microcred, ["credentials", "issuer", "--name", "Other", "--image", "javascript:alert(1)"]
    )
    assert bad.exit_code != 0
    assert "must be an http(s) address or a data:image/... URI" in bad.output
    with app.app_context():
        kept = get_profile(None)
        assert (kept.name, kept.image_url) == ("Example University", LOGO)
        data_uri = "data:image/png;base64,iVBORw0KGgo="
        assert set_profile(name="Example University", image_url=data_uri).image_url == data_uri
        db.session.rollback()
