"""Cross-file checks on a course: ids, points, banks and draws, images, listed files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from authoring.diagnostics import Diagnostic, DiagnosticBag, Severity
from authoring.loader import load_course
from authoring.model import (
    Bank,
    Completion,
    Course,
    CredentialSpec,
    Draw,
    Grading,
    Kind,
    Module,
    Question,
    SourceRef,
)
from authoring.validate import (
    ImageRef,
    SourceMap,
    draw_candidates,
    module_points,
    validate_course,
)


def question(qid: str, path: str = "modules/a.md", line: int = 1, **kw: object) -> Question:
    return Question(id=qid, kind=Kind.SHORT, stem_md="S", where=SourceRef(path, line), **kw)  # type: ignore[arg-type]


def module(mid: str, path: str, *questions: Question, **kw: object) -> Module:
    return Module(mid, mid, path, "", 5, questions=questions, **kw)  # type: ignore[arg-type]


def course(root: Path, *modules: Module, **kw: object) -> Course:
    return Course("c", "C", "1.0.0", "en", str(root), modules=modules, **kw)  # type: ignore[arg-type]


def draw(did: str, line: int, tags: tuple[str, ...] = (), count: int = 1, **kw: object) -> Draw:
    return Draw(did, "banks/b.md", count, tags, where=SourceRef("modules/a.md", line), **kw)  # type: ignore[arg-type]


def formatted(diags: list[Diagnostic]) -> list[str]:
    return sorted(d.format() for d in diags)


def test_appends_to_a_bag_or_a_list_and_returns_what_it_added(tmp_path: Path) -> None:
    c = course(tmp_path, module("a", "modules/a.md"), module("a", "modules/b.md"))
    existing = [Diagnostic("x", 1, 1, Severity.WARNING, "C003", "earlier")]
    added = validate_course(c, existing)
    assert existing[1:] == added and [d.code for d in added] == ["C007"]
    bag = DiagnosticBag()
    assert validate_course(c, bag) == bag.items


def test_without_a_source_map_positions_fall_back_to_the_file(tmp_path: Path) -> None:
    c = course(
        tmp_path,
        module("a", "modules/a.md"),
        module("a", "modules/b.md"),
        completion=Completion(require=("b",)),
    )
    assert formatted(validate_course(c, [])) == [
        "course.yml:1:1: error[C009]: completion requires unknown module 'b'",
        "modules/b.md:1:1: error[C007]: duplicate module id 'a' (also in modules/a.md)",
    ]


def test_q002_names_the_other_location(tmp_path: Path) -> None:
    bank = Bank("banks/b.md", (question("q1", "banks/b.md", 7),))
    c = course(
        tmp_path,
        module("a", "modules/a.md", question("q1", line=3)),
        banks=(bank,),
    )
    assert formatted(validate_course(c, [])) == [
        "banks/b.md:7:1: error[Q002]: duplicate quiz id 'q1' (also at modules/a.md:3); ids must "
        "be unique in the course; rename one"
    ]


def test_draw_ids_share_the_quiz_id_namespace(tmp_path: Path) -> None:
    bank = Bank("banks/b.md", (question("b1", "banks/b.md"),))
    m = replace(module("a", "modules/a.md", question("x", line=3)), draws=(draw("x", 9),))
    codes = [d.code for d in validate_course(course(tmp_path, m, banks=(bank,)), [])]
    assert "Q002" in codes


def test_bank_and_draw_checks(tmp_path: Path) -> None:
    bank = Bank(
        "banks/b.md",
        (
            question("b1", "banks/b.md", tags=("light",)),
            question("b2", "banks/b.md", tags=("light", "dark"), points=2.0),
            question("b3", "banks/b.md", tags=("dark",)),
        ),
    )
    draws = (draw("light", 10, ("light",), count=3), draw("dark", 20, ("dark",), points=1.0))
    m = replace(module("a", "modules/a.md"), draws=draws)
    sources = SourceMap(banks=[("banks/b.md", SourceRef("course.yml", 8, 5))])
    (tmp_path / "banks").mkdir()
    (tmp_path / "banks" / "b.md").write_text("")
    assert formatted(validate_course(course(tmp_path, m, banks=(bank,)), [], sources)) == [
        "modules/a.md:10:1: error[B002]: draw 'light' asks for 3 questions but only 2 in "
        "'banks/b.md' match tags 'light'",
        "modules/a.md:10:1: warning[B003]: questions drawn by 'light' are worth different points "
        "(1, 2); set points= on the draw",
        "modules/a.md:20:1: error[B004]: draws 'light' and 'dark' can both draw bank question "
        "'b2'; give the draws tags that do not overlap",
    ]


def test_draw_from_an_unlisted_or_missing_bank(tmp_path: Path) -> None:
    m = replace(module("a", "modules/a.md"), draws=(draw("d", 4),))
    listed = SourceMap(banks=[("banks/b.md", SourceRef("course.yml", 8, 5))])
    assert formatted(validate_course(course(tmp_path, m), [], SourceMap())) == [
        "modules/a.md:4:1: error[B001]: bank 'banks/b.md' is not listed in 'banks'; add it to "
        "'banks' in course.yml"
    ]
    assert formatted(validate_course(course(tmp_path, m), [], listed)) == [
        "course.yml:8:5: error[C013]: bank file 'banks/b.md' not found",
        "modules/a.md:4:1: error[B001]: bank 'banks/b.md' not found",
    ]


def test_draw_candidates_match_any_tag() -> None:
    bank = Bank("b", (question("a", tags=("x",)), question("b", tags=("y",)), question("c")))
    assert [q.id for q in draw_candidates(bank, draw("d", 1, ("x", "y")))] == ["a", "b"]
    assert [q.id for q in draw_candidates(bank, draw("d", 1))] == ["a", "b", "c"]


def test_m016_module_points_must_add_up(tmp_path: Path) -> None:
    good = module("a", "modules/a.md", question("q1", points=2.0), points=4.0)
    good = replace(good, draws=(draw("d", 9, count=2, points=1.0),))
    bad = module("b", "modules/b.md", question("q2", points=2.0), points=3.0)
    unknown = replace(module("c", "modules/c.md", points=3.0), draws=(draw("e", 9),))
    c = course(tmp_path, good, bad, unknown)
    assert module_points(c, good) == 4.0 and module_points(c, unknown) is None
    m016 = [d.format() for d in validate_course(c, []) if d.code == "M016"]
    assert m016 == [
        "modules/b.md:1:1: error[M016]: module 'b' has points: 3 but its quizzes add up to 2; "
        "change 'points' or the points of the quizzes"
    ]


def test_c011_only_for_per_module_passback(tmp_path: Path) -> None:
    empty = module("a", "modules/a.md", graded=True)
    assert [d.code for d in validate_course(course(tmp_path, empty), [])] == ["C011"]
    per_course = course(tmp_path, empty, grading=Grading("course"))
    assert validate_course(per_course, []) == []


def test_c010_and_c014_credential(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "badge.png").write_bytes(b"png")
    ok = CredentialSpec("N", "D", "C", image="img/badge.png")
    assert validate_course(course(tmp_path, credential=ok), []) == []
    missing = CredentialSpec("N", "", "C", image="img/other.svg")
    assert formatted(validate_course(course(tmp_path, credential=missing), [])) == [
        "course.yml:1:1: error[C010]: credential is missing 'description'",
        "course.yml:1:1: error[C014]: credential image 'img/other.svg' not found; remove 'image' "
        "to get a generated badge",
    ]


def test_q017_hint_penalty_with_a_single_attempt(tmp_path: Path) -> None:
    one = module("a", "modules/a.md", question("q1", hint_penalty=0.2, line=4))
    two = module("b", "modules/b.md", question("q2", hint_penalty=0.2), attempts=2)
    override = module("c", "modules/c.md", question("q3", hint_penalty=0.2, attempts=3))
    diags = validate_course(course(tmp_path, one, two, override), [])
    assert formatted(diags) == [
        "modules/a.md:4:1: warning[Q017]: quiz 'q1' has hint_penalty but only 1 attempt; with one "
        "attempt hints can never reduce the score; allow more attempts or remove hint_penalty"
    ]


def test_m005_images_exist_inside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "Chart.png").write_bytes(b"png")
    sources = SourceMap(
        images=[
            ImageRef("modules/a.md", 3, 1, "img/Chart.png"),
            ImageRef("modules/a.md", 4, 1, "img/chart.png"),
            ImageRef("modules/a.md", 5, 7, "../../etc/passwd"),
        ]
    )
    assert formatted(validate_course(course(tmp_path), [], sources)) == [
        "modules/a.md:4:1: error[M005]: image 'img/chart.png' not found; did you mean "
        "'img/Chart.png'?",
        "modules/a.md:5:7: error[F004]: path '../../etc/passwd' leaves the course folder; use a "
        "path relative to the course folder that stays inside it",
    ]


def test_c005_c006_listed_and_unlisted_files(tmp_path: Path) -> None:
    (tmp_path / "modules" / ".hidden").mkdir(parents=True)
    (tmp_path / "modules" / "a.md").write_text("")
    (tmp_path / "modules" / "draft.md").write_text("")
    (tmp_path / "modules" / ".#a.md").write_text("")
    (tmp_path / "modules" / ".hidden" / "x.md").write_text("")
    (tmp_path / "modules" / "notes.txt").write_text("")
    sources = SourceMap(
        modules=[
            ("modules/a.md", SourceRef("course.yml", 6, 5)),
            ("modules/b.md", SourceRef("course.yml", 7, 5)),
        ]
    )
    assert formatted(validate_course(course(tmp_path), [], sources)) == [
        "course.yml:7:5: error[C005]: module file 'modules/b.md' not found",
        "modules/draft.md:1:1: warning[C006]: module file 'modules/draft.md' is not listed in "
        "course.yml; add it to 'modules' to publish it, or delete it",
    ]


def test_load_course_runs_validation(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    (tmp_path / "course.yml").write_text(
        "id: c\ntitle: C\nversion: 1.0.0\nlanguage: en\nmodules: [modules/a.md, modules/b.md]\n"
    )
    (tmp_path / "modules" / "a.md").write_text("---\nid: a\ntitle: A\n---\n")
    _, diags = load_course(tmp_path)
    assert [d.format() for d in diags] == [
        "course.yml:5:25: error[C005]: module file 'modules/b.md' not found"
    ]


def test_a_course_built_in_memory_needs_no_folder(tmp_path: Path) -> None:
    bank = Bank("banks/b.md", (question("b1", "banks/b.md"),))
    m = replace(module("a", "modules/a.md", question("q1")), draws=(draw("d", 4, count=2),))
    c = replace(course(tmp_path, m, banks=(bank,)), root="")
    assert formatted(validate_course(c, [])) == [
        "modules/a.md:4:1: error[B002]: draw 'd' asks for 2 questions but only 1 in 'banks/b.md' "
        "are in it"
    ]


def test_without_a_source_map_files_on_disk_are_not_compared(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "draft.md").write_text("")
    assert validate_course(course(tmp_path, module("a", "modules/a.md")), []) == []
