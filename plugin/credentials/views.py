"""Public credential pages: the DID document, achievements, awards, status lists, the verify
page and its JSON API. The wallet and revocation (launched pages) are in `wallet_views`."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..access import public
from ..errors import NotFoundError, ValidationError
from ..extensions import csrf, db
from . import achievements as ach
from . import services
from .certificate import CertificateText, certificate_pdf
from .issuer import did_document, issuer_did
from .jsonld import OB_V3P0_303, VC_V2
from .models import Award
from .status import signed_list, verify_url
from .web_urls import own_award_public_id

bp = Blueprint("credentials", __name__)
MAX_PASTE = 512 * 1024
JSON_TYPES = ("application/json", "application/ld+json")


def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES])
    return best in JSON_TYPES


def _json(
    document: Any,
    *,
    media: str = "application/json",
    download: str | None = None,
    cache: str = "no-cache",
) -> Response:
    response = Response(json.dumps(document, indent=2), mimetype=media)
    response.headers["Access-Control-Allow-Origin"] = "*"  # public documents, read by wallets
    response.headers["Cache-Control"] = cache
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    return response


@bp.get("/.well-known/did.json")
@public("the issuer DID document verifiers resolve")
def did_json() -> Response:
    """The issuer's DID document: every key, current and rotated out."""
    document = did_document()
    db.session.commit()  # the first request may have generated the key
    return _json(document, media="application/did+json", cache="max-age=60")


@bp.get("/credentials/achievements/<achievement_id>")
@public("achievement definitions are referenced by credentials")
def achievement(achievement_id: str) -> Any:
    """What the achievement certifies: HTML for people, JSON for machines."""
    row = ach.get_achievement(achievement_id)
    if row is None:
        raise NotFoundError("There is no such achievement.")
    document = ach.achievement_document(row)
    if _wants_json():  # JSON-LD with the contexts a credential gives it
        return _json({"@context": [VC_V2, OB_V3P0_303], **document})
    return render_template(
        "credentials/achievement.html",
        a=document,
        badge_url=ach.badge_url(achievement_id),
        issuer_did=issuer_did(),
    )


@bp.get("/credentials/achievements/<achievement_id>/badge")
@public("badge images are referenced by credentials")
def badge(achievement_id: str) -> Response:
    """The achievement's image: the author's, or a generated SVG badge."""
    row = ach.get_achievement(achievement_id)
    if row is None:
        raise NotFoundError("There is no such achievement.")
    data, media = ach.badge_image(row)
    response = Response(data, mimetype=media)
    response.headers["Cache-Control"] = "max-age=3600"
    return response


@bp.get("/credentials/status/<int:number>")
@public("status lists verifiers fetch to check revocation")
def status_list(number: int) -> Response:
    """A signed Bitstring Status List credential (never cached long: revocations show fast)."""
    listing = signed_list(number)
    if listing is None:
        raise NotFoundError("There is no such status list.")
    db.session.commit()
    return _json(listing, cache="no-cache")


def _award(public_id: str) -> Award:
    award = services.get_award_by_public_id(public_id)
    if award is None:
        raise NotFoundError("There is no such credential. Check the link you were given.")
    return award


@bp.get("/credentials/awards/<public_id>")
@public("a credential is shown to whoever holds its unguessable id")
def award_json(public_id: str) -> BaseResponse:
    """The signed credential (JSON; ?download=1 saves it); a browser goes to the verify page."""
    award = _award(public_id)
    if request.args.get("download") or _wants_json():
        name = (
            f"{award.achievement_id.replace(':', '-')}-credential.json"
            if request.args.get("download")
            else None
        )
        return _json(json.loads(award.credential_json), download=name)
    return redirect(url_for("credentials.verify_award_page", public_id=public_id))


@bp.get("/credentials/awards/<public_id>/certificate.pdf")
@public("a certificate is shown to whoever holds its unguessable id")
def certificate(public_id: str) -> Response:
    """A PDF certificate with a QR code to the verify page."""
    award = _award(public_id)
    response = Response(certificate_pdf(certificate_text(award)), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{award.achievement_id.replace(":", "-")}-certificate.pdf"'
    )
    return response


def certificate_text(award: Award) -> CertificateText:
    """The words on an award's certificate."""
    from ..lti.models import Learner

    credential = json.loads(award.credential_json)
    subject = credential["credentialSubject"]["achievement"]
    learner = db.session.get(Learner, award.learner_id)
    return CertificateText(
        learner=(learner.name or "the holder") if learner else "the holder",
        achievement=str(subject.get("name", award.achievement_id)),
        description=str(subject.get("description", "")),
        issuer=str(credential["issuer"].get("name", "")),
        issued_on=award.issued_at.date().isoformat(),
        valid_until=award.valid_until.date().isoformat() if award.valid_until else None,
        verify_url=verify_url(award.public_id),
        revoked=award.is_revoked,
    )


def _verify_page(verdict: Any, credential: Any, award: Award | None, status: int = 200) -> Any:
    details = credential if isinstance(credential, dict) else None
    html = render_template(
        "credentials/verify.html",
        verdict=verdict,
        credential=details,
        award=award,
        max_paste_kb=MAX_PASTE // 1024,
    )
    return html, status


@bp.get("/credentials/verify/<public_id>")
@public("anyone may verify a credential")
def verify_award_page(public_id: str) -> Any:
    """Verify one of our awards by its id: every check, passed or failed, with its reason."""
    award = _award(public_id)
    verdict = services.verify_award(award.id)
    db.session.commit()
    return _verify_page(verdict, json.loads(award.credential_json), award)


def _submitted_document() -> tuple[str | None, str | None]:
    """The credential text from the upload or the paste box, or an error message."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_PASTE + 1)
        if len(raw) > MAX_PASTE:
            return None, f"The file is larger than {MAX_PASTE // 1024} KB."
        try:
            return raw.decode("utf-8-sig"), None
        except UnicodeDecodeError:
            return None, "The file is not UTF-8 text: upload the credential's .json file."
    pasted = request.form.get("credential", "")
    if len(pasted) > MAX_PASTE:
        return None, f"The text is longer than {MAX_PASTE // 1024} KB."
    if not pasted.strip():
        return None, "Paste a credential's JSON or choose a .json file to verify."
    return pasted, None


@bp.route("/credentials/verify", methods=["GET", "POST"])
@csrf.exempt  # verifying changes nothing, and the page must work for anyone, without cookies
@public("anyone may verify a credential")
def verify_page() -> Any:
    """Verify a pasted or uploaded credential of any issuer."""
    if request.method == "GET":
        return _verify_page(None, None, None)
    text, error = _submitted_document()
    if error or text is None:
        html = render_template(
            "credentials/verify.html",
            verdict=None,
            credential=None,
            award=None,
            error=error,
            pasted=request.form.get("credential", "")[:MAX_PASTE],
            max_paste_kb=MAX_PASTE // 1024,
        )
        return html, 422
    try:
        document: Any = json.loads(text)
    except ValueError as exc:
        html = render_template(
            "credentials/verify.html",
            verdict=None,
            credential=None,
            award=None,
            error=f"This is not valid JSON ({exc}). Paste the whole credential.",
            pasted=text,
            max_paste_kb=MAX_PASTE // 1024,
        )
        return html, 422
    verdict = services.verify_document(document)
    own = own_award_public_id(document.get("id", "")) if isinstance(document, dict) else None
    award = services.get_award_by_public_id(own) if own else None
    db.session.commit()
    return _verify_page(verdict, document, award)


@bp.post("/api/v1/credentials/verify")
@csrf.exempt
@public("anyone may verify a credential")
def verify_api() -> Any:
    """JSON API: POST a credential, get every check with pass / fail / indeterminate."""
    document = request.get_json(silent=True)
    if document is None:
        raise ValidationError(
            "Send the credential as a JSON body (Content-Type: application/json)."
        )
    verdict = services.verify_document(document)
    db.session.commit()
    return verdict.as_dict()


@bp.get("/api/v1/credentials/<public_id>/verify")
@public("anyone may verify a credential")
def verify_award_api(public_id: str) -> Any:
    """JSON API: verify one of our awards by its public id."""
    award = _award(public_id)
    verdict = services.verify_award(award.id)
    db.session.commit()
    body = verdict.as_dict()
    body["revoked_reason"] = award.revoked_reason
    return body


from . import wallet_views  # noqa: E402,F401  (the launched pages join this blueprint)
