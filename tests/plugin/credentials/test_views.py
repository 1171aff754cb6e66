"""Public credential pages: the DID document, achievements (HTML and JSON), badges, status
lists, awards (JSON, PDF), the verify page (by id, paste, upload) and the verify API."""

from __future__ import annotations

import io
import json
from typing import Any

from plugin.credentials import services
from plugin.extensions import db
from tests.plugin.credentials.factories import (
    complete_course,
    make_learner,
    publish_sample,
    qr_codes_in,
)


def _award(app: Any) -> tuple[str, dict[str, Any]]:
    with app.app_context():
        version = publish_sample()
        learner = make_learner()
        complete_course(learner, version)
        award = services.award_for_completion(learner.id, version.id)
        db.session.commit()
        return award.public_id, json.loads(award.credential_json)


def test_did_document_controller_is_the_issuer(app: Any, client: Any) -> None:
    _, credential = _award(app)
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["id"] == credential["issuer"]["id"] == "did:web:localhost%3A5000"
    method = document["verificationMethod"][0]
    assert method["controller"] == document["id"]
    assert method["id"] == credential["proof"][0]["verificationMethod"]
    assert document["assertionMethod"] == [method["id"]]


def test_achievement_page_by_content_negotiation(app: Any, client: Any) -> None:
    _, credential = _award(app)
    url = credential["credentialSubject"]["achievement"]["id"]
    path = url.removeprefix("http://localhost:5000")
    page = client.get(path, headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "text/html" in page.content_type
    for words in (
        "What it certifies",
        "Criteria",
        "at least 70 %",
        "Assessment",
        "at least 70 is required",
        "1 credit hour",
        "did:web:localhost%3A5000",
        "Analyzing Data or Information",
    ):
        assert words in text, words
    as_json = client.get(path, headers={"Accept": "application/json"}).get_json()
    assert as_json.pop("@context")[1].endswith("/ob/v3p0/context-3.0.3.json")
    assert as_json == credential["credentialSubject"]["achievement"]
    assert client.get("/credentials/achievements/nope").status_code == 404


def test_badge_is_the_authors_image_or_a_generated_one(app: Any, client: Any) -> None:
    _award(app)
    authored = client.get("/credentials/achievements/data-spreadsheets/badge")
    assert authored.status_code == 200 and authored.mimetype == "image/svg+xml"
    with app.app_context():
        spec = {
            "id": "program:p1",
            "name": "Data Literacy Certificate",
            "description": "d",
            "criteria": "c",
        }
        member = services.get_award_by_public_id(_award_id(app))
        services.issue_certificate(member.learner_id, spec, [member])
        db.session.commit()
    generated = client.get("/credentials/achievements/program:p1/badge")
    svg = generated.get_data(as_text=True)
    assert generated.mimetype == "image/svg+xml"
    assert 'role="img"' in svg and "Data Literacy" in svg


def _award_id(app: Any) -> str:
    with app.app_context():
        from plugin.credentials.models import Award

        return db.session.query(Award).first().public_id


def test_award_json_download_and_pdf(app: Any, client: Any) -> None:
    public_id, credential = _award(app)
    path = f"/credentials/awards/{public_id}"
    download = client.get(path + "?download=1")
    assert download.get_json() == credential
    assert "attachment" in download.headers["Content-Disposition"]
    browser = client.get(path, headers={"Accept": "text/html"})
    assert browser.status_code == 302 and f"/credentials/verify/{public_id}" in browser.location
    pdf = client.get(path + "/certificate.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/credentials/awards/00000000-0000-0000-0000-000000000000").status_code == 404


def test_verify_page_by_id_shows_every_check_passing(app: Any, client: Any) -> None:
    public_id, _ = _award(app)
    text = client.get(f"/credentials/verify/{public_id}").get_data(as_text=True)
    assert "Verified" in text and "all checks passed" in text
    for check in ("schema", "signature", "issuer key", "status", "validity"):
        assert f'data-check="{check}"' in text
    assert 'class="result-fail"' not in text


def test_verify_by_paste_and_upload(app: Any, client: Any) -> None:
    _, credential = _award(app)
    pasted = client.post("/credentials/verify", data={"credential": json.dumps(credential)})
    assert pasted.status_code == 200 and "all checks passed" in pasted.get_data(as_text=True)
    upload = client.post(
        "/credentials/verify",
        data={"file": (io.BytesIO(json.dumps(credential).encode()), "badge.json")},
        content_type="multipart/form-data",
    )
    assert "all checks passed" in upload.get_data(as_text=True)
    credential["name"] = "Something else"
    tampered = client.post("/credentials/verify", data={"credential": json.dumps(credential)})
    text = tampered.get_data(as_text=True)
    assert "Not valid" in text and "the credential was changed" in text


def test_bad_input_gets_a_clear_message_and_keeps_the_text(client: Any) -> None:
    empty = client.post("/credentials/verify", data={"credential": "  "})
    assert empty.status_code == 422 and "Paste a credential" in empty.get_data(as_text=True)
    broken = client.post("/credentials/verify", data={"credential": '{"id": "x",'})
    text = broken.get_data(as_text=True)
    assert broken.status_code == 422 and "not valid JSON" in text
    assert "{&#34;id&#34;: &#34;x&#34;," in text  # what was pasted is still in the box


def test_verify_api(app: Any, client: Any) -> None:
    public_id, credential = _award(app)
    ok = client.post("/api/v1/credentials/verify", json=credential).get_json()
    assert ok["verdict"] == "pass"
    assert {c["name"]: c["result"] for c in ok["checks"]} == {
        "schema": "pass",
        "signature": "pass",
        "issuer key": "pass",
        "status": "pass",
        "validity": "pass",
    }
    by_id = client.get(f"/api/v1/credentials/{public_id}/verify").get_json()
    assert by_id["verdict"] == "pass" and by_id["revoked_reason"] is None
    refused = client.post("/api/v1/credentials/verify", data="nope")
    assert refused.status_code == 422


def test_status_list_is_signed_and_shows_revocation(app: Any, client: Any) -> None:
    public_id, credential = _award(app)
    entry = credential["credentialStatus"]
    path = entry["statusListCredential"].removeprefix("http://localhost:5000")
    listing = client.get(path).get_json()
    assert listing["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listing["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    from plugin.credentials import statuslist

    index = int(entry["statusListIndex"])
    assert not statuslist.is_set(listing["credentialSubject"]["encodedList"], index)
    with app.app_context():
        award = services.get_award_by_public_id(public_id)
        services.revoke(award.id, "Issued in error", by="admin")
        db.session.commit()
    listing = client.get(path).get_json()
    assert statuslist.is_set(listing["credentialSubject"]["encodedList"], index)
    api = client.get(f"/api/v1/credentials/{public_id}/verify").get_json()
    assert api["verdict"] == "fail" and api["revoked_reason"] == "Issued in error"
    page = client.get(f"/credentials/verify/{public_id}").get_data(as_text=True)
    assert "Revoked on" in page and "Issued in error" in page


def test_certificate_names_the_learner_and_carries_a_qr_code(app: Any, client: Any) -> None:
    from plugin.credentials.views import certificate_text

    public_id, _ = _award(app)
    with app.test_request_context():
        text = certificate_text(services.get_award_by_public_id(public_id))
    assert text.learner == "Grace Hopper"
    assert text.achievement == "Working with Data in Spreadsheets"
    assert text.verify_url == f"http://localhost:5000/credentials/verify/{public_id}"
    assert text.valid_until is not None and not text.revoked
    pdf = client.get(f"/credentials/awards/{public_id}/certificate.pdf").data
    assert qr_codes_in(pdf) == [text.verify_url]  # a phone scanning it opens the verify page
    assert b"Working with Data in Spreadsheets: certificate" in pdf  # the document title
