"""Signals between features: senders never import their listeners (see ARCHITECTURE.md)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: the app; kwargs: context (LaunchContext)
launch_completed = _signals.signal("launch-completed")
#: sender: the app; kwargs: attempt_id
attempt_graded = _signals.signal("attempt-graded")
#: sender: the app; kwargs: learner_id, course_version_id
course_completed = _signals.signal("course-completed")
#: sender: the app; kwargs: award_id
award_issued = _signals.signal("award-issued")
