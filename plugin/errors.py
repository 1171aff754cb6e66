"""The app's one error hierarchy. Third-party exceptions are converted where the library is called.

Every error a person can meet has a stable `code` (shown on the page and in JSON) and an HTTP
status; error pages work inside an LMS iframe and carry the request id.
"""

from __future__ import annotations

from collections.abc import Sequence


class MicrocredError(Exception):
    """Base of every domain error."""

    status: int = 400
    code: str = "ERROR"
    title: str = "Something went wrong"

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None):
        super().__init__(message or self.title)
        self.message = message or self.title
        if code:
            self.code = code
        if status:
            self.status = status


class ConfigError(MicrocredError):
    """Start-up configuration problems, all of them at once."""

    code = "CONFIG"
    title = "The configuration is not valid"

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    def __str__(self) -> str:
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"microcred cannot start; fix these settings:\n{lines}"


class NotFoundError(MicrocredError):
    status = 404
    code = "NOT_FOUND"
    title = "Not found"


class AccessDenied(MicrocredError):
    status = 403
    code = "ACCESS_DENIED"
    title = "You do not have access to this page"


class NotSignedIn(MicrocredError):
    status = 401
    code = "NOT_SIGNED_IN"
    title = "Your session has ended"


class ValidationError(MicrocredError):
    status = 422
    code = "INVALID"
    title = "The request is not valid"


class ConflictError(MicrocredError):
    status = 409
    code = "CONFLICT"
    title = "That was changed by someone else"


class LaunchError(MicrocredError):
    """An LTI login or launch that must be refused; `code` is stable (e.g. LTI_NONCE_REPLAYED)."""

    status = 400
    code = "LTI_LAUNCH"
    title = "This launch from your LMS could not be accepted"


class ServiceUnavailable(MicrocredError):
    status = 503
    code = "UNAVAILABLE"
    title = "A service the tool needs is not answering"
