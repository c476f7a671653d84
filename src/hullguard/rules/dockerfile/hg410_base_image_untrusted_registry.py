"""HG410: a base image from outside the trusted registries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from hullguard.data import load
from hullguard.imageref import DOCKER_HUB, ImageRef
from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile

DEFAULT_TRUSTED = tuple(r["prefix"] for r in load("trusted_registries")["registry"])
_HUB_ALIASES = (
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
    "hub.docker.com",
)


@rule(
    id="HG410",
    name="base-image-untrusted-registry",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=("hadolint:DL3026", "cis-docker:4.2", "dockle:CIS-DI-0002", "cwe:829"),
    fix="build FROM an official or vendor image, or mirror the base into your own registry "
    "and add it to `trusted_registries`",
    options={"trusted_registries": list(DEFAULT_TRUSTED)},
)
def base_image_untrusted_registry(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a `FROM` whose image comes from a registry or namespace outside the trusted list:
    by default Docker Official Images and the registries of well-known vendors that build
    their own images. Every stage is checked, builders included.

    ## Why is this bad?
    The base image is code that runs as root during the build and becomes most of what
    ships. An image from an arbitrary Docker Hub account or an unknown registry can be
    replaced, abandoned or poisoned by whoever controls that account, and it reaches you
    with no review. A builder stage is no exception: it compiles the artifacts the final
    image ships, so a poisoned compiler poisons them.

    ## Example
    ```dockerfile
    FROM someuser/python-build:3.12 AS build
    FROM registry.example.net/base/python:3.12
    ```
    Use instead:
    ```dockerfile
    FROM python:3.12-slim AS build
    FROM gcr.io/distroless/python3-debian12:nonroot
    ```

    ## How to fix
    Build FROM a Docker Official Image or an image published by the vendor itself, or copy
    the image you need into a registry you control (after review and scanning) and list that
    registry in the `trusted_registries` option.

    ## Options
    `trusted_registries` (list of strings): registries (`mcr.microsoft.com`) or registry
    namespaces (`gcr.io/distroless`, `docker.io/library` for the official images) whose
    images are trusted, matched on whole path components. A bare Docker Hub namespace
    (`bitnami`) means `docker.io/bitnami`; `docker.io` trusts all of Docker Hub. The default
    list is in `data/trusted_registries.toml` with the reason for each entry. Setting the
    option replaces the list.

    ## Notes
    `FROM scratch` and `FROM <earlier stage>` are not images from a registry and are never
    reported; a base still holding an unresolved variable is HG412's. Docker Hub user and
    organisation namespaces are not trusted by default, verified publishers included: list the
    ones you have vetted.
    """
    trusted = trusted_prefixes(ctx.options.get("trusted_registries"))
    for stage in dockerfile.stages:
        ref = stage.base_ref
        if ref is None or is_trusted(ref, trusted):
            continue
        yield ctx.finding(
            at=stage.from_instruction,
            message=f"{stage.label} is built FROM `{stage.base}` from {origin(ref)}, "
            "which is not a trusted registry",
        )


def trusted_prefixes(option: object) -> list[str]:
    """A `trusted_registries` option as normalised prefixes for `is_trusted` (shared with
    HG623, which applies the same list to the images containers run)."""
    return [_normalise_prefix(p) for p in _as_list(option)]


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return []


def _normalise_prefix(prefix: str) -> str:
    text = prefix.strip().strip("/").lower()
    first, _, rest = text.partition("/")
    if first in _HUB_ALIASES:
        first = DOCKER_HUB
    elif "." not in first and ":" not in first and first != "localhost":
        return f"{DOCKER_HUB}/{text}"
    return f"{first}/{rest}" if rest else first


def is_trusted(ref: ImageRef, trusted: list[str]) -> bool:
    """Whether the image lies under one of `trusted_prefixes`, on whole path components."""
    name = ref.name
    return any(name == p or name.startswith(p + "/") for p in trusted)


def origin(ref: ImageRef) -> str:
    """Where the image comes from, for messages."""
    if ref.is_official:
        return "the Docker Official Images (`docker.io/library`)"
    if ref.is_docker_hub:
        return f"the Docker Hub namespace `{ref.path.split('/', 1)[0]}`"
    return f"the registry `{ref.registry}`"
