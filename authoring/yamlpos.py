"""YAML that keeps positions: composed nodes plus typed getters that report at the exact node.

Documents are composed (never constructed), so every key and value keeps its line and column and
YAML 1.1 surprises (`version: 1.2` as a float, `language: no` as false) are read from the source
text instead. libyaml composes when available; when it reports an error the pure-Python parser
runs again so the message and position are the same on every machine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from authoring.diagnostics import DiagnosticBag, did_you_mean

T = TypeVar("T")

_FastLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = re.compile(r"^[-+]?[0-9]+$")
_NUMBER = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


@dataclass(frozen=True)
class YamlCodes:
    """Which codes one kind of YAML file uses for syntax, missing, unknown and wrong fields."""

    syntax: str
    missing: str
    unknown: str
    wrong: str


COURSE_CODES = YamlCodes("C001", "C002", "C003", "C012")
MODULE_CODES = YamlCodes("M001", "M002", "M017", "M018")
PROGRAM_CODES = YamlCodes("R001", "R002", "R003", "R004")


@dataclass(frozen=True)
class YamlDoc:
    """Where a YAML text lives: file, first line in that file, codes, and the bag to report to."""

    path: str
    bag: DiagnosticBag
    codes: YamlCodes
    first_line: int = 1

    def pos(self, node: Node) -> tuple[int, int]:
        """File line and column (1-based) of a node."""
        return node.start_mark.line + self.first_line, node.start_mark.column + 1

    def add(self, node: Node | tuple[int, int], code: str, message: str, hint: str = "") -> None:
        line, column = self.pos(node) if isinstance(node, Node) else node
        self.bag.add(self.path, line, column, code, message, hint)


def _compose(text: str, loader: type) -> Node | None:
    return yaml.compose(text, Loader=loader)


def compose(doc: YamlDoc, text: str) -> Node | None:
    """The root node of `text`; an empty document is an empty mapping; None after a syntax error."""
    try:
        node = _compose(text, _FastLoader)
    except yaml.YAMLError as fast_exc:
        try:  # same text through the pure-Python parser: stable messages on every machine
            node = _compose(text, yaml.SafeLoader)
        except yaml.YAMLError as exc:
            _report_syntax(doc, text, exc)
            return None
        _report_syntax(doc, text, fast_exc)
        return None
    if node is None:
        mark = yaml.Mark(doc.path, 0, 0, 0, "", 0)
        node = MappingNode("tag:yaml.org,2002:map", [], mark, mark)
    return node


def _report_syntax(doc: YamlDoc, text: str, exc: yaml.YAMLError) -> None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line0, col0 = (mark.line, mark.column) if mark is not None else (0, 0)
    lines = text.split("\n")
    source = lines[line0] if line0 < len(lines) else ""
    indent = source[: len(source) - len(source.lstrip(" \t"))]
    if "\t" in indent:
        doc.add(
            (line0 + doc.first_line, indent.index("\t") + 1),
            doc.codes.syntax,
            "tab character in YAML indentation",
            "indent with spaces",
        )
        return
    hint = ""
    context = getattr(exc, "context", None)
    cmark = getattr(exc, "context_mark", None)
    if context and cmark is not None and cmark is not mark:
        hint = f"{context} at line {cmark.line + doc.first_line}, column {cmark.column + 1}"
    doc.add((line0 + doc.first_line, col0 + 1), doc.codes.syntax, f"invalid YAML: {problem}", hint)


def _show(node: Node) -> str:
    if isinstance(node, ScalarNode):
        raw = str(node.value)
        return f"'{raw[:40]}…'" if len(raw) > 40 else f"'{raw}'"
    return "a list" if isinstance(node, SequenceNode) else "a mapping"


def scalar_text(node: Node) -> str | None:
    """The source text of a non-null scalar, whatever YAML would resolve it to."""
    if isinstance(node, ScalarNode) and node.tag != _NULL:  # only plain scalars resolve to null
        return str(node.value)
    return None


@dataclass
class Fields:
    """Typed getters on one mapping node; problems are reported where they were written.

    Every getter records its key as known; `finish()` reports the remaining keys as unknown.
    `prefix` makes nested names read `credential.name`; `anchor` is where "missing" points.
    """

    doc: YamlDoc
    node: MappingNode
    prefix: str = ""
    anchor: tuple[int, int] | None = None
    known: set[str] = field(default_factory=set)
    entries: dict[str, tuple[Node, Node]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.anchor is None:
            self.anchor = (self.doc.first_line, 1) if not self.prefix else self.doc.pos(self.node)
        for key_node, value_node in self.node.value:
            key = scalar_text(key_node)
            if key is None:
                self.doc.add(key_node, self.doc.codes.wrong, "field names must be plain text")
                continue
            if key in self.entries:
                first = self.doc.pos(self.entries[key][0])[0]
                self.doc.add(
                    key_node,
                    self.doc.codes.syntax,
                    f"duplicate key '{key}' (first at line {first})",
                )
            self.entries[key] = (key_node, value_node)

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def key_pos(self, key: str) -> tuple[int, int]:
        """Position of the key (or of the mapping when the key is absent)."""
        entry = self.entries.get(key)
        assert self.anchor is not None
        return self.doc.pos(entry[0]) if entry else self.anchor

    def value_pos(self, key: str) -> tuple[int, int]:
        """Position of the value (or of the key / the mapping when there is none)."""
        entry = self.entries.get(key)
        return self.doc.pos(entry[1]) if entry else self.key_pos(key)

    def value(self, key: str, required: bool = False) -> Node | None:
        """The value node, None when absent or null (reporting a missing required field)."""
        self.known.add(key)
        entry = self.entries.get(key)
        if entry is None or (isinstance(entry[1], ScalarNode) and scalar_text(entry[1]) is None):
            if required:
                assert self.anchor is not None
                self.doc.add(
                    self.anchor,
                    self.doc.codes.missing,
                    f"missing required field '{self.name(key)}'",
                )
            return None
        return entry[1]

    def wrong(self, key: str, node: Node, what: str, hint: str = "") -> None:
        """Report a value of the wrong type or range."""
        self.doc.add(
            node,
            self.doc.codes.wrong,
            f"'{self.name(key)}' must be {what}, got {_show(node)}",
            hint,
        )

    def _scalar(
        self, key: str, required: bool, what: str, convert: Callable[[str], T | None]
    ) -> T | None:
        node = self.value(key, required)
        if node is None:
            return None
        text = scalar_text(node)
        result = convert(text) if text is not None else None
        if result is None:
            self.wrong(key, node, what)
        return result

    def text(self, key: str, required: bool = False, default: str = "") -> str:
        """A text field; numbers and booleans are kept as written."""
        value = self._scalar(key, required, "text", lambda s: s)
        return default if value is None else value

    def integer(self, key: str, required: bool = False, minimum: int | None = None) -> int | None:
        what = "an integer" if minimum is None else f"an integer >= {minimum}"
        return self._scalar(
            key,
            required,
            what,
            lambda s: int(s) if _INT.match(s) and (minimum is None or int(s) >= minimum) else None,
        )

    def number(
        self,
        key: str,
        required: bool = False,
        low: float | None = None,
        high: float | None = None,
        positive: bool = False,
    ) -> float | None:
        """A number, optionally within [low, high] or > 0."""
        what = "a number"
        if positive:
            what = "a number > 0"
        elif low is not None and high is not None:
            what = f"a number from {low:g} to {high:g}"
        elif low is not None:
            what = f"a number >= {low:g}"

        def convert(s: str) -> float | None:
            if not _NUMBER.match(s):
                return None
            x = float(s)
            if not math.isfinite(x):
                return None
            if (positive and x <= 0) or (low is not None and x < low):
                return None
            return None if high is not None and x > high else x

        return self._scalar(key, required, what, convert)

    def flag(self, key: str, required: bool = False) -> bool | None:
        def convert(s: str) -> bool | None:
            low = s.lower()
            return True if low in _TRUE else False if low in _FALSE else None

        return self._scalar(key, required, "true or false", convert)

    def choice(self, key: str, choices: Iterable[str], default: str, required: bool = False) -> str:
        """One of a fixed set of words; a near miss gets a did-you-mean hint."""
        options = list(choices)
        node = self.value(key, required)
        if node is None:
            return default
        text = scalar_text(node)
        if text in options:
            return text
        listing = ", ".join(f"'{c}'" for c in options)
        what = f"one of {listing}" if len(options) > 2 else listing.replace(", ", " or ")
        self.wrong(key, node, what, did_you_mean(text or "", options))
        return default

    def seq(self, key: str, required: bool = False) -> list[Node] | None:
        node = self.value(key, required)
        if node is None:
            return None
        if not isinstance(node, SequenceNode):
            self.wrong(key, node, "a list")
            return None
        return list(node.value)

    def str_list(self, key: str, required: bool = False, allow_one: bool = False) -> list[str]:
        """A list of text items; `allow_one` also takes a single text value."""
        node = self.value(key, required)
        if node is None:
            return []
        if allow_one and scalar_text(node) is not None:
            return [str(node.value)]
        if not isinstance(node, SequenceNode):
            self.wrong(key, node, "a list of text items")
            return []
        out = []
        for i, item in enumerate(node.value):
            text = scalar_text(item)
            if text is None:
                self.wrong(f"{key}[{i}]", item, "text")
            else:
                out.append(text)
        return out

    def items(self, key: str, required: bool = False) -> Iterator[tuple[int, Node]]:
        """Index and node of each item of a list field."""
        yield from enumerate(self.seq(key, required) or [])

    def mapping(self, key: str, required: bool = False) -> Fields | None:
        node = self.value(key, required)
        if node is None:
            return None
        return self.sub(key, node)

    def sub(self, name: str, node: Node) -> Fields | None:
        """Fields of a nested mapping node named `name` (reported as wrong type otherwise)."""
        if not isinstance(node, MappingNode):
            self.wrong(name, node, "a mapping")
            return None
        return Fields(self.doc, node, self.name(name), self.doc.pos(node))

    def finish(self, also_known: Iterable[str] = ()) -> None:
        """Report every key no getter asked for as unknown, with a did-you-mean hint."""
        known = self.known | set(also_known)
        for key, (key_node, _value) in self.entries.items():
            if key not in known:
                self.doc.add(
                    key_node,
                    self.doc.codes.unknown,
                    f"unknown field '{self.name(key)}'",
                    did_you_mean(key, known),
                )


def root_fields(doc: YamlDoc, text: str, what: str) -> Fields | None:
    """Compose `text` and wrap its root mapping; None after a syntax error or a non-mapping root."""
    node = compose(doc, text)
    if node is None:
        return None
    if not isinstance(node, MappingNode):
        doc.add(node, doc.codes.wrong, f"{what} must be a mapping of fields, got {_show(node)}")
        return None
    return Fields(doc, node)
