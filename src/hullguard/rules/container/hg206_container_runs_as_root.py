"""HG206: the container runs as root, or leaves its user to an image that is not known here."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.container._user import UserState, container_user
from hullguard.spec import CI, ContainerSpec


@rule(
    id="HG206",
    name="container-runs-as-root",
    pillar=2,
    severity=Severity.HIGH,
    targets=(CONTAINER,),
    references=(
        "checkov:CKV_K8S_23",
        "pss:restricted/runAsNonRoot",
        "pss:restricted/runAsUser",
        "cwe:250",
    ),
    fix='run as an unprivileged UID: `user: "10001:10001"` in compose, `--user 10001` for '
    "docker run, `runAsNonRoot: true` and `runAsUser: 10001` in Kubernetes, or a USER in the "
    "image",
)
def container_runs_as_root(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a container whose effective user is root. The effective user is the one resolved
    from the whole chain when it is known (the runtime setting, else the image's or its
    Dockerfile's final `USER`, else the base image's default), otherwise the user written in
    the runtime configuration (`root`, `0`, `0:0`, `root:app`). When neither is known and
    Kubernetes' `runAsNonRoot` is not true, it reports at medium severity that the user is
    left to the image.

    ## Why is this bad?
    UID 0 in a container is UID 0 on the host's kernel, held back only by namespaces,
    capabilities and seccomp. Every kernel or runtime escape, every writable host mount and
    every mounted socket then belongs to root on the host. Most services need no root at all.

    ## Example
    ```yaml
    services:
      api:
        build: ./api        # its Dockerfile has no USER
      worker:
        image: python:3.12
        user: "0:0"
    ```
    ```sh
    docker run --user root python:3.12 python worker.py
    ```
    Use instead:
    ```yaml
    services:
      worker:
        image: python:3.12
        user: "10001:10001"
    ```

    ## How to fix
    Set an unprivileged numeric user at run time (`user:`, `--user`, `runAsUser` with
    `runAsNonRoot: true`) or, better, end the image's final stage with `USER <uid>` so every
    deployment gets it.

    ## Notes
    The message names every link that decided the user (the service, the Dockerfile's FROM
    and USER lines, the base image's known default). `runAsNonRoot: true` counts as non-root
    whatever else is known: the kubelet refuses to start such a container as root. A user
    given by an unresolved variable (`user: ${UID}`) is not reported. `1000:0` (root group
    only) is not root. A CI job's container with no user set is not reported (it lives for one
    job, as the runner decides); one that sets root explicitly is.
    """
    user = container_user(spec)
    if user.state is UserState.ROOT:
        yield ctx.finding(
            at=user.at,
            message=f"{spec.name} runs as root ({user.how})",
            resource=spec.resource,
            chain=user.chain,
        )
    elif user.state is UserState.NOT_SET and spec.kind != CI:
        yield ctx.finding(
            at=user.at,
            message=f"{spec.name} sets no user: {user.how}, and an image without USER runs as root",
            severity=Severity.MEDIUM,
            resource=spec.resource,
        )
