"""Extension points other features fill: where a launch lands, and what deep linking can place.

- `register_launch_target(name, fn)`: `fn(ctx) -> str` returns the URL (path) a launch should
  land on. The name is chosen by the launch's custom parameter `target`, else the `target`
  query parameter of its target_link_uri, else "home" (the placeholder landing page).
- `register_deep_link_items(fn)`: `fn(ctx) -> list[DeepLinkItem]` lists what an instructor may
  place from the deep linking page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from .context import LaunchContext

log = logging.getLogger(__name__)

LaunchTarget = Callable[[LaunchContext], str]
DEFAULT_TARGET = "home"
_targets: dict[str, LaunchTarget] = {}
_item_sources: list[Callable[[LaunchContext], list[DeepLinkItem]]] = []


@dataclass(frozen=True)
class LineItemSpec:
    """The gradebook column a placed item asks for (deep linking `lineItem`)."""

    score_maximum: float
    label: str | None = None
    resource_id: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class DeepLinkItem:
    """One placeable item: an LTI resource link back into the tool."""

    id: str
    title: str
    url: str
    text: str | None = None
    custom: Mapping[str, str] = field(default_factory=dict)
    line_item: LineItemSpec | None = None


def register_launch_target(name: str, fn: LaunchTarget) -> None:
    """Make launches that name `name` land where `fn(ctx)` says (a later call replaces)."""
    if name in _targets and _targets[name] is not fn:
        log.debug("launch target %r replaced", name)
    _targets[name] = fn


def launch_target_name(ctx: LaunchContext) -> str:
    """The target a launch asks for: custom `target`, else ?target= of its target_link_uri."""
    custom = ctx.custom.get("target")
    if isinstance(custom, str) and custom:
        return custom
    query = parse_qs(urlsplit(ctx.target_link_uri).query)
    return (query.get("target") or [DEFAULT_TARGET])[0]


def resolve_launch_target(ctx: LaunchContext) -> str:
    """The URL a resource launch lands on; unknown names fall back to "home"."""
    name = launch_target_name(ctx)
    fn = _targets.get(name)
    if fn is None:
        log.info("launch asked for unknown target %r; using %r", name, DEFAULT_TARGET)
        fn = _targets[DEFAULT_TARGET]
    return fn(ctx)


def register_deep_link_items(fn: Callable[[LaunchContext], list[DeepLinkItem]]) -> None:
    """Add a source of placeable items (delivery adds its courses and modules)."""
    if fn not in _item_sources:
        _item_sources.append(fn)


def deep_link_items(
    ctx: LaunchContext, default: Callable[[LaunchContext], list[DeepLinkItem]]
) -> list[DeepLinkItem]:
    """Every placeable item from the registered sources, or `default(ctx)` when there are none."""
    if not _item_sources:
        return default(ctx)
    items: list[DeepLinkItem] = []
    for source in _item_sources:
        items.extend(source(ctx))
    return items


def unregister_deep_link_items(fn: Callable[[LaunchContext], list[DeepLinkItem]]) -> None:
    """Remove a source added with register_deep_link_items (tests, reloads)."""
    if fn in _item_sources:
        _item_sources.remove(fn)
