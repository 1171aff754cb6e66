"""Settings of the dev LMS: config keys, defaults, validation (all problems at once), URLs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import DevLmsConfigError

DEFAULT_PUBLIC_URL = "http://127.0.0.1:5001"

#: Every config key the dev LMS reads, with its default (None: computed or optional).
DEFAULTS: dict[str, Any] = {
    "DEVLMS_PUBLIC_URL": DEFAULT_PUBLIC_URL,
    "DEVLMS_DATABASE": None,  # <instance folder>/devlms.sqlite3
    "DEVLMS_TOOLS": [],
    "DEVLMS_TOOL_URL": None,  # shortcut: register the microcred tool at this URL (see tool_config)
    "DEVLMS_PLACEMENTS": [],
    "DEVLMS_PLATFORM_STORAGE": True,
    "DEVLMS_LOGIN_METHOD": "post",  # how the browser initiates the tool login: "post" or "get"
    "DEVLMS_DEFAULT_USER": "grace",
    "DEVLMS_ID_TOKEN_LIFETIME": 300,
    "DEVLMS_ACCESS_TOKEN_LIFETIME": 3600,
    "DEVLMS_MESSAGE_HINT_LIFETIME": 600,
    "DEVLMS_PAGE_SIZE": 50,
    "DEVLMS_HANG_SECONDS": 30.0,
    "DEVLMS_STRICT_MEDIA_TYPES": True,
    "DEVLMS_DR_AUTO_ACTIVATE": True,
    "DEVLMS_JWKS_CACHE_SECONDS": 300,
    "DEVLMS_LOCALE": "en",
}

TOOL_REQUIRED_KEYS = (
    "name",
    "client_id",
    "deployment_id",
    "login_url",
    "redirect_uris",
    "target_link_uri",
)
TOOL_OPTIONAL_KEYS = ("deep_link_url", "jwks_url", "jwks", "scopes", "custom", "claims", "active")
PLACEMENT_KEYS = ("id", "title", "text", "url", "custom", "lineItem", "client_id", "context_id")
LINE_ITEM_KEYS = ("label", "scoreMaximum", "resourceId", "tag")


def tool_config(
    tool_url: str,
    *,
    client_id: str = "microcred-dev",
    deployment_id: str = "1",
    name: str = "microcred",
) -> dict[str, Any]:
    """The DEVLMS_TOOLS entry for a microcred tool at `tool_url` (the fixed tool URL contract)."""
    base = tool_url.rstrip("/")
    return {
        "name": name,
        "client_id": client_id,
        "deployment_id": deployment_id,
        "login_url": f"{base}/lti/login",
        "redirect_uris": [f"{base}/lti/launch"],
        "target_link_uri": f"{base}/lti/launch",
        "deep_link_url": f"{base}/lti/deeplink",
        "jwks_url": f"{base}/lti/jwks",
    }


@dataclass(frozen=True)
class PlatformUrls:
    """Public URLs of the dev LMS, all under its issuer."""

    issuer: str

    def url(self, path: str) -> str:
        """An absolute URL for `path` (which starts with a slash)."""
        return self.issuer + path

    @property
    def auth(self) -> str:
        return self.url("/auth")

    @property
    def token(self) -> str:
        return self.url("/token")

    @property
    def jwks(self) -> str:
        return self.url("/jwks")

    @property
    def register(self) -> str:
        return self.url("/register")

    @property
    def openid_configuration(self) -> str:
        return self.url("/.well-known/openid-configuration")

    @property
    def deep_link_return(self) -> str:
        return self.url("/deep_linking_return")

    def lineitems(self, context_id: str) -> str:
        return self.url(f"/api/contexts/{context_id}/lineitems")

    def lineitem(self, context_id: str, line_item_id: int) -> str:
        return f"{self.lineitems(context_id)}/{line_item_id}"

    def memberships(self, context_id: str) -> str:
        return self.url(f"/api/contexts/{context_id}/memberships")


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one dev LMS app."""

    public_url: str
    database: str
    tools: tuple[dict[str, Any], ...] = ()
    placements: tuple[dict[str, Any], ...] = ()
    platform_storage: bool = True
    login_method: str = "post"
    default_user: str = "grace"
    id_token_lifetime: int = 300
    access_token_lifetime: int = 3600
    message_hint_lifetime: int = 600
    page_size: int = 50
    hang_seconds: float = 30.0
    strict_media_types: bool = True
    dr_auto_activate: bool = True
    jwks_cache_seconds: int = 300
    locale: str = "en"
    urls: PlatformUrls = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "urls", PlatformUrls(self.public_url))


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _tool_problems(index: int, tool: object) -> list[str]:
    where = f"DEVLMS_TOOLS[{index}]"
    if not isinstance(tool, Mapping):
        return [f"{where}: must be a mapping"]
    problems = [f"{where}: missing {key!r}" for key in TOOL_REQUIRED_KEYS if not tool.get(key)]
    problems += [
        f"{where}: unknown key {key!r}"
        for key in tool
        if key not in TOOL_REQUIRED_KEYS + TOOL_OPTIONAL_KEYS
    ]
    for key in ("login_url", "target_link_uri", "deep_link_url", "jwks_url"):
        if tool.get(key) and not _is_http_url(tool[key]):
            problems.append(f"{where}: {key!r} must be an http(s) URL, got {tool[key]!r}")
    uris = tool.get("redirect_uris")
    if uris and (not isinstance(uris, list | tuple) or not all(_is_http_url(u) for u in uris)):
        problems.append(f"{where}: 'redirect_uris' must be a list of http(s) URLs")
    if not tool.get("jwks_url") and not tool.get("jwks"):
        problems.append(f"{where}: needs 'jwks_url' (or an inline 'jwks' key set)")
    if "custom" in tool and not isinstance(tool["custom"], Mapping):
        problems.append(f"{where}: 'custom' must be a mapping")
    return problems


def _placement_problems(index: int, placement: object) -> list[str]:
    where = f"DEVLMS_PLACEMENTS[{index}]"
    if not isinstance(placement, Mapping):
        return [f"{where}: must be a mapping"]
    problems = [f"{where}: missing {key!r}" for key in ("title", "url") if not placement.get(key)]
    problems += [f"{where}: unknown key {key!r}" for key in placement if key not in PLACEMENT_KEYS]
    if placement.get("url") and not _is_http_url(placement["url"]):
        problems.append(f"{where}: 'url' must be an http(s) URL")
    if "custom" in placement and not isinstance(placement["custom"], Mapping):
        problems.append(f"{where}: 'custom' must be a mapping")
    line_item = placement.get("lineItem")
    if line_item is not None:
        if not isinstance(line_item, Mapping):
            problems.append(f"{where}: 'lineItem' must be a mapping")
        else:
            problems += [
                f"{where}: unknown lineItem key {key!r}"
                for key in line_item
                if key not in LINE_ITEM_KEYS
            ]
            maximum = line_item.get("scoreMaximum", 100)
            if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
                problems.append(f"{where}: lineItem 'scoreMaximum' must be a number > 0")
    return problems


def load_settings(config: Mapping[str, Any], instance_path: str) -> Settings:
    """Validate the DEVLMS_* keys of `config`; raise DevLmsConfigError listing every problem."""
    values = {key: config.get(key, default) for key, default in DEFAULTS.items()}
    problems: list[str] = []
    public_url = values["DEVLMS_PUBLIC_URL"]
    if not _is_http_url(public_url) or urlsplit(public_url).path not in ("", "/"):
        problems.append(f"DEVLMS_PUBLIC_URL must be an http(s) origin, got {public_url!r}")
    else:
        public_url = public_url.rstrip("/")
    tools = list(values["DEVLMS_TOOLS"] or [])
    if values["DEVLMS_TOOL_URL"]:
        if not _is_http_url(values["DEVLMS_TOOL_URL"]):
            problems.append("DEVLMS_TOOL_URL must be an http(s) URL")
        else:
            tools.insert(0, tool_config(values["DEVLMS_TOOL_URL"]))
    for index, tool in enumerate(tools):
        problems += _tool_problems(index, tool)
    client_ids = [t.get("client_id") for t in tools if isinstance(t, Mapping)]
    if len(set(client_ids)) != len(client_ids):
        problems.append("DEVLMS_TOOLS: client_id values must be unique")
    placements = list(values["DEVLMS_PLACEMENTS"] or [])
    for index, placement in enumerate(placements):
        problems += _placement_problems(index, placement)
    if placements and not tools:
        problems.append("DEVLMS_PLACEMENTS needs at least one tool in DEVLMS_TOOLS")
    if values["DEVLMS_LOGIN_METHOD"] not in ("post", "get"):
        problems.append("DEVLMS_LOGIN_METHOD must be 'post' or 'get'")
    for key in (
        "DEVLMS_ID_TOKEN_LIFETIME",
        "DEVLMS_ACCESS_TOKEN_LIFETIME",
        "DEVLMS_PAGE_SIZE",
        "DEVLMS_MESSAGE_HINT_LIFETIME",
        "DEVLMS_JWKS_CACHE_SECONDS",
    ):
        if isinstance(values[key], bool) or not isinstance(values[key], int) or values[key] <= 0:
            problems.append(f"{key} must be a positive integer")
    if (
        not isinstance(values["DEVLMS_HANG_SECONDS"], int | float)
        or values["DEVLMS_HANG_SECONDS"] < 0
    ):
        problems.append("DEVLMS_HANG_SECONDS must be a number >= 0")
    if problems:
        raise DevLmsConfigError(problems)
    database = values["DEVLMS_DATABASE"] or os.path.join(instance_path, "devlms.sqlite3")
    return Settings(
        public_url=public_url,
        database=str(database),
        tools=tuple(dict(t) for t in tools),
        placements=tuple(dict(p) for p in placements),
        platform_storage=bool(values["DEVLMS_PLATFORM_STORAGE"]),
        login_method=values["DEVLMS_LOGIN_METHOD"],
        default_user=str(values["DEVLMS_DEFAULT_USER"]),
        id_token_lifetime=values["DEVLMS_ID_TOKEN_LIFETIME"],
        access_token_lifetime=values["DEVLMS_ACCESS_TOKEN_LIFETIME"],
        message_hint_lifetime=values["DEVLMS_MESSAGE_HINT_LIFETIME"],
        page_size=values["DEVLMS_PAGE_SIZE"],
        hang_seconds=float(values["DEVLMS_HANG_SECONDS"]),
        strict_media_types=bool(values["DEVLMS_STRICT_MEDIA_TYPES"]),
        dr_auto_activate=bool(values["DEVLMS_DR_AUTO_ACTIVATE"]),
        jwks_cache_seconds=values["DEVLMS_JWKS_CACHE_SECONDS"],
        locale=str(values["DEVLMS_LOCALE"]),
    )
