"""Simulated students: each one a browser stand-in (its own requests.Session) that opens a module
from the dev LMS course page (OIDC login, launch), reads it, autosaves and submits its quiz;
every step's latency and outcome is recorded.

The students play the load balancer too: each request goes to the next app server (`Router`),
so a login may reach one server and its launch another.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from plugin.devlms.testing import AuthRequest, DevLmsClient, FormPost, browser_session
from tests.loadkit.quiz import QuizPage, find_quiz, find_start_form
from tests.loadkit.recorder import FailedAnswer, Recorder

#: What a browser asks for when it loads a page or posts a form.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

#: Steps in the order a student takes them (tool-side steps; `lms` is the platform's own work).
STEPS = ("lms", "login", "launch", "module", "start", "autosave", "submit", "feedback")


class StepFailed(Exception):
    """A step got an answer a student would see as broken."""

    def __init__(self, step: str, message: str, response: requests.Response | None = None):
        super().__init__(f"{step}: {message}")
        self.step = step
        self.response = response


class Router:
    """Round-robin over the app servers: rewrites the public origin to the next server's."""

    def __init__(self, public_url: str, servers: Iterable[str]) -> None:
        self.public = public_url.rstrip("/")
        self.servers = [s.rstrip("/") for s in servers]
        self._next = itertools.count()
        self._lock = threading.Lock()
        self.hits: dict[str, int] = dict.fromkeys(self.servers, 0)
        self.step_hits: dict[tuple[str, str], int] = {}

    def route(self, url: str, step: str = "") -> str:
        """`url` sent to the next server when it points at the tool; else unchanged."""
        origin = next((o for o in [self.public, *self.servers] if url.startswith(o + "/")), None)
        if origin is None:
            return url
        with self._lock:
            server = self.servers[next(self._next) % len(self.servers)]
            self.hits[server] += 1
            self.step_hits[(step, server)] = self.step_hits.get((step, server), 0) + 1
        return server + url[len(origin) :]

    def servers_for(self, step: str) -> set[str]:
        """The servers that answered requests of `step`."""
        return {
            server for (name, server), count in self.step_hits.items() if name == step and count
        }


@dataclass
class StudentOutcome:
    """What one student got done: the steps passed and the graded result, if any."""

    handle: str
    steps_ok: list[str] = field(default_factory=list)
    failed_step: str | None = None
    error: str = ""
    submitted: bool = False
    module_url: str = ""
    answers: dict[str, Any] = field(default_factory=dict)


class Student:
    """One simulated student; `run()` takes the whole path once."""

    def __init__(
        self,
        handle: str,
        placement_id: str,
        lms_url: str,
        router: Router,
        recorder: Recorder,
        *,
        read_seconds: float = 0.0,
        timeout: float = 30,
    ) -> None:
        self.handle = handle
        self.placement_id = placement_id
        self.router = router
        self.recorder = recorder
        self.read_seconds = read_seconds
        self.timeout = timeout
        self.http = browser_session()
        self.http.headers["Accept"] = BROWSER_ACCEPT
        # The load balancer in front of the servers (PROXY_FIX_HOPS=1) names each student's own
        # address, as real students come from many; rate limits count per address.
        self.http.headers["X-Forwarded-For"] = client_address(handle)
        self.lms = DevLmsClient(lms_url, session=self.http)

    def _timed(
        self,
        step: str,
        fn: Callable[[], requests.Response],
        ok: Callable[[requests.Response], bool],
    ) -> requests.Response:
        start = time.perf_counter()
        try:
            response = fn()
        except requests.RequestException as exc:
            self.recorder.add(
                step, time.perf_counter() - start, False, f"{type(exc).__name__}: {exc}"[:300]
            )
            raise StepFailed(step, f"no answer ({type(exc).__name__})") from exc
        elapsed = time.perf_counter() - start
        good = ok(response)
        self.recorder.add(
            step,
            elapsed,
            good,
            "" if good else _describe(response),
            status=response.status_code,
            response=None if good else FailedAnswer.of(response),
        )
        if not good:
            raise StepFailed(step, _describe(response), response)
        return response

    def _send(self, form: FormPost, step: str) -> requests.Response:
        return FormPost(self.router.route(form.action, step), form.fields, form.method).submit(
            self.http, timeout=self.timeout
        )

    def launch(self) -> requests.Response:
        """Course page -> tool login -> platform auth -> launch, which answers with the landing
        page (its `url` set to the page's own address)."""
        start = time.perf_counter()
        try:
            initiation = self.lms.login_initiation(self.placement_id, self.handle)
        except Exception as exc:
            self.recorder.add("lms", time.perf_counter() - start, False, str(exc)[:300])
            raise StepFailed("lms", f"the dev LMS did not start the launch: {exc}") from exc
        lms_seconds = time.perf_counter() - start
        login = self._timed(
            "login",
            lambda: self._send(initiation, "login"),
            lambda r: r.status_code in (302, 303) and "Location" in r.headers,
        )
        auth = AuthRequest.from_url(urljoin(login.url, login.headers["Location"]))
        start = time.perf_counter()
        try:
            id_token_form = self.lms.authorize(auth, self.http)
        except Exception as exc:
            self.recorder.add(
                "lms", lms_seconds + time.perf_counter() - start, False, str(exc)[:300]
            )
            raise StepFailed("lms", f"the dev LMS refused the auth request: {exc}") from exc
        self.recorder.add("lms", lms_seconds + time.perf_counter() - start, True)
        landed = self._timed(
            "launch",
            lambda: self._send(id_token_form, "launch"),
            lambda r: (
                r.status_code == 200
                and "text/html" in r.headers.get("Content-Type", "")
                and "Content-Location" in r.headers
            ),
        )
        # The launch answers with the module page itself and names the page's own address.
        landed.url = urljoin(landed.url, landed.headers["Content-Location"])
        return landed

    def run(self, rng: random.Random | None = None) -> StudentOutcome:
        """Launch, read the module, autosave and submit its quiz (when the page has one)."""
        outcome = StudentOutcome(self.handle)
        try:
            page = self.launch()
        except StepFailed as exc:
            outcome.failed_step, outcome.error = exc.step, str(exc)
            return outcome
        outcome.steps_ok += ["lms", "login", "launch"]
        return self.take_quiz(page, outcome, rng)

    def take_quiz(
        self,
        page: requests.Response,
        outcome: StudentOutcome | None = None,
        rng: random.Random | None = None,
    ) -> StudentOutcome:
        """On a module page: read, answer, autosave, submit and read the feedback."""
        outcome = outcome or StudentOutcome(self.handle)
        rng = rng or random.Random(self.handle)
        outcome.module_url = page.url
        quiz = find_quiz(page.text, page.url)
        start = find_start_form(page.text, page.url) if quiz is None else None
        try:
            if start is not None:  # the last attempt was submitted: start the next one
                page = self._start_attempt(FormPost(start.action, start.hidden, start.method))
                quiz = find_quiz(page.text, page.url)
        except StepFailed as exc:
            outcome.failed_step, outcome.error = exc.step, str(exc)
            return outcome
        if quiz is None:
            return outcome
        if self.read_seconds:
            time.sleep(rng.uniform(0.5, 1.5) * self.read_seconds)
        answers = quiz.choose_answers(rng)
        outcome.answers = answers
        try:
            if quiz.autosave_url:
                self.autosave(quiz, answers)
                outcome.steps_ok.append("autosave")
            self.submit(quiz, answers)
        except StepFailed as exc:
            outcome.failed_step, outcome.error = exc.step, str(exc)
            return outcome
        outcome.steps_ok += ["submit", "feedback"]
        outcome.submitted = True
        return outcome

    def _start_attempt(self, form: FormPost) -> requests.Response:
        started = self._timed(
            "start",
            lambda: self._send(form, "start"),
            lambda r: r.status_code == 303 and "Location" in r.headers,
        )
        target = self.router.route(
            urljoin(self.router.public + "/", started.headers["Location"]), "module"
        )
        return self._timed(
            "module",
            lambda: self.http.get(target, timeout=self.timeout),
            lambda r: r.status_code == 200,
        )

    def autosave(self, quiz: QuizPage, answers: dict[str, Any]) -> requests.Response:
        """PUT the answers as autosave.js does (StepFailed unless saved)."""
        url = self.router.route(quiz.autosave_url or "", "autosave")
        return self._timed(
            "autosave",
            lambda: self.http.request(
                quiz.autosave_method,
                url,
                data=quiz.autosave_body(answers),
                headers=quiz.autosave_headers(),
                timeout=self.timeout,
            ),
            lambda r: r.status_code in (200, 204),
        )

    def submit(self, quiz: QuizPage, answers: dict[str, Any]) -> requests.Response:
        """Submit the quiz and open the feedback page (StepFailed unless graded)."""
        form = quiz.submission(answers, button="submit")
        done = self._timed(
            "submit",
            lambda: self._send(form, "submit"),
            lambda r: r.status_code == 303 and "/feedback" in r.headers.get("Location", ""),
        )
        target = self.router.route(
            urljoin(self.router.public + "/", done.headers["Location"]), "feedback"
        )
        return self._timed(
            "feedback",
            lambda: self.http.get(target, timeout=self.timeout),
            lambda r: r.status_code == 200 and "points" in r.text,
        )


def _describe(response: requests.Response) -> str:
    """HTTP status, request id and the start of the body, for error reports."""
    rid = response.headers.get("X-Request-ID", "")
    where = urlsplit(response.url).path
    body = " ".join(response.text[:200].split())
    return f"HTTP {response.status_code} at {where} (request {rid or '-'}): {body}"


def client_address(handle: str) -> str:
    """A stable private IPv4 address for a student (10.x.y.z from the handle)."""
    digest = hashlib.sha256(handle.encode()).digest()
    return f"10.{digest[0]}.{digest[1]}.{digest[2] or 1}"
