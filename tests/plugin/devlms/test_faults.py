"""Fault injection at P/_dev/faults: 500s, 429 with Retry-After, hangs, latency, and reset."""

from __future__ import annotations

import pytest
import requests

from .conftest import LiveLms, StubTool, start_lms, stop_lms
from .test_services import ALL_AGS, Ags

MEMBERS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
SCORE_BODY = {
    "userId": "user-grace",
    "timestamp": "2026-11-29T08:00:00Z",
    "scoreGiven": 1,
    "scoreMaximum": 2,
}


@pytest.fixture
def item(lms: LiveLms, stub_tool: StubTool) -> tuple[Ags, str]:
    ags = Ags(lms, stub_tool, ALL_AGS)
    return ags, ags.create(label="Quiz", scoreMaximum=2).json()["id"]


def test_error500_for_count_requests_then_normal(lms, item):
    ags, url = item
    lms.client.set_fault("scores", "error500", count=2)
    statuses = [ags.score(url, **SCORE_BODY).status_code for _ in range(3)]
    assert statuses == [500, 500, 204]
    stats = lms.client.stats()
    assert stats["faults_injected_by_endpoint"]["scores"] == 2
    assert stats["requests_by_endpoint"]["scores"] == 3
    assert stats["scores_stored"] == 1


def test_rate429_sends_retry_after_until_changed(lms, item):
    ags, url = item
    answer = lms.client.set_fault("scores", "rate429", retry_after=7)
    assert answer == {
        "endpoint": "scores",
        "mode": "rate429",
        "retry_after": 7,
        "count": None,
        "delay_ms": 0,
    }
    for _ in range(2):
        response = ags.score(url, **SCORE_BODY)
        assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    lms.client.set_fault("scores", "ok")
    assert ags.score(url, **SCORE_BODY).status_code == 204


def test_hang_times_the_client_out_and_reset_recovers(lms, item):
    ags, url = item
    lms.client.set_fault("scores", "hang", count=1)
    with pytest.raises(requests.Timeout):
        requests.post(
            f"{url}/scores",
            json={**SCORE_BODY, "activityProgress": "Completed", "gradingProgress": "FullyGraded"},
            headers={**ags.auth, "Content-Type": "application/vnd.ims.lis.v1.score+json"},
            timeout=0.5,
        )
    lms.client.reset()
    assert lms.client.stats()["requests_by_endpoint"] == {}
    assert ags.score(url, **SCORE_BODY).status_code == 204


def test_hang_ends_with_504_after_the_configured_time(tmp_path, stub_tool):
    live = start_lms(tmp_path, stub_tool, DEVLMS_HANG_SECONDS=0)
    try:
        live.client.set_fault("token", "hang")
        response = requests.post(f"{live.url}/token", data={}, timeout=10)
        assert response.status_code == 504
    finally:
        stop_lms(live)


def test_token_and_memberships_faults(lms, stub_tool):
    lms.client.set_fault("token", "error500", count=1)
    failed = requests.post(
        f"{lms.url}/token", timeout=10, data={"grant_type": "client_credentials"}
    )
    assert failed.status_code == 500
    token = lms.token(
        stub_tool, "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    )
    lms.client.set_fault("memberships", "rate429", retry_after=1, count=1)
    url = f"{lms.url}/api/contexts/course-101/memberships"
    headers = {"Authorization": f"Bearer {token}", "Accept": MEMBERS}
    assert requests.get(url, headers=headers, timeout=10).status_code == 429
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    assert lms.client.stats()["token_requests"] == 1  # the faulted one never reached the check


def test_lineitems_fault_and_latency_setting(lms, item):
    ags, _ = item
    lms.client.set_fault("lineitems", "error500", count=1, delay_ms=5)
    assert ags.list().status_code == 500
    assert ags.list().status_code == 200
    faults = {f["endpoint"]: f for f in lms.client.get_json("/_dev/faults")["faults"]}
    assert faults["lineitems"] == {
        "endpoint": "lineitems",
        "mode": "ok",
        "retry_after": None,
        "count": None,
        "delay_ms": 5,
    }


@pytest.mark.parametrize(
    "spec",
    [
        {"endpoint": "everything", "mode": "error500"},
        {"endpoint": "scores", "mode": "explode"},
        {"endpoint": "scores", "mode": "error500", "count": 0},
        {"endpoint": "scores", "mode": "rate429", "retry_after": -1},
    ],
)
def test_bad_fault_settings_are_refused(lms, spec):
    response = requests.post(f"{lms.url}/_dev/faults", json=spec, timeout=10)
    assert response.status_code == 400 and response.json()["error"] == "bad_fault"


def test_reset_all_wipes_data_and_reseeds(lms, stub_tool, item):
    lms.client.add_placement("Quiz", f"{stub_tool.url}/lti/launch")
    lms.client.reset("all")
    assert lms.client.placements() == []
    assert requests.get(f"{lms.url}/?as=ada", timeout=10).status_code == 200
    assert lms.token(stub_tool, ALL_AGS)
