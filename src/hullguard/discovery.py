"""Finding targets: walk the given paths, classify files by kind, never leave the scanned root."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hullguard.sources.lockfiles import lock_file_kind

# Kinds recognised by name. Kubernetes manifests are recognised by content (see `sniff_yaml`).
DOCKERFILE = "dockerfile"
COMPOSE = "compose"
KUBERNETES = "kubernetes"
CI = "ci"
SCRIPT = "script"
LOCKFILE = "lockfile"  # requirements*.txt, poetry.lock, package-lock.json, go.sum, go.mod

ALWAYS_EXCLUDED_DIRS = frozenset({".git", ".hg", ".svn"})
# compose.yaml, docker-compose.prod.yml, and `<name>.compose.yaml` / `<name>.docker-compose.yml`
_COMPOSE_NAME = re.compile(r"^(?:[\w.-]+\.)?(docker-)?compose(\.[\w.-]+)?\.ya?ml$", re.IGNORECASE)
_YAML = re.compile(r"\.ya?ml$", re.IGNORECASE)
_K8S_SNIFF = re.compile(rb"^apiVersion:\s*\S+", re.MULTILINE)
_K8S_KIND = re.compile(rb"^kind:\s*\S+", re.MULTILINE)


def is_jenkinsfile(name: str) -> bool:
    """`Jenkinsfile`, `Jenkinsfile.<name>`, `Jenkinsfile_<name>` or `<name>.jenkinsfile`, in
    any case."""
    lower = name.lower()
    if lower == "jenkinsfile" or lower.endswith(".jenkinsfile"):
        return True
    return lower.startswith(("jenkinsfile.", "jenkinsfile_"))


def classify_name(relpath: PurePosixPath) -> str | None:
    """The kind a file is by its name alone, or None."""
    name = relpath.name
    lower = name.lower()
    if (
        lower in ("dockerfile", "containerfile")
        or lower.startswith(("dockerfile.", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    ):
        return DOCKERFILE
    if _COMPOSE_NAME.match(name):
        return COMPOSE
    parts = relpath.parts
    if lower in (".gitlab-ci.yml", ".gitlab-ci.yaml"):
        return CI
    if len(parts) >= 3 and parts[-3:-1] == (".github", "workflows") and _YAML.search(name):
        return CI
    if is_jenkinsfile(name):
        return CI
    if lower.endswith((".sh", ".bash")) or lower in ("makefile", "gnumakefile"):
        return SCRIPT
    if lock_file_kind(name) is not None:
        return LOCKFILE
    if _YAML.search(name):
        return KUBERNETES  # confirmed by content in `sniff_yaml`
    return None


def sniff_yaml(head: bytes) -> bool:
    """A YAML file that looks like a Kubernetes manifest (top-level apiVersion and kind)."""
    return bool(_K8S_SNIFF.search(head) and _K8S_KIND.search(head))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file found under a scanned path. `skip_reason` is set for files that must not be read."""

    path: Path  # as it will be opened
    display: str  # as it is reported
    kind: str
    skip_reason: str | None = None


def excluded(display: str, patterns: tuple[str, ...]) -> bool:
    name = display.rsplit("/", 1)[-1]
    for pattern in patterns:
        if fnmatch.fnmatchcase(display, pattern) or fnmatch.fnmatchcase(name, pattern):
            return True
        stripped = pattern.rstrip("/")
        if stripped.endswith("/**"):
            stripped = stripped[:-3]
        if display == stripped or display.startswith(stripped + "/"):
            return True
    return False


def walk(root: Path, display_root: str, excludes: tuple[str, ...]) -> Iterator[Candidate]:
    """Every classified file under `root`, in sorted order; symlinks never lead out of `root`."""
    real_root = os.path.realpath(root)
    visited: set[str] = {real_root}
    yield from _walk_dir(root, display_root, real_root, excludes, visited)


def _join(display_root: str, name: str) -> str:
    return name if display_root in ("", ".") else f"{display_root.rstrip('/')}/{name}"


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def _walk_dir(
    directory: Path, display: str, real_root: str, excludes: tuple[str, ...], visited: set[str]
) -> Iterator[Candidate]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        yield Candidate(directory, display or ".", "directory", f"cannot list: {exc.strerror}")
        return
    for entry in entries:
        shown = _join(display, entry.name)
        if entry.name in ALWAYS_EXCLUDED_DIRS or excluded(shown, excludes):
            continue
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=True)
        except OSError:
            is_link, is_dir = True, False
        kind = None if is_dir else classify_name(PurePosixPath(shown))
        if is_link:
            real = os.path.realpath(path)
            if not _inside(real, real_root):
                if is_dir or kind is not None:
                    yield Candidate(
                        path, shown, kind or "directory",
                        f"symlink to {real} leads outside the scanned root; not followed",
                    )  # fmt: skip
                continue
            if is_dir and real in visited:
                continue
        if is_dir:
            visited.add(os.path.realpath(path))
            yield from _walk_dir(path, shown, real_root, excludes, visited)
        elif kind is not None:
            yield Candidate(path, shown, kind)
