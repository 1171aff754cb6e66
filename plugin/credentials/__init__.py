"""Open Badges 3.0 / CLR 2.0 credentials: issuing on course completion, the wallet, verifying
and revoking. The core modules (jsonld, proof, ob3, verify, ...) work without a database;
`services` holds the awards contract, `views` the pages, `listeners` the completion hook.
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Tables, the completion listener, and the "credentials" launch target (the wallet)."""
    from flask import url_for

    from ..lti.registry import register_launch_target
    from . import listeners, models  # noqa: F401  (tables join the metadata)

    listeners.connect()
    # The launch adds the session token itself.
    register_launch_target("credentials", lambda ctx: url_for("credentials.wallet"))

    @app.context_processor
    def _wallet_link() -> dict[str, Any]:
        return {"credentials_wallet_url": _wallet_url}


def _wallet_url() -> str | None:
    """The wallet URL carrying this launch's session (None outside a launch): for nav links."""
    from ..lti.session import get_launch, lti_url_for

    return lti_url_for("credentials.wallet") if get_launch() is not None else None
