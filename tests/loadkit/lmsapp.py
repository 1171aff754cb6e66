"""The dev LMS as a WSGI app for gunicorn, configured from LOADKIT_DEVLMS_* environment variables.

`gunicorn tests.loadkit.lmsapp:app` with LOADKIT_DEVLMS_URL (its public origin),
LOADKIT_DEVLMS_DATABASE (the SQLite file the harness seeded) and LOADKIT_TOOL_URL.
"""

from __future__ import annotations

import os

from plugin.devlms import create_devlms_app

app = create_devlms_app(
    {
        "DEVLMS_PUBLIC_URL": os.environ["LOADKIT_DEVLMS_URL"],
        "DEVLMS_DATABASE": os.environ["LOADKIT_DEVLMS_DATABASE"],
        "DEVLMS_TOOL_URL": os.environ["LOADKIT_TOOL_URL"],
        "DEVLMS_PLATFORM_STORAGE": False,
        "DEVLMS_HANG_SECONDS": float(os.environ.get("LOADKIT_DEVLMS_HANG_SECONDS", "30")),
    }
)
