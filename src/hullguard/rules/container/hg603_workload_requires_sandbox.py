"""HG603: a workload the configuration says must be sandboxed runs under another runtime."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fnmatch import fnmatchcase
from typing import Any

from hullguard.config import DEFAULT_SANDBOX_RUNTIMES
from hullguard.model import Finding, Severity
from hullguard.registry import CONTAINER, Context, rule
from hullguard.rules.host.hg601_no_sandbox_runtime import is_sandbox
from hullguard.spec import COMPOSE, KUBERNETES, ContainerSpec

_SERVICE_PREFIX = "services."


def _list(options: Any, key: str) -> list[str]:
    value = options.get(key) if hasattr(options, "get") else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v)]
    return []


def _any(patterns: Sequence[str], value: str) -> str | None:
    return next((p for p in patterns if fnmatchcase(value, p)), None)


def _image_names(image: str) -> list[str]:
    """The image as written and without its digest and tag."""
    names = [image]
    bare = image.split("@", 1)[0]
    slash = bare.rfind("/")
    colon = bare.rfind(":")
    if colon > slash:
        bare = bare[:colon]
    if bare != image:
        names.append(bare)
    return names


def _selected(spec: ContainerSpec, options: Any) -> str | None:
    """Which selector of the configuration picks the container, for the message."""
    if spec.image is not None:
        for name in _image_names(spec.image.value.strip()):
            if pattern := _any(_list(options, "images"), name):
                return f"image pattern `{pattern}`"
    if spec.kind == COMPOSE and spec.resource.startswith(_SERVICE_PREFIX):
        service = spec.resource[len(_SERVICE_PREFIX) :]
        if pattern := _any(_list(options, "services"), service):
            return f"service `{pattern}`"
    if spec.kind == KUBERNETES:
        namespace = spec.namespace or "default"
        if pattern := _any(_list(options, "namespaces"), namespace):
            return f"namespace `{pattern}`"
        labels = {label.name: label.value for label in spec.labels}
        for selector in _list(options, "labels"):
            key, _, value = selector.partition("=")
            if labels.get(key.strip()) == value.strip():
                return f"label `{selector}`"
    return None


@rule(
    id="HG603",
    name="workload-requires-sandbox",
    pillar=6,
    severity=Severity.HIGH,
    targets=(CONTAINER,),
    references=("cwe:653",),
    fix="run it under a sandbox runtime: `runtime: runsc` in compose, `docker run --runtime "
    "runsc`, or a Kubernetes `runtimeClassName` whose RuntimeClass has a sandbox `handler`",
    options={
        "runtimes": list(DEFAULT_SANDBOX_RUNTIMES),
        "images": [],
        "services": [],
        "namespaces": [],
        "labels": [],
    },
)
def workload_requires_sandbox(spec: ContainerSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Reports a container that the configuration names as one that must run in a sandbox
    (`[sandbox.workloads]`: an image pattern, a compose service, a Kubernetes namespace or a
    pod label `key=value`) when its runtime is not one of the sandbox runtimes of
    `[sandbox] runtimes` (by default `runsc`, `kata`, `kata-*`, `kata-runtime`). The runtime
    is compose `runtime`, `docker run --runtime`, or Kubernetes `runtimeClassName` resolved
    through the `RuntimeClass` objects of the same manifest file to their `handler`.

    ## Why is this bad?
    Some workloads run code nobody reviewed: customer jobs, CI builds of forks, plugins. The
    team decided that they run behind a second kernel (gVisor) or a virtual machine (Kata); a
    container among them that runs under `runc`, or under the engine's default runtime,
    shares the host's kernel, and one kernel bug reachable from it is a host escape.

    ## Example
    ```toml
    [sandbox.workloads]
    services = ["runner"]
    ```
    ```yaml
    services:
      runner:
        image: ci/runner:4
    ```
    Use instead:
    ```yaml
    services:
      runner:
        image: ci/runner:4
        runtime: runsc
    ```

    ## How to fix
    Register gVisor or Kata with the engine (HG601) and name it: `runtime: runsc` in
    compose, `--runtime runsc` on the command line, or in Kubernetes a `RuntimeClass` with
    `handler: runsc` and `runtimeClassName` naming it. If the runtime is a sandbox under a
    name of its own, add that name to `[sandbox] runtimes`.

    ## Notes
    Nothing is reported until `[sandbox.workloads]` names workloads. Patterns use `*` and
    `?`; an image pattern is matched against the image as written and without its tag and
    digest. A Kubernetes object without `metadata.namespace` counts as namespace `default`;
    labels are the pod template's, then the object's. When the RuntimeClass a
    `runtimeClassName` names is not in the same file, its handler is unknown: the class name
    is judged instead, and counts as a sandbox if it is a configured runtime or contains
    `runsc`, `gvisor` or `kata` (as for HG601 and HG602).
    """
    selector = _selected(spec, ctx.options)
    if selector is None:
        return
    runtimes = _list(ctx.options, "runtimes")
    runtime = spec.runtime
    if runtime is not None and spec.runtime_handler is not None:
        handler = spec.runtime_handler.value.strip()
        if _any(runtimes, handler):
            return
        what = (
            f"runs under RuntimeClass `{runtime.value}`, whose handler `{handler}` "
            f"(line {spec.runtime_handler.location.line}) is not a sandbox runtime"
        )
    elif runtime is not None and runtime.value.strip():
        name = runtime.value.strip()
        if _any(runtimes, name):
            return
        if spec.kind == KUBERNETES:
            if is_sandbox(name):
                return
            what = (
                f"runs under RuntimeClass `{name}`, which is not in the scanned file and "
                "does not name a sandbox runtime"
            )
        else:
            what = f"runs under runtime `{name}`, not a sandbox runtime"
    else:
        what = "runs under the engine's default runtime"
    yield ctx.finding(
        at=runtime if runtime is not None else spec.anchor,
        message=f"{spec.name} must run in a sandbox ({selector}) but {what} "
        f"(sandbox runtimes: {', '.join(runtimes) or 'none configured'})",
        resource=spec.resource,
    )
