"""HG108: sudoers lets a user or group run docker as root."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule


@rule(
    id="HG108",
    name="sudo-grants-docker",
    pillar=1,
    severity=Severity.HIGH,
    targets=(HOST,),
    references=("cis-docker:1.1.2", "cwe:250", "cwe:269"),
    fix="remove the sudoers rule that grants docker; treat anyone who needs it as a root "
    "administrator, or give them rootless Docker",
)
def sudo_grants_docker(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags rules in `/etc/sudoers` and `/etc/sudoers.d/*` that let a user or group other than
    root run `docker` (or `dockerd`, `podman`, `nerdctl`, `ctr`, directly or through a
    `Cmnd_Alias`). Rules that grant `ALL` are reported too, at lower severity: medium
    without a password, low with one.

    ## Why is this bad?
    `sudo docker` is a root shell: `sudo docker run --privileged -v /:/host alpine chroot
    /host` needs nothing else. A grant limited to "just docker" looks narrow in a review and
    is not; with `NOPASSWD` it is root for anyone who takes over the account.

    ## Example
    ```text
    # /etc/sudoers.d/deploy
    deploy ALL=(root) NOPASSWD: /usr/bin/docker
    ```
    Use instead:
    ```text
    # no docker grant; the deploy job uses rootless Docker or a socket proxy
    ```

    ## How to fix
    Remove the grant. If someone truly needs the engine, treat the grant as full root and
    review it as such, or give them a rootless engine.

    ## Notes
    Grants of `ALL` to administrator groups (`%sudo`, `%wheel`) are normal on many systems;
    they are reported at low severity so that a host profile can review them.
    """
    if audit.files is None:
        return
    for grant in audit.files.sudo_grants:
        password = "without a password" if grant.nopasswd else "with a password"
        if grant.grants_all:
            yield ctx.finding(
                at=grant.location,
                message=f"sudoers lets {grant.who} run every command as root, docker included, "
                f"{password}",
                severity=Severity.MEDIUM if grant.nopasswd else Severity.LOW,
            )
        else:
            yield ctx.finding(
                at=grant.location,
                message=f"sudoers lets {grant.who} run {', '.join(grant.commands)} as root "
                f"{password}: that is a root shell",
            )
