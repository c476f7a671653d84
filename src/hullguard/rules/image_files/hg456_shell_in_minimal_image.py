"""HG456: a shell or package manager in an image built to be minimal."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from hullguard.image.model import ImageContents
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import (
    in_bin_directory,
    instruction,
    is_command,
    table,
    text_of,
)

DISTROLESS_PACKAGES = "/var/lib/dpkg/status.d"
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
_ID = re.compile(r"^ID=[\"']?([^\"'\s]+)", re.MULTILINE)


@rule(
    id="HG456",
    name="shell-in-minimal-image",
    pillar=4,
    severity=Severity.INFO,
    targets=(IMAGE_FILES,),
    references=("cis-docker:4.3", "cwe:1104"),
    fix="build the final stage on a base without a shell (a distroless or static base, "
    "`FROM scratch`) and leave debugging to ephemeral debug containers",
)
def shell_in_minimal_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises when an image built to be minimal still holds a shell (`sh`, `bash`, `ash`,
    `busybox`...) or a package manager (`apk`, `apt`, `dpkg`, `rpm`, `dnf`...) among its
    commands. An image counts as built to be minimal when it holds no full package database
    (no `/var/lib/dpkg/status`, `lib/apk/db/installed` or rpm database: distroless images
    keep only `/var/lib/dpkg/status.d/`, `FROM scratch` images none), or when its
    `/etc/os-release` names a minimal distribution (`ID=wolfi`, `chainguard`).

    ## Why is this bad?
    Leaving out the shell and the package manager is what makes such an image hard to
    exploit: with `/bin/sh` present, a command injection becomes a shell, and with a
    package manager, an attacker installs the rest of their tools. An image that looks
    distroless but has a shell gives a false sense of safety.

    ## Example
    ```dockerfile
    FROM gcr.io/distroless/static-debian12
    COPY --from=busybox:musl /bin/busybox /bin/sh
    ```

    ## How to fix
    Use the variant without a shell (`distroless/static`, not `:debug`; Chainguard's images
    without `-dev`), or `FROM scratch`, and debug with an ephemeral container.

    ## Notes
    Advice (info): BusyBox images and images built `FROM scratch` with a shell on purpose
    are reported too. Images with a full package database (Debian, Alpine, Red Hat based)
    are not judged here; HG435 advises on their base. The commands and databases live in
    `data/image_files.toml`.
    """
    reason = _minimal_because(contents)
    if reason is None:
        return
    minimal = table()["minimal"]
    wanted = {*minimal["shells"], *minimal["package_managers"]}
    found = sorted(
        p
        for p, f in contents.files.items()
        if is_command(f) and in_bin_directory(p) and posixpath.basename(p) in wanted
    )
    if not found:
        return
    first = found[0]
    names = ", ".join(f"`{p}`" for p in found)
    yield ctx.finding(
        at=contents.at(first),
        message=f"the image looks minimal ({reason}) but has {names}; `{first}` was added by "
        f"{instruction(contents, contents.files[first])}",
    )


def _minimal_because(contents: ImageContents) -> str | None:
    for path in OS_RELEASE:
        file = contents.files.get(path)
        text = text_of(file) if file is not None else None
        match = _ID.search(text or "")
        if match and match.group(1) in table()["minimal"]["minimal_distributions"]:
            return f"`{path}` says ID={match.group(1)}"
    if any(p in contents.files for p in table()["minimal"]["package_databases"]):
        return None
    if any(p.startswith(DISTROLESS_PACKAGES + "/") for p in contents.files):
        return "a distroless package database and no full one"
    return "no package database"
