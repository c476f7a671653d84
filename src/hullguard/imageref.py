"""Image references (`registry/path:tag@digest`) parsed the way the Docker CLI normalises them."""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed reference; `registry` is `docker.io` for Docker Hub."""

    raw: str
    registry: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def is_docker_hub(self) -> bool:
        return self.registry == DOCKER_HUB

    @property
    def is_official(self) -> bool:
        """A Docker Official Image (`python`, `library/python`, `docker.io/library/python`)."""
        return self.is_docker_hub and self.path.startswith("library/") and self.path.count("/") == 1

    @property
    def name(self) -> str:
        """`registry/path` in full, for table look-ups."""
        return f"{self.registry}/{self.path}"

    @property
    def short_name(self) -> str:
        """The last path component: `python` for `docker.io/library/python`."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def familiar(self) -> str:
        """The name as people write it: `python`, `bitnami/redis`, `ghcr.io/org/app`."""
        if self.is_official:
            return self.path[len("library/") :]
        if self.is_docker_hub:
            return self.path
        return self.name


class ImageRefError(ValueError):
    pass


def parse_image_ref(text: str) -> ImageRef:
    """Parse a reference; raise ImageRefError with the reason when it is not one."""
    raw = text.strip()
    if not raw:
        raise ImageRefError("empty image reference")
    rest = raw
    digest = None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not _DIGEST.match(digest):
            raise ImageRefError(f"invalid digest {digest!r} in {raw!r}")
    tag = None
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG.match(tag):
            raise ImageRefError(f"invalid tag {tag!r} in {raw!r}")
    parts = rest.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, path_parts = parts[0].lower(), parts[1:]
    else:
        registry, path_parts = DOCKER_HUB, parts
    if registry in ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"):
        registry = DOCKER_HUB
    for component in path_parts:
        if not _PATH_COMPONENT.match(component):
            raise ImageRefError(f"invalid repository name component {component!r} in {raw!r}")
    if registry == DOCKER_HUB and len(path_parts) == 1:
        path_parts = ["library", *path_parts]
    return ImageRef(raw=raw, registry=registry, path="/".join(path_parts), tag=tag, digest=digest)


def try_parse_image_ref(text: str) -> ImageRef | None:
    try:
        return parse_image_ref(text)
    except ImageRefError:
        return None
