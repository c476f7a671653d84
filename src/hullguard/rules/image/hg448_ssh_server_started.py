"""HG448: the image starts an SSH server."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from hullguard.model import Finding, Located, Severity
from hullguard.registry import IMAGE, Context, rule
from hullguard.sources.shell import parse_script
from hullguard.spec import ImageSpec

SSH_DAEMONS = frozenset({"sshd", "dropbear"})
SSH_SERVICES = frozenset({"ssh", "sshd", "dropbear", "openssh-server"})
SERVICE_TOOLS = frozenset({"service", "rc-service", "systemctl"})


@rule(
    id="HG448",
    name="ssh-server-started",
    pillar=4,
    severity=Severity.HIGH,
    targets=(IMAGE,),
    references=("cis-docker:5.6", "cwe:1188"),
    fix="remove the SSH server; open a shell with `docker exec` or `kubectl exec` instead",
)
def ssh_server_started(spec: ImageSpec, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags an image whose ENTRYPOINT or CMD starts an SSH server: `sshd` or `dropbear` run
    directly or through a shell, or `service ssh start`, `rc-service sshd start`,
    `/etc/init.d/ssh start`.

    ## Why is this bad?
    An SSH server in a container is a second way in that sidesteps the engine's and the
    orchestrator's access control and audit trail. Its host keys and the users' keys or
    passwords are baked into the image or must be managed beside it, it is one more network
    service to patch, and it is a second program in a container meant to run one.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends openssh-server
    CMD ["/usr/sbin/sshd", "-D"]
    ```
    Use instead: no SSH server, and
    ```sh
    docker exec -it <container> sh
    ```

    ## How to fix
    Remove the SSH server and its start-up; get a shell with `docker exec`, `kubectl exec` or
    `kubectl debug`, and copy files with `docker cp` or `kubectl cp`.

    ## Notes
    Looks at the ENTRYPOINT and CMD in effect in the final image. Installing an SSH server is
    reported by HG434 and exposing port 22 by HG443; this rule reports the server being run.
    The CIS Docker Benchmark (v1.6.0, check 5.6) asks that sshd is not run within containers.
    """
    for located in (spec.entrypoint, spec.cmd):
        if located is None:
            continue
        server = _ssh_server(located, spec.shell)
        if server:
            yield ctx.finding(
                at=located, message=f"the image starts an SSH server ({server}) as it runs"
            )
            return


def _ssh_server(located: Located[tuple[str, ...]], shell: tuple[str, ...]) -> str | None:
    argv = located.value
    if argv[: len(shell)] == shell and len(argv) == len(shell) + 1:
        commands = [c.argv for c in parse_script(argv[-1]).commands]
    else:
        commands = [argv]
    for words in commands:
        for index, word in enumerate(words):
            name = posixpath.basename(word)
            if name in SSH_DAEMONS:
                return name
            rest = words[index + 1 :]
            if name in SERVICE_TOOLS and any(w in SSH_SERVICES for w in rest[:2]):
                return " ".join(words[index : index + 3])
            if word.startswith("/etc/init.d/") and name in SSH_SERVICES:
                return word
    return None
