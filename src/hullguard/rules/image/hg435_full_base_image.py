"""HG435: the final image is built on a full distribution image where a slim one exists."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from hullguard.data import load
from hullguard.imageref import ImageRef
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE, Context, rule
from hullguard.spec import ImageSpec


@rule(
    id="HG435",
    name="full-base-image",
    pillar=4,
    severity=Severity.LOW,
    targets=(IMAGE,),
    references=("cis-docker:4.3",),
    fix="build FROM a slim, alpine, JRE or distroless variant, or copy the build result into one",
    options={"allow": []},
)
def full_base_image(spec: ImageSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a final image whose base (the root of the final stage's FROM chain) is a full
    distribution or toolchain image for which a smaller variant exists: `python:3.12` instead
    of `python:3.12-slim`, `node:20` instead of `node:20-slim` or `-alpine`, `debian:bookworm`
    instead of `bookworm-slim`, a JDK instead of a JRE, or a build image (`golang`, `rust`,
    `gcc`, `maven`, the .NET SDK) shipped as the runtime.

    ## Why is this bad?
    The full images carry compilers, headers, version control and hundreds of libraries the
    application never calls. Each is more to patch and more vulnerability reports to triage, and
    a ready toolbox for an attacker inside the container. The image is also several times larger
    to store, pull and scan.

    ## Example
    ```dockerfile
    FROM golang:1.22
    WORKDIR /src
    COPY . .
    RUN go build -o /app .
    CMD ["/app"]
    ```
    Use instead:
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /app .

    FROM gcr.io/distroless/static-debian12
    COPY --from=build /app /app
    CMD ["/app"]
    ```

    ## How to fix
    Switch the final stage to the slim, alpine, JRE or distroless variant, and build in a
    separate stage when the full image is needed for building.

    ## Options
    `allow`: image names (fnmatch patterns on the normalised `registry/path`, such as
    `docker.io/library/python`) to accept.

    ## Notes
    Only the final image's base is checked: a full image in a builder stage is fine. The list
    of known images, with the tag markers that make a variant slim, is in
    `hullguard/data/slim_images.toml`; unknown images, and a base given by digest without a
    tag, are not reported.
    """
    ref = spec.base_ref
    if ref is None or spec.base is None or (ref.tag is None and ref.digest):
        return  # no base, or pinned by digest alone: the variant cannot be told
    allow = [str(p) for p in ctx.options.get("allow", [])]
    if any(fnmatch.fnmatchcase(ref.name, pattern) for pattern in allow):
        return
    entry = _full_variant(ref)
    if entry is None:
        return
    image = f"`{ref.familiar}:{ref.tag or 'latest'}`"
    if entry["slim_markers"]:
        what = f"{image}, where a smaller variant exists"
    else:
        what = f"the build image {image}"
    yield ctx.finding(
        at=spec.base, message=f"the final image is built on {what}: {entry['suggest']}"
    )


def _full_variant(ref: ImageRef) -> dict[str, Any] | None:
    """The table entry when `ref` is a full variant of a known image, else None."""
    variant = f"{ref.short_name}:{ref.tag or 'latest'}".lower()
    for entry in load("slim_images")["image"]:
        if not fnmatch.fnmatchcase(ref.name, entry["name"]):
            continue
        if any(marker in variant for marker in entry["slim_markers"]):
            return None
        return dict(entry)
    return None
