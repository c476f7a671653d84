"""HG613: a registry password given on a `login` command line."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import PIPELINE, Context, rule
from hullguard.rules.pipeline._steps import commands
from hullguard.sources.ci import Pipeline
from hullguard.sources.shell import Command, Word

_TOOLS = frozenset({"docker", "podman", "buildah", "skopeo", "oras", "helm", "crane"})


@rule(
    id="HG613",
    name="registry-password-on-command-line",
    pillar=6,
    severity=Severity.HIGH,
    targets=(PIPELINE,),
    references=("cwe:214", "cwe:532"),
    fix='pipe the secret in: `echo "$REGISTRY_PASSWORD" | docker login --password-stdin '
    '-u "$REGISTRY_USER" registry.example.com`',
)
def registry_password_on_command_line(pipeline: Pipeline, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a registry login in a CI script (a GitHub `run`, a GitLab `script`, a Jenkinsfile
    `sh` step) that passes the password as an argument:
    `docker login -p ...`, `--password ...`, `--password=...` or `-p...`, and the same for
    `podman`, `buildah`, `skopeo`, `oras`, `helm registry` and `crane auth` logins.
    `--password-stdin` (`echo "$PASS" | docker login --password-stdin`) is what it should be.

    ## Why is this bad?
    A command line is visible to every process on the runner (`ps`, `/proc/<pid>/cmdline`),
    lands in shell traces (`set -x`) and job logs when the variable is not masked, and the
    Docker CLI itself warns that it is insecure. On shared runners other jobs may be looking.

    ## Example
    ```yaml
    before_script:
      - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
    ```
    Use instead:
    ```yaml
    before_script:
      - echo "$CI_REGISTRY_PASSWORD" |
        docker login -u "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
    ```

    ## How to fix
    Give the password on standard input with `--password-stdin`, or use the platform's
    login action (`docker/login-action`) or a credential helper.
    """
    for job in pipeline.jobs:
        for step in job.steps:
            for command in commands(step):
                word = _password(command)
                if word is not None:
                    yield ctx.finding(
                        at=Location(pipeline.path, word.line, word.column),
                        message=f"`{command.name} login` is given the registry password on "
                        "its command line",
                        resource=job.name,
                    )


def _password(command: Command) -> Word | None:
    if command.name not in _TOOLS or "login" not in command.args:
        return None
    for word in command.words[command.args.index("login") + 2 :]:
        text = word.text
        if text in ("-p", "--password") or text.startswith("--password="):
            return word
        if text.startswith("-p") and not text.startswith("--") and len(text) > 2:
            return word
    return None
