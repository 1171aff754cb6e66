"""Recognise the tool's own credential URLs (status lists, awards) among any URLs."""

from __future__ import annotations

import re

from ..web import settings

_STATUS = re.compile(r"/credentials/status/(\d{1,9})")
_AWARD = re.compile(r"/credentials/awards/([0-9a-f-]{36})")


def _own_path(url: str) -> str | None:
    base = settings().public_url
    if isinstance(url, str) and url.startswith(base + "/"):
        return url[len(base) :].partition("#")[0]
    return None


def own_status_list_number(url: str) -> int | None:
    """The number of our status list at ``url``; None when the URL is not one of ours."""
    path = _own_path(url)
    match = _STATUS.fullmatch(path) if path else None
    return int(match.group(1)) if match else None


def own_award_public_id(url: str) -> str | None:
    """The public id of our award whose credential id is ``url``, else None."""
    path = _own_path(url)
    match = _AWARD.fullmatch(path) if path else None
    return match.group(1) if match else None
