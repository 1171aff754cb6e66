"""Signals between features: senders never import their listeners (see ARCHITECTURE.md)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: the app; kwargs: context (LaunchContext), claims (the validated id_token claims)
launch_completed = _signals.signal("launch-completed")
#: sender: the app; kwargs: attempt_id
attempt_graded = _signals.signal("attempt-graded")
#: sender: the app; kwargs: learner_id, course_version_id
course_completed = _signals.signal("course-completed")
#: sender: the app; kwargs: award_id
award_issued = _signals.signal("award-issued")
#: sender: the app; kwargs: learner_id, personal (the values about to be erased: name, email,
#: sub). Sent inside the erasing transaction, before the learner row is blanked, so features that
#: froze copies of those values (SIS export batches) can remove them too.
learner_erasing = _signals.signal("learner-erasing")
