"""The wallet and revocation pages, reached by real LTI launches from the dev LMS over HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from plugin.credentials import keys
from plugin.extensions import db
from plugin.lti.models import Context, Learner
from tests.plugin.credentials.factories import complete_course, publish_sample
from tests.plugin.lti.helpers import landed_on


def launch(dev_lms: Any, user: str) -> tuple[requests.Session, str, str]:
    """Launch the "credentials" target as `user`; the browser, the page URL and session token."""
    placement = dev_lms.place("My credentials", target="credentials")
    browser, form = dev_lms.lms.launch(placement.id, user)
    response = form.submit(browser, allow_redirects=False)
    location = landed_on(response)
    url = location if location.startswith("http") else dev_lms.tool_url + location
    assert urlsplit(url).path == "/credentials/wallet"
    token = parse_qs(urlsplit(url).query)["mc_session"][0]
    return browser, url, token


def complete_for(dev_lms: Any, sub: str) -> None:
    """Grace finishes the sample course in the LMS course (as the learning feature records it)."""
    with dev_lms.tool.app_context():
        version = publish_sample()
        learner = db.session.scalars(select(Learner).where(Learner.sub == sub)).one()
        enrollment = complete_course(learner, version)
        context = db.session.scalars(select(Context)).first()
        enrollment.context_pk = context.id if context else None
        db.session.commit()


def test_learner_wallet_lists_the_award_with_every_action(dev_lms: Any) -> None:
    browser, url, _ = launch(dev_lms, "grace")
    assert "You have no credentials yet" in browser.get(url, timeout=30).text
    complete_for(dev_lms, "user-grace")
    page = browser.get(url, timeout=30).text  # a completion without an award is issued now
    assert "Working with Data in Spreadsheets" in page
    for action in ("Download JSON", "PDF certificate", "Add to LinkedIn profile", "Share link"):
        assert action in page, action
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in page
    json_link = page.split('href="')[1:]
    download = next(h.split('"')[0] for h in json_link if "?download=1" in h.split('"')[0])
    credential = requests.get(download.replace("&amp;", "&"), timeout=30).json()
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]


def test_binding_a_did_checks_it_and_keeps_what_was_typed(dev_lms: Any) -> None:
    browser, _url, token = launch(dev_lms, "grace")
    action = f"{dev_lms.tool_url}/credentials/wallet/did"
    wrong = browser.post(action, data={"mc_session": token, "did": "did:key:zNotAKey"}, timeout=30)
    assert wrong.status_code == 422
    assert "This is not a valid did:key" in wrong.text and 'value="did:key:zNotAKey"' in wrong.text
    did = keys.generate_did_key().controller
    bound = browser.post(action, data={"mc_session": token, "did": did}, timeout=30)
    assert bound.status_code == 200 and "Your DID is bound" in bound.text and did in bound.text
    no_token = requests.post(action, data={"did": did}, timeout=30)
    assert no_token.status_code == 401


def test_instructor_revokes_with_a_reason_and_learner_cannot(dev_lms: Any) -> None:
    grace, grace_url, grace_token = launch(dev_lms, "grace")
    complete_for(dev_lms, "user-grace")
    assert "Working with Data" in grace.get(grace_url, timeout=30).text
    manage = f"{dev_lms.tool_url}/credentials/manage"
    assert grace.get(manage, params={"mc_session": grace_token}, timeout=30).status_code == 403

    ada, ada_url, ada_token = launch(dev_lms, "ada")
    assert "Credentials earned in this course" in ada.get(ada_url, timeout=30).text
    listing = ada.get(manage, params={"mc_session": ada_token}, timeout=30)
    assert "Grace Hopper" in listing.text and "data-spreadsheets" in listing.text
    public_id = listing.text.split('data-award="')[1].split('"')[0]
    revoke = f"{dev_lms.tool_url}/credentials/awards/{public_id}/revoke"
    refused = ada.post(revoke, data={"mc_session": ada_token, "reason": " "}, timeout=30)
    assert refused.status_code == 422 and "Give a reason" in refused.text
    done = ada.post(revoke, data={"mc_session": ada_token, "reason": "Wrong learner"}, timeout=30)
    assert "The credential is revoked" in done.text and "Wrong learner" in done.text
    verdict = requests.get(f"{dev_lms.tool_url}/api/v1/credentials/{public_id}/verify", timeout=30)
    assert verdict.json()["verdict"] == "fail"
    assert "Revoked: Wrong learner" in grace.get(grace_url, timeout=30).text


def test_every_launched_page_links_to_the_wallet(dev_lms: Any) -> None:
    placement = dev_lms.place("Module 1")  # the default landing page, not the wallet
    browser, form = dev_lms.lms.launch(placement.id, "grace")
    response = form.submit(browser, allow_redirects=False)
    location = response.headers["Content-Location"]
    page = browser.get(
        location if location.startswith("http") else dev_lms.tool_url + location, timeout=30
    )
    link = page.text.split(">My credentials</a>")[0].rsplit('href="', 1)[1].rstrip('"')
    assert link.startswith("/credentials/wallet?mc_session=")
    wallet = browser.get(dev_lms.tool_url + link.replace("&amp;", "&"), timeout=30)
    assert wallet.status_code == 200 and "<h1>My credentials</h1>" in wallet.text
