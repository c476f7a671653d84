"""`hullguard image REF`: read one image, then judge its config and its files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hullguard.config import Config
from hullguard.engine import Unit, judge
from hullguard.image.sources import IMAGE_KIND, open_image
from hullguard.model import Report
from hullguard.registry import IMAGE, IMAGE_FILES


@dataclass(frozen=True)
class ImageRequest:
    ref: str
    docker_host: str | None = None
    config: Config = field(default_factory=Config)
    baseline: frozenset[str] = frozenset()


def inspect_image(request: ImageRequest) -> Report:
    """Read the image and judge it: its config as an ImageSpec, its merged files as
    ImageContents. An image that cannot be read is an unreadable target of the report."""
    result = open_image(request.ref, docker_host=request.docker_host)
    models: list[tuple[str, Any]] = []
    if result.spec is not None:
        models.append((IMAGE, result.spec))
    if result.contents is not None:
        models.append((IMAGE_FILES, result.contents))
    units = [Unit(IMAGE_KIND, f"image/{request.ref}", models)] if models else []
    return judge(
        units,
        config=request.config,
        baseline=request.baseline,
        targets=list(result.targets),
        errors=list(result.errors),
    )
