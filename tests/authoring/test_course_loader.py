"""CourseLoader: a reload after an edit parses only what changed and equals a fresh load."""

from __future__ import annotations

from pathlib import Path

import pytest

from authoring.diagnostics import Diagnostic
from authoring.loader import CourseLoader, load_course

FILES = {
    "course.yml": (
        "id: photosynthesis\ntitle: Photosynthesis\nversion: 1.0.0\nlanguage: en\n"
        "modules: [modules/01-light.md, modules/02-calvin.md]\nbanks: [banks/pool.md]\n"
    ),
    "modules/01-light.md": (
        "---\nid: 01-light\ntitle: Light reactions\ngraded: true\n---\n# Light\n\n"
        "```quiz id=lr-gas points=2\n? Which gas do plants absorb?\n( ) Oxygen\n"
        "(x) Carbon dioxide\n```\n\n"
        "```quiz-draw id=light-pool from=banks/pool.md tags=light count=1\n```\n"
    ),
    "modules/02-calvin.md": "---\nid: 02-calvin\ntitle: The Calvin cycle\n---\nText only.\n",
    "banks/pool.md": (
        "```quiz id=pool-a tags=light\n? A?\n= true\n```\n\n"
        "```quiz id=pool-b tags=light\n? B?\n= 4\n```\n"
    ),
}


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, "utf-8")
    assert load_course(tmp_path)[1] == []
    return tmp_path


def formatted(diags: list[Diagnostic]) -> list[str]:
    return [d.format() for d in diags]


def test_reload_with_nothing_changed_parses_nothing(course_dir: Path) -> None:
    loader = CourseLoader(course_dir)
    first = loader.load()
    assert loader.parsed == ["banks/pool.md", "modules/01-light.md", "modules/02-calvin.md"]
    again = loader.reload()
    assert loader.parsed == []
    assert again == first


def test_an_edited_module_is_parsed_again_and_its_new_problem_shows(course_dir: Path) -> None:
    loader = CourseLoader(course_dir)
    loader.load()
    calvin = course_dir / "modules" / "02-calvin.md"
    calvin.write_text(calvin.read_text() + "\n![](img/missing.png)\n", "utf-8")
    course, diags = loader.reload()
    assert loader.parsed == ["modules/02-calvin.md"]
    assert (course, diags) == load_course(course_dir)
    assert [d.code for d in diags if d.path == "modules/02-calvin.md"] == ["M005", "M006"]
    assert course is not None and "missing.png" in course.modules[1].body_md


def test_reload_of_named_paths_reads_only_those(course_dir: Path) -> None:
    loader = CourseLoader(course_dir)
    loader.load()
    light = course_dir / "modules" / "01-light.md"
    light.write_text(light.read_text().replace("Which gas", "What gas"), "utf-8")
    course, diags = loader.reload([light])
    assert loader.parsed == ["modules/01-light.md"]
    assert course is not None and course.modules[0].questions[0].stem_md.startswith("What gas")
    assert (course, diags) == load_course(course_dir)
    (course_dir / "modules" / "02-calvin.md").write_text(FILES["modules/02-calvin.md"] + "More.\n")
    course, _ = loader.reload(["modules/02-calvin.md"])  # relative paths work too
    assert loader.parsed == ["modules/02-calvin.md"]
    assert course is not None and course.modules[1].body_md.endswith("More.\n")


def test_a_changed_bank_reparses_the_modules_that_draw_from_it(course_dir: Path) -> None:
    loader = CourseLoader(course_dir)
    loader.load()
    pool = course_dir / "banks" / "pool.md"
    pool.write_text(pool.read_text().replace("id=pool-b", "id=pool-b points=3"), "utf-8")
    course, diags = loader.reload()
    assert loader.parsed == ["banks/pool.md", "modules/01-light.md", "modules/02-calvin.md"]
    assert (course, diags) == load_course(course_dir)


def test_a_deleted_module_is_reported_like_a_fresh_load(course_dir: Path) -> None:
    loader = CourseLoader(course_dir)
    loader.load()
    (course_dir / "modules" / "02-calvin.md").unlink()
    course, diags = loader.reload()
    assert (course, diags) == load_course(course_dir)
    assert any(d.code == "C005" and "02-calvin" in d.message for d in diags)
    (course_dir / "modules" / "02-calvin.md").write_text("---\nid: 02-calvin\ntitle: Back\n---\n")
    course, diags = loader.reload()
    assert loader.parsed == ["modules/02-calvin.md"]
    assert course is not None and course.modules[1].title == "Back"
    assert formatted(diags) == formatted(load_course(course_dir)[1])


def test_a_file_that_became_unreadable_and_then_fixed(course_dir: Path) -> None:
    loader = CourseLoader(course_dir)
    loader.load()
    calvin = course_dir / "modules" / "02-calvin.md"
    calvin.write_bytes(b"---\nid: 02-calvin\ntitle: Caf\xe9\n---\n")
    _, diags = loader.reload()
    assert [d.code for d in diags] == ["F001"]
    calvin.write_text("---\nid: 02-calvin\ntitle: Café\n---\n", "utf-8")
    course, diags = loader.reload()
    assert diags == [] and course is not None and course.modules[1].title == "Café"


def test_parsing_on_several_processes_gives_the_same_course_and_problems(tmp_path: Path) -> None:
    names = [f"modules/m{n:02d}.md" for n in range(60)]
    (tmp_path / "modules").mkdir()
    (tmp_path / "course.yml").write_text(
        "id: big\ntitle: Big\nversion: 1.0.0\nlanguage: en\nmodules:\n"
        + "".join(f"  - {name}\n" for name in names)
    )
    for n, name in enumerate(names):
        quiz = (
            f"```quiz id=q{n}\n? Two plus two?\n= 4\n```\n" if n % 2 else "```quiz\n? No id\n```\n"
        )
        (tmp_path / name).write_text(f"---\nid: m{n:02d}\ntitle: M{n}\n---\n# M{n}\n\n{quiz}")
    (tmp_path / names[7]).write_bytes(b"---\nid: m07\ntitle: Caf\xe9\n---\n")
    loader = CourseLoader(tmp_path, jobs=2)
    course, diags = loader.load()
    assert (course, diags) == load_course(tmp_path)
    assert course is not None and len(course.modules) == 59
    assert [d.code for d in diags].count("Q001") == 30 and "F001" in [d.code for d in diags]
    assert len(loader.parsed) == 60
    assert loader.reload() == (course, diags) and loader.parsed == []
