"""House rules that keep the two packages apart and the repository free of secrets."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_authoring_never_imports_the_tool_or_web_stack() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(
            _imports(p) & {"flask", "sqlalchemy", "flask_sqlalchemy", "plugin"}
        )
        for p in (ROOT / "authoring").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_plugin_lti_imports_pylti1p3() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "plugin").rglob("*.py")
        if "pylti1p3" in _imports(p) and "lti" not in p.relative_to(ROOT / "plugin").parts[:1]
    ]
    assert offenders == []


def test_no_private_key_is_tracked() -> None:
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    holders = []
    for name in filter(None, files):
        path = ROOT / name
        readable = path.is_file() and path.stat().st_size < 5_000_000
        if readable and b"PRIVATE " + b"KEY-----" in path.read_bytes():
            holders.append(name)
    assert holders == []
