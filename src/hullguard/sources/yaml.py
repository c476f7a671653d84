"""YAML source: documents as plain Python values that remember where every value was written.

Parsed with PyYAML's C loader into nodes (safe: no tags that build objects), then turned into
`YMap` (a dict) and `YList` (a list) that carry the location of themselves and of each key,
item and value, so a rule can hand back a value and its location follows. Scalars are resolved
as YAML 1.1 does (PyYAML's safe resolver: `yes` is true, `010` is 8), as Docker Compose and
Kubernetes' older tools read them.

Bounded: an alias may be expanded at most `MAX_ALIAS_EXPANSIONS` times per document and nesting
is limited to `MAX_DEPTH`, so alias bombs ("billion laughs") and deep nesting are refused
quickly with an error instead of eating the machine. A document that does not parse gives an
error with its line; the other documents of the same stream still count.

Application tags (`!reset`, `!override`, `!Ref`, anything outside the YAML core schema) build
nothing: the value is read as if untagged. Each one is kept, though, for the source that gives
it a meaning: in `YMap.tags` and `YList.tags` (the tag of a value, by key or index) and in
`YamlDocument.tags` (every one, with its place: on a value, a list item, a key or a document).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import yaml

from hullguard.model import Location

MAX_ALIAS_EXPANSIONS = 10_000
MAX_DEPTH = 200
_DOC_START = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)
_CORE_TAG = "tag:yaml.org,2002:"
_NO_TAGS: Mapping[Any, str] = MappingProxyType({})

try:  # the C loader is much faster; fall back where libyaml is missing
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


class YMap(dict[Any, Any]):
    """A mapping with the location of itself (`location`), of each key and of each value, and
    the application tag of each value that has one (`tags`: `{"ports": "!reset"}`)."""

    __slots__ = ("key_locations", "location", "tags", "value_locations")

    def __init__(self, location: Location) -> None:
        super().__init__()
        self.location = location
        self.key_locations: dict[Any, Location] = {}
        self.value_locations: dict[Any, Location] = {}
        self.tags: Mapping[Any, str] = _NO_TAGS

    def at(self, key: Any) -> Location:
        """Where the value of `key` was written (the key's own place if the value has none)."""
        return self.value_locations.get(key) or self.key_locations.get(key) or self.location


class YList(list[Any]):
    """A sequence with the location of itself and of each item, and the application tag of
    each item that has one (`tags`, by index)."""

    __slots__ = ("item_locations", "location", "tags")

    def __init__(self, location: Location) -> None:
        super().__init__()
        self.location = location
        self.item_locations: list[Location] = []
        self.tags: Mapping[int, str] = _NO_TAGS

    def at(self, index: int) -> Location:
        return (
            self.item_locations[index] if 0 <= index < len(self.item_locations) else self.location
        )


def location_of(container: Any, key: Any, fallback: Location) -> Location:
    """The location of `container[key]` for a YMap or YList, else `fallback`."""
    if isinstance(container, YMap | YList):
        return container.at(key)
    return fallback


@dataclass(frozen=True, slots=True)
class YamlError:
    message: str
    line: int
    column: int = 1


@dataclass(frozen=True, slots=True)
class YamlTag:
    """An application tag written in a document: the tag (`!reset`), where the tagged node is,
    what it tags (`value` of a mapping, list `item`, mapping `key` or the whole `document`) and
    the kind of that node (`scalar`, `sequence` or `mapping`)."""

    tag: str
    location: Location
    role: str
    kind: str


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """One document of a stream: its value (None when empty or broken), its first line and
    its application tags (each node once, however many aliases repeat it)."""

    value: Any
    line: int
    error: YamlError | None = None
    tags: tuple[YamlTag, ...] = field(default=())


class _Budget:
    def __init__(self) -> None:
        self.expansions = 0
        self.tags: dict[tuple[int, str], YamlTag] = {}

    def tagged(self, node: Any, role: str, path: str) -> None:
        key = (id(node), role)
        if key not in self.tags:
            kind = (
                "scalar"
                if isinstance(node, yaml.ScalarNode)
                else "sequence"
                if isinstance(node, yaml.SequenceNode)
                else "mapping"
            )
            self.tags[key] = YamlTag(node.tag, _location(node, path), role, kind)


class YamlLimitError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def load_documents(text: str, path: str) -> list[YamlDocument]:
    """Every document of `text`. A broken document becomes an error entry; parsing resumes at
    the next `---` so the documents after it still count."""
    documents: list[YamlDocument] = []
    for start_line, chunk in _split_documents(text):
        documents.extend(_load_chunk(chunk, path, start_line))
    return documents


def _split_documents(text: str) -> Iterator[tuple[int, str]]:
    """The stream cut at `---` lines, each piece with the line it starts on (padded with blank
    lines so that the loader's line numbers are the file's)."""
    starts = [0] + [m.start() for m in _DOC_START.finditer(text) if m.start() > 0]
    for index, begin in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        first_line = text.count("\n", 0, begin) + 1
        yield first_line, "\n" * (first_line - 1) + text[begin:end]


def _load_chunk(chunk: str, path: str, first_line: int) -> list[YamlDocument]:
    documents: list[YamlDocument] = []
    try:
        for node in yaml.compose_all(chunk, Loader=_Loader):
            if node is None or (
                isinstance(node, yaml.ScalarNode)
                and node.tag == "tag:yaml.org,2002:null"
                and node.value in ("", "~", "null")
            ):
                continue  # an empty document (`---` with nothing under it)
            line = node.start_mark.line + 1
            budget = _Budget()
            if not node.tag.startswith(_CORE_TAG):
                budget.tagged(node, "document", path)
            try:
                value = _convert(node, path, budget, 0, set())
            except YamlLimitError as exc:
                documents.append(
                    YamlDocument(None, line, YamlError(str(exc), exc.line, exc.column))
                )
                continue
            documents.append(YamlDocument(value, line, tags=tuple(budget.tags.values())))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else first_line
        column = mark.column + 1 if mark else 1
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        documents.append(
            YamlDocument(None, first_line, YamlError(f"invalid YAML: {message}", line, column))
        )
    except yaml.YAMLError as exc:
        documents.append(
            YamlDocument(None, first_line, YamlError(f"invalid YAML: {exc}", first_line))
        )
    except RecursionError:
        documents.append(
            YamlDocument(None, first_line, YamlError("YAML nested too deeply", first_line))
        )
    return documents


def _location(node: Any, path: str) -> Location:
    start, end = node.start_mark, node.end_mark
    return Location(
        path=path,
        line=start.line + 1,
        column=start.column + 1,
        end_line=end.line + 1,
        end_column=end.column + 1,
    )


def _convert(node: Any, path: str, budget: _Budget, depth: int, seen: set[int]) -> Any:
    if depth > MAX_DEPTH:
        raise YamlLimitError(
            f"YAML nested deeper than {MAX_DEPTH} levels: refused",
            node.start_mark.line + 1,
            node.start_mark.column + 1,
        )
    key = id(node)
    if key in seen:
        budget.expansions += 1
        if budget.expansions > MAX_ALIAS_EXPANSIONS:
            raise YamlLimitError(
                f"YAML aliases expand more than {MAX_ALIAS_EXPANSIONS} times: refused "
                "(an alias bomb?)",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
    seen.add(key)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        seq = YList(_location(node, path))
        item_tags: dict[int, str] | None = None
        for item in node.value:
            if not item.tag.startswith(_CORE_TAG):
                budget.tagged(item, "item", path)
                item_tags = item_tags or {}
                item_tags[len(seq)] = item.tag
            seq.append(_convert(item, path, budget, depth + 1, seen))
            seq.item_locations.append(_location(item, path))
        if item_tags:
            seq.tags = item_tags
        return seq
    if isinstance(node, yaml.MappingNode):
        mapping = YMap(_location(node, path))
        value_tags: dict[Any, str] | None = None
        for key_node, value_node in _merged_pairs(node):
            map_key = _convert(key_node, path, budget, depth + 1, seen)
            if isinstance(map_key, YMap | YList):
                map_key = str(map_key)
            if not key_node.tag.startswith(_CORE_TAG):
                budget.tagged(key_node, "key", path)
            if not value_node.tag.startswith(_CORE_TAG):
                budget.tagged(value_node, "value", path)
                value_tags = value_tags or {}
                value_tags[map_key] = value_node.tag
            elif value_tags and map_key in value_tags:
                del value_tags[map_key]  # a repeated key: the last one counts
            mapping[map_key] = _convert(value_node, path, budget, depth + 1, seen)
            mapping.key_locations[map_key] = _location(key_node, path)
            mapping.value_locations[map_key] = _location(value_node, path)
        if value_tags:
            mapping.tags = value_tags
        return mapping
    return None  # pragma: no cover


def _merged_pairs(node: Any) -> list[tuple[Any, Any]]:
    """The key/value node pairs of a mapping with `<<` merge keys applied (explicit keys win)."""
    pairs: list[tuple[Any, Any]] = []
    merged: list[tuple[Any, Any]] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            sources = (
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
            for source in sources:
                if isinstance(source, yaml.MappingNode):
                    merged.extend(_merged_pairs(source))
        else:
            pairs.append((key_node, value_node))
    explicit = {k.value for k, _ in pairs if isinstance(k, yaml.ScalarNode)}
    return [p for p in merged if p[0].value not in explicit] + pairs


_CONSTRUCTOR = yaml.SafeLoader("")
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


def _scalar(node: Any) -> Any:
    """A scalar's value as the safe loader resolves it: ints, floats, bools and null; every
    other tag (strings, timestamps, binary) stays the text as written. A plain scalar with an
    application tag (`!reset null`) is resolved as if untagged."""
    tag = node.tag
    if tag not in _SCALAR_TAGS:
        if node.style or tag.startswith(_CORE_TAG):
            return node.value
        tag = _CONSTRUCTOR.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
        if tag not in _SCALAR_TAGS:
            return node.value
        node = yaml.ScalarNode(tag, node.value)
    try:
        return yaml.SafeLoader.yaml_constructors[tag](_CONSTRUCTOR, node)
    except (yaml.YAMLError, ValueError, TypeError):
        return node.value
