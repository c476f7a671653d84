"""`hullguard image REF`: read one image, then judge its config and its files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hullguard.config import Config
from hullguard.engine import Unit, judge, select_rules
from hullguard.image.registry import RegistryOptions
from hullguard.image.sources import IMAGE_KIND, open_image
from hullguard.model import ErrorEntry, Report
from hullguard.registry import IMAGE, IMAGE_FILES
from hullguard.vuln.scan import PENDING, Subject, image_package_set, wanted_subjects


@dataclass(frozen=True)
class ImageRequest:
    ref: str
    docker_host: str | None = None
    config: Config = field(default_factory=Config)
    baseline: frozenset[str] = frozenset()
    registry: RegistryOptions = field(default_factory=RegistryOptions)


def inspect_image(request: ImageRequest) -> Report:
    """Read the image and judge it: its config as an ImageSpec, its merged files as
    ImageContents, and (when HG630 runs) its packages, matched against the vulnerability
    database before the rules. An image that cannot be read is an unreadable target."""
    result = open_image(request.ref, docker_host=request.docker_host, registry=request.registry)
    models: list[tuple[str, Any]] = []
    errors = list(result.errors)
    if result.spec is not None:
        models.append((IMAGE, result.spec))
    if result.contents is not None:
        models.append((IMAGE_FILES, result.contents))
        if Subject.IMAGE in wanted_subjects(r.id for r in select_rules(request.config)):
            from hullguard.image.inventory import inventory

            found, problems = inventory(result.contents)
            errors.extend(problems)
            models.append((PENDING, image_package_set(result.contents, found)))
    units = [Unit(IMAGE_KIND, f"image/{request.ref}", models)] if models else []
    return judge(
        units,
        config=request.config,
        baseline=request.baseline,
        targets=list(result.targets),
        errors=errors,
    )


SBOM_FORMATS = ("cyclonedx", "spdx-json")


@dataclass(frozen=True)
class SbomResult:
    """The SBOM text, or None when the image could not be read; the errors met on the way."""

    text: str | None
    errors: tuple[ErrorEntry, ...]


def image_sbom(request: ImageRequest, fmt: str) -> SbomResult:
    """Read the image, take its package inventory and write it as an SBOM in `fmt`
    (`cyclonedx` or `spdx-json`) instead of judging it."""
    from hullguard.image.inventory import inventory  # type: ignore[import-not-found,unused-ignore]
    from hullguard.image.sbom import cyclonedx_json, spdx_json

    if fmt not in SBOM_FORMATS:
        raise ValueError(f"not an SBOM format: {fmt!r}")
    result = open_image(request.ref, docker_host=request.docker_host, registry=request.registry)
    if result.contents is None:
        return SbomResult(None, result.errors)
    found, problems = inventory(result.contents)
    write = cyclonedx_json if fmt == "cyclonedx" else spdx_json
    text = write(request.ref, found, result.contents)
    return SbomResult(text, result.errors + tuple(problems))
