"""The LMS guides, one module per LMS: its menus and field names, and where its values come back.

Rendered by the "Connect an LMS" pages; docs/lms-setup.md says the same in prose.
"""

from __future__ import annotations

from ..lms import LmsGuide
from .blackboard import BLACKBOARD
from .brightspace import BRIGHTSPACE
from .canvas import CANVAS
from .moodle import MOODLE
from .sakai import SAKAI

GUIDES: dict[str, LmsGuide] = {g.slug: g for g in (CANVAS, MOODLE, BLACKBOARD, BRIGHTSPACE, SAKAI)}

#: The registration form's LMS choices: one per guide, then any other platform.
PRODUCT_CHOICES: list[tuple[str, str]] = [
    *((g.slug, g.name) for g in GUIDES.values()),
    ("generic", "Other LTI 1.3 platform"),
]
