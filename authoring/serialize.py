"""Questions and modules to and from plain JSON data: the package server part and its reader.

The mapping is explicit (no pickle): what the server reads back is exactly what was written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
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


_PLAIN = (str, int, float, bool, type(None))
_CONVERTERS: dict[type, Callable[[Any], Any]] = {}  # type -> how to_data turns it to data


def to_data(value: Any) -> Any:
    """Dataclasses, enums and tuples to JSON-ready values; source positions are dropped."""
    cls = type(value)
    if cls in _PLAIN:
        return value
    convert = _CONVERTERS.get(cls)
    if convert is None:
        convert = _CONVERTERS.setdefault(cls, _converter(cls))
    return convert(value)


def _converter(cls: type) -> Callable[[Any], Any]:
    """How `to_data` converts values of `cls` (decided once per type: it depends on it alone)."""
    if is_dataclass(cls):
        names = tuple(f.name for f in fields(cls) if f.name != "where")
        return lambda value: {name: to_data(getattr(value, name)) for name in names}
    if issubclass(cls, Enum):
        return lambda value: value.value
    if issubclass(cls, (tuple, list)):
        return lambda value: [to_data(v) for v in value]
    if issubclass(cls, dict):
        return lambda value: {k: to_data(v) for k, v in value.items()}
    return lambda value: value


def question_to_data(question: Question) -> dict[str, Any]:
    """A question as JSON data (the package's server part), without source positions."""
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
    """A draw block as JSON data."""
    data: dict[str, Any] = to_data(draw)
    return data


def draw_from_data(data: dict[str, Any]) -> Draw:
    """Rebuild a Draw written by `draw_to_data`."""
    return Draw(
        id=data["id"],
        bank=data["bank"],
        count=int(data["count"]),
        tags=tuple(data.get("tags", ())),
        points=data.get("points"),
    )


def where_to_data(where: SourceRef | None) -> dict[str, Any] | None:
    """A source position as JSON data (path and line), or None."""
    return None if where is None else {"path": where.path, "line": where.line}


def dump_compact(value: Any) -> str:
    """Compact canonical JSON of one value (sorted keys, UTF-8): a package's question JSON."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def question_fragments(
    questions: Sequence[Question],
    public: Mapping[str, Any],
    private: Mapping[str, Any],
    bank: str | None = None,
) -> dict[str, tuple[str, str]]:
    """Question id -> (public JSON, server JSON), as the package's question files hold them."""
    out: dict[str, tuple[str, str]] = {}
    for q in questions:
        server = {**question_to_data(q), "private": private[q.id]}
        if bank is not None:
            server["bank"] = bank
        out[q.id] = (dump_compact(public[q.id]), dump_compact(server))
    return out
