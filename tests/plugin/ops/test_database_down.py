"""A database that stops answering gets a clear 503 page with the request id, not a bare 500."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_a_database_outage_is_a_503_that_says_so(app: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/_test/db-down")
    def _down() -> str:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    response = app.test_client().get("/_test/db-down", headers={"Accept": "text/html"})
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "The database is not answering" in page and "Nothing was saved" in page
    assert response.headers.get("X-Request-Id", "") in page


def test_a_query_bug_stays_a_500(app: Any) -> None:
    from sqlalchemy.exc import ProgrammingError

    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/_test/db-bug")
    def _bug() -> str:
        raise ProgrammingError("SELECT nope", {}, Exception("no such column"))

    response = app.test_client().get("/_test/db-bug")
    assert response.status_code == 500
