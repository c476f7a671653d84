"""HG501: a user's Docker client configuration holds registry credentials in plain text."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule


@rule(
    id="HG501",
    name="registry-credentials-plaintext",
    pillar=5,
    severity=Severity.HIGH,
    targets=(HOST,),
    references=("cwe:256", "cwe:522"),
    fix="configure a credential helper (`credsStore` or `credHelpers` in ~/.docker/config.json), "
    "run `docker logout` and `docker login` again, and rotate the exposed password or token",
)
def registry_credentials_plaintext(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags `~/.docker/config.json` files (in every home folder named in `/etc/passwd`) whose
    `auths` entries hold an `auth`, `password`, `identitytoken` or `registrytoken`, rather
    than leaving them to a credential helper (`credsStore`, `credHelpers`).

    ## Why is this bad?
    `auth` is only base64 of `user:password`: anyone who can read the file, a backup of it or
    a container that mounts the home folder can push to the registry as that user, and often
    log in to the registry's web interface too. Pushing a poisoned image under a trusted name
    is a supply-chain attack.

    ## Example
    ```json
    {"auths": {"registry.example.com": {"auth": "ZGVwbG95OnMzY3JldA=="}}}
    ```
    Use instead:
    ```json
    {"auths": {"registry.example.com": {}}, "credsStore": "pass"}
    ```

    ## How to fix
    Install a credential helper (`docker-credential-pass`, `-secretservice`, `-ecr-login`,
    ...), set `credsStore`, log out and in again, and rotate the credential that was on disk.

    ## Notes
    The credential is reported redacted: a few characters and a hash, never the value.
    """
    if audit.files is None:
        return
    for credential in audit.files.registry_credentials:
        yield ctx.finding(
            at=credential.location,
            message=f"{credential.location.path} of user {credential.user} stores the login "
            f"for {credential.registry} in plain text ({credential.redacted})",
        )
