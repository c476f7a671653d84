"""What a pipeline step does with images: the commands and actions that build, push, scan and
sign them, each recognised once here for the HG61x rules."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Location
from hullguard.sources.ci import Job, Pipeline, Step
from hullguard.sources.shell import Command

_MAVEN = frozenset({"mvn", "mvnw"})
_GRADLE = frozenset({"gradle", "gradlew"})
_TRIVY_TARGETS = frozenset(
    {"image", "i", "fs", "filesystem", "rootfs", "sbom", "repo", "repository"}
)
_SCAN_ACTIONS = ("aquasecurity/trivy-action", "anchore/scan-action", "snyk/actions/docker")
_SIGN_ACTIONS = ("notaryproject/notation-action/sign",)
# the Docker Pipeline plugin's `docker.build(...)` and `image.push()` in Jenkinsfiles
_JENKINS_BUILD, _JENKINS_PUSH = "docker.build", "docker.push"


def action(step: Step) -> str | None:
    """`owner/repo[/path]` of a `uses` step, lower-cased; None for a script step."""
    if step.uses is None:
        return None
    return step.uses.value.split("@", 1)[0].strip().lower()


def commands(step: Step) -> Iterator[Command]:
    if step.script is not None:
        yield from step.script.commands


def positional(command: Command, count: int = 2) -> tuple[str, ...]:
    """The first arguments that are not flags (`docker buildx build` -> `buildx`, `build`)."""
    return tuple(a for a in command.args if not a.startswith("-"))[:count]


def at(pipeline: Pipeline, command: Command) -> Location:
    return Location(pipeline.path, command.line, command.column)


def _flag(command: Command, *names: str) -> str | None:
    """The value of `--name value`, `--name=value` or a bare `--name` (empty)."""
    args = command.args
    for index, arg in enumerate(args):
        for name in names:
            if arg == name:
                following = args[index + 1] if index + 1 < len(args) else ""
                return "" if following.startswith("-") else following
            if arg.startswith(name + "="):
                return arg[len(name) + 1 :]
    return None


def _docker_verb(command: Command) -> tuple[str, ...]:
    """`build`, `push`, `buildx build`, `buildx bake`, `image build`, `image push`."""
    words = positional(command, 2)
    if words[:1] in (("buildx",), ("image",), ("builder",)):
        return words
    return words[:1]


def command_builds(command: Command) -> bool:
    name = command.name
    if name in ("docker", "podman"):
        return _docker_verb(command) in (
            ("build",), ("buildx", "build"), ("buildx", "b"), ("buildx", "bake"),
            ("image", "build"), ("builder", "build"),
        ) or command_pushes(command)  # fmt: skip
    if name in ("buildah",):
        return positional(command, 1) in (("bud",), ("build",), ("build-using-dockerfile",))
    return command_pushes(command) or _jib(command) is not None


def command_pushes(command: Command) -> bool:
    name, first = command.name, positional(command, 1)
    if name in ("docker", "podman"):
        verb = _docker_verb(command)
        if verb in (("push",), ("image", "push")):
            return True
        if verb[:1] == ("buildx",) and verb[1:] in (("build",), ("b",), ("bake",)):
            output = _flag(command, "--output", "-o") or ""
            return (
                _flag(command, "--push") is not None
                or "type=registry" in output
                or "push=true" in output
            )
        return False
    if name == "executor" and command.words[0].text.endswith("kaniko/executor"):
        return _flag(command, "--no-push") in (None, "false")
    if name == "buildah" or name == "crane":
        return first == ("push",)
    if name == "skopeo":
        return first == ("copy",) and any(a.startswith("docker://") for a in command.args[1:])
    if name == "ko":
        local = _flag(command, "--local", "-L") is not None or _flag(command, "--push") == "false"
        return first in (("build",), ("publish",), ("resolve",), ("apply",)) and not local
    return _jib(command) == "push"


def _jib(command: Command) -> str | None:
    """`push` for jib goals that push (`jib:build`, gradle `jib`), `build` for local ones."""
    if command.name in _MAVEN:
        for arg in command.args:
            if arg == "jib:build" or (":jib-maven-plugin:" in arg and arg.endswith(":build")):
                return "push"
            if arg in ("jib:dockerBuild", "jib:buildTar"):
                return "build"
    if command.name in _GRADLE:
        for arg in command.args:
            task = arg.rsplit(":", 1)[-1]
            if task == "jib":
                return "push"
            if task in ("jibDockerBuild", "jibBuildTar"):
                return "build"
    return None


def step_builds(pipeline: Pipeline, step: Step) -> Location | None:
    """Where the step builds or pushes an image: the action's line, or the command's."""
    if action(step) in ("docker/build-push-action", _JENKINS_BUILD, _JENKINS_PUSH):
        return step.location
    return next((at(pipeline, c) for c in commands(step) if command_builds(c)), None)


def step_pushes(pipeline: Pipeline, step: Step) -> Location | None:
    if action(step) == "docker/build-push-action":
        push = step.input("push")
        return step.location if push is not None and push.value.strip() != "false" else None
    if action(step) == _JENKINS_PUSH:
        return step.location
    return next((at(pipeline, c) for c in commands(step) if command_pushes(c)), None)


def job_location(pipeline: Pipeline, job: Job, which: str) -> Location | None:
    """The first step of the job that builds (`which="build"`) or pushes (`"push"`)."""
    find = step_builds if which == "build" else step_pushes
    return next((found for s in job.steps if (found := find(pipeline, s)) is not None), None)


def _scan_command(command: Command) -> bool:
    name, words = command.name, positional(command, 2)
    if name == "trivy":
        return bool(words) and words[0] in _TRIVY_TARGETS
    if name == "grype":
        return True
    if name == "hullguard":
        return words[:1] == ("image",)
    if name == "snyk":
        return words[:1] == ("container",)
    if name == "docker":
        return words == ("scout", "cves")
    if name == "docker-scout":
        return words[:1] == ("cves",)
    return False


def scans(pipeline: Pipeline) -> bool:
    """The pipeline scans an image for vulnerabilities somewhere, in any job."""
    for job in pipeline.jobs:
        for step in job.steps:
            name = action(step) or ""
            if name in _SCAN_ACTIONS:
                return True
            if name == "docker/scout-action":
                wanted = step.input("command")
                if wanted is not None and "cves" in wanted.value:
                    return True
            if any(_scan_command(c) for c in commands(step)):
                return True
    return any("container-scanning" in i.value.lower() for i in pipeline.includes)


def _sign_command(command: Command) -> bool:
    words = positional(command, 2)
    if command.name in ("cosign", "notation", "hullguard"):
        return words[:1] == ("sign",)
    return command.name == "docker" and words == ("trust", "sign")


def signs(pipeline: Pipeline) -> bool:
    """The pipeline signs an image somewhere, in any job."""
    for job in pipeline.jobs:
        for step in job.steps:
            if (action(step) or "") in _SIGN_ACTIONS:
                return True
            if any(_sign_command(c) for c in commands(step)):
                return True
    return False
