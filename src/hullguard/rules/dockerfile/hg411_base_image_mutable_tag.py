"""HG411: a base image without a tag or tagged `latest`."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile

MUTABLE_TAG = "latest"


@rule(
    id="HG411",
    name="base-image-mutable-tag",
    pillar=4,
    severity=Severity.MEDIUM,
    targets=(DOCKERFILE,),
    references=(
        "hadolint:DL3006",
        "hadolint:DL3007",
        "checkov:CKV_DOCKER_7",
        "trivy:DS-0001",
        "dockle:DKL-DI-0006",
        "kics:9efb0b2d-89c9-41a3-91ca-dcc0aec911fd",
        "kics:f45ea400-6bbe-4501-9fc7-1c3d75c32067",
    ),
    fix="name a version tag (`python:3.12.4-slim`), ideally with its digest",
)
def base_image_mutable_tag(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a `FROM` that names an image without a tag (which means `latest`) or with the tag
    `latest`, in any stage, unless the reference is pinned by digest.

    ## Why is this bad?
    `latest` is whatever the publisher pushed last. The same Dockerfile builds a different
    image from one day to the next, with a new major version, a new distribution release or
    a compromised push, and nobody can tell which base a given image was built from. Builds
    stop being reproducible and reviews stop meaning anything.

    ## Example
    ```dockerfile
    FROM golang AS build
    FROM alpine:latest
    ```
    Use instead:
    ```dockerfile
    FROM golang:1.22.5-bookworm AS build
    FROM alpine:3.20.1
    ```

    ## How to fix
    Name the version you tested with: the most specific tag the publisher maintains, and the
    digest too (`alpine:3.20.1@sha256:...`) so that the tag cannot move under you. Let a bot
    such as Renovate or Dependabot propose updates.

    ## Notes
    Every stage is checked, builders included: a moving compiler image changes what ships.
    A reference pinned by digest (`alpine@sha256:...`, `alpine:latest@sha256:...`) is
    immutable and not reported. `FROM scratch`, `FROM <earlier stage>` and bases holding an
    unresolved variable (HG412) are not image references and are skipped.
    """
    for stage in dockerfile.stages:
        ref = stage.base_ref
        if ref is None or ref.digest is not None:
            continue
        if ref.tag is None:
            message = f"{stage.label} is built FROM `{stage.base}` without a tag, i.e. `latest`"
        elif ref.tag == MUTABLE_TAG:
            message = f"{stage.label} is built FROM `{stage.base}`, a moving tag"
        else:
            continue
        yield ctx.finding(at=stage.from_instruction, message=message)
