"""Launch into a module, read it, answer its quizzes, get feedback, see progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.plugin.catalog.helpers import COURSE_ID, launch, launch_url, session_of
from tests.plugin.learning.helpers import SECRETS, attempt_form, open_module, publish_tiny


def test_module_launch_lands_on_the_module_without_answers(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, _ = open_module(client, platform)
    assert location.startswith("/learn/tiny-stats/01-mean?")
    page = client.get(location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1" in html and "The mean" in html
    assert "What is the mean of 2, 4 and 6?" in html
    assert '/assets/img/bars.svg"' in html and 'src="assets/' not in html
    for secret in SECRETS:
        assert secret not in html
    assert "correct" not in html.lower()
    assert page.headers["Cache-Control"] == "no-store"


def test_submit_grades_and_shows_feedback(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform)
    action, options = attempt_form(client.get(location).get_data(as_text=True), "mean-calc")
    response = client.post(
        action, data={"mc_session": token, "action": "submit", "a.mean-calc": options["12"]}
    )
    assert response.status_code == 303
    feedback = client.get(response.headers["Location"])
    text = feedback.get_data(as_text=True)
    assert "You scored 0 of 2 points" in text
    assert "That is the sum." in text  # the chosen option's feedback
    assert "so the mean is 4" in text  # the explanation
    assert "1 attempt left" in text


def test_outline_shows_progress_and_resumes(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform, "02-median")
    client.get(location)
    outline = client.get(f"/learn/{COURSE_ID}/?mc_session={token}").get_data(as_text=True)
    assert "0 of 2 modules complete" in outline
    assert "Continue: The median" in outline
    action, _ = attempt_form(client.get(location).get_data(as_text=True), "median-calc")
    client.post(action, data={"mc_session": token, "a.median-calc": " 3 "})
    outline = client.get(f"/learn/{COURSE_ID}/?mc_session={token}").get_data(as_text=True)
    assert "1 of 2 modules complete" in outline
    assert "1 of 1 points" in outline


def test_course_placement_lands_on_the_outline(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location = launch(client, platform, launch_url("course"), custom={"course_id": COURSE_ID})
    assert location.startswith(f"/learn/{COURSE_ID}/?")
    assert "Tiny Statistics" in client.get(location).get_data(as_text=True)
    assert session_of(location)


def test_hints_are_revealed_one_at_a_time_on_request(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform)
    page = client.get(location).get_data(as_text=True)
    assert "Add them first" not in page
    action, options = attempt_form(page, "mean-calc")
    shown = client.post(
        action, data={"mc_session": token, "action": "hint:mean-calc", "a.mean-calc": options["3"]}
    )
    assert shown.status_code == 303 and shown.headers["Location"].endswith("#q-mean-calc-hints")
    page = client.get(location).get_data(as_text=True)
    assert "Hint 1:</strong> <p>Add them first.</p>" in page
    assert f'value="{options["3"]}" checked' in page  # the answer was kept
    assert "Show another hint" not in page  # the author wrote one hint


def test_instructors_see_the_publishing_pages(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location, token = open_module(client, platform, role="Instructor", sub="teacher-1")
    page = client.get(location).get_data(as_text=True)
    assert f"/catalog/upload?mc_session={token}" in page
    learner, _ = open_module(client, platform)
    assert "/catalog/upload" not in client.get(learner).get_data(as_text=True)


def test_unknown_course_or_module_says_so(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    _, token = open_module(client, platform)
    missing = client.get(f"/learn/no-such-course/?mc_session={token}")
    assert missing.status_code == 404
    assert "There is no published course &#39;no-such-course&#39;." in missing.get_data(
        as_text=True
    )
    module = client.get(f"/learn/{COURSE_ID}/99-none?mc_session={token}")
    assert module.status_code == 404
    assert "This course has no module" in module.get_data(as_text=True)
    expired = client.get(f"/learn/{COURSE_ID}/")
    assert expired.status_code == 401
    assert "Open the activity again from your LMS." in expired.get_data(as_text=True)


def test_learners_move_to_compatible_versions_only(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    from tests.plugin.catalog.helpers import MEAN_MD, publish_bytes, tiny_package

    publish_tiny(app, tmp_path)
    location, _ = open_module(client, platform)
    client.get(location)
    patch = MEAN_MD.replace("Add the values", "Sum up the values")
    publish_bytes(app, tiny_package(tmp_path, "1.0.1", mean_md=patch))
    location, _ = open_module(client, platform)
    assert "Sum up the values" in client.get(location).get_data(as_text=True)
    major = patch.replace("What is the mean of 2, 4 and 6?", "What is the mean of 1, 2 and 3?")
    major = major.replace("(x) 4 #", "( ) 4 #").replace("( ) 3 #", "(x) 3 #")
    publish_bytes(app, tiny_package(tmp_path, "2.0.0", mean_md=major))
    location, _ = open_module(client, platform)
    page = client.get(location).get_data(as_text=True)
    assert "What is the mean of 2, 4 and 6?" in page  # in progress: stays on major 1
    newcomer, _ = open_module(client, platform, sub="learner-2")
    assert "What is the mean of 1, 2 and 3?" in client.get(newcomer).get_data(as_text=True)


def test_option_order_is_per_learner_recorded_and_stable(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    import re

    from plugin.extensions import db
    from plugin.learning.models import Attempt

    publish_tiny(app, tmp_path)
    orders = {}
    for sub in ("learner-1", "learner-2", "learner-3"):
        location, _ = open_module(client, platform, sub=sub)
        pages = [client.get(location).get_data(as_text=True) for _ in range(2)]
        shown = [re.findall(r'name="a\.mean-calc" id="[^"]+" value="([^"]+)"', p) for p in pages]
        assert shown[0] == shown[1] and len(shown[0]) == 4  # the same order on every visit
        orders[sub] = shown[0]
    with app.app_context():
        rows = db.session.execute(
            db.select(Attempt).where(Attempt.quiz_id == "mean-calc").order_by(Attempt.id)
        ).scalars()
        recorded = [row.display["mean-calc"]["options"] for row in rows]
    assert recorded == [orders["learner-1"], orders["learner-2"], orders["learner-3"]]


def test_a_new_learner_is_offered_the_first_module(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    publish_tiny(app, tmp_path)
    location = launch(client, platform, launch_url("course"), custom={"course_id": COURSE_ID})
    outline = client.get(location).get_data(as_text=True)
    assert "Start: The mean" in outline
    assert "0 of 2 modules complete" in outline
    assert "Not started" in outline


def test_ordering_with_two_equal_positions_is_not_submitted(
    app: Any, client: Any, platform: Any, tmp_path: Path
) -> None:
    import re

    from tests.plugin.catalog.helpers import ROOT_SAMPLES, build_course, publish_bytes

    course = "data-spreadsheets"
    publish_bytes(app, build_course(ROOT_SAMPLES / course, tmp_path / "c.mcpkg"))
    location = launch(
        client,
        platform,
        launch_url("module", course, "03-sort-filter"),
        custom={"course_id": course, "module_id": "03-sort-filter"},
    )
    token = session_of(location)
    page = client.get(location).get_data(as_text=True)
    qid = re.search(r'<select id="([a-z0-9-]+)-[a-z0-9]+" name="a\.\1\.', page)
    assert qid, "no ordering question"
    action, _ = attempt_form(page, qid.group(1))
    steps = re.findall(rf'name="(a\.{qid.group(1)}\.[^"]+)"', page)
    form = {"mc_session": token, "action": "submit", **{name: "1" for name in steps}}
    response = client.post(action, data=form)
    assert response.status_code == 303 and "order=" in response.headers["Location"]
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Two steps have the same position." in again
    assert "your answers are saved but the quiz was not submitted" in again
