"""HG602: a container with a way to the host runs without a sandbox runtime."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._mounts import socket_mounts
from hullguard.rules.host.hg601_no_sandbox_runtime import is_sandbox
from hullguard.spec import KUBERNETES, ContainerSpec

# The host namespaces that hand the container the host's processes, memory or network.
_RISKY_NAMESPACES = {"pid": "PID", "ipc": "IPC", "network": "network", "userns": "user"}


def _risks(spec: ContainerSpec) -> list[tuple[Location, str]]:
    """What gives the container a way to the host, each where it is written."""
    risks: list[tuple[Location, str]] = []
    if spec.privileged is not None and spec.privileged.value is True:
        risks.append((spec.privileged.location, "runs privileged"))
    risks.extend(
        (found.mount.location, f"mounts {found.describe()}") for found in socket_mounts(spec)
    )
    for field, label in _RISKY_NAMESPACES.items():
        mode = getattr(spec, field)
        if mode is None or mode.value.strip().lower() != "host":
            continue
        if field == "userns" and spec.kind == KUBERNETES:
            continue  # `hostUsers: true` restates Kubernetes' default
        risks.append((mode.location, f"shares the host's {label} namespace"))
    return risks


@rule(
    id="HG602",
    name="container-not-sandboxed",
    pillar=6,
    severity=Severity.INFO,
    targets=(CONTAINER,),
    references=("cwe:653", "cwe:250"),
    fix="run the container under gVisor or Kata (`runtime: runsc`, `docker run --runtime runsc`, "
    "Kubernetes `runtimeClassName: gvisor`), or take away what reaches the host",
)
def container_not_sandboxed(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises when a container that reaches into the host (it runs privileged, mounts a
    container engine's socket, or shares the host's PID, IPC, network or user namespace)
    runs under an ordinary runtime such as `runc` rather than a sandbox runtime: gVisor
    (`runsc`) or Kata Containers. The runtime is read from compose `runtime`, `docker run
    --runtime`, Kubernetes `runtimeClassName` and a live container's `HostConfig.Runtime`;
    the message names it, or says that the engine's default applies.

    ## Why is this bad?
    Under `runc` such a container shares the host's kernel and reaches the host directly: a
    kernel bug or one of the settings above is all that stands between code execution in
    it and the host. A sandbox runtime gives the container a kernel of its own (gVisor's
    user-space kernel, Kata's virtual machine), so that even a container granted too much
    reaches a sandbox rather than the host.

    ## Example
    ```yaml
    services:
      agent:
        image: monitoring/agent:2.1
        pid: host
    ```
    ```sh
    docker run --privileged ci-runner:4
    ```
    Use instead:
    ```yaml
    services:
      agent:
        image: monitoring/agent:2.1
        pid: host
        runtime: runsc
    ```

    ## How to fix
    Best, remove the setting that reaches the host (HG101, HG201, HG209). When it must stay,
    register gVisor or Kata with the engine (HG601) and run the container under it:
    `runtime: runsc` in compose, `--runtime runsc` (or `kata`) on the command line, a
    `RuntimeClass` and `runtimeClassName` in Kubernetes.

    ## Notes
    Advice: a sandbox does not make these settings safe, and some of them (host PID with
    Kata, a privileged container under gVisor) do not work the same in a sandbox; the rule
    points at the settings that make a second kernel worth having. A runtime name that
    contains `runsc`, `gvisor` or `kata` counts as a sandbox, as for HG601. Reported once
    per container, at its first such setting. Kubernetes' `hostUsers: true` does not count:
    it is Kubernetes' default.
    """
    if spec.runtime is not None and is_sandbox(spec.runtime.value):
        return
    risks = _risks(spec)
    if not risks:
        return
    runtime = spec.runtime.value.strip() if spec.runtime is not None else ""
    under = f"under runtime `{runtime}`" if runtime else "under the engine's default runtime"
    texts = [text for _, text in risks]
    reasons = " and ".join(filter(None, (", ".join(texts[:-1]), texts[-1])))
    yield ctx.finding(
        at=risks[0][0],
        message=f"{spec.name} {reasons} without a sandbox runtime (gVisor runsc, Kata): it "
        f"runs {under}, on the host's own kernel",
        resource=spec.resource,
    )
