"""HG204: a setuid or setgid bit set in the shipped stages."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.filemodes import ModeChange, shipped_mode_changes
from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG204",
    name="setuid-bit-set",
    pillar=2,
    severity=Severity.HIGH,
    targets=(DOCKERFILE,),
    references=("cis-docker:4.8", "dockle:CIS-DI-0008", "cwe:250"),
    fix="do not set setuid/setgid bits; give the program the one capability it needs "
    "(`setcap`) or run it as the right user",
)
def setuid_bit_set(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a file mode that sets the setuid or setgid bit in a stage that ends up in the final
    image: `chmod u+s`, `chmod g+s`, `chmod +s`, `chmod 4755`/`2755`/`6755` in `RUN` (also
    `install -m 4755` and `mkdir -m 2775`), and `COPY`/`ADD --chmod=4755`.

    ## Why is this bad?
    A setuid program runs with its owner's privileges (root, nearly always) whoever starts it.
    In a container that runs as an ordinary user, every setuid binary is a way back to root
    for an attacker who gets code execution, and a bug in it is a privilege escalation. The
    CIS Docker Benchmark asks for these bits to be removed from images, not added.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    COPY ping-helper /usr/local/bin/
    RUN chmod u+s /usr/local/bin/ping-helper
    USER app
    ```
    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    COPY ping-helper /usr/local/bin/
    RUN setcap cap_net_raw+ep /usr/local/bin/ping-helper
    USER app
    ```

    ## How to fix
    Drop the `s` bit. If a program needs one privilege (binding a low port, raw sockets),
    grant that file capability with `setcap` or add the capability to the container at run
    time; if it must act as another user, run it as that user.

    ## Notes
    Looks at the stages that end up in the final image; a builder stage's modes only matter
    for the files copied out of it, which this rule cannot follow. Setting only the setgid
    bit is reported at medium severity. Removing the bits (`u-s`, `g-s`, `0755`) is fine,
    and a mode held in a variable is not judged.
    """
    for change, at in shipped_mode_changes(dockerfile, ctx.path):
        finding = _report(change, ctx, at)
        if finding:
            yield finding


def _report(change: ModeChange, ctx: Context, at: Location) -> Finding | None:
    bits = change.bits
    if not (bits.setuid or bits.setgid):
        return None
    which = (
        "setuid and setgid bits"
        if bits.setuid and bits.setgid
        else ("setuid bit" if bits.setuid else "setgid bit")
    )
    tool = change.written
    return ctx.finding(
        at=at,
        message=f"`{tool}` sets the {which} on {change.describe_targets()}",
        severity=None if bits.setuid else Severity.MEDIUM,
    )
