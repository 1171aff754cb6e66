"""Privacy: a learner's export holds everything about them (tables found from the database,
so later features are covered); erasure removes personal data and keeps issued credentials."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from .conftest import LaunchedLearner, add_outbox_score


@pytest.fixture
def later_feature_tables(app: Any) -> Iterator[tuple[str, str]]:
    """Two tables a later feature might add: notes (personal) and a kept credential table."""
    from plugin.extensions import db
    from plugin.ops import privacy

    notes, kept = (f"t_notes_{uuid.uuid4().hex[:8]}", f"t_badges_{uuid.uuid4().hex[:8]}")
    with app.app_context(), db.engine.begin() as conn:
        for name in (notes, kept):
            conn.execute(
                sa.text(
                    f"CREATE TABLE {name} (id INTEGER PRIMARY KEY,"
                    " learner_id INTEGER NOT NULL, body TEXT)"
                )
            )
    privacy.keep_on_erasure(kept)
    yield notes, kept
    privacy.KEEP_ON_ERASURE.discard(kept)
    with app.app_context():
        with db.engine.begin() as conn:
            for name in (notes, kept):
                conn.execute(sa.text(f"DROP TABLE {name}"))
        db.engine.dispose()


def _insert(app: Any, table: str, learner_id: int, body: str) -> None:
    from plugin.extensions import db

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            sa.text(f"INSERT INTO {table} (id, learner_id, body) VALUES (1, :l, :b)"),
            {"l": learner_id, "b": body},
        )


def test_the_export_holds_every_table_with_the_learner(
    app: Any, launched: LaunchedLearner, later_feature_tables: tuple[str, str]
) -> None:
    from plugin.extensions import db
    from plugin.ops.privacy import export_learner

    notes, _ = later_feature_tables
    add_outbox_score(app, launched)
    _insert(app, notes, launched.learner_id, "asked about the exam")
    with app.app_context():
        document = export_learner(launched.learner_id, actor="test")
        db.session.commit()
    assert document["learner"]["name"] == "Grace Hopper"
    assert document["learner"]["email"] == "grace@example.edu"
    assert document["tables"]["outbox_scores"][0]["score_given"] == 3
    assert document["tables"]["latest_scores"][0]["score_maximum"] == 4
    assert document["tables"][notes] == [
        {"id": 1, "learner_id": launched.learner_id, "body": "asked about the exam"}
    ]
    json.dumps(document)  # plain JSON, dates as text


def test_erasure_removes_personal_data_and_keeps_credentials(
    app: Any, launched: LaunchedLearner, later_feature_tables: tuple[str, str]
) -> None:
    from plugin.extensions import db
    from plugin.ops.models import PrivacyEvent
    from plugin.ops.privacy import erase_learner, export_learner, is_erased

    notes, kept = later_feature_tables
    add_outbox_score(app, launched)
    _insert(app, notes, launched.learner_id, "asked about the exam")
    _insert(app, kept, launched.learner_id, "sha256$salt$hash")
    with app.app_context():
        report = erase_learner(launched.learner_id, actor="test admin")
        db.session.commit()
        after = export_learner(launched.learner_id, actor="test")
        db.session.commit()
        assert is_erased(launched.learner_id)
        events = db.session.scalars(db.select(PrivacyEvent.action)).all()
    assert report.deleted == {notes: 1, "outbox_scores": 1, "latest_scores": 1}
    assert {table: n for table, n in report.kept.items() if n} == {kept: 1}
    assert after["learner"]["name"] is None and after["learner"]["email"] is None
    assert after["learner"]["sub"].startswith("erased-")
    assert after["tables"][notes] == [] and after["tables"]["outbox_scores"] == []
    assert after["tables"][kept][0]["body"] == "sha256$salt$hash"
    assert events == ["erase", "export"]


def test_the_learner_downloads_their_own_data(client: Any, launched: LaunchedLearner) -> None:
    location = launched.launch_response.headers.get("Content-Location", "")
    token = (
        location.split("mc_session=", 1)[1].split("&", 1)[0] if "mc_session=" in location else None
    )
    assert token, "the launch hands out a session token"
    response = client.get(f"/lti/my-data?mc_session={token}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.json["learner"]["email"] == "grace@example.edu"
    assert client.get("/lti/my-data").status_code == 401


def test_retention_erases_only_inactive_learners(app: Any, launched: LaunchedLearner) -> None:
    from plugin.ops.privacy import inactive_learners

    with app.app_context():
        assert inactive_learners(30) == []  # launched just now
        # A learner last seen long ago:
        from datetime import timedelta

        from plugin.db import utcnow
        from plugin.extensions import db
        from plugin.lti.models import Learner

        old = Learner(
            issuer="https://old.example.edu",
            sub="old-1",
            name="Old Learner",
            registration_id=launched.registration_id,
            created_at=utcnow() - timedelta(days=400),
        )
        db.session.add(old)
        db.session.commit()
        assert inactive_learners(365) == [old.id]


def test_cli_export_and_erase(
    app: Any, launched: LaunchedLearner, microcred: Any, tmp_path: Any
) -> None:
    from click.testing import CliRunner

    out = tmp_path / "export.json"
    result = CliRunner().invoke(
        microcred, ["privacy", "export", "--issuer", "http://127.0.0.1", "--sub", "nobody"]
    )
    assert result.exit_code == 1 and "no learner 'nobody'" in result.output
    result = CliRunner().invoke(
        microcred, ["privacy", "export", "--learner-id", str(launched.learner_id), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["learner"]["name"] == "Grace Hopper"
    result = CliRunner().invoke(
        microcred, ["privacy", "erase", "--learner-id", str(launched.learner_id)], input="n\n"
    )
    assert result.exit_code == 1  # declined: nothing erased
    result = CliRunner().invoke(
        microcred, ["privacy", "erase", "--learner-id", str(launched.learner_id), "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert "name, e-mail and LMS id removed" in result.output


def test_cli_purge_follows_the_retention_setting(
    app: Any, launched: LaunchedLearner, microcred: Any, monkeypatch: Any
) -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(microcred, ["privacy", "purge"])
    assert result.exit_code == 0 and "retention is off (RETENTION_DAYS=0)" in result.output
    monkeypatch.setenv("RETENTION_DAYS", "30")
    result = CliRunner().invoke(microcred, ["privacy", "purge", "--dry-run"])
    assert result.exit_code == 0 and "0 learner(s) inactive for 30 days" in result.output
    result = CliRunner().invoke(microcred, ["privacy", "purge"])
    assert "erased 0 learner(s)" in result.output
