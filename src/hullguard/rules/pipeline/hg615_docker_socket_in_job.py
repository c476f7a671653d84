"""HG615: the runner's Docker socket is mounted into a job's container or service."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import PIPELINE, Context, rule
from hullguard.sources.ci import Pipeline

_SOCKETS = ("docker.sock", "podman.sock", "containerd.sock")


@rule(
    id="HG615",
    name="docker-socket-in-job-container",
    pillar=6,
    severity=Severity.HIGH,
    targets=(PIPELINE,),
    references=("cis-docker:5.32", "cwe:250"),
    fix="do not hand the runner's daemon to the job: build with kaniko, buildah or BuildKit "
    "rootless, or on an isolated builder",
)
def docker_socket_in_job_container(pipeline: Pipeline, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a job container or service that mounts the host's container-engine socket
    (`/var/run/docker.sock`, `/run/podman/podman.sock`, `containerd.sock`): in GitHub
    Actions through `options: -v /var/run/docker.sock:/var/run/docker.sock` (or `--volume`,
    `--mount`) or `volumes:` of `container:` and `services:`; in Jenkinsfiles through a
    Docker agent's `args` (`agent { docker { args '-v /var/run/docker.sock:...' } }`) or the
    arguments of `docker.image(...).inside(...)`, `.withRun(...)` and `.run(...)`, or a
    `hostPath` volume of a Kubernetes agent's pod. The finding is on the mount.

    GitLab pipelines cannot mount host paths: a socket given to GitLab jobs is set in the
    runner's `config.toml` (`volumes = ["/var/run/docker.sock:/var/run/docker.sock"]`),
    which `hullguard host` and the runner's own configuration review must cover; this rule
    cannot see it in `.gitlab-ci.yml`.

    ## Why is this bad?
    The Docker socket is the daemon's full API: whoever reaches it starts a privileged
    container with the host's root filesystem mounted, and is root on the runner. Every
    build step, test dependency and action in the job gets that power, and with it the
    other jobs and secrets the runner handles.

    ## Example
    ```yaml
    jobs:
      integration:
        runs-on: [self-hosted, linux]
        container:
          image: node:22-bookworm
          options: -v /var/run/docker.sock:/var/run/docker.sock
    ```
    Use instead:
    ```yaml
    jobs:
      integration:
        runs-on: [self-hosted, linux]
        container:
          image: node:22-bookworm
        services:
          postgres:
            image: postgres:17
    ```

    ## How to fix
    Start what the job needs as `services:`, build images with a daemonless builder, or give
    the job an ephemeral VM of its own if it truly needs a Docker daemon.
    """
    for job in pipeline.jobs:
        for spec in job.containers:
            for mount in spec.mounts:
                source = mount.source or ""
                if mount.type == "bind" and source.rstrip("/").endswith(_SOCKETS):
                    yield ctx.finding(
                        at=mount.location,
                        message=f"{spec.name} mounts the host's `{source}`",
                        resource=job.name,
                    )
