"""What the image file rules share: the data table, file texts and where a file came from."""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Any

from hullguard.data import load
from hullguard.image.model import FileType, ImageContents, ImageFile
from hullguard.secrets import find_secrets

_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
_RUN = re.compile(r"^(?:RUN\s+)?(?:\|\d+\s+(?:\S+\s+)*?)?/bin/sh -c\s+")
_BUILDKIT = re.compile(r"\s*# buildkit$")
MAX_INSTRUCTION = 80


@functools.cache
def table() -> dict[str, Any]:
    return load("image_files")


def instruction(contents: ImageContents, file: ImageFile) -> str:
    """The instruction of the layer that put `file` in the image, shortened, secrets redacted."""
    layer = contents.layer_of(file)
    if layer is None or not layer.created_by:
        return "an unknown layer"
    text = _BUILDKIT.sub("", layer.created_by.strip())
    text = _NOP.sub("", text)
    text = _RUN.sub("RUN ", text)
    for match in reversed(find_secrets(text)):
        text = text[: match.start] + match.redacted + text[match.end :]
    text = " ".join(text.split())
    if len(text) > MAX_INSTRUCTION:
        text = text[: MAX_INSTRUCTION - 1] + "…"
    return f"`{text}`"


def text_of(file: ImageFile) -> str | None:
    """The file's contents as text, when the image source kept them."""
    if file.content is None:
        return None
    return file.content.decode("utf-8", errors="replace")


def is_file(file: ImageFile) -> bool:
    return file.type in (FileType.REGULAR, FileType.HARDLINK)


def is_command(file: ImageFile) -> bool:
    return file.type in (FileType.REGULAR, FileType.HARDLINK, FileType.SYMLINK)


def in_bin_directory(path: str) -> bool:
    return posixpath.dirname(path) in table()["bin_directories"]


def account_lines(file: ImageFile | None) -> list[tuple[int, list[str]]]:
    """The `:`-separated entries of /etc/passwd or /etc/shadow with their line numbers."""
    text = text_of(file) if file is not None else None
    if not text:
        return []
    return [
        (number, line.split(":"))
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
