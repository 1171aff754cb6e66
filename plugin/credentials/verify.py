"""Verify any issuer's credential: schema, signature, issuer key, status and validity dates.

Each check is a named result (pass / fail / indeterminate, with a reason a person can read) and
the verdict is the worst of them. Nothing here raises on a malformed credential, and nothing
fails open: a status list that cannot be fetched or whose own proof does not hold makes the
status *indeterminate*, never "not revoked".
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from cachetools import TTLCache
from jsonschema import Draft201909Validator, FormatChecker

from plugin.credentials import clr, ob3, statuslist
from plugin.credentials.jsonld import VC_V1, parse_xsd_datetime
from plugin.credentials.proof import ProofResult, issuer_id, verify_proof
from plugin.credentials.resolve import ResolveKey

logger = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).parent / "schema" / "ob_v3p0_achievementcredential_schema.json"
#: Fetch a status list credential (or 1EdTech revocation list) by URL; raise when unreachable.
FetchStatusList = Callable[[str], Mapping[str, Any]]

SCHEMA, SIGNATURE, ISSUER_KEY, STATUS, VALIDITY = (
    "schema",
    "signature",
    "issuer key",
    "status",
    "validity",
)


class CheckStatus(StrEnum):
    """The outcome of one check, and of a whole verification."""

    PASS = "pass"  # noqa: S105 - a check outcome, not a password
    FAIL = "fail"
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True)
class Check:
    """One named check and why it came out as it did."""

    name: str
    status: CheckStatus
    reason: str


def _worst(statuses: list[CheckStatus]) -> CheckStatus:
    if CheckStatus.FAIL in statuses:
        return CheckStatus.FAIL
    if CheckStatus.INDETERMINATE in statuses:
        return CheckStatus.INDETERMINATE
    return CheckStatus.PASS


@dataclass(frozen=True)
class Verdict:
    """Every check on one credential; ``status`` is the worst of them, ``reason`` its reason."""

    status: CheckStatus
    checks: tuple[Check, ...]
    reason: str
    credential_id: str | None = None
    issuer_id: str | None = None

    @property
    def ok(self) -> bool:
        """True only when every check passed."""
        return self.status is CheckStatus.PASS

    def check(self, name: str) -> Check | None:
        """The check called ``name`` (``"signature"``, ``"status"``, ...), if it was made."""
        return next((c for c in self.checks if c.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON for the verify API."""
        return {
            "verdict": self.status.value,
            "reason": self.reason,
            "credential": self.credential_id,
            "issuer": self.issuer_id,
            "checks": [
                {"name": c.name, "result": c.status.value, "reason": c.reason} for c in self.checks
            ],
        }


def _verdict(checks: list[Check], doc: object) -> Verdict:
    status = _worst([c.status for c in checks])
    reason = next((c.reason for c in checks if c.status is status), "all checks passed")
    if status is CheckStatus.PASS:
        reason = "all checks passed"
    cred_id = doc.get("id") if isinstance(doc, Mapping) else None
    return Verdict(
        status,
        tuple(checks),
        reason,
        cred_id if isinstance(cred_id, str) else None,
        issuer_id(doc) if isinstance(doc, Mapping) else None,
    )


@dataclass(frozen=True)
class ClrVerdict:
    """A CLR's own verdict plus one per inner credential; ``status`` is the worst of all."""

    status: CheckStatus
    reason: str
    wrapper: Verdict
    credentials: tuple[Verdict, ...]

    @property
    def ok(self) -> bool:
        """True only when the wrapper and every inner credential passed."""
        return self.status is CheckStatus.PASS

    def as_dict(self) -> dict[str, Any]:
        """JSON for the verify API."""
        return {
            "verdict": self.status.value,
            "reason": self.reason,
            "clr": self.wrapper.as_dict(),
            "credentials": [v.as_dict() for v in self.credentials],
        }


def verify_credential(
    doc: object,
    *,
    resolve_key: ResolveKey,
    fetch_status_list: FetchStatusList | None = None,
    now: datetime,
    schema: bool = True,
) -> Verdict:
    """Verify one credential of any issuer whose key ``resolve_key`` can find.

    Checks: "schema" (OpenBadge / Achievement credentials only, against the bundled 1EdTech
    schema), "signature", "issuer key" (the key's controller is the issuer), "status" and
    "validity" at ``now`` (timezone-aware). ``doc`` may be a parsed object or JSON text.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(doc, str | bytes):
        try:
            doc = json.loads(doc)
        except (ValueError, RecursionError):
            doc = None
    if not isinstance(doc, Mapping):
        reason = "not a credential: expected a JSON object"
        names = [SIGNATURE, ISSUER_KEY, STATUS, VALIDITY]
        return _verdict([Check(n, CheckStatus.FAIL, reason) for n in names], doc)
    checks: list[Check] = []
    if schema and ob3.is_open_badge(doc):
        checks.append(check_schema(doc))
    proof = verify_proof(doc, resolve_key)
    checks.extend(_proof_checks(proof))
    checks.append(
        check_status(doc, resolve_key=resolve_key, fetch_status_list=fetch_status_list, now=now)
    )
    checks.append(check_validity(doc, now=now))
    return _verdict(checks, doc)


def _proof_checks(result: ProofResult) -> list[Check]:
    undecided = CheckStatus.INDETERMINATE if result.indeterminate else CheckStatus.FAIL
    if result.signature_valid is True:
        signature = Check(
            SIGNATURE, CheckStatus.PASS, f"valid signature by {result.verification_method}"
        )
    elif result.signature_valid is False:
        signature = Check(SIGNATURE, CheckStatus.FAIL, result.reason)
    else:
        signature = Check(SIGNATURE, undecided, result.reason)
    if result.controller_matches is True:
        key = Check(ISSUER_KEY, CheckStatus.PASS, "the signing key is controlled by the issuer")
    elif result.controller_matches is False:
        reason = (
            result.reason
            if "controller" in result.reason
            else "Key controller does not match issuer"
        )
        key = Check(ISSUER_KEY, CheckStatus.FAIL, reason)
    else:
        key = Check(ISSUER_KEY, undecided, f"not checked: {result.reason}")
    return [signature, key]


@cache
def _schema_validator() -> Draft201909Validator:
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        schema = json.load(handle)
    return Draft201909Validator(schema, format_checker=FormatChecker())


def schema_errors(doc: Mapping[str, Any]) -> list[str]:
    """Messages for every way ``doc`` breaks the 1EdTech AchievementCredential schema."""
    try:
        errors = sorted(_schema_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    except RecursionError:
        return ["the document is nested too deeply"]
    messages = []
    for error in errors:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        messages.append(f"{where}: {error.message}"[:300])
    subject = doc.get("credentialSubject")
    if isinstance(subject, Mapping) and not subject.get("id") and not subject.get("identifier"):
        messages.append("credentialSubject: needs an id or at least one identifier")
    return messages


def check_schema(doc: Mapping[str, Any]) -> Check:
    """The "schema" check: the 1EdTech JSON schema (VC 2.0 flavour) plus the recipient rule."""
    context = doc.get("@context")
    if isinstance(context, list) and context[:1] == [VC_V1]:
        return Check(
            SCHEMA,
            CheckStatus.INDETERMINATE,
            "a VC 1.1 (legacy) credential: the bundled 1EdTech schema describes VC 2.0 credentials",
        )
    messages = schema_errors(doc)
    if not messages:
        return Check(SCHEMA, CheckStatus.PASS, "valid against the 1EdTech OB 3.0 JSON schema")
    more = f" (and {len(messages) - 3} more)" if len(messages) > 3 else ""
    return Check(SCHEMA, CheckStatus.FAIL, "; ".join(messages[:3]) + more)


def check_validity(doc: Mapping[str, Any], *, now: datetime) -> Check:
    """The "validity" check: not before ``validFrom``, not after ``validUntil`` (or v1 names)."""
    start_name, end_name = ("validFrom", "validUntil")
    if "validFrom" not in doc and "issuanceDate" in doc:
        start_name, end_name = ("issuanceDate", "expirationDate")
    start_raw, end_raw = doc.get(start_name), doc.get(end_name)
    start = parse_xsd_datetime(start_raw)
    end = parse_xsd_datetime(end_raw)
    if start_raw is not None and start is None:
        return Check(VALIDITY, CheckStatus.FAIL, f"{start_name} is not a date-time: {start_raw!r}")
    if end_raw is not None and end is None:
        return Check(VALIDITY, CheckStatus.FAIL, f"{end_name} is not a date-time: {end_raw!r}")
    if start is not None and now < start:
        return Check(VALIDITY, CheckStatus.FAIL, f"not yet valid: valid from {start_raw}")
    if end is not None and now > end:
        return Check(VALIDITY, CheckStatus.FAIL, f"expired: valid until {end_raw}")
    if start is None and end is None:
        return Check(VALIDITY, CheckStatus.PASS, "no validity period stated")
    span = f"from {start_raw}" if start else ""
    span += f"{' ' if span else ''}until {end_raw}" if end else ""
    return Check(VALIDITY, CheckStatus.PASS, f"valid {span}")


def check_status(
    doc: Mapping[str, Any],
    *,
    resolve_key: ResolveKey,
    fetch_status_list: FetchStatusList | None,
    now: datetime,
) -> Check:
    """The "status" check over every ``credentialStatus`` entry; the worst entry wins."""
    raw = doc.get("credentialStatus")
    if raw is None:
        return Check(STATUS, CheckStatus.PASS, "no status list: the credential cannot be revoked")
    entries = raw if isinstance(raw, list) else [raw]
    results = [_entry_status(e, doc, resolve_key, fetch_status_list, now) for e in entries]
    worst = _worst([r.status for r in results])
    return next(r for r in results if r.status is worst)


def _entry_status(
    entry: object,
    doc: Mapping[str, Any],
    resolve_key: ResolveKey,
    fetch: FetchStatusList | None,
    now: datetime,
) -> Check:
    undecided = CheckStatus.INDETERMINATE
    if not isinstance(entry, Mapping):
        return Check(STATUS, CheckStatus.FAIL, "credentialStatus is not an object")
    kind = entry.get("type")
    if kind == "1EdTechRevocationList":
        return _revocation_list_status(entry, doc, fetch)
    if kind != "BitstringStatusListEntry":
        return Check(STATUS, undecided, f"unsupported status type {kind!r}")
    purpose = entry.get("statusPurpose")
    url = entry.get("statusListCredential")
    index_text = entry.get("statusListIndex")
    if purpose not in statuslist.PURPOSES:
        return Check(STATUS, undecided, f"unsupported status purpose {purpose!r}")
    if not isinstance(url, str) or not isinstance(index_text, str) or not index_text.isdigit():
        return Check(STATUS, CheckStatus.FAIL, "malformed BitstringStatusListEntry")
    if fetch is None:
        return Check(STATUS, undecided, f"status list {url} was not checked")
    try:
        listing = fetch(url)
    except Exception as exc:  # unreachable, timeout, HTTP error: never "not revoked"
        logger.info("status list %s not fetched: %s", url, exc)
        return Check(STATUS, undecided, f"status list {url} could not be fetched: {exc}")
    ok, why, bits = _checked_list(listing, url, issuer_id(doc), purpose, resolve_key, now)
    if not ok or bits is None:
        return Check(STATUS, undecided, f"status list {url} not trusted: {why}")
    try:
        flagged = statuslist.get_bit(bits, int(index_text))
    except statuslist.StatusListError as exc:
        return Check(STATUS, undecided, str(exc))
    if flagged:
        word = "revoked" if purpose == "revocation" else "suspended"
        return Check(STATUS, CheckStatus.FAIL, f"{word} (status list {url}, entry {index_text})")
    return Check(
        STATUS, CheckStatus.PASS, f"not {'revoked' if purpose == 'revocation' else 'suspended'}"
    )


#: Verified status lists by (content hash, issuer), kept for five minutes.
_LISTS: TTLCache[tuple[str, str | None], bytes] = TTLCache(maxsize=64, ttl=300)
_LISTS_LOCK = threading.Lock()


def _checked_list(
    listing: object,
    url: str,
    issuer: str | None,
    purpose: str,
    resolve_key: ResolveKey,
    now: datetime,
) -> tuple[bool, str, bytes | None]:
    """Verify a fetched status list credential; verified lists are cached by content."""
    if not isinstance(listing, Mapping):
        return False, "not a JSON object", None
    if listing.get("id") != url:
        return False, f"its id is {listing.get('id')!r}", None
    kinds = listing.get("type")
    if "BitstringStatusListCredential" not in (kinds if isinstance(kinds, list) else [kinds]):
        return False, "not a BitstringStatusListCredential", None
    if issuer is None or issuer_id(listing) != issuer:
        return False, "issued by someone other than the credential's issuer", None
    subject = listing.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject.get("statusPurpose") != purpose:
        return False, f"its statusPurpose is not {purpose!r}", None
    validity = check_validity(listing, now=now)
    if validity.status is not CheckStatus.PASS:
        return False, validity.reason, None
    try:
        digest = hashlib.sha256(json.dumps(listing, sort_keys=True).encode("utf-8")).hexdigest()
    except (TypeError, ValueError, RecursionError):
        return False, "not JSON", None
    with _LISTS_LOCK:
        bits = _LISTS.get((digest, issuer))
    if bits is not None:
        return True, "", bits
    proof = verify_proof(listing, resolve_key)
    if not proof.ok:
        return False, f"its proof does not hold ({proof.reason})", None
    try:
        bits = statuslist.decode_list(subject.get("encodedList"))  # type: ignore[arg-type]
    except statuslist.StatusListError as exc:
        return False, str(exc), None
    with _LISTS_LOCK:
        _LISTS[(digest, issuer)] = bits
    return True, "", bits


def _revocation_list_status(
    entry: Mapping[str, Any], doc: Mapping[str, Any], fetch: FetchStatusList | None
) -> Check:
    """1EdTech Revocation List: ``revokedCredential: [{id, revoked, revocationReason}]``."""
    url = entry.get("id")
    if not isinstance(url, str):
        return Check(STATUS, CheckStatus.FAIL, "malformed 1EdTechRevocationList entry")
    if fetch is None:
        return Check(STATUS, CheckStatus.INDETERMINATE, f"revocation list {url} was not checked")
    try:
        listing = fetch(url)
    except Exception as exc:
        return Check(STATUS, CheckStatus.INDETERMINATE, f"revocation list {url} unreachable: {exc}")
    revoked = listing.get("revokedCredential") if isinstance(listing, Mapping) else None
    if not isinstance(revoked, list):
        return Check(STATUS, CheckStatus.INDETERMINATE, f"revocation list {url} is malformed")
    for item in revoked:
        if (
            isinstance(item, Mapping)
            and item.get("id") == doc.get("id")
            and item.get("revoked", True)
        ):
            why = item.get("revocationReason")
            return Check(STATUS, CheckStatus.FAIL, f"revoked{f': {why}' if why else ''}")
    return Check(STATUS, CheckStatus.PASS, "not revoked")


def verify_clr(
    doc: object,
    *,
    resolve_key: ResolveKey,
    fetch_status_list: FetchStatusList | None = None,
    now: datetime,
    schema: bool = True,
) -> ClrVerdict:
    """Verify a ClrCredential: its own proof, status and dates, then every inner credential."""
    if isinstance(doc, str | bytes):
        try:
            doc = json.loads(doc)
        except (ValueError, RecursionError):
            doc = None
    wrapper = verify_credential(
        doc, resolve_key=resolve_key, fetch_status_list=fetch_status_list, now=now, schema=False
    )
    inner = tuple(
        verify_credential(
            vc, resolve_key=resolve_key, fetch_status_list=fetch_status_list, now=now, schema=schema
        )
        for vc in clr.inner_credentials(doc)
    )
    statuses = [wrapper.status, *(v.status for v in inner)]
    if not clr.is_clr(doc):
        statuses.append(CheckStatus.FAIL)
        reason = "not a ClrCredential"
    elif not inner:
        statuses.append(CheckStatus.FAIL)
        reason = "the CLR holds no verifiable credential"
    else:
        reason = ""
    status = _worst(statuses)
    if not reason:
        if wrapper.status is status and status is not CheckStatus.PASS:
            reason = f"CLR: {wrapper.reason}"
        else:
            bad = next((v for v in inner if v.status is status), None)
            reason = (
                f"credential {bad.credential_id}: {bad.reason}"
                if bad is not None and status is not CheckStatus.PASS
                else "the CLR and every credential in it passed"
            )
    return ClrVerdict(status, reason, wrapper, inner)
