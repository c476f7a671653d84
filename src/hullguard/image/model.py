"""What an image holds: every file of the merged layers, with the layer that put it there.

The image sources build `ImageContents`; the image file rules judge it and never read anything
themselves. Contents are kept only for the files that rules read (`wants_content`: credentials,
account databases, shell histories, package manager and tool configuration), small ones only,
so that a large image is inspected in bounded memory.
"""

from __future__ import annotations

import enum
import fnmatch
import functools
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from hullguard.data import load
from hullguard.model import Location

MAX_CONTENT_BYTES = 1024 * 1024


class FileType(enum.Enum):
    REGULAR = "file"
    DIRECTORY = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHARDEV = "char"
    BLOCKDEV = "block"
    FIFO = "fifo"


@dataclass(frozen=True, slots=True)
class ImageFile:
    """A file of the merged view. `path` is absolute and normalised (`/etc/passwd`); `mode`
    holds the permission bits with setuid, setgid and sticky; `layer` indexes
    `ImageContents.layers`; `content` is set only where `wants_content` says so;
    `go_buildinfo` holds the Go build information blob (from the `\\xff Go buildinf:` magic
    on) of an executable built by Go, captured while the layer was read, never the binary."""

    path: str
    type: FileType
    mode: int
    uid: int
    gid: int
    size: int
    layer: int
    linkname: str | None = None
    content: bytes | None = None
    go_buildinfo: bytes | None = None


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer, with the history entry (the Dockerfile instruction) that made it."""

    index: int
    digest: str
    size: int
    created_by: str | None


@dataclass(frozen=True)
class ImageContents:
    ref: str  # as the user named it: `docker-archive:app.tar`, `oci:dir:tag`, `alpine:3.20`
    files: Mapping[str, ImageFile]
    layers: tuple[Layer, ...]
    location: Location  # logical `image/<ref>`

    def at(self, path: str) -> Location:
        """Where to report a finding about one file: `image/<ref>:/etc/shadow`."""
        return Location(logical=f"image/{self.ref}:{path}")

    def layer_of(self, file: ImageFile) -> Layer | None:
        return self.layers[file.layer] if 0 <= file.layer < len(self.layers) else None


@dataclass(frozen=True)
class _ContentGroup:
    max_bytes: int
    paths: tuple[str, ...]
    names: tuple[str, ...]

    @functools.cached_property
    def _path_pattern(self) -> re.Pattern[str] | None:
        return _union(self.paths)

    @functools.cached_property
    def _name_pattern(self) -> re.Pattern[str] | None:
        return _union(self.names)

    def matches(self, path: str, name: str) -> bool:
        by_path, by_name = self._path_pattern, self._name_pattern
        return bool(
            (by_path is not None and by_path.match(path))
            or (by_name is not None and by_name.match(name))
        )


def _union(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """The shell patterns as one regular expression: one match per file, not one per pattern."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


@functools.cache
def _content_groups() -> tuple[_ContentGroup, ...]:
    table = load("image_content_paths")
    groups = [_ContentGroup(MAX_CONTENT_BYTES, tuple(table["paths"]), tuple(table["names"]))]
    for entry in table.get("limits", []):
        groups.append(
            _ContentGroup(
                int(entry["max_bytes"]),
                tuple(entry.get("paths", ())),
                tuple(entry.get("names", ())),
            )
        )
    return tuple(groups)


def content_limit(path: str) -> int | None:
    """The most bytes of this file the image sources keep, or None when they keep none:
    1 MiB for the files the rules read, more for the package databases the inventory reads
    (`[[limits]]` in the data table)."""
    name = posixpath.basename(path)
    limits = [g.max_bytes for g in _content_groups() if g.matches(path, name)]
    return max(limits) if limits else None


def wants_content(path: str, size: int) -> bool:
    """Whether the image sources keep this file's bytes (files within their pattern's limit)."""
    limit = content_limit(path)
    return limit is not None and size <= limit
