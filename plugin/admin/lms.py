"""What an LMS administrator pastes where, per LMS, in that LMS's own words.

The "Connect an LMS" pages render the guides in guides/ with the tool's real URLs;
docs/lms-setup.md says the same in prose (a test checks that every field named there appears in
it). Values may hold placeholders filled from `plugin.lti.services.tool_urls()`: {login},
{launch}, {deep_link}, {jwks}, {registration}, {domain}, {origin}, {public_url}, {redirect_uris}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: LTI Advantage scopes microcred asks for: grades (AGS) and the course roster (NRPS).
SCOPES: tuple[str, ...] = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)

LEAVE_EMPTY = "(leave empty)"


@dataclass(frozen=True)
class Paste:
    """One field in the LMS's form and what to put in it."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Step:
    """One instruction, with the fields it fills in."""

    text: str
    fields: tuple[Paste, ...] = ()


@dataclass(frozen=True)
class EnterBack:
    """A value the LMS shows that the admin enters into microcred's registration form."""

    field: str  # RegistrationForm field name
    source: str  # where the LMS shows it, in its words
    value: str = ""  # the value to enter; empty when it is whatever the LMS shows
    note: str = ""
    example: bool = False  # `value` shows what it looks like, not what it is


@dataclass(frozen=True)
class LmsGuide:
    """Everything the admin of one LMS needs, in order."""

    slug: str
    name: str
    summary: str
    manual: tuple[Step, ...]
    enter_back: tuple[EnterBack, ...]
    dynamic: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()
    prefill: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ShownValue:
    """A Paste with its placeholders filled; `copy` when it is one of the tool's own values."""

    label: str
    value: str
    note: str
    copy: bool


def tool_values(urls: Any) -> dict[str, str]:
    """The placeholder values for one ToolUrls."""
    values = {
        name: str(getattr(urls, name))
        for name in ("public_url", "domain", "login", "launch", "deep_link", "jwks", "registration")
    }
    parts = urlsplit(values["public_url"])
    values["origin"] = f"{parts.scheme}://{parts.netloc}"
    redirects = dict.fromkeys([values["launch"], values["deep_link"]])
    values["redirect_uris"] = "\n".join(redirects)
    values["scopes"] = "\n".join(SCOPES)
    return values


def show(paste: Paste, values: Mapping[str, str]) -> ShownValue:
    """Fill a Paste's placeholders from `values`."""
    copy = "{" in paste.value
    value = paste.value.format_map(values) if copy else paste.value
    return ShownValue(paste.label, value, paste.note, copy)


def ticked(*labels: str) -> tuple[Paste, ...]:
    """Checkbox fields to tick, as Paste rows."""
    return tuple(Paste(label, "Ticked") for label in labels)
