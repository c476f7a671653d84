"""HG513: container logs stay only on the host."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import HOST, Context, rule
from hullguard.rules.host._settings import docker_present, judge

LOCAL_DRIVERS = frozenset({"json-file", "local", "none", ""})


@rule(
    id="HG513",
    name="no-remote-logging",
    pillar=5,
    severity=Severity.INFO,
    targets=(HOST,),
    references=("cis-docker:2.13", "cwe:778"),
    fix='set a log driver that ships logs off the host (`"log-driver": "journald"` with a '
    "forwarder, syslog, fluentd, gelf, awslogs, splunk, ...)",
)
def no_remote_logging(audit: HostAudit, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Advises when the daemon's default logging driver keeps logs only on the host
    (`json-file`, `local`, or `none`), judged from the Engine API, else from the files.

    ## Why is this bad?
    An attacker who takes the host deletes the logs that show how; a full disk loses them
    too. Logs shipped elsewhere as they are written survive both.

    ## Example
    ```json
    {"log-driver": "json-file"}
    ```
    Use instead:
    ```json
    {"log-driver": "syslog", "log-opts": {"syslog-address": "tcp://logs.internal:514"}}
    ```

    ## How to fix
    Choose a driver that forwards (`syslog`, `journald` with a forwarder, `fluentd`, `gelf`,
    cloud drivers) and set it as `log-driver`.

    ## Notes
    `journald` counts as central: it is usually forwarded by the host's own log pipeline.
    """
    if not docker_present(audit):
        return
    found = judge(audit, "logging_driver", lambda s: s.log_driver, default="json-file")
    if found is not None and found.value.strip().lower() in LOCAL_DRIVERS:
        yield ctx.finding(
            at=found.location,
            message=f"containers log with `{found.value or 'none'}`, which keeps logs on this "
            f"host only ({found.source})",
        )
