"""HG454: package manager caches left in a built image."""

from __future__ import annotations

import fnmatch
import posixpath
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hullguard.image.model import ImageContents, ImageFile
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import instruction, is_file, table


@dataclass
class _Cache:
    spec: dict[str, Any]
    files: list[ImageFile] = field(default_factory=list)

    def holds(self, path: str) -> bool:
        directory: str = self.spec["directory"]
        if not path.startswith(directory + "/"):
            return False
        name = posixpath.basename(path)
        return any(fnmatch.fnmatchcase(name, p) for p in self.spec["names"]) and not any(
            fnmatch.fnmatchcase(name, p) for p in self.spec.get("ignore", [])
        )


@rule(
    id="HG454",
    name="package-cache-in-image",
    pillar=4,
    severity=Severity.LOW,
    targets=(IMAGE_FILES,),
    references=("dockle:DKL-DI-0005", "hadolint:DL3009", "cis-docker:4.3"),
    fix="clean the cache in the same RUN that fills it (`rm -rf /var/lib/apt/lists/*`, "
    "`apk add --no-cache`, `pip install --no-cache-dir`, `npm cache clean --force`, "
    "`dnf clean all`), or use a cache mount",
)
def package_cache_in_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags package manager caches left in a built image: downloaded `.deb` archives in
    `/var/cache/apt/archives`, apt's package lists in `/var/lib/apt/lists` (beyond `lock`),
    `/var/cache/apk`, pip's cache in `/root/.cache/pip`, npm's in `/root/.npm`, yarn's,
    and the caches of yum and dnf.

    ## Why is this bad?
    Caches make every pull larger and slower and hold nothing the application uses. Package
    lists also freeze what the package manager believes is current, so a later install in a
    derived image may fetch stale versions.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y curl
    ```
    Use instead:
    ```dockerfile
    RUN apt-get update && apt-get install -y --no-install-recommends curl \\
        && rm -rf /var/lib/apt/lists/*
    ```

    ## How to fix
    Clean in the same `RUN` that fills the cache (a later `RUN` only hides the files), use
    the package manager's no-cache option, or a BuildKit cache mount
    (`RUN --mount=type=cache,target=/root/.cache/pip`).

    ## Notes
    One finding per cache, at its directory, with the number of files and their size. The
    caches live in `data/image_files.toml`.
    """
    caches = [_Cache(spec) for spec in table()["cache"]]
    for path in sorted(contents.files):
        file = contents.files[path]
        if not is_file(file):
            continue
        cache = next((c for c in caches if c.holds(path)), None)
        if cache is not None:
            cache.files.append(file)
    for cache in caches:
        if not cache.files:
            continue
        directory = cache.spec["directory"]
        layer = Counter(f.layer for f in cache.files).most_common(1)[0][0]
        sample = next(f for f in cache.files if f.layer == layer)
        size = sum(f.size for f in cache.files)
        yield ctx.finding(
            at=contents.at(directory),
            message=f"{cache.spec['manager']} {cache.spec['what']} left in `{directory}`: "
            f"{len(cache.files)} files, {_size(size)}, added by {instruction(contents, sample)}",
        )


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"
