"""HG511: every client that reaches the daemon may make every API call."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Located, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import docker_present, judge


@rule(
    id="HG511",
    name="no-authorization-plugin",
    pillar=5,
    severity=Severity.LOW,
    targets=(HOST,),
    references=("cis-docker:2.12", "cwe:862"),
    fix='add an authorization plugin (`"authorization-plugins": ["opa-docker-authz"]`) with a '
    "policy that denies privileged containers and host mounts",
)
def no_authorization_plugin(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a daemon with no authorization plugin, judged from the Engine API's plugin list,
    else from `authorization-plugins` / `--authorization-plugin` in the files.

    ## Why is this bad?
    The daemon's only control is who can reach its socket; after that every call is
    allowed, including privileged containers with the host's `/` mounted. A plugin lets a
    policy refuse those calls.

    ## Example
    ```json
    {"icc": false}
    ```
    Use instead:
    ```json
    {"icc": false, "authorization-plugins": ["opa-docker-authz"]}
    ```

    ## How to fix
    Install an authorization plugin (OPA, casbin, ...) with a policy, and name it in
    `authorization-plugins`.

    ## Notes
    Low severity: a plugin is defence in depth, not a substitute for keeping the socket
    closed.
    """
    if not docker_present(audit):
        return
    found = judge(
        audit,
        "authorization_plugins",
        lambda s: Located(tuple(p.value for p in s.authorization_plugins),
                          s.authorization_plugins[0].location)
        if s.authorization_plugins
        else None,
        default=tuple[str, ...](),
    )  # fmt: skip
    if found is not None and not found.value:
        yield ctx.finding(
            at=found.location, message=f"no authorization plugin guards the API ({found.source})"
        )
