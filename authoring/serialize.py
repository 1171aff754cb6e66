"""Questions and modules to and from plain JSON data: the package server part and its reader.

The mapping is explicit (no pickle): what the server reads back is exactly what was written.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

from .model import (
    Choice,
    Draw,
    Kind,
    MatchPair,
    NumericAnswer,
    Question,
    Scoring,
    SourceRef,
    Step,
    TextAnswer,
)

_NESTED: dict[str, type] = {
    "choices": Choice,
    "answers": TextAnswer,
    "numeric": NumericAnswer,
    "pairs": MatchPair,
    "steps": Step,
}


def to_data(value: Any) -> Any:
    """Dataclasses, enums and tuples to JSON-ready values; source positions are dropped."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in fields(value) if f.name != "where"}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {k: to_data(v) for k, v in value.items()}
    return value


def question_to_data(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = to_data(question)
    return data


def question_from_data(data: dict[str, Any]) -> Question:
    """Rebuild a Question written by `question_to_data` (the grader's input on the server)."""
    kwargs: dict[str, Any] = {}
    for f in fields(Question):
        if f.name == "where" or f.name not in data:
            continue
        value = data[f.name]
        if f.name == "kind":
            value = Kind(value)
        elif f.name == "scoring":
            value = Scoring(value)
        elif f.name in _NESTED:
            value = tuple(_NESTED[f.name](**item) for item in value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return Question(**kwargs)


def draw_to_data(draw: Draw) -> dict[str, Any]:
    data: dict[str, Any] = to_data(draw)
    return data


def draw_from_data(data: dict[str, Any]) -> Draw:
    return Draw(
        id=data["id"],
        bank=data["bank"],
        count=int(data["count"]),
        tags=tuple(data.get("tags", ())),
        points=data.get("points"),
    )


def where_to_data(where: SourceRef | None) -> dict[str, Any] | None:
    return None if where is None else {"path": where.path, "line": where.line}
