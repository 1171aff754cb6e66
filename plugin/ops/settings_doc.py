"""Every setting of the tool in one place, for docs/deployment.md's reference table."""

from __future__ import annotations

import importlib

#: Modules with a `DEFAULTS` table of settings (name -> (default, ..., description)).
SETTINGS_MODULES: tuple[str, ...] = (
    "plugin.config",
    "plugin.ops.settings",
    "plugin.gradebook.settings",
)


def all_settings() -> dict[str, tuple[str, str]]:
    """name -> (default as text, description), for every module that has settings."""
    found: dict[str, tuple[str, str]] = {}
    for name in SETTINGS_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for key, entry in getattr(module, "DEFAULTS", {}).items():
            default, description = entry[0], entry[-1]
            found[key] = (
                f"{default:g}" if isinstance(default, float) else str(default),
                str(description),
            )
    return found


def settings_table() -> str:
    """The Markdown table of every setting."""
    lines = ["| Setting | Default | Meaning |", "| --- | --- | --- |"]
    for key, (default, description) in all_settings().items():
        shown = f"`{default}`" if default else "(empty)"
        lines.append(f"| `{key}` | {shown} | {description.replace('|', '/')} |")
    return "\n".join(lines)
