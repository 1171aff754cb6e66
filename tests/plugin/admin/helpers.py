"""Helpers for admin tests: CSRF tokens read from real pages, sign-in as a browser does it."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Account:
    """An account made for a test (usernames are unique so Redis counters never collide)."""

    id: int
    username: str
    password: str


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def unique_name(prefix: str = "admin") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def sign_in(client: Any, username: str, password: str, next_url: str = "") -> Any:
    """Submit the sign-in form as a browser would (token from the page first)."""
    page = client.get("/admin/sign-in")
    return client.post(
        "/admin/sign-in",
        data={
            "csrf_token": csrf_from(page.text),
            "username": username,
            "password": password,
            "next": next_url,
        },
    )


def post_form(client: Any, page_path: str, action: str, data: dict[str, Any]) -> Any:
    """GET `page_path`, take its CSRF token, POST `data` to `action`."""
    page = client.get(page_path)
    assert page.status_code == 200, page.status_code
    return client.post(action, data={"csrf_token": csrf_from(page.text), **data})
