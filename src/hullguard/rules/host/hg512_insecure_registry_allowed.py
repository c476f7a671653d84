"""HG512: the daemon pulls from a registry without verifying TLS."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import API, api_location, file_settings, where

_LOOPBACK = ("127.", "::1", "localhost")


@rule(
    id="HG512",
    name="insecure-registry-allowed",
    pillar=5,
    severity=Severity.HIGH,
    targets=(HOST,),
    references=("cis-docker:2.5", "cwe:295", "cwe:319"),
    fix="remove the registry from insecure-registries and give it a certificate the host "
    "trusts (/etc/docker/certs.d/REGISTRY/ca.crt for a private CA)",
)
def insecure_registry_allowed(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags every registry (or network range) listed in `insecure-registries` /
    `--insecure-registry`, from the Engine API when the daemon answers, else from the files.
    Loopback, which Docker always treats as insecure, is left out.

    ## Why is this bad?
    For an insecure registry the daemon accepts plain HTTP and any certificate: anyone on
    the network path can serve a different image under the same name, and it runs on the
    host.

    ## Example
    ```json
    {"insecure-registries": ["registry.internal:5000"]}
    ```
    Use instead:
    ```text
    /etc/docker/certs.d/registry.internal:5000/ca.crt   (the registry's CA)
    ```

    ## How to fix
    Give the registry a certificate (a private CA is fine), install the CA under
    `/etc/docker/certs.d/`, and remove the entry.

    ## Notes
    When the API reports a registry also written in a file, the finding points at the file.
    """
    in_files = {r.value: r for r in file_settings(audit).insecure_registries}
    if audit.daemon is not None:
        for registry in audit.daemon.insecure_registries:
            if registry.startswith(_LOOPBACK):
                continue
            written = in_files.get(registry)
            source = f"{API}; set in {where(written.location)}" if written else API
            yield ctx.finding(
                at=written.location if written else api_location(audit, "insecure_registries"),
                message=f"the daemon trusts {registry} without TLS verification ({source})",
            )
        return
    for entry in in_files.values():
        if entry.value.startswith(_LOOPBACK):
            continue
        yield ctx.finding(
            at=entry,
            message=f"the daemon trusts {entry.value} without TLS verification "
            f"(set in {where(entry.location)})",
        )
