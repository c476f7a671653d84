"""HG614: a job starts Docker-in-Docker privileged, or reaches it without TLS."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import PIPELINE, Context, rule
from hullguard.sources.ci import Pipeline, _is_dind
from hullguard.spec import EnvVar


@rule(
    id="HG614",
    name="docker-in-docker-insecure",
    pillar=6,
    severity=Severity.HIGH,
    targets=(PIPELINE,),
    references=("cis-docker:5.5", "cis-docker:2.7", "cwe:250", "cwe:319"),
    fix="build without a daemon (kaniko, buildah, BuildKit rootless); if Docker-in-Docker "
    "stays, keep its TLS (DOCKER_TLS_CERTDIR: /certs, port 2376) and give it a runner of its own",
)
def docker_in_docker_insecure(pipeline: Pipeline, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a job's Docker-in-Docker container (a `docker:dind` or `docker:<version>-dind`
    image, as a GitLab service, a GitHub service or job container), at its entry: it runs
    privileged. In GitLab it cannot do otherwise: the daemon starts only on a runner with
    `privileged = true`. In GitHub the finding is made when `options` holds `--privileged`;
    in a Jenkinsfile when a Docker agent's `args`, or `docker.image('docker:dind')`'s
    `.withRun(...)`, `.inside(...)` or `.run(...)`, hold it, or when a Kubernetes agent's pod
    sets `privileged: true` on it.

    Flags, at the variable's line, TLS turned off between the job and that daemon:
    `DOCKER_TLS_CERTDIR: ""` (the image then listens on plain TCP 2375), or `DOCKER_HOST`
    set to `tcp://...:2375`, in the pipeline's, the job's or the service's variables (in
    Jenkinsfiles: `environment { ... }`, `withEnv([...])`, or the container's `-e`).

    `docker run --privileged docker:dind` inside a script is not looked at here; the
    container rules (HG201) see that command.

    ## Why is this bad?
    A privileged container is root on the runner's host: every job that reaches the daemon,
    and every build step it runs, can take over the runner and whatever other jobs, caches
    and credentials it holds. Without TLS, the daemon's API (root too) answers anyone on the
    job's network, unauthenticated.

    ## Example
    ```yaml
    build:
      image: docker:27
      services:
        - docker:27-dind
      variables:
        DOCKER_HOST: tcp://docker:2375
        DOCKER_TLS_CERTDIR: ""
      script:
        - docker build -t "$CI_REGISTRY_IMAGE" .
    ```
    Use instead:
    ```yaml
    build:
      image:
        name: gcr.io/kaniko-project/executor:v1.23.2-debug
        entrypoint: [""]
      script:
        - /kaniko/executor --context "$CI_PROJECT_DIR"
          --destination "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
    ```

    ## How to fix
    Build images without a Docker daemon: kaniko, buildah or podman (rootless), BuildKit's
    rootless mode, or a remote builder. Where Docker-in-Docker must stay, leave
    `DOCKER_TLS_CERTDIR` at `/certs` and use `tcp://docker:2376`, and run those jobs on
    dedicated, short-lived runners.
    """
    seen: set[tuple[int | None, int | None]] = set()

    def once(location: Location) -> bool:
        key = (location.line, location.column)
        if key in seen:
            return False
        seen.add(key)
        return True

    for job in pipeline.jobs:
        dind = [c for c in job.containers if c.image is not None and _is_dind(c.image.value)]
        if not dind:
            continue
        for spec in dind:
            image = spec.image.value if spec.image is not None else "docker:dind"
            privileged = spec.privileged
            if privileged is not None and privileged.value and once(privileged.location):
                yield ctx.finding(
                    at=privileged.location,
                    message=f"job `{job.name}` runs Docker-in-Docker (`{image}`) privileged",
                    resource=job.name,
                )
        variables = [*job.variables, *(v for spec in dind for v in spec.env)]
        for variable in variables:
            problem = _without_tls(variable)
            if problem is not None and once(variable.location):
                yield ctx.finding(
                    at=variable.location,
                    message=f"job `{job.name}` reaches Docker-in-Docker without TLS: {problem}",
                    resource=job.name,
                )


def _without_tls(variable: EnvVar) -> str | None:
    value = variable.value.strip().strip("'\"")
    if variable.name == "DOCKER_TLS_CERTDIR" and value == "":
        return "`DOCKER_TLS_CERTDIR` is empty"
    if variable.name == "DOCKER_HOST" and value.startswith("tcp://"):
        port = value[len("tcp://") :].split("/", 1)[0].rpartition(":")[2]
        if port == "2375":
            return f"`DOCKER_HOST` is `{value}`"
    return None
