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
    `ImageContents.layers`; `content` is set only where `wants_content` says so."""

    path: str
    type: FileType
    mode: int
    uid: int
    gid: int
    size: int
    layer: int
    linkname: str | None = None
    content: bytes | None = None


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


@functools.cache
def _content_patterns() -> tuple[tuple[str, ...], tuple[str, ...]]:
    table = load("image_content_paths")
    return tuple(table["paths"]), tuple(table["names"])


def wants_content(path: str, size: int) -> bool:
    """Whether the image sources keep this file's bytes for the rules (small files only)."""
    if size > MAX_CONTENT_BYTES:
        return False
    paths, names = _content_patterns()
    name = posixpath.basename(path)
    return any(fnmatch.fnmatchcase(path, p) for p in paths) or any(
        fnmatch.fnmatchcase(name, n) for n in names
    )
