"""AGS line items, scores and results, the gradebook page, and NRPS memberships over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from plugin.devlms import add_tool, tool_config

from .conftest import LiveLms, StubTool

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
ALL_AGS = " ".join(AGS + s for s in ("lineitem", "lineitem.readonly", "result.readonly", "score"))
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


class Ags:
    """An AGS client as a tool would be one (bearer token, media types)."""

    def __init__(self, lms: LiveLms, stub_tool: StubTool, scope: str = ALL_AGS) -> None:
        self.base = f"{lms.url}/api/contexts/course-101/lineitems"
        self.auth = {"Authorization": f"Bearer {lms.token(stub_tool, scope)}"}

    def create(self, **body: Any) -> requests.Response:
        return requests.post(
            self.base, json=body, timeout=10, headers={**self.auth, "Content-Type": LINEITEM}
        )

    def list(self, url: str | None = None, **params: Any) -> requests.Response:
        return requests.get(
            url or self.base, params=params, timeout=10, headers={**self.auth, "Accept": CONTAINER}
        )

    def score(self, item_url: str, **body: Any) -> requests.Response:
        body = {"activityProgress": "Completed", "gradingProgress": "FullyGraded", **body}
        return requests.post(
            f"{item_url}/scores",
            json=body,
            timeout=10,
            headers={**self.auth, "Content-Type": SCORE},
        )

    def results(self, item_url: str, **params: Any) -> requests.Response:
        return requests.get(
            f"{item_url}/results",
            params=params,
            timeout=10,
            headers={**self.auth, "Accept": RESULTS},
        )


@pytest.fixture
def ags(lms: LiveLms, stub_tool: StubTool) -> Ags:
    return Ags(lms, stub_tool)


def test_line_item_crud(lms, ags):
    created = ags.create(label="Quiz 1", scoreMaximum=50, resourceId="quiz-1", tag="quiz")
    assert created.status_code == 201
    assert created.headers["Content-Type"] == LINEITEM
    item = created.json()
    assert item["id"] == created.headers["Location"]
    assert item["id"].startswith(f"{ags.base}/")
    assert (item["label"], item["scoreMaximum"], item["resourceId"], item["tag"]) == (
        "Quiz 1",
        50,
        "quiz-1",
        "quiz",
    )
    got = requests.get(item["id"], headers={**ags.auth, "Accept": LINEITEM}, timeout=10)
    assert got.json() == item
    put = requests.put(
        item["id"],
        json={**item, "label": "Quiz one", "scoreMaximum": 40},
        headers={**ags.auth, "Content-Type": LINEITEM},
        timeout=10,
    )
    assert put.status_code == 200 and put.json()["label"] == "Quiz one"
    assert put.json()["scoreMaximum"] == 40
    deleted = requests.delete(item["id"], headers=ags.auth, timeout=10)
    assert deleted.status_code == 204
    gone = requests.get(item["id"], headers={**ags.auth, "Accept": LINEITEM}, timeout=10)
    assert gone.status_code == 404


def test_line_items_page_with_link_next_and_filters(lms, ags):
    for n in range(5):
        assert (
            ags.create(
                label=f"Quiz {n}",
                scoreMaximum=10,
                tag="quiz" if n % 2 else "hw",
                resourceId=f"r{n}",
            ).status_code
            == 201
        )
    seen, url, pages = [], None, 0
    response = ags.list(limit=2)
    while True:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == CONTAINER
        seen += [i["label"] for i in response.json()]
        pages += 1
        if "next" not in response.links:
            break
        url = response.links["next"]["url"]
        assert url.startswith(ags.base) and "pageOffset=" in url
        response = ags.list(url)
    assert seen == [f"Quiz {n}" for n in range(5)] and pages == 3
    assert [i["label"] for i in ags.list(tag="quiz").json()] == ["Quiz 1", "Quiz 3"]
    assert [i["label"] for i in ags.list(resource_id="r4").json()] == ["Quiz 4"]
    tagged = ags.list(tag="quiz", limit=1)
    assert "tag=quiz" in tagged.links["next"]["url"]


def test_resource_link_filter_and_placement_line_items(lms, stub_tool, ags):
    quiz = lms.client.add_placement(
        "Quiz", f"{stub_tool.url}/lti/launch?m=1", line_item={"scoreMaximum": 20, "tag": "quiz"}
    )
    extra = ags.create(label="Bonus", scoreMaximum=5, resourceLinkId=quiz.id)
    assert extra.status_code == 201
    labels = [i["label"] for i in ags.list(resource_link_id=quiz.id).json()]
    assert labels == ["Quiz", "Bonus"]
    wrong = ags.create(label="Stray", scoreMaximum=5, resourceLinkId="rl-nope")
    assert wrong.status_code == 400 and wrong.json()["error"] == "bad_line_item"


@pytest.mark.parametrize(
    "body",
    [
        {"scoreMaximum": 10},
        {"label": "x"},
        {"label": "x", "scoreMaximum": 0},
        {"label": "x", "scoreMaximum": "10"},
        {"label": "x", "scoreMaximum": 10, "tag": 3},
    ],
)
def test_invalid_line_items_are_refused(ags, body):
    response = ags.create(**body)
    assert response.status_code == 400 and response.json()["error"] == "bad_line_item"


def test_media_types_and_scopes_are_enforced(lms, stub_tool, ags):
    wrong_accept = requests.get(
        ags.base, headers={**ags.auth, "Accept": "application/json"}, timeout=10
    )
    assert wrong_accept.status_code == 406
    wrong_type = requests.post(
        ags.base,
        json={"label": "x", "scoreMaximum": 1},
        timeout=10,
        headers={**ags.auth, "Content-Type": "application/json"},
    )
    assert wrong_type.status_code == 415
    no_token = requests.get(ags.base, headers={"Accept": CONTAINER}, timeout=10)
    assert no_token.status_code == 401 and "Bearer" in no_token.headers["WWW-Authenticate"]
    bad_token = requests.get(
        ags.base, timeout=10, headers={"Accept": CONTAINER, "Authorization": "Bearer nope"}
    )
    assert bad_token.status_code == 401
    readonly = Ags(lms, stub_tool, AGS + "lineitem.readonly")
    assert readonly.list().status_code == 200
    denied = readonly.create(label="x", scoreMaximum=1)
    assert denied.status_code == 403 and denied.json()["error"] == "insufficient_scope"


def test_scores_results_and_gradebook(lms, stub_tool, ags):
    item = ags.create(label="Quiz 1", scoreMaximum=50).json()
    stored = ags.score(
        item["id"],
        userId="user-grace",
        scoreGiven=8,
        scoreMaximum=10,
        timestamp="2026-11-29T08:00:00.000+00:00",
        comment="Well done",
    )
    assert stored.status_code == 204
    ags.score(
        item["id"],
        userId="user-alan",
        activityProgress="Submitted",
        gradingProgress="PendingManual",
        timestamp="2026-11-29T08:00:00Z",
    )
    results = ags.results(item["id"])
    assert results.status_code == 200 and results.headers["Content-Type"] == RESULTS
    by_user = {r["userId"]: r for r in results.json()}
    assert by_user["user-grace"]["resultScore"] == 40  # scaled to the line item's 50
    assert by_user["user-grace"]["resultMaximum"] == 50
    assert by_user["user-grace"]["comment"] == "Well done"
    assert by_user["user-grace"]["scoreOf"] == item["id"]
    assert "resultScore" not in by_user["user-alan"]
    assert [r["userId"] for r in ags.results(item["id"], user_id="user-alan").json()] == [
        "user-alan"
    ]
    page = requests.get(f"{lms.url}/gradebook", timeout=10).text
    assert "Quiz 1" in page and "40 / 50" in page and "Completed, FullyGraded" in page
    assert "Submitted, PendingManual" in page
    book = lms.client.gradebook()
    grace = next(r for r in book["rows"] if r["user"] == "grace")
    assert grace["scores"][str(book["line_items"][0]["id"])]["score"] == 40
    assert {r["user"] for r in book["rows"]} == {"grace", "alan", "katherine"}


def test_latest_score_wins_and_older_ones_are_refused_with_409(ags):
    item = ags.create(label="Quiz", scoreMaximum=10).json()
    first = ags.score(
        item["id"],
        userId="user-grace",
        scoreGiven=5,
        scoreMaximum=10,
        timestamp="2026-11-29T08:00:00+00:00",
    )
    assert first.status_code == 204
    newer = ags.score(
        item["id"],
        userId="user-grace",
        scoreGiven=7,
        scoreMaximum=10,
        timestamp="2026-11-29T09:00:00+01:00",
    )  # same instant: accepted again
    assert newer.status_code == 204
    older = ags.score(
        item["id"],
        userId="user-grace",
        scoreGiven=9,
        scoreMaximum=10,
        timestamp="2026-11-29T07:59:59Z",
    )
    assert older.status_code == 409 and older.json()["error"] == "out_of_order"
    assert ags.results(item["id"]).json()[0]["resultScore"] == 7


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"userId": "user-grace"}, "bad_score"),  # no timestamp
        ({"userId": "user-grace", "timestamp": "yesterday"}, "bad_score"),
        ({"userId": "user-grace", "timestamp": "2026-11-29T08:00:00"}, "bad_score"),  # no offset
        ({"timestamp": "2026-11-29T08:00:00Z"}, "bad_score"),
        ({"userId": "user-nobody", "timestamp": "2026-11-29T08:00:00Z"}, "not_a_member"),
        ({"userId": "user-registrar", "timestamp": "2026-11-29T08:00:00Z"}, "not_a_member"),
        (
            {"userId": "user-grace", "timestamp": "2026-11-29T08:00:00Z", "scoreGiven": 3},
            "bad_score",
        ),
        (
            {
                "userId": "user-grace",
                "timestamp": "2026-11-29T08:00:00Z",
                "scoreGiven": 3,
                "scoreMaximum": 0,
            },
            "bad_score",
        ),
        (
            {
                "userId": "user-grace",
                "timestamp": "2026-11-29T08:00:00Z",
                "activityProgress": "Done",
            },
            "bad_score",
        ),
        (
            {
                "userId": "user-grace",
                "timestamp": "2026-11-29T08:00:00Z",
                "gradingProgress": "Graded",
            },
            "bad_score",
        ),
    ],
)
def test_invalid_scores_are_refused(ags, body, error):
    item = ags.create(label="Quiz", scoreMaximum=10).json()
    response = ags.score(item["id"], **body)
    assert response.status_code == 400 and response.json()["error"] == error


def test_scores_need_the_score_media_type_and_scope(lms, stub_tool, ags):
    item = ags.create(label="Quiz", scoreMaximum=10).json()
    body = {
        "userId": "user-grace",
        "timestamp": "2026-11-29T08:00:00Z",
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
    }
    plain = requests.post(f"{item['id']}/scores", json=body, headers=ags.auth, timeout=10)
    assert plain.status_code == 415
    readonly = Ags(lms, stub_tool, AGS + "result.readonly")
    assert readonly.score(item["id"], **body).status_code == 403


def test_a_tool_sees_only_its_own_line_items(lms, ags):
    item = ags.create(label="Mine", scoreMaximum=10).json()
    other = StubTool(client_id="other-tool")
    add_tool(
        lms.app,
        {
            **tool_config("http://localhost:1", client_id="other-tool"),
            "jwks_url": None,
            "jwks": other.jwks(),
        },
    )
    other_ags = Ags(lms, other)
    assert other_ags.list().json() == []
    assert (
        requests.get(
            item["id"], headers={**other_ags.auth, "Accept": LINEITEM}, timeout=10
        ).status_code
        == 404
    )


def test_memberships_include_members_who_never_launched_with_paging(lms, stub_tool):
    token = lms.token(stub_tool, NRPS_SCOPE)
    url = f"{lms.url}/api/contexts/course-101/memberships"
    headers = {"Authorization": f"Bearer {token}", "Accept": MEMBERS}
    members, response = [], requests.get(url, params={"limit": 3}, headers=headers, timeout=10)
    while True:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == MEMBERS
        body = response.json()
        assert body["context"] == {
            "id": "course-101",
            "label": "DATA101",
            "title": "Foundations of Data Literacy",
        }
        members += body["members"]
        if "next" not in response.links:
            break
        response = requests.get(response.links["next"]["url"], headers=headers, timeout=10)
    by_id = {m["user_id"]: m for m in members}
    assert set(by_id) == {"user-ada", "user-grace", "user-alan", "user-katherine"}
    assert by_id["user-ada"]["roles"] == [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
    ]
    assert by_id["user-grace"]["email"] == "grace@example.edu"
    assert "email" not in by_id["user-alan"] and by_id["user-alan"]["name"] == "Alan Turing"
    assert set(by_id["user-katherine"]) == {"status", "user_id", "roles"}
    learners = requests.get(url, params={"role": "Learner"}, headers=headers, timeout=10).json()
    assert {m["user_id"] for m in learners["members"]} == {
        "user-grace",
        "user-alan",
        "user-katherine",
    }
    assert (
        requests.get(url, headers={**headers, "Accept": "application/json"}, timeout=10).status_code
        == 406
    )
    ags_only = lms.token(stub_tool, AGS + "score")
    assert (
        requests.get(
            url, headers={**headers, "Authorization": f"Bearer {ags_only}"}, timeout=10
        ).status_code
        == 403
    )
