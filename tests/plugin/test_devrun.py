"""`make run` (python -m plugin.devrun) as a newcomer meets it: the real entry point in a
subprocess on free ports and a fresh instance folder, then over real HTTP a student launches a
module from the dev LMS course page, takes its quizzes and sees the grade in the gradebook."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests

from plugin.devlms.testing import DevLmsClient, browser_session
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
#: Generous: the first run migrates and builds three courses on a busy 2-core machine.
START_TIMEOUT = 180
#: How long the grade may take to reach the gradebook (the worker runs in the app): a bound
#: for the wait on a loaded machine, not a claim about speed.
GRADE_TIMEOUT = 120
#: What a browser sends when it navigates or posts a form.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass
class Running:
    """A running `python -m plugin.devrun` and what it printed until it was ready."""

    process: subprocess.Popen[str]
    output: str
    tool_url: str
    lms_url: str


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "MICROCRED_ENV", "PUBLIC_URL", "SECRET_KEY")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def devrun(instance: Path, ports: tuple[int, int]) -> Iterator[Running]:
    """Start devrun on `ports`; yield once it printed its welcome; stop it with SIGTERM."""
    tool_port, lms_port = ports
    command = [
        sys.executable,
        "-m",
        "plugin.devrun",
        "--instance",
        str(instance),
        "--tool-port",
        str(tool_port),
        "--lms-port",
        str(lms_port),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Stop with Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "microcred is ready" in output, output
        yield Running(
            process, output, f"http://localhost:{tool_port}", f"http://127.0.0.1:{lms_port}"
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def student_launch(
    running: Running, placement: dict[str, Any], browser: requests.Session | None = None
) -> str:
    """Grace opens `placement` from the course page (in a new window: no Platform Storage
    frame without a browser); returns the page the tool shows after the launch."""
    lms = DevLmsClient(running.lms_url)
    browser = browser or browser_session()
    auth = lms.start_tool_login(
        lms.login_initiation(placement["id"], "grace", target="window"), browser
    )
    response = lms.authorize(auth, browser).submit(browser, allow_redirects=True)
    assert response.status_code == 200, response.text[:500]
    assert response.url.startswith(running.tool_url)
    return response.text


@dataclass
class QuizForm:
    """One quiz form of a module page: its action and the fields a person fills in."""

    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)  # radio/checkbox name -> values
    texts: list[tuple[str, bool]] = field(default_factory=list)  # (name, numeric)
    selects: list[tuple[str, list[str]]] = field(default_factory=list)  # (name, option values)

    def answers(self, key: dict[str, list[str]]) -> dict[str, list[str]]:
        """The fields Grace posts: the answer `key` gives for each field on the form, else
        the first choice, a word or a number, and a question's selects each on a different
        option (so an ordering question gets every position once)."""
        fields = {name: [value] for name, value in self.hidden.items()}
        for name, values in self.choices.items():
            fields[name] = [v for v in key.get(name, []) if v in values] or values[:1]
        for name, numeric in self.texts:
            fields[name] = key.get(name) or ["1" if numeric else "tidy"]
        seen: dict[str, int] = {}
        for name, options in self.selects:
            question = name.rsplit(".", 1)[0]
            picked = seen.get(question, 0)
            seen[question] = picked + 1
            usable = [o for o in options if o] or options
            known = [v for v in key.get(name, []) if v in usable]
            fields[name] = known or [usable[picked % len(usable)]]
        fields["action"] = ["submit"]
        return fields


def answer_key(course_folder: Path, module_id: str) -> dict[str, list[str]]:
    """The right answers of a module's inline quizzes, by form field, from the course source
    (what a learner who read the module carefully would enter)."""
    from authoring.loader import load_course
    from authoring.model import Kind

    course, _ = load_course(course_folder)
    assert course is not None
    module = next(m for m in course.modules if m.id == module_id)
    key: dict[str, list[str]] = {}
    for q in module.questions:
        name = f"a.{q.id}"
        if q.kind in (Kind.SINGLE, Kind.MULTIPLE):
            key[name] = [c.id for c in q.choices if c.correct]
        elif q.kind == Kind.TRUEFALSE:
            key[name] = ["true" if q.truth else "false"]
        elif q.kind == Kind.SHORT and q.answers and not q.answers[0].regex:
            key[name] = [q.answers[0].text]
        elif q.kind == Kind.NUMERIC and q.numeric:
            key[name] = [f"{q.numeric[0].value:g}"]
        elif q.kind == Kind.MATCHING:
            key.update({f"{name}.{p.id}": [p.right] for p in q.pairs})
        elif q.kind == Kind.ORDERING:
            key.update({f"{name}.{s.id}": [str(i)] for i, s in enumerate(q.steps, 1)})
    return key


class _QuizForms(HTMLParser):
    """The quiz forms of a module page (forms with class quiz-form)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[QuizForm] = []
        self._form: QuizForm | None = None
        self._select: tuple[str, list[str]] | None = None
        self._option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "quiz-form" in a.get("class", "").split():
            self._form = QuizForm(a.get("action", ""))
            self.forms.append(self._form)
        if self._form is None:
            return
        kind, name = a.get("type", "text"), a.get("name", "")
        if tag == "input" and name:
            if kind == "hidden":
                self._form.hidden[name] = a.get("value", "")
            elif kind in ("radio", "checkbox"):
                self._form.choices.setdefault(name, []).append(a.get("value", "on"))
            elif kind == "text":
                self._form.texts.append((name, a.get("inputmode") == "decimal"))
        elif tag == "select" and name:
            self._select = (name, [])
            self._form.selects.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            if self._option is not None:
                self._select[1].append(self._option)

    def handle_data(self, data: str) -> None:
        if self._select is not None and self._option is None and data.strip():
            self._option = data.strip()  # <option>text</option>: the text is the value
            self._select[1].append(self._option)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def quiz_forms(page: str) -> list[QuizForm]:
    """Every open quiz form of a module page."""
    parser = _QuizForms()
    parser.feed(page)
    return parser.forms


_SCORED = re.compile(r"You scored ([\d.]+) of ([\d.]+) points")


def take_quizzes(
    running: Running, page: str, browser: requests.Session, key: dict[str, list[str]]
) -> list[float]:
    """Answer (from `key`) and submit every quiz of a module page as Grace would; return the
    points each feedback page announces."""
    forms = quiz_forms(page)
    assert forms, "the module page shows no quiz form"
    points: list[float] = []
    for form in forms:
        assert "mc_session" in form.hidden, "the quiz form carries the session token"
        url = running.tool_url + form.action if form.action.startswith("/") else form.action
        feedback = browser.post(url, data=form.answers(key), timeout=30)
        assert feedback.status_code == 200, feedback.text[:500]
        scored = _SCORED.search(html.unescape(feedback.text))
        assert scored, feedback.text[:800]
        points.append(float(scored.group(1)))
    return points


def _grade_cell(page: str, user: str, line_item: int) -> str | None:
    """The score shown in the gradebook page's cell for `user` and `line_item`, if any."""
    cell = re.search(rf'<td data-user="{user}" data-lineitem="{line_item}">(.*?)</td>', page, re.S)
    if cell is None:
        return None
    score = re.search(r'<span class="score">([^<]*)</span>', cell.group(1))
    return score.group(1).strip() if score else None


def wait_for_grade(
    running: Running, line_item: int, expected: str, timeout: float = GRADE_TIMEOUT
) -> str:
    """Refresh the dev LMS gradebook page, as the newcomer would, until Grace's cell for
    `line_item` shows `expected` (e.g. "4 / 4"; earlier quizzes may show a partial score
    first) or `timeout` passes; return what the cell shows last."""
    browser = browser_session()
    deadline = time.monotonic() + timeout
    shown: str | None = None
    while time.monotonic() < deadline:
        page = browser.get(f"{running.lms_url}/gradebook?as=grace", timeout=30)
        assert page.status_code == 200
        shown = _grade_cell(page.text, "grace", line_item)
        if shown == expected:
            break
        time.sleep(0.5)
    return shown or "no score yet"


def test_make_run_from_a_fresh_clone_launches_a_student_and_is_idempotent(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    ports = (free_port(), free_port())
    with devrun(instance, ports) as running:
        out = running.output
        for course in ("data-spreadsheets", "descriptive-statistics", "data-visualization"):
            assert f"published {course} 1.0.0" in out
        assert f"Open {running.lms_url}/?as=grace" in out
        assert "grace      Grace Hopper (Learner)" in out
        course_page = browser_session().get(f"{running.lms_url}/?as=grace", timeout=30)
        assert course_page.status_code == 200
        placements = DevLmsClient(running.lms_url).placements()
        assert len(placements) == 16  # 5 + 6 + 5 modules of the three samples
        first = next(p for p in placements if p["custom"]["module_id"] == "01-tidy-data")
        assert first["title"] in course_page.text
        assert first["custom"]["course_id"] == "data-spreadsheets"
        assert first["lineitem"], "a graded module is placed with its gradebook column"

        browser = browser_session()
        browser.headers["Accept"] = BROWSER_ACCEPT
        page = student_launch(running, first, browser)
        assert first["title"] in page and "Tidy data" in page
        # Grace takes the module's quizzes; the grade reaches the dev LMS gradebook.
        key = answer_key(ROOT / "content_samples" / "data-spreadsheets", "01-tidy-data")
        points = take_quizzes(running, page, browser, key)
        column = next(
            item
            for item in DevLmsClient(running.lms_url).gradebook()["line_items"]
            if item["resourceLinkId"] == first["id"]
        )
        maximum = column["scoreMaximum"]
        assert sum(points) == maximum, points  # the answers were right: full marks
        full_marks = f"{_num(maximum)} / {_num(maximum)}"
        assert wait_for_grade(running, column["id"], full_marks) == full_marks
    assert (instance / "microcred.sqlite3").is_file() and (instance / "secret_key").is_file()

    with devrun(instance, ports) as again:
        assert "unchanged data-spreadsheets 1.0.0" in again.output
        assert "published" not in again.output
        placements_again = DevLmsClient(again.lms_url).placements()
        assert [p["id"] for p in placements_again] == [p["id"] for p in placements]
        last = placements_again[-1]
        assert last["title"] in student_launch(again, last)
        # Grace's grade survived the restart.
        assert wait_for_grade(again, column["id"], full_marks, timeout=30) == full_marks


def _num(value: float) -> str:
    """A number as the gradebook shows it: 4.0 -> "4", 2.5 -> "2.5"."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def test_a_taken_port_is_reported_clearly(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "plugin.devrun",
                "--instance",
                str(tmp_path / "i"),
                "--tool-port",
                str(port),
                "--lms-port",
                str(free_port()),
                "--no-samples",
            ],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
    assert result.returncode == 1
    assert f"port {port} for the tool is in use" in result.stderr


@pytest.mark.parametrize("argv", [["--tool-port", "5005", "--lms-port", "5005"]])
def test_same_ports_are_refused(argv: list[str]) -> None:
    from plugin.devrun import main

    assert main(argv) == 2
