"""The instructor's gradebook, opened from a launch: the LMS roster (also people who never
opened the tool), grades and where their delivery stands, progress, question statistics, the
score distribution, failed deliveries sent again, the CSV export; learners are refused."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from tests.plugin.gradebook.helpers import QUIZ_CUSTOM, QUIZ_ITEM, open_gradebook, record_learning


def _text(response: Any) -> str:
    """The page's text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.text).split())


def _setup(course: Any) -> tuple[Any, Any, dict[str, Any]]:
    quiz = course.place("Module 1 quiz", line_item=QUIZ_ITEM, custom=QUIZ_CUSTOM)
    book = course.place("Gradebook", target="gradebook")
    launches = {who: course.launch(quiz, who) for who in ("grace", "alan")}
    return quiz, book, launches


def test_roster_lists_everyone_in_the_lms_course_with_grades(course: Any) -> None:
    _, book, launches = _setup(course)
    course.enqueue(launches["grace"], 7.5, 10)
    course.enqueue(launches["alan"], 4, 10)
    course.deliver_all()
    visit = open_gradebook(course, book)
    assert visit.first.status_code == 200
    assert visit.first.url.count("mc_session=") == 1
    page = _text(visit.first)
    assert "Gradebook: Foundations of Data Literacy" in page
    for name in ("Grace Hopper", "Alan Turing", "Ada Lovelace"):
        assert name in page
    assert "user-katherine" in page  # shares no name, never opened the tool: still listed
    assert "Grace Hopper grace@example.edu Learner Yes 7.5 / 10 75%" in page
    assert "Alan Turing Learner Yes 4 / 10 40%" in page
    assert "user-katherine Learner Not yet —" in page
    assert "3 learners" in page and "0 failed deliveries" in page
    assert "Gradebook" not in [
        p for p in re.findall(r'class="gb-num">([^<]+)</th>', visit.first.text)
    ]


def test_distribution_chart_is_described_and_backed_by_a_table(course: Any) -> None:
    _, book, launches = _setup(course)
    course.enqueue(launches["grace"], 7.5, 10)
    course.enqueue(launches["alan"], 10, 10)
    course.deliver_all()
    html = open_gradebook(course, book).first.text
    assert re.search(r'<svg[^>]+role="img"[^>]+aria-labelledby="dist-title dist-desc"', html)
    desc = " ".join(re.search(r'<desc id="dist-desc">(.*?)</desc>', html, re.S).group(1).split())
    assert "2 learners" in desc and "70–79%: 1" in desc and "90–100%: 1" in desc
    assert len(re.findall(r'<rect class="bar"', html)) == 10
    table = html[html.index("Learners per score band") :]
    assert re.search(r"70–79%</th><td class=\"gb-num\">1<", table)
    assert re.search(r"0–9%</th><td class=\"gb-num\">0<", table)


def test_progress_and_question_statistics(course: Any) -> None:
    _, book, launches = _setup(course)
    record_learning(
        course.tool,
        launches["grace"].learner_id,
        visited=2,
        completed=True,
        attempts=[
            {
                "module": "m1",
                "quiz": "q1",
                "results": {
                    "q1-capital": {"fraction": 1.0, "correct": True, "selected": ["b"]},
                    "q1-units": {"fraction": 0.0, "correct": False, "selected": ["c"]},
                },
            }
        ],
    )
    record_learning(
        course.tool,
        launches["alan"].learner_id,
        visited=1,
        attempts=[
            {
                "module": "m1",
                "quiz": "q1",
                "results": {
                    "q1-capital": {"fraction": 0.0, "correct": False, "selected": ["d"]},
                    "q1-units": {"fraction": 0.0, "correct": False, "selected": ["c"]},
                },
            },
            {
                "module": "m1",
                "quiz": "q1",
                "results": {
                    "q1-capital": {"fraction": 1.0, "correct": True, "selected": ["b"]},
                    "q1-units": {"fraction": 0.5, "correct": False, "selected": ["a", "c"]},
                },
            },
        ],
    )
    course.enqueue(launches["grace"], 5, 10)
    course.deliver_all()
    visit = open_gradebook(course, book)
    page = _text(visit.first)
    assert "Grace Hopper grace@example.edu Learner Yes 5 / 10 50% 2 1 Yes" in page
    assert "Alan Turing Learner Yes — — 1 2 No" in page
    stats = _text(visit.get("/gradebook/questions"))
    assert "q1-capital m1 / q1 3 2 (67%) 0 d: 1 time" in stats
    assert "q1-units m1 / q1 3 0 (0%) 1 c: 3 times a: 1 time" in stats


def test_failed_delivery_is_shown_and_sent_again_with_the_button(course: Any) -> None:
    _, book, launches = _setup(course)
    course.lms.set_fault("scores", "error500")
    course.enqueue(launches["alan"], 6, 10)
    course.deliver_all()
    visit = open_gradebook(course, book)
    page = _text(visit.first)
    assert "1 failed delivery" in page
    assert "Alan Turing Module 1 quiz 6 / 10 4 sending the score: HTTP 500" in page
    assert "not accepted by the LMS" in page
    [row_id] = re.findall(r'action="/gradebook/deliveries/(\d+)/retry"', visit.first.text)
    # Without the session token (what a forged cross-site form would send) nothing happens.
    refused = visit.post(f"/gradebook/deliveries/{row_id}/retry", with_token=False)
    assert refused.status_code == 401
    assert course.outbox()[0][1] == "failed"
    course.lms.set_fault("scores", "ok")
    answer = visit.post(f"/gradebook/deliveries/{row_id}/retry")
    assert answer.status_code == 303
    after = visit.browser.get(visit.base + answer.headers["Location"], timeout=30)
    assert "The delivery is queued again" in after.text
    course.deliver_all()
    assert course.lms_scores()[("alan", "Module 1 quiz")]["score"] == 6
    page = _text(visit.get("/gradebook/"))
    assert "0 failed deliveries" in page and "Alan Turing Learner Yes 6 / 10 60%" in page


def test_retry_of_a_delivery_of_another_course_is_not_found(course: Any) -> None:
    _, book, _ = _setup(course)
    visit = open_gradebook(course, book)
    answer = visit.post("/gradebook/deliveries/999999/retry")
    assert answer.status_code == 404 and "GRADE_DELIVERY_UNKNOWN" in answer.text


def test_csv_export_has_every_learner_and_is_safe_for_spreadsheets(course: Any) -> None:
    _, book, launches = _setup(course)
    course.enqueue(launches["grace"], 7.5, 10)
    course.deliver_all()
    answer = open_gradebook(course, book).get("/gradebook/export.csv")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:5] == ["User ID", "Name", "Email", "Roles", "Opened the tool"]
    assert "Module 1 quiz (score)" in header and "Gradebook (score)" not in header
    by_user = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_user) == {"user-ada", "user-grace", "user-alan", "user-katherine"}
    grace = by_user["user-grace"]
    assert (grace["Name"], grace["Module 1 quiz (score)"], grace["Percent"]) == (
        "Grace Hopper",
        "7.5",
        "75.0",
    )
    assert by_user["user-katherine"]["Opened the tool"] == "no"


def test_csv_cells_that_would_run_as_formulas_are_quoted(course: Any) -> None:
    from plugin.devlms import get_devlms
    from plugin.devlms.data import User, save_user
    from plugin.devlms.vocab import ROLE_LEARNER

    mallory = User(
        "mallory",
        "user-mallory",
        '=HYPERLINK("http://evil.example")',
        "X",
        "mallory@example.edu",
        (ROLE_LEARNER,),
        (),
        enrolled=True,
        share_name=True,
        share_email=True,
    )
    save_user(get_devlms(course.pair.lms_app).store, mallory, 50)
    _, book, _ = _setup(course)
    answer = open_gradebook(course, book).get("/gradebook/export.csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    [name] = [row[1] for row in rows if row[0] == "user-mallory"]
    assert name == '\'=HYPERLINK("http://evil.example") X'


def test_roster_longer_than_one_page_is_read_to_its_end(course: Any) -> None:
    from plugin.devlms import get_devlms
    from plugin.devlms.data import User, save_user
    from plugin.devlms.vocab import ROLE_LEARNER

    devlms = get_devlms(course.pair.lms_app)
    extra = devlms.settings.page_size + 5
    for n in range(extra):
        save_user(
            devlms.store,
            User(
                f"p{n}",
                f"user-p{n}",
                "Pupil",
                f"Number {n:03d}",
                None,
                (ROLE_LEARNER,),
                (),
                enrolled=True,
                share_name=True,
                share_email=False,
            ),
            100 + n,
        )
    _, book, _ = _setup(course)
    page = _text(open_gradebook(course, book).first)
    assert f"{3 + extra} learners" in page
    assert f"Pupil Number {extra - 1:03d} Learner Not yet" in page  # from the last page
    assert course.lms.stats()["requests_by_endpoint"]["memberships"] >= 2


def test_roster_the_lms_refuses_falls_back_to_known_learners_with_the_reason(
    course: Any,
) -> None:
    _, book, launches = _setup(course)
    course.enqueue(launches["grace"], 7.5, 10)
    course.deliver_all()
    course.lms.set_fault("memberships", "error500")
    page = _text(open_gradebook(course, book).first)
    assert "The LMS did not give the roster: reading the roster: HTTP 500" in page
    assert "Only learners with a score in this course are listed." in page
    assert "Grace Hopper" in page and "user-katherine" not in page


def test_learner_launch_is_refused(course: Any) -> None:
    _, book, launches = _setup(course)
    course.enqueue(launches["alan"], 4, 10)
    visit = open_gradebook(course, book, "grace")
    assert visit.first.status_code == 403
    assert "Alan" not in visit.first.text and "instructors" in visit.first.text
    assert visit.get("/gradebook/export.csv").status_code == 403
    assert visit.post("/gradebook/deliveries/retry-failed").status_code == 403
