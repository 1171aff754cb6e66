"""Authoring benchmark: check and build a synthetic 200-module, 2,000-question course.

Prints wall time and peak memory of `microcred check` and a cold `microcred build` (each in a
fresh process, as an author runs them), the time to rebuild after one module changed, and
`mkdocs build` of the same Markdown in the same run, with the ratio. Asserts nothing.

Targets (issue 2): check < 1 s; cold build >= 2x faster than mkdocs; one-module rebuild < 100 ms;
peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROSE = """\
## Section {s}: working with {topic}

Analysts who work with {topic} start by asking what each row represents. A **tidy** table has one
observation per row and one variable per column, which makes sorting, filtering and summarising
predictable. When a table mixes several kinds of observation, split it first.[^n{s}]

- Name every column with a short, unambiguous label.
- Keep units in the header, not in the cells: `weight_kg`, not `72 kg`.
- Record missing values consistently, and say how in the data dictionary.

| Column | Type | Example |
| --- | --- | --- |
| `region` | text | North |
| `sales_eur` | number | 1250.50 |
| `date` | date | 2026-03-01 |

!!! note "Why it matters"
    Consistent structure lets every later step, from a pivot table to a chart, work without edits.

```python
totals = sales.groupby("region")["sales_eur"].sum()
```

The mean of $n$ values is $\\bar{{x}} = \\frac{{1}}{{n}}\\sum x_i$; one extreme value moves it.

[^n{s}]: Hadley Wickham described tidy data in the Journal of Statistical Software (2014).
"""

QUIZZES = [
    """```quiz id=m{m}-q{q} points=1
? Which layout is tidy for {topic}?
( ) One column per month    # That spreads one variable across columns.
(x) One row per observation # Right.
( ) One sheet per region
hint: Think of what a row represents.
explain: Tidy data has one observation per row.
```""",
    """```quiz id=m{m}-q{q} points=1 scoring=partial
? Which of these are numeric variables?
[x] sales in euros
[x] units sold
[ ] region name   # A category, not a number.
```""",
    """```quiz id=m{m}-q{q}
? A pivot table can summarise data by category.
= true
```""",
    """```quiz id=m{m}-q{q}
? Name the spreadsheet function that adds a range.
= SUM
= /sum\\(.*\\)/i
~ It is a three-letter word.
```""",
    """```quiz id=m{m}-q{q}
? What is the mean of 2, 4 and 9?
= 5 ± 0.01
```""",
    """```quiz id=m{m}-q{q}
? Match each term with its meaning.
mean -> the arithmetic average
median -> the middle value
mode -> the most frequent value
-> the largest value
```""",
    """```quiz id=m{m}-q{q} type=ordering
? Put the steps of a cleaning pass in order.
1. Import the raw file
2. Fix column types
3. Remove duplicates
4. Save a clean copy
```""",
]


def make_course(root: Path, modules: int = 200, per_module: int = 10) -> Path:
    course = root / "big-course"
    (course / "modules").mkdir(parents=True)
    listing = []
    for m in range(1, modules + 1):
        topic = ["sales data", "survey answers", "sensor readings", "library loans"][m % 4]
        parts = [
            f"---\nid: m{m:03d}\ntitle: Module {m}\nminutes: 10\ngraded: true\nattempts: 2\n---\n",
            f"# Module {m}: {topic}\n",
        ]
        for q in range(per_module):
            parts.append(PROSE.format(s=f"{m}-{q}", topic=topic) if q % 3 == 0 else "")
            parts.append(QUIZZES[q % len(QUIZZES)].format(m=m, q=q, topic=topic) + "\n")
        name = f"modules/m{m:03d}.md"
        (course / name).write_text("\n".join(parts), "utf-8")
        listing.append(name)
    yml = [
        "id: big-course",
        'title: "Synthetic benchmark course"',
        "version: 1.0.0",
        "language: en",
        "modules:",
        *[f"  - {n}" for n in listing],
    ]
    (course / "course.yml").write_text("\n".join(yml) + "\n", "utf-8")
    return course


def make_mkdocs(course: Path, root: Path) -> Path:
    site = root / "mkdocs-site"
    docs = site / "docs"
    docs.mkdir(parents=True)
    for path in sorted((course / "modules").glob("*.md")):
        text = path.read_text("utf-8")
        body = text.split("---\n", 2)[2]  # same Markdown without the front matter
        (docs / path.name).write_text(body, "utf-8")
    (docs / "index.md").write_text("# Synthetic course\n", "utf-8")
    (site / "mkdocs.yml").write_text(
        "site_name: bench\nmarkdown_extensions:\n  - tables\n  - footnotes\n  - admonition\n"
        "  - pymdownx.superfences\n  - pymdownx.highlight\n  - pymdownx.arithmatex:\n"
        "      generic: true\n",
        "utf-8",
    )
    return site


_MEASURE = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n"
)


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB of the largest process the command ran, and its exit code.

    A small wrapper process runs the command so the peak belongs to this command alone.
    """
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], cwd=cwd, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    peak_kb, rc = proc.stdout.split()
    return wall, int(peak_kb) / 1024, int(rc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--per-module", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    microcred = [sys.executable, "-m", "authoring"]
    root = Path(tempfile.mkdtemp(prefix="mc-bench-"))
    try:
        course = make_course(root, args.modules, args.per_module)
        n_questions = args.modules * args.per_module
        print(
            f"synthetic course: {args.modules} modules, {n_questions} questions, "
            f"{sum(p.stat().st_size for p in course.rglob('*.md')) / 1024:.0f} KiB of Markdown"
        )

        check_wall, check_mem, check_rc = timed([*microcred, "check", "--no-cache", str(course)])
        print(
            f"check (cold, fresh process):  {check_wall * 1000:7.0f} ms  peak {check_mem:5.0f} MB"
            f"  exit {check_rc}   target < 1000 ms"
        )

        out = root / "out.mcpkg"
        shutil.rmtree(course / ".microcred-cache", ignore_errors=True)
        build_wall, build_mem, build_rc = timed(
            [*microcred, "build", "--no-cache", str(course), "-o", str(out)]
        )
        print(
            f"build (cold, fresh process):  {build_wall * 1000:7.0f} ms  peak {build_mem:5.0f} MB"
            f"  exit {build_rc}"
        )

        # warm the cache, then change one module and rebuild (in-process: what `preview` does)
        from authoring.package import build_package

        build_package(course, out)
        target = course / "modules" / "m100.md"
        target.write_text(target.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
        start = time.perf_counter()
        result = build_package(course, out)
        rebuild = time.perf_counter() - start
        print(
            f"rebuild after one module changed: {rebuild * 1000:5.0f} ms "
            f"(rendered {result.rendered_count} module)   target < 100 ms"
        )
        start = time.perf_counter()
        cli_rebuild, _, _ = timed([*microcred, "build", str(course), "-o", str(out)])
        print(f"rebuild, nothing changed, fresh process: {cli_rebuild * 1000:5.0f} ms")

        site = make_mkdocs(course, root)
        mk_wall, mk_mem, mk_rc = timed([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=site)
        print(
            f"mkdocs build (same Markdown): {mk_wall * 1000:7.0f} ms  peak {mk_mem:5.0f} MB"
            f"  exit {mk_rc}"
        )
        print(f"ratio mkdocs / microcred build: {mk_wall / build_wall:.2f}x   target >= 2x")
        print(f"peak memory: {max(check_mem, build_mem):.0f} MB   target < 300 MB")
        print(f"cores: {os.cpu_count()}")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
