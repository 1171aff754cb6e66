"""Read a module page like a student does: find the quiz form (or the button that starts an
attempt), pick answers, and build the autosave request and the submission.

Answer fields are named `a.<question id>` (`a.<id>.<part>` for matching and ordering parts),
as plugin/learning renders them. The page is parsed with the standard library only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from plugin.devlms.testing import FormPost

FIELD = "a."
SESSION_FIELD = "mc_session"


@dataclass
class Form:
    """One HTML form: where it goes and its controls."""

    action: str
    method: str
    attrs: dict[str, str]
    hidden: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)  # radio/checkbox/select name
    multi: set[str] = field(default_factory=set)  # checkbox names
    texts: dict[str, str] = field(default_factory=dict)  # text/number inputs, textareas
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, text)
    checked: dict[str, list[str]] = field(default_factory=dict)  # checked/selected values

    @property
    def answer_fields(self) -> list[str]:
        names = list(self.choices) + list(self.texts)
        return [n for n in names if n.startswith(FIELD)]


class _FormParser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._option: tuple[str | None, bool] | None = None  # (value attribute, selected)
        self._option_text: list[str] = []
        self._textarea: str | None = None
        self._button: tuple[str, str] | None = None
        self._button_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(
                urljoin(self.base_url, a.get("action") or self.base_url),
                (a.get("method") or "get").lower(),
                a,
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "hidden":
                form.hidden[name] = a.get("value", "")
            elif kind in ("radio", "checkbox"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.checked.setdefault(name, []).append(a.get("value", "on"))
                if kind == "checkbox":
                    form.multi.add(name)
            elif kind in ("submit", "button"):
                form.buttons.append((name, a.get("value", ""), a.get("value", "")))
            else:
                form.texts[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            form.choices.setdefault(name, [])
        elif tag == "option" and self._select:
            self._end_option()
            # An <option> without a value attribute submits its text.
            self._option = (a.get("value"), "selected" in a)
            self._option_text = []
        elif tag == "textarea" and name:
            self._textarea = name
            form.texts[name] = ""
        elif tag == "button":
            self._button = (name, a.get("value", ""))
            self._button_text = []

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button_text.append(data)
        if self._option is not None:
            self._option_text.append(data)

    def _end_option(self) -> None:
        if self._option is None or self._form is None or self._select is None:
            self._option = None
            return
        attribute, selected = self._option
        value = attribute if attribute is not None else "".join(self._option_text).strip()
        self._option = None
        if not value:  # a "Choose…" placeholder
            return
        self._form.choices[self._select].append(value)
        if selected:
            self._form.checked.setdefault(self._select, []).append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._end_option()
        elif tag == "select":
            self._end_option()
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button" and self._button is not None and self._form is not None:
            name, value = self._button
            self._form.buttons.append((name, value, " ".join("".join(self._button_text).split())))
            self._button = None


def parse_forms(html: str, base_url: str) -> list[Form]:
    """Every form of a page."""
    parser = _FormParser(base_url)
    parser.feed(html)
    return parser.forms


@dataclass
class QuizPage:
    """The quiz a student found on a page: the form to submit and how autosave reaches the
    server (from the form's data-autosave-url, if the page offers it)."""

    form: Form
    autosave_url: str | None = None
    autosave_method: str = "PUT"

    def choose_answers(self, rng: random.Random) -> dict[str, Any]:
        """An answer for every question: a random option, or some text."""
        answers: dict[str, Any] = {}
        for group in self._ordering_groups():  # every position once, in some order
            positions = list(self.form.choices[group[0]])
            rng.shuffle(positions)
            answers.update(zip(group, positions, strict=True))
        for name, values in self.form.choices.items():
            if not name.startswith(FIELD) or not values or name in answers:
                continue
            if name in self.form.multi:
                answers[name] = rng.sample(values, k=rng.randint(1, len(values)))
            else:
                answers[name] = rng.choice(values)
        for name in self.form.texts:
            if name.startswith(FIELD):
                answers[name] = str(rng.randint(1, 9))
        return answers

    def _ordering_groups(self) -> list[list[str]]:
        """Select fields of one ordering question: `a.<id>.<step>` whose options are 1..n."""
        groups: dict[str, list[str]] = {}
        for name in self.form.choices:
            if name.startswith(FIELD) and name.count(".") == 2 and name not in self.form.multi:
                groups.setdefault(name.rsplit(".", 1)[0], []).append(name)
        ordering = []
        for names in groups.values():
            expected = [str(n) for n in range(1, len(names) + 1)]
            if all(self.form.choices[n] == expected for n in names):
                ordering.append(names)
        return ordering

    def saved_answers(self) -> dict[str, Any]:
        """The answers the page shows as already given (checked, selected or typed)."""
        saved: dict[str, Any] = {}
        for name, values in self.form.checked.items():
            if name.startswith(FIELD):
                saved[name] = values if name in self.form.multi else values[0]
        for name, value in self.form.texts.items():
            if name.startswith(FIELD) and value:
                saved[name] = value
        return saved

    def submission(self, answers: dict[str, Any], button: str | None = None) -> FormPost:
        """The form post of these answers (hidden fields included; lists become repeats)."""
        fields: dict[str, Any] = dict(self.form.hidden)
        fields.update(answers)
        for name, value, text in self.form.buttons:
            if name and (button is None or button.lower() in (value + text).lower()):
                fields[name] = value
                break
        return FormPost(self.form.action, fields, self.form.method)

    def autosave_body(self, answers: dict[str, Any]) -> dict[str, Any]:
        """What autosave.js PUTs: the form's fields, form-encoded (no action button)."""
        return {**self.form.hidden, **answers}

    def autosave_headers(self) -> dict[str, str]:
        """The session token as a bearer header, as autosave.js sends it."""
        token = self.form.hidden.get(SESSION_FIELD, "")
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def find_quiz(html: str, base_url: str) -> QuizPage | None:
    """The first form with answer fields on the page, or None."""
    for form in parse_forms(html, base_url):
        if form.answer_fields and form.method == "post":
            autosave = form.attrs.get("data-autosave-url") or form.attrs.get("data-autosave")
            return QuizPage(form, urljoin(base_url, autosave) if autosave else None)
    return None


def find_start_form(html: str, base_url: str) -> Form | None:
    """A post form that starts a quiz attempt (no answer fields, a start button), or None."""
    for form in parse_forms(html, base_url):
        words = " ".join(text for _, _, text in form.buttons).lower() + form.action.lower()
        if (
            form.method == "post"
            and not form.answer_fields
            and ("start" in words or "attempt" in words)
        ):
            return form
    return None
