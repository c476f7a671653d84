"""HG210: seccomp, AppArmor or SELinux confinement is turned off for the container."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.spec import ContainerSpec

_PREFIX = re.compile(r"^(?:seccomp|apparmor|label)\s*[=:]\s*", re.I)
_SPC_T = re.compile(r"^type\s*[=:]\s*spc_t$", re.I)


@rule(
    id="HG210",
    name="security-profile-disabled",
    pillar=2,
    severity=Severity.HIGH,
    targets=(CONTAINER,),
    references=(
        "cis-docker:5.22",
        "cis-docker:5.2",
        "cis-docker:5.3",
        "checkov:CKV_K8S_31",
        "kics:404fde2c-bc4b-4371-9747-7054132ac953",
        "pss:baseline/seccompProfile",
        "pss:baseline/appArmorProfile",
        "pss:baseline/seLinuxOptions",
        "cwe:693",
    ),
    fix="remove the `unconfined`/`label=disable` option so the engine's default profiles "
    "apply, or write a custom profile that allows what the workload needs",
)
def security_profile_disabled(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a container that turns off one of the kernel's confinement layers: seccomp
    `unconfined`, AppArmor `unconfined`, SELinux labelling disabled (`label=disable`,
    `label:disable`) or the unconfined SELinux type `spc_t`.

    ## Why is this bad?
    The default seccomp profile blocks the system calls behind most kernel escapes
    (`keyctl`, `unshare`, `mount`, `bpf`, `open_by_handle_at`...), AppArmor's
    `docker-default` denies writes to `/proc` and `/sys`, and SELinux keeps a container's
    processes away from the host's files even when a mount exposes them. Turning one off
    removes a layer that stops real, published escapes.

    ## Example
    ```yaml
    services:
      builder:
        image: builder:3
        security_opt:
          - seccomp:unconfined
          - apparmor:unconfined
          - label:disable
    ```
    ```sh
    docker run --security-opt seccomp=unconfined builder:3
    ```
    Use instead:
    ```yaml
    services:
      builder:
        image: builder:3
        security_opt:
          - seccomp:./seccomp/builder.json
          - no-new-privileges:true
    ```

    ## How to fix
    Remove the option. If the default seccomp profile blocks a call the workload needs,
    start from Docker's default profile and allow that one call; likewise write an AppArmor
    profile or an SELinux policy module instead of turning them off.

    ## Notes
    Options are read as written by any source: compose and `docker run` (`seccomp=`,
    `seccomp:`, `apparmor=`, `label=disable`), Kubernetes (`Unconfined`, `seLinuxOptions.type:
    spc_t`). A custom profile path is not reported. A privileged container is HG201's.
    """
    for setting, what in ((spec.seccomp, "seccomp"), (spec.apparmor, "AppArmor")):
        if setting is not None and _bare(setting.value) == "unconfined":
            yield ctx.finding(
                at=setting,
                message=f"{spec.name} runs with {what} unconfined",
                resource=spec.resource,
            )
    for option in spec.selinux:
        value = _bare(option.value)
        if value == "disable":
            message = f"{spec.name} disables SELinux labelling"
        elif _SPC_T.match(value):
            message = f"{spec.name} runs as the unconfined SELinux type spc_t"
        else:
            continue
        yield ctx.finding(at=option, message=message, resource=spec.resource)


def _bare(value: str) -> str:
    """The setting without its `seccomp=`/`apparmor:`/`label=` prefix, lower case."""
    return _PREFIX.sub("", value.strip().strip("'\"")).strip().lower()
