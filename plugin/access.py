"""Every view declares who may see it (issue #3).

A view carries its declaration in the `__access__` attribute, a short human-readable string:

- the guards set it themselves: `require_role`/`require_admin`/`require_signed_in`
  (plugin/admin/auth.py), `require_launch` (plugin/lti/session.py) and `require_registrar`
  (plugin/registrar/access.py);
- `@public("reason")` marks a deliberately public view (health checks, JWKS, did.json,
  achievement pages, verification, status lists, assets, LTI login/launch);
- `@token_guarded("how")` marks a view that checks a bearer token itself (metrics, the
  publishing API).

`access_of(app, endpoint)` reads the declaration (following `functools.wraps` chains), and
tests/test_access_declared.py fails when an endpoint of the app has none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask

F = TypeVar("F", bound=Callable[..., Any])

ATTR = "__access__"
PUBLIC_PREFIX = "public: "
SELF_CHECKED_PREFIX = "checks a bearer token itself: "


def _tag(view: F, declaration: str) -> F:
    setattr(view, ATTR, declaration)
    return view


def declare(view: F, declaration: str) -> F:
    """Set `view`'s access declaration (used by the guard decorators); returns `view`."""
    return _tag(view, declaration)


def public(reason: str) -> Callable[[F], F]:
    """Mark a view as deliberately public, saying why; behaviour is unchanged."""
    if not reason.strip():
        raise ValueError("say why the view is public")

    def decorator(view: F) -> F:
        return _tag(view, PUBLIC_PREFIX + reason)

    return decorator


def token_guarded(how: str) -> Callable[[F], F]:
    """Mark a view that refuses requests lacking a valid bearer token it checks itself."""

    def decorator(view: F) -> F:
        return _tag(view, SELF_CHECKED_PREFIX + how)

    return decorator


def view_access(view: Callable[..., Any]) -> str | None:
    """The declaration on `view` or on any function it wraps, or None."""
    seen: set[int] = set()
    current: Any = view
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        declaration = getattr(current, ATTR, None)
        if isinstance(declaration, str) and declaration:
            return declaration
        current = getattr(current, "__wrapped__", None)
    return None


def access_of(app: Flask, endpoint: str) -> str | None:
    """The declaration of `endpoint` in `app`; Flask's own static-file endpoints are public."""
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC_PREFIX + "static files (CSS, scripts, images)"
    view = app.view_functions.get(endpoint)
    return view_access(view) if view is not None else None


def is_public(declaration: str | None) -> bool:
    """True for a declaration made with `public(...)`."""
    return bool(declaration) and str(declaration).startswith(PUBLIC_PREFIX)


def undeclared_endpoints(app: Flask) -> list[str]:
    """The endpoints of `app` without a declaration, sorted."""
    return sorted(e for e in app.view_functions if access_of(app, e) is None)
