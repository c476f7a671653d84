"""Files that hold credentials, recognised by name (`data/secret_files.toml`).

One matcher for every place that looks for secret files: a Dockerfile's COPY and ADD, and the
files of a built image.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
from typing import Any

from hullguard.data import load


@functools.cache
def _table() -> dict[str, Any]:
    return load("secret_files")


@functools.lru_cache(maxsize=8192)
def secret_file_kind(path: str) -> str | None:
    """What kind of secret file `path` names, by its last components; None if none."""
    parts = [p for p in posixpath.normpath(path.strip("'\"")).split("/") if p not in ("", ".")]
    if not parts:
        return None
    name = parts[-1]
    if any(fnmatch.fnmatchcase(name, p) for p in _table()["exclude"]["patterns"]):
        return None
    for entry in _table()["file"]:
        pattern = entry["pattern"].split("/")
        tail = parts[-len(pattern) :]
        if len(tail) == len(pattern) and all(
            fnmatch.fnmatchcase(p, q) for p, q in zip(tail, pattern, strict=True)
        ):
            return str(entry["kind"])
    return None
