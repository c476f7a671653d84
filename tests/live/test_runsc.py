"""gVisor end to end: Debian's `runsc` registered with a private dockerd runs a container.

The test daemon has no bridge, so a container's network namespace is one runsc will not set
up; runsc runs with `--network=none` through a two-line wrapper registered as `runsc`.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.live.conftest import unavailable
from tests.live.daemon import BUSYBOX, DaemonUnavailable, start_docker_daemon

RUNSC = Path("/usr/bin/runsc")
DOCKERFILE = 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n'


def test_busybox_runs_under_runsc(tmp_path: Path) -> None:
    if not os.access(RUNSC, os.X_OK):
        unavailable(f"{RUNSC} is absent: install Debian's runsc")
    if not BUSYBOX.is_file():
        unavailable(f"{BUSYBOX} is absent: install Debian's busybox-static")
    wrapper = tmp_path / "runsc"
    wrapper.write_text(f'#!/bin/sh\nexec {RUNSC} --network=none "$@"\n')
    wrapper.chmod(0o755)
    try:
        daemon = start_docker_daemon(extra_flags=("--add-runtime", f"runsc={wrapper}"))
    except DaemonUnavailable as exc:
        unavailable(f"cannot start a private Docker daemon: {exc}")
    try:
        runtimes = daemon.docker("info", "--format", "{{json .Runtimes}}").stdout
        assert '"runsc"' in runtimes
        daemon.build_busybox_image("hg-runsc:1", DOCKERFILE, builder="classic")
        run = daemon.docker(
            "run", "--rm", "--runtime", "runsc", "--network", "none", "hg-runsc:1", "dmesg"
        )
        assert "gVisor" in run.stdout, run.stdout  # the sandbox kernel's own boot messages
    finally:
        daemon.stop()
