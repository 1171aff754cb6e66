"""`microcred new`: a small course that checks clean and shows every part of the format once."""

from __future__ import annotations

import re
from pathlib import Path

SLUG = re.compile(r"[^a-z0-9]+")


class ScaffoldError(Exception):
    """The folder cannot be used for a new course."""


COURSE_YML = """\
id: {course_id}
title: "{title}"
version: 0.1.0
language: en
summary: >
  One sentence that tells a learner what they will be able to do afterwards.
authors:
  - name: "Your Name"
    email: "you@example.edu"
license: CC-BY-4.0
modules:
  - modules/01-welcome.md
  - modules/02-practice.md
banks:
  - banks/basics.md
completion:
  require: [01-welcome, 02-practice]
  min_score: 0.7
grading:
  passback: per-module
credential:
  name: "{title}"
  description: "Awarded for completing the micro-course {title}."
  criteria: "Complete both modules with an overall score of at least 70 %."
  credit_hours: 0.5
  achievement_type: MicroCredential
"""

WELCOME_MD = """\
---
id: 01-welcome
title: Welcome
minutes: 5
objectives:
  - Find your way around a micro-course.
graded: true
attempts: 2
attempt_credit: [1, 0.8]
---

# Welcome

This first module shows how a module is written. Text is plain Markdown: **bold**,
*italic*, lists, tables and code.

![A signpost pointing to the next module](img/welcome.svg)

| Part | What it holds |
| --- | --- |
| `course.yml` | the course's metadata and module order |
| `modules/` | one Markdown file per module |

!!! tip "Check early"
    Run `microcred check` after every change: it lists every problem with its file and line.

```quiz id={course_id}-format points=1
? Which file sets the order of the modules?
( ) The first module file     # Modules do not know their neighbours.
(x) course.yml                # Yes: the `modules` list is the order.
( ) The folder name
explain: `course.yml` lists the modules in the order learners see them.
```
"""

PRACTICE_MD = """\
---
id: 02-practice
title: Practice
minutes: 10
graded: true
attempts: 3
---

# Practice

Questions can also be drawn from a bank, so each learner gets their own selection.

```quiz id={course_id}-numbers points=1
? How many minutes are in two hours?
= 120
~ Multiply the number of hours by 60.
```

```quiz-draw id={course_id}-draw from=banks/basics.md count=2 points=1
```
"""

BANK_MD = """\
# Basics bank

```quiz id={course_id}-bank-tf tags=basics
? A published course version can be edited in place.
= false
explain: Published versions are immutable; publish a new version instead.
```

```quiz id={course_id}-bank-short tags=basics
? What is the file extension of a module file (without the dot)?
= md
= markdown
```

```quiz id={course_id}-bank-multi tags=basics scoring=partial
? Which of these belong in a module's front matter?
[x] id
[x] title
[ ] the learner's name    # Learners are never named in course files.
```
"""

WELCOME_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120" role="img">
  <title>A signpost pointing to the next module</title>
  <rect x="112" y="20" width="10" height="90" fill="#4a4a55"/>
  <path d="M40 30 h150 l20 15 l-20 15 h-150 z" fill="#0b5cad"/>
  <text x="60" y="50" font-family="sans-serif" font-size="16" fill="#ffffff">Next module</text>
</svg>
"""

GITIGNORE = "dist/\n.microcred-cache/\n"


def scaffold_course(
    folder: Path, course_id: str | None = None, title: str | None = None
) -> list[Path]:
    """Create the course files; refuse a folder that already has content."""
    if folder.exists() and any(folder.iterdir()):
        raise ScaffoldError(f"{folder} is not empty; choose a new folder")
    cid = course_id or SLUG.sub("-", folder.name.lower()).strip("-") or "my-course"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", cid):
        raise ScaffoldError(f"course id '{cid}' must be lower-case letters, digits and dashes")
    name = title or cid.replace("-", " ").capitalize()
    files = {
        "course.yml": COURSE_YML.format(course_id=cid, title=name.replace('"', "'")),
        "modules/01-welcome.md": WELCOME_MD.format(course_id=cid),
        "modules/02-practice.md": PRACTICE_MD.format(course_id=cid),
        "banks/basics.md": BANK_MD.format(course_id=cid),
        "img/welcome.svg": WELCOME_SVG,
        ".gitignore": GITIGNORE,
    }
    created: list[Path] = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        created.append(path)
    return created
