"""id_token validation: everything 1EdTech certification asks, plus what pylti1p3 skips.

`ToolMessageLaunch` keeps pylti1p3's MessageLaunch shape and its message validators, and replaces
the checks the library gets wrong or leaves out: state and nonce are single-use in the shared
store (pylti1p3 never consumes a nonce), `aud` and `azp` are checked (it skips both), clock
leeway is bounded (it has none), only RS256/384/512 are accepted, the platform JWKS is refetched
once on an unknown kid (it never is), `target_link_uri` must be ours, and an unknown deployment
of a known registration is recorded as pending instead of just failing. Every refusal is a
LaunchError with a stable code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from pylti1p3.exception import LtiException
from pylti1p3.message_launch import MessageLaunch

from ..config import Settings
from ..errors import LaunchError
from ..extensions import db
from ..store import Store
from . import context as c
from . import regcache
from .login import StateRecord
from .models import Deployment, Registration
from .platform_keys import ALGS, KeySource, platform_key
from .records import ensure_deployment
from .toolconf import DbToolConf
from .urls import is_our_url

#: An id_token issued longer ago than this (plus leeway) is refused whatever its exp says.
MAX_TOKEN_AGE = 3600
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


def _b64url(segment: str) -> bytes:
    """Strict base64url (no padding, alphabet checked in C: PyJWT's per-character check in
    Python was a sixth of the launch's CPU)."""
    if len(segment) % 4 == 1 or "=" in segment:
        raise ValueError("bad base64url")
    try:
        return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
    except binascii.Error as exc:
        raise ValueError("bad base64url") from exc


def verify_signature(token: str, key: RSAPublicKey, alg: str) -> None:
    """Check an RS256/384/512 JWS signature over the token's header and payload; LaunchError
    LTI_BAD_SIGNATURE when it does not verify or the token is malformed."""
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("a JWS has three parts")
        signature = _b64url(parts[2])
        key.verify(
            signature, f"{parts[0]}.{parts[1]}".encode("ascii"), padding.PKCS1v15(), _HASHES[alg]()
        )
    except InvalidSignature as exc:
        raise _refuse("LTI_BAD_SIGNATURE", "The launch signature is not valid.", 401) from exc
    except (ValueError, UnicodeEncodeError) as exc:
        raise _refuse("LTI_BAD_SIGNATURE", "The launch token could not be verified.", 401) from exc


def decode_unverified(token: str) -> dict[str, Any] | None:
    """The token's header and body, not yet verified ({"header": ..., "body": ...}), or None when
    it is not a readable JWS. The launch reads its nonce before the signature is checked, so
    that the nonce is claimed in the same store round trip as the state is spent."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, body = json.loads(_b64url(parts[0])), json.loads(_b64url(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(body, dict):
        return None
    return {"header": header, "body": body}


class NonceClaim(NamedTuple):
    """The store claim (key, holder, ttl) that makes an id_token's nonce single-use."""

    key: str
    value: str
    ttl: int


def nonce_claim(jwt: dict[str, Any] | None, state: str, leeway: int) -> NonceClaim | None:
    """The store claim that makes the id_token's nonce single-use, held by this launch's state
    (the same id_token posted with another login's state finds it held). It lasts as long as
    the token could be accepted; None when the token names no nonce."""
    body = (jwt or {}).get("body") or {}
    nonce, exp = body.get("nonce"), body.get("exp")
    if not nonce or not isinstance(nonce, str):
        return None
    now = int(time.time())
    longest = MAX_TOKEN_AGE + 2 * leeway + 1
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        ttl = min(int(exp) - now + leeway + 1, longest)
    else:
        ttl = longest
    digest = hashlib.sha256(nonce.encode()).hexdigest()
    return NonceClaim(f"lti:nonce:{digest}", state, max(ttl, 1))


class _NotUsed:
    """pylti1p3 wants session and cookie services and an HTTP session; state lives in the shared
    store, and every outbound call goes through the outbound guard (platform_keys, gradebook),
    so any use of these by pylti1p3 is a bug that fails loudly instead of calling out unguarded."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"pylti1p3 {name} is not used: the tool has its own")


_NOT_USED = _NotUsed()


@dataclass(frozen=True)
class ValidatedLaunch:
    """A launch whose id_token passed every check."""

    claims: dict[str, Any]
    registration_id: int
    issuer: str
    client_id: str
    deployment_pk: int
    deployment_status: str


def _refuse(code: str, message: str, status: int = 400) -> LaunchError:
    return LaunchError(message, code=code, status=status)


def _registration_row(reg_id: int, dep_id: str, *, complete: bool) -> tuple[Any, ...] | None:
    """(reg id, issuer, client_id, active, key_set_url, key_set, deployment pk, status) in one
    query; with `complete`, None unless the deployment is known too."""
    r, d = Registration, Deployment
    row = db.session.execute(
        db.select(r.id, r.issuer, r.client_id, r.active, r.key_set_url, r.key_set, d.id, d.status)
        .select_from(r)
        .outerjoin(d, (d.registration_id == r.id) & (d.deployment_id == dep_id))
        .where(r.id == reg_id)
    ).one_or_none()
    if row is None or (complete and row[6] is None):
        return None
    return tuple(row)


class ToolMessageLaunch(MessageLaunch):
    """Validate one id_token against the record its login's signed state carries."""

    def __init__(
        self,
        form: Mapping[str, str],
        record: StateRecord,
        settings: Settings,
        store: Store,
        *,
        jwt: dict[str, Any] | None = None,
        nonce_holder: str | None = None,
    ):
        super().__init__(
            form,
            DbToolConf(db.session),  # type: ignore[arg-type]
            session_service=_NOT_USED,
            cookie_service=_NOT_USED,
            requests_session=_NOT_USED,  # type: ignore[arg-type]
        )
        self.set_auto_validation(enable=False)
        self._form = form
        self._record = record
        self._settings = settings
        self._store = store
        self._now = int(time.time())
        self._row: Any = None
        self._decoded = jwt
        # Who holds the nonce's claim, when the caller claimed it with the state already.
        self._nonce_holder = nonce_holder

    def _get_request_param(self, key: str) -> str:
        value = self._form.get(key, "")
        return value if isinstance(value, str) else ""

    @property
    def claims(self) -> dict[str, Any]:
        return self._jwt.get("body", {})  # type: ignore[return-value]

    def validate(self) -> ToolMessageLaunch:
        """Run every check in a fixed order; the first failure raises LaunchError."""
        self._validated = True
        try:
            self.validate_jwt_format()
            self.validate_header()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_message()
            self.validate_nonce()
        except BaseException:
            self._validated = False
            raise
        return self

    def validate_jwt_format(self) -> ToolMessageLaunch:
        if self._decoded is not None:  # decoded by the caller already (decode_unverified)
            self._jwt = cast(Any, self._decoded)  # pylti1p3's TypedDict of the same dict
            return self
        try:
            super().validate_jwt_format()
        except LtiException as exc:
            raise _refuse(
                "LTI_BAD_MESSAGE", "The launch did not carry a readable id_token."
            ) from exc
        if not isinstance(self._jwt.get("header"), dict) or not isinstance(self.claims, dict):
            raise _refuse("LTI_BAD_MESSAGE", "The launch did not carry a readable id_token.")
        return self

    def validate_header(self) -> ToolMessageLaunch:
        header: dict[str, Any] = self._jwt["header"]  # type: ignore[assignment]
        if header.get("alg") not in ALGS:
            raise _refuse(
                "LTI_BAD_ALG", "The launch was not signed with RS256, RS384 or RS512.", 401
            )
        kid = header.get("kid")
        if not kid or not isinstance(kid, str):
            raise _refuse("LTI_NO_KID", "The launch signature does not name its key (no kid).", 401)
        return self

    def validate_registration(self) -> ToolMessageLaunch:
        """Our registration (from the login's state) and the deployment named, in one query."""
        dep_id = self.claims.get(c.DEPLOYMENT_ID)
        dep_id = dep_id if isinstance(dep_id, str) else ""
        reg_id = self._record.registration_id
        self._row = regcache.cached(
            ("launch", reg_id, dep_id), lambda: _registration_row(reg_id, dep_id, complete=True)
        )
        if self._row is None:  # unknown deployment (or registration): never cached
            self._row = _registration_row(reg_id, dep_id, complete=False)
        if self._row is None:
            raise _refuse("LTI_UNKNOWN_PLATFORM", "This LMS is no longer registered.", 400)
        if not self._row[3]:
            raise _refuse(
                "LTI_REGISTRATION_INACTIVE",
                "This LMS registration is waiting for approval by the tool's administrator.",
                403,
            )
        return self

    def validate_jwt_signature(self) -> ToolMessageLaunch:
        header: dict[str, Any] = self._jwt["header"]  # type: ignore[assignment]
        source = KeySource(self._row[0], self._row[4], self._row[5])
        key = platform_key(self._store, source, header["kid"])
        if key.alg and key.alg != header["alg"]:
            raise _refuse(
                "LTI_BAD_ALG", "The launch signature algorithm does not match its key.", 401
            )
        if header["alg"] not in _HASHES:
            raise _refuse("LTI_BAD_ALG", "The launch signature algorithm is refused.", 401)
        verify_signature(self._get_id_token(), key.key, header["alg"])
        return self

    def validate_message(self) -> ToolMessageLaunch:
        """Claim checks with stable codes, then pylti1p3's own message validators."""
        body = self.claims
        if not any(k.startswith("https://purl.imsglobal.org/spec/lti") for k in body):
            raise _refuse("LTI_BAD_MESSAGE", "The id_token is not an LTI 1.3 message.")
        version = body.get(c.VERSION)
        if version is None:
            raise _refuse("LTI_NO_VERSION", "The launch does not say its LTI version.")
        if version != "1.3.0":
            raise _refuse("LTI_BAD_VERSION", f"LTI version {str(version)[:20]!r} is not 1.3.0.")
        message_type = body.get(c.MESSAGE_TYPE)
        if not message_type:
            raise _refuse("LTI_NO_MESSAGE_TYPE", "The launch does not say its message type.")
        if message_type not in c.SUPPORTED_MESSAGES:
            raise _refuse(
                "LTI_BAD_MESSAGE_TYPE",
                f"The tool does not handle {str(message_type)[:40]!r} messages.",
            )
        self._check_audience(body)
        self._check_times(body)
        sub = body.get("sub")
        if not sub or not isinstance(sub, str):
            raise _refuse("LTI_NO_SUB", "The launch does not say who you are (no sub claim).")
        dep_id = body.get(c.DEPLOYMENT_ID)
        if not dep_id or not isinstance(dep_id, str):
            raise _refuse("LTI_NO_DEPLOYMENT", "The launch does not name its deployment.")
        roles = body.get(c.ROLES)
        if not isinstance(roles, list):
            raise _refuse("LTI_NO_ROLES", "The launch has no roles claim.")
        target = body.get(c.TARGET_LINK_URI)
        if not target or not isinstance(target, str):
            raise _refuse("LTI_MISSING_CLAIM", "The launch has no target_link_uri claim.")
        if not is_our_url(target, self._settings.public_url):
            raise _refuse(
                "LTI_BAD_TARGET", "The launch points at an address that is not this tool."
            )
        if message_type == c.RESOURCE_LINK_REQUEST:
            link = body.get(c.RESOURCE_LINK)
            if not isinstance(link, dict) or not link.get("id"):
                raise _refuse("LTI_NO_RESOURCE_LINK", "The launch does not name its resource link.")
        else:
            settings = body.get(c.DL_SETTINGS)
            if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
                raise _refuse(
                    "LTI_MISSING_CLAIM",
                    "The deep linking request has no settings with a return URL.",
                )
        try:
            super().validate_message()
        except LtiException as exc:
            raise _refuse("LTI_BAD_MESSAGE", f"The launch message is not valid: {exc}") from exc
        return self

    def _check_audience(self, body: dict[str, Any]) -> None:
        iss = body.get("iss")
        if not iss:
            raise _refuse("LTI_MISSING_CLAIM", "The launch has no iss claim.")
        if iss != self._row[1]:
            raise _refuse(
                "LTI_BAD_ISS", "The launch comes from another issuer than its login.", 401
            )
        aud = body.get("aud")
        if not aud:
            raise _refuse("LTI_MISSING_CLAIM", "The launch has no aud claim.")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        client_id = self._row[2]
        if client_id not in audiences:
            raise _refuse("LTI_BAD_AUD", "The launch is meant for another tool (aud).", 401)
        azp = body.get("azp")
        if (len(audiences) > 1 and azp is None) or (azp is not None and azp != client_id):
            raise _refuse(
                "LTI_BAD_AZP", "The launch's authorized party (azp) is not this tool.", 401
            )

    def _check_times(self, body: dict[str, Any]) -> None:
        leeway = self._settings.jwt_leeway_seconds
        exp: Any = body.get("exp")
        iat: Any = body.get("iat")
        nbf: Any = body.get("nbf", 0)
        numbers = all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat, nbf)
        )
        if not numbers:
            raise _refuse("LTI_BAD_TIMESTAMPS", "The launch lacks valid exp and iat times.")
        now = self._now
        if exp <= now - leeway:
            raise _refuse("LTI_BAD_TIMESTAMPS", "The launch has expired; open it again.")
        if iat > now + leeway or nbf > now + leeway:
            raise _refuse(
                "LTI_BAD_TIMESTAMPS",
                "The launch was issued in the future; check the LMS server's clock.",
            )
        if iat < now - MAX_TOKEN_AGE - leeway:
            raise _refuse("LTI_BAD_TIMESTAMPS", "The launch was issued too long ago.")

    def validate_nonce(self) -> ToolMessageLaunch:
        """The nonce is used once across every process (claimed by this launch's state), and is
        the one this login sent."""
        nonce = self.claims.get("nonce")
        if not nonce or not isinstance(nonce, str):
            raise _refuse("LTI_MISSING_CLAIM", "The launch has no nonce.")
        state = self._get_request_param("state")
        holder = self._nonce_holder
        if holder is None:
            claim = nonce_claim(
                cast(dict[str, Any], self._jwt), state, self._settings.jwt_leeway_seconds
            )
            holder = self._store.claim(*claim) if claim is not None else None
        if not state or holder != state:
            raise _refuse(
                "LTI_NONCE_REPLAYED",
                "This launch was already used; open the activity again from your LMS.",
                401,
            )
        if nonce != self._record.nonce:
            raise _refuse("LTI_BAD_NONCE", "The launch does not answer this login (nonce).", 401)
        return self

    def result(self) -> ValidatedLaunch:
        """The validated launch, with its deployment (recorded now if it was unknown)."""
        dep_pk, status = self._row[6], self._row[7]
        if dep_pk is None:
            dep_pk, status = ensure_deployment(
                self._row[0],
                self.claims[c.DEPLOYMENT_ID],
                "active" if self._settings.auto_approve_registrations else "pending",
            )
        return ValidatedLaunch(
            self.claims, self._row[0], self._row[1], self._row[2], dep_pk, status
        )


def validate_launch(
    form: Mapping[str, str],
    record: StateRecord,
    settings: Settings,
    store: Store,
    *,
    jwt: dict[str, Any] | None = None,
    nonce_holder: str | None = None,
) -> ValidatedLaunch:
    """Validate the posted id_token against the login's state record. `jwt` is the token as
    decode_unverified read it, and `nonce_holder` who holds its nonce_claim, when the caller
    has them already (the launch view gets both in the round trip that spends the state)."""
    launch = ToolMessageLaunch(form, record, settings, store, jwt=jwt, nonce_holder=nonce_holder)
    return launch.validate().result()
