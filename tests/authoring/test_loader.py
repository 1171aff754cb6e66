"""Loading a course folder or a program: the model an author expects and every problem at once."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from authoring.diagnostics import Diagnostic
from authoring.fsutil import MAX_FILE_BYTES
from authoring.loader import CourseLoader, load_course, load_program
from authoring.model import Kind, Module

SAMPLES = Path(__file__).resolve().parents[2] / "content_samples"

COURSE_YML = """\
id: photosynthesis
title: Photosynthesis in 60 minutes
version: 1.2.0
language: en
summary: A short course.
authors:
  - Grace Hopper
  - {name: Ada Lovelace, email: ada@example.edu, orcid: 0000-0000-0000-0001}
license: CC-BY-4.0
modules:
  - modules/01-light.md
  - modules/02-calvin.md
banks:
  - banks/pool.md
completion:
  require: [01-light]
  min_score: 0.8
grading:
  passback: course
credential:
  name: Photosynthesis Basics
  description: Knows the basics.
  criteria: Completed all modules.
  image: ./img/badge.png
  credit_hours: 0.5
  alignments:
    - {name: Biology, url: "https://example.org/bio", framework: ESCO, code: B1}
  expires_after_days: 365
  human_code: BIO 101
  field_of_study: Biology
  tags: [plants, biology]
"""

LIGHT = """\
---
id: 01-light
title: Light reactions
minutes: 15
objectives: [Explain where the light reactions happen.]
graded: true
points: 4
attempts: 2
attempt_credit: [1, 0.8]
pass_score: 0.7
---
# Light reactions

![Chloroplast cross-section](img/chloroplast.png)

````markdown
```quiz id=example-only
? An example inside a longer fence is not a quiz.
```
````

```quiz id=lr-gas points=2
? Which gas do plants absorb?
( ) Oxygen # Released, not absorbed.
(x) Carbon dioxide
```

```quiz-draw id=light-pool from=banks/pool.md tags=light count=2
```
"""

CALVIN = """\
---
id: 02-calvin
title: The Calvin cycle
---
Text only.
"""

POOL = """\
---
title: Pool
---
```quiz id=pool-a tags=light
? A?
= true
```

```quiz id=pool-b tags=light,dark
? B?
= 4
```
"""


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    return write(
        tmp_path / "photosynthesis",
        {
            "course.yml": COURSE_YML,
            "modules/01-light.md": LIGHT,
            "modules/02-calvin.md": CALVIN,
            "banks/pool.md": POOL,
            "img/chloroplast.png": b"png",
            "img/badge.png": b"png",
        },
    )


def formatted(diags: list[Diagnostic]) -> list[str]:
    return [d.format() for d in diags]


def test_a_good_course_loads_into_the_model(course_dir: Path) -> None:
    course, diags = load_course(course_dir)
    assert formatted(diags) == []
    assert course is not None
    assert (course.id, course.title, course.version, course.language) == (
        "photosynthesis",
        "Photosynthesis in 60 minutes",
        "1.2.0",
        "en",
    )
    assert course.root == str(course_dir.resolve())
    assert [a.name for a in course.authors] == ["Grace Hopper", "Ada Lovelace"]
    assert course.authors[1].orcid == "0000-0000-0000-0001"
    assert course.completion.require == ("01-light",) and course.completion.min_score == 0.8
    assert course.grading.passback == "course"
    cred = course.credential
    assert cred is not None
    assert (cred.image, cred.credit_hours, cred.achievement_type) == (
        "img/badge.png",
        0.5,
        "MicroCredential",
    )
    assert cred.alignments[0].target_url == "https://example.org/bio"
    assert cred.tags == ("plants", "biology") and cred.expires_after_days == 365


def test_module_front_matter_body_quizzes_and_draws(course_dir: Path) -> None:
    course, _ = load_course(course_dir)
    assert course is not None
    light = course.module("01-light")
    assert light is not None
    assert light.path == "modules/01-light.md"
    assert (light.minutes, light.graded, light.points, light.attempts) == (15, True, 4.0, 2)
    assert light.attempt_credit == (1.0, 0.8) and light.pass_score == 0.7
    assert light.objectives == ("Explain where the light reactions happen.",)
    assert light.body_line == 12 and light.body_md.startswith("# Light reactions\n")
    assert len(light.source_hash) == 64
    assert [q.id for q in light.questions] == ["lr-gas"]
    draw = light.draws[0]
    assert (draw.bank, draw.tags, draw.count) == ("banks/pool.md", ("light",), 2)
    assert draw.points == 1.0  # every matching bank question is worth 1
    assert light.max_points == 4.0
    calvin = course.module("02-calvin")
    assert calvin is not None and calvin.attempts == 1 and calvin.graded is False


def test_banks_keep_title_tags_and_kinds(course_dir: Path) -> None:
    course, _ = load_course(course_dir)
    assert course is not None
    bank = course.bank("banks/pool.md")
    assert bank is not None and bank.title == "Pool"
    assert [(q.id, q.kind, q.tags) for q in bank.questions] == [
        ("pool-a", Kind.TRUEFALSE, ("light",)),
        ("pool-b", Kind.NUMERIC, ("light", "dark")),
    ]


def test_loading_twice_gives_the_same_result(course_dir: Path) -> None:
    assert load_course(course_dir) == load_course(str(course_dir))


def test_missing_folder_or_course_yml(tmp_path: Path) -> None:
    assert formatted(load_course(tmp_path / "nope")[1]) == [
        "course.yml:1:1: error[F005]: course folder 'nope' not found; a course folder needs a "
        "course.yml"
    ]
    course, diags = load_course(tmp_path)
    assert course is None and [d.code for d in diags] == ["F005"]


def test_broken_course_yml_still_checks_every_module(course_dir: Path) -> None:
    (course_dir / "course.yml").write_text("id: x\nmodules:\n\t- modules/01-light.md\n")
    (course_dir / "modules" / "02-calvin.md").write_text("```quiz\n? no id\n= 1\n```\n")
    course, diags = load_course(course_dir)
    assert course is None
    assert formatted(diags) == [
        "course.yml:3:1: error[C001]: tab character in YAML indentation; indent with spaces",
        "modules/02-calvin.md:1:1: error[M002]: module has no front matter with 'id' and 'title'; "
        "start the file with '---', 'id: ...', 'title: ...' and '---'",
        "modules/02-calvin.md:1:1: error[Q001]: quiz has no id; add id=... to the header; ids key "
        "the grades",
    ]


def test_front_matter_not_closed_and_tabbed(course_dir: Path) -> None:
    (course_dir / "modules" / "01-light.md").write_text("---\nid: 01-light\ntitle: x\n")
    (course_dir / "modules" / "02-calvin.md").write_text("---\nid: 02-calvin\n\ttitle: x\n---\n")
    (course_dir / "course.yml").write_text(COURSE_YML.replace("require: [01-light]", "require: []"))
    _, diags = load_course(course_dir)
    assert formatted(diags) == [
        "modules/01-light.md:1:1: error[M001]: front matter is not closed; end it with a line "
        "'---'",
        "modules/02-calvin.md:3:1: error[M001]: tab character in YAML indentation; indent with "
        "spaces",
    ]


def test_bom_and_crlf_load_cleanly(course_dir: Path) -> None:
    for path in [course_dir / "course.yml", *sorted((course_dir / "modules").glob("*.md"))]:
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    course, diags = load_course(course_dir)
    assert diags == [] and course is not None
    assert "\r" not in course.modules[0].body_md


def test_non_utf8_module_is_f001_and_the_rest_still_loads(course_dir: Path) -> None:
    (course_dir / "modules" / "02-calvin.md").write_bytes(
        "---\nid: 02-calvin\ntitle: Caf\xe9\n---\n".encode("latin-1")
    )
    course, diags = load_course(course_dir)
    assert formatted(diags) == [
        "modules/02-calvin.md:3:11: error[F001]: file is not valid UTF-8 (byte 0xe9 cannot be "
        "decoded); save the file as UTF-8"
    ]
    assert course is not None and [m.id for m in course.modules] == ["01-light"]


def test_huge_module_is_refused(course_dir: Path) -> None:
    with (course_dir / "modules" / "02-calvin.md").open("ab") as handle:
        handle.truncate(MAX_FILE_BYTES + 10)
    _, diags = load_course(course_dir)
    assert [(d.path, d.code) for d in diags] == [("modules/02-calvin.md", "F002")]


def test_symlinks_leaving_the_folder_are_refused(course_dir: Path, tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"m.md": CALVIN, "secret.png": b"png"})
    os.symlink(outside / "m.md", course_dir / "modules" / "03-linked.md")
    os.symlink(outside / "secret.png", course_dir / "img" / "linked.png")
    yml = COURSE_YML.replace(
        "  - modules/02-calvin.md\n", "  - modules/02-calvin.md\n  - modules/03-linked.md\n"
    )
    (course_dir / "course.yml").write_text(yml)
    (course_dir / "modules" / "02-calvin.md").write_text(CALVIN + "\n![Secret](img/linked.png)\n")
    _, diags = load_course(course_dir)
    assert formatted(diags) == [
        "course.yml:13:5: error[F004]: path 'modules/03-linked.md' is a symlink pointing outside "
        "the course folder; use a path relative to the course folder that stays inside it",
        "modules/02-calvin.md:7:1: error[F004]: path 'img/linked.png' is a symlink pointing "
        "outside the course folder; use a path relative to the course folder that stays inside it",
    ]


def test_hint_outside_a_quiz_and_images_in_code_are_ignored(course_dir: Path) -> None:
    body = CALVIN + "\nhint: try again\n\n`![](img/none.png)`\n\n```\n![](img/none.png)\n```\n"
    (course_dir / "modules" / "02-calvin.md").write_text(body)
    _, diags = load_course(course_dir)
    assert [(d.line, d.code) for d in diags] == [(7, "Q014")]


def test_unknown_fields_in_every_file_are_warnings(course_dir: Path) -> None:
    yml = COURSE_YML.replace("license:", "licence:")
    (course_dir / "course.yml").write_text(yml)
    (course_dir / "banks" / "pool.md").write_text(POOL.replace("title:", "titel:"))
    _, diags = load_course(course_dir)
    assert formatted(diags) == [
        "banks/pool.md:2:1: warning[M017]: unknown field 'titel'; did you mean 'title'?",
        "course.yml:9:1: warning[C003]: unknown field 'licence'; did you mean 'license'?",
    ]


@pytest.mark.parametrize(
    "name", ["data-spreadsheets", "data-visualization", "descriptive-statistics"]
)
def test_the_sample_courses_load_without_problems(name: str) -> None:
    if not (SAMPLES / name / "course.yml").exists():
        pytest.skip(f"sample course {name} is not in this tree")
    course, diags = load_course(SAMPLES / name)
    assert formatted(diags) == [] and course is not None and course.modules


# --- programs ----------------------------------------------------------------------------------

PROGRAM_YML = """\
id: plant-science
title: Plant science certificate
version: 1.0.0
description: Two courses.
courses:
  - photosynthesis
  - {course: botany, min_result: 0.7, required: false}
rule: {n_of: 1}
recency_days: 730
expires_after_days: 1095
credit_cap: 6
certificate:
  name: Plant Science
  description: Stacked.
  criteria: Both courses.
credit:
  credit_hours: 3
  level: undergraduate-lower
  institution_course: BIO 150
  grade_mode: pass-fail
  subject: BIO
"""


def test_program_resolves_member_courses_in_sibling_folders(course_dir: Path) -> None:
    write(course_dir.parent / "botany", {"course.yml": "id: botany\n"})
    write(course_dir.parent / "plant-science", {"program.yml": PROGRAM_YML})
    program, diags = load_program(course_dir.parent / "plant-science")
    assert formatted(diags) == []
    assert program is not None
    assert [(m.course, m.min_result, m.required) for m in program.members] == [
        ("photosynthesis", 0.0, True),
        ("botany", 0.7, False),
    ]
    assert (program.rule, program.n_required, program.recency_days) == ("n-of", 1, 730)
    assert program.certificate is not None
    assert program.certificate.achievement_type == "Certificate"
    assert program.credit is not None and program.credit.institution_course == "BIO 150"
    assert program.path == str((course_dir.parent / "plant-science" / "program.yml").resolve())


def test_program_with_explicit_course_dirs(course_dir: Path, tmp_path: Path) -> None:
    program_file = write(tmp_path / "elsewhere", {"program.yml": PROGRAM_YML}) / "program.yml"
    _, diags = load_program(program_file, course_dirs=[course_dir])
    assert formatted(diags) == [
        "program.yml:7:5: error[R005]: course 'botany' not found; check the id in the course's "
        "course.yml"
    ]


def test_program_yaml_error_and_missing_file(tmp_path: Path) -> None:
    write(tmp_path / "p", {"program.yml": "id: p\ncourses:\n\t- a\n"})
    program, diags = load_program(tmp_path / "p")
    assert program is None and [(d.line, d.code) for d in diags] == [(3, "R001")]
    program, diags = load_program(tmp_path / "missing")
    assert program is None and [d.code for d in diags] == ["F005"]


def module_id_and_pid(module: Module) -> tuple[str, int]:
    return module.id, os.getpid()


def test_a_cold_load_runs_the_build_work_where_each_module_was_parsed(tmp_path: Path) -> None:
    course = tmp_path / "many"
    (course / "modules").mkdir(parents=True)
    names = [f"modules/m{n:02d}.md" for n in range(30)]
    for n, name in enumerate(names):
        (course / name).write_text(f"---\nid: m{n:02d}\ntitle: M{n}\n---\n# M{n}\n", "utf-8")
    listed = "".join(f"  - {name}\n" for name in names)
    (course / "course.yml").write_text(
        f"id: many\ntitle: Many\nversion: 1.0.0\nlanguage: en\nmodules:\n{listed}", "utf-8"
    )
    loader = CourseLoader(course, jobs=2)
    loader.after_parse = module_id_and_pid
    loaded, diags = loader.load()
    assert loaded is not None and not diags
    assert sorted(loader.extras) == names  # every module once, by file
    assert [loader.extras[name][0] for name in names] == [m.id for m in loaded.modules]
    assert len({pid for _, pid in loader.extras.values()}) == 2  # on both processes
    again, _ = loader.reload()  # nothing changed: nothing parsed, so no work either
    assert again == loaded and loader.extras == {}
