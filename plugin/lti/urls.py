"""The tool's own LTI URLs, built from PUBLIC_URL (what an LMS administrator pastes)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ToolUrls:
    """Everything an LMS needs to know about the tool's endpoints."""

    public_url: str
    domain: str
    login: str
    launch: str
    deep_link: str
    jwks: str
    registration: str


def build_tool_urls(public_url: str) -> ToolUrls:
    """ToolUrls for a PUBLIC_URL such as https://tool.example.edu."""
    base = public_url.rstrip("/")
    return ToolUrls(
        public_url=base,
        domain=urlsplit(base).netloc,
        login=f"{base}/lti/login",
        launch=f"{base}/lti/launch",
        deep_link=f"{base}/lti/deeplink",
        jwks=f"{base}/lti/jwks",
        registration=f"{base}/lti/register",
    )


def is_our_url(url: str, public_url: str) -> bool:
    """True when `url` is on the tool's origin and under its base path (no prefix tricks)."""
    try:
        target, base = urlsplit(url), urlsplit(public_url.rstrip("/"))
    except ValueError:
        return False
    if (target.scheme, target.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return False
    path = base.path.rstrip("/")
    return not path or target.path == path or target.path.startswith(path + "/")


def origin_of(url: str | None) -> str | None:
    """scheme://host[:port] of a URL, or None when it has none."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"
