"""The catalog: immutable published course versions, API tokens for publishing, course assets,
the deep-linking items (what an instructor can place) and the thin Common Cartridge export.

Other features use `plugin.catalog.services` (publish_package, list_courses, latest_version,
resolve_version, get_version, assets_base) and `plugin.catalog.packages` (get_content,
get_package): a parsed package cached per process by content hash.
"""

from __future__ import annotations

from flask import Flask, url_for

from ..lti.context import LaunchContext
from . import models  # noqa: F401  (tables join the metadata before anything else runs)


def catalog_target(ctx: LaunchContext) -> str:
    """The launch target "catalog": the instructor's published courses page."""
    return url_for("catalog.courses")


def init_app(app: Flask) -> None:
    """The publishing API blueprint, the catalog as the source of deep-linking items, and the
    launch target "catalog" (the instructor's publishing pages)."""
    from ..lti.registry import register_deep_link_items, register_launch_target
    from .api import bp as api_bp
    from .placement import deep_link_items

    app.register_blueprint(api_bp)
    register_deep_link_items(deep_link_items)
    register_launch_target("catalog", catalog_target)
