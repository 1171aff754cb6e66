"""Errors of the dev LMS: each refusal carries an HTTP status and a stable, documented code."""

from __future__ import annotations

from collections.abc import Sequence


class DevLmsConfigError(ValueError):
    """The DEVLMS_* configuration has problems; all of them are listed at once."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("dev LMS configuration:\n  " + "\n  ".join(self.problems))


class DevLmsError(Exception):
    """A refused request: HTTP status, stable code (e.g. ``redirect_uri_mismatch``), message."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        if status is not None:
            self.status = status


class AuthError(DevLmsError):
    """The OIDC authentication request (P/auth) is refused; shown as an error page."""


class JwtError(DevLmsError):
    """A JWT from a tool (client assertion, deep linking response) does not verify."""


class TokenError(DevLmsError):
    """The OAuth2 token request is refused; answered as RFC 6749 error JSON."""


class ServiceError(DevLmsError):
    """An AGS or NRPS request is refused; answered as JSON."""


class DeepLinkingError(DevLmsError):
    """A deep linking response is refused."""


class RegistrationError(DevLmsError):
    """A dynamic registration request is refused; answered as plain text, as Moodle does."""
