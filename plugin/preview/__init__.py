"""`microcred preview FOLDER`: a course folder served live through the student pages inside the
dev LMS, rebuilt on every save, with its diagnostics (file:line:col: code message) beside it.

`session.Preview` builds, publishes and watches; `views.bp` is the preview page, added to the
dev LMS app so it frames the course page from the platform's own origin; `cli.preview_command`
is the command.
"""

from __future__ import annotations

from .session import Preview, PreviewStatus

__all__ = ["Preview", "PreviewStatus"]
