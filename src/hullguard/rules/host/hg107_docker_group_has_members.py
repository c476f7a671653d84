"""HG107: ordinary users are members of the docker group."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule


@rule(
    id="HG107",
    name="docker-group-has-members",
    pillar=1,
    severity=Severity.HIGH,
    targets=(HOST,),
    references=("cis-docker:1.1.2", "cwe:250", "cwe:269"),
    fix="remove the user from the docker group (gpasswd -d USER docker) and give them a "
    "rootless Docker of their own, or a socket proxy that allows only what they need",
)
def docker_group_has_members(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags every user other than root who belongs to the `docker` group, whether listed in
    `/etc/group` or with `docker` as primary group in `/etc/passwd`.

    ## Why is this bad?
    The docker group can write to the daemon's socket, and whoever can do that can run
    `docker run --privileged -v /:/host` and is root on the host without a password and
    without a trace in sudo's log. Membership is root access by another name.

    ## Example
    ```text
    # /etc/group
    docker:x:999:alice,deploy
    ```
    Use instead:
    ```text
    docker:x:999:
    ```

    ## How to fix
    Remove the users (`gpasswd -d alice docker`). People who need containers get rootless
    Docker or Podman; automation that needs the engine gets a socket proxy with an
    allow-list, or runs as a dedicated service account reviewed as root.

    ## Notes
    Every member is reported: the benchmark asks for a review of each. Accept a reviewed
    account with an inline suppression or a baseline.
    """
    if audit.files is None:
        return
    for member in audit.files.docker_group_members:
        if member.uid == 0:
            continue
        how = "a member" if member.via == "member" else "docker is its primary group"
        yield ctx.finding(
            at=member.location,
            message=f"user {member.user} is in the docker group ({how}): it can start a "
            "privileged container and so is root on the host",
        )
