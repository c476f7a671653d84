"""A real, private Docker daemon for live tests.

`start_docker_daemon()` runs the `dockerd` of Debian's docker.io package with everything under one
private temporary directory: data root, exec root, pidfile, unix socket, an empty daemon config
and the log. It sets up nothing on the host's network (no bridge, no iptables, no IP forwarding)
and writes no file outside that directory. `DockerDaemon.stop()` ends every process it started
and removes the directory.

Images are built offline. By default with the daemon's built-in BuildKit (`DOCKER_BUILDKIT=1`)
and `--network=none`: its Dockerfile frontend is compiled into dockerd, so nothing is pulled as
long as the Dockerfile has no `# syntax=` line, and RUN steps get no network (the daemon has no
bridge). `builder="classic"` uses the legacy builder (`DOCKER_BUILDKIT=0`) instead, about ten
times slower on vfs. `FROM scratch` images get a shell from the statically linked busybox of
Debian's busybox-static.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

BUSYBOX = Path("/bin/busybox")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
_MNT_DETACH = 2


class DaemonUnavailable(Exception):
    """The daemon cannot run here; the message says why (with the daemon's log tail, if any)."""


def _unescape_mount_path(path: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root)
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            point = _unescape_mount_path(line.split()[4])
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(set(found), key=len, reverse=True)


def _unmount_all_under(root: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for point in _mounts_under(root):
        libc.umount2(os.fsencode(point), _MNT_DETACH)


def _pids_referring_to(root: Path) -> list[int]:
    """Processes whose command line names `root`: the daemon's containerd and shims."""
    needle = os.fsencode(str(root))
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            pids.append(int(entry.name))
    return pids


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def _ping(sock_path: Path) -> bool:
    conn = _UnixHTTPConnection(str(sock_path), timeout=2.0)
    try:
        conn.request("GET", "/_ping")
        response = conn.getresponse()
        return response.status == 200 and response.read() == b"OK"
    except OSError:
        return False
    finally:
        conn.close()


def _docker_cli(dockerd: str) -> str:
    """The CLI shipped beside this dockerd (/usr/sbin/dockerd -> /usr/bin/docker), else PATH's."""
    beside = Path(dockerd).resolve().parent.parent / "bin" / "docker"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("docker")
    if found is None:
        raise DaemonUnavailable("no `docker` CLI found (Debian package docker.io)")
    return found


def _dockerd_major(dockerd: str) -> int:
    out = subprocess.run(
        [dockerd, "--version"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    match = re.search(r"version (\d+)\.", out)
    return int(match.group(1)) if match else 0


@dataclass
class DockerDaemon:
    """A running private daemon: `socket`, `host` (for DOCKER_HOST) and helpers around the CLI."""

    root: Path
    process: subprocess.Popen[bytes]
    cli: str
    flags: tuple[str, ...]
    start_seconds: float
    _log_file: IO[bytes] | None = field(repr=False, default=None)

    def __repr__(self) -> str:
        return f"DockerDaemon({self.host})"

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log_path(self) -> Path:
        return self.root / "dockerd.log"

    def env(self) -> dict[str, str]:
        """The environment for the CLI: this daemon, a private CLI config, no user context."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"}
        }
        env.update(
            DOCKER_HOST=self.host,
            DOCKER_CONFIG=str(self.root / "cli-config"),
            DOCKER_CLI_HINTS="false",
        )
        return env

    def docker(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 300,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `docker -H unix://... ARGS`; on failure with check, raise with its output."""
        result = subprocess.run(
            [self.cli, "-H", self.host, *args],
            env={**self.env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"docker {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\n"
                f"dockerd log tail:\n{self.log_tail(15)}"
            )
        return result

    def build_busybox_image(
        self,
        tag: str,
        dockerfile_text: str,
        extra_files: Mapping[str, str | bytes] | None = None,
        *,
        build_args: Mapping[str, str] | None = None,
        builder: str = "buildkit",
    ) -> str:
        """Build `dockerfile_text` from a context holding `busybox` (static) and `extra_files`.

        `FROM scratch` + `COPY busybox /bin/busybox` + `RUN ["/bin/busybox", "--install", "-s",
        "/bin"]` gives a shell with no network. `builder` is "buildkit" or "classic".
        Returns the image id.
        """
        if not BUSYBOX.is_file():
            raise DaemonUnavailable(f"{BUSYBOX} is absent (Debian package busybox-static)")
        context = Path(tempfile.mkdtemp(prefix="context-", dir=self.root))
        try:
            shutil.copy2(BUSYBOX, context / "busybox")
            (context / "Dockerfile").write_text(dockerfile_text, encoding="utf-8")
            for name, content in (extra_files or {}).items():
                path = context / name
                path.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    path.write_bytes(content)
                else:
                    path.write_text(content, encoding="utf-8")
            if builder not in {"buildkit", "classic"}:
                raise ValueError(f"unknown builder {builder!r}")
            args = ["build", "--quiet", "--network=none", "--tag", tag]
            for name, value in (build_args or {}).items():
                args += ["--build-arg", f"{name}={value}"]
            buildkit = "1" if builder == "buildkit" else "0"
            result = self.docker(*args, str(context), env={"DOCKER_BUILDKIT": buildkit})
            return result.stdout.strip().splitlines()[-1]
        finally:
            shutil.rmtree(context, ignore_errors=True)

    def inspect_image(self, ref: str) -> dict[str, object]:
        data = json.loads(self.docker("image", "inspect", ref).stdout)
        assert isinstance(data, list) and len(data) == 1
        image = data[0]
        assert isinstance(image, dict)
        return image

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no dockerd log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM, wait, SIGKILL; end what it left behind; unmount and remove the directory."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(STOP_TIMEOUT)
            # The daemon's own containerd and shims, if a killed daemon left them running.
            for pid in _pids_referring_to(self.root):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        finally:
            if self._log_file is not None:
                self._log_file.close()
            _unmount_all_under(self.root)
            shutil.rmtree(self.root, ignore_errors=True)


def start_docker_daemon(
    timeout: float = START_TIMEOUT,
    *,
    extra_hosts: Sequence[str] = (),
    extra_flags: Sequence[str] = (),
) -> DockerDaemon:
    """Start a private dockerd and wait for `/_ping` on its unix socket; raise DaemonUnavailable
    saying why not. `extra_hosts` are more `--host` endpoints beside that socket (such as
    `tcp://127.0.0.1:PORT`), `extra_flags` more daemon flags (such as `--tlsverify`)."""
    dockerd = shutil.which("dockerd") or (
        "/usr/sbin/dockerd" if os.access("/usr/sbin/dockerd", os.X_OK) else None
    )
    if dockerd is None:
        raise DaemonUnavailable("dockerd is not installed (Debian package docker.io)")
    if os.geteuid() != 0:
        raise DaemonUnavailable("dockerd needs root; run the live tests as root")
    cli = _docker_cli(dockerd)

    # Unix socket paths are limited to 108 bytes: keep the root short, directly under /tmp.
    root = Path(tempfile.mkdtemp(prefix="hg-dockerd-", dir="/tmp"))
    config: dict[str, str] = {}
    if _dockerd_major(dockerd) < 23:
        # Docker 20.10 writes a trust key to /etc/docker/key.json unless told otherwise.
        config["deprecated-key-path"] = str(root / "key.json")
    (root / "daemon.json").write_text(json.dumps(config) + "\n", encoding="utf-8")
    # containerd namespaces allow letters, digits and single `._-` separators only.
    namespace = f"hullguard-test-{os.getpid()}-{int(time.time() * 1000)}"
    flags = [
        f"--data-root={root / 'data'}",
        f"--exec-root={root / 'exec'}",
        f"--pidfile={root / 'dockerd.pid'}",
        f"--host=unix://{root / 'docker.sock'}",
        f"--config-file={root / 'daemon.json'}",
        "--storage-driver=vfs",
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-forward=false",
        "--ip-masq=false",
        "--userland-proxy=false",
        f"--containerd-namespace={namespace}",
        f"--containerd-plugins-namespace={namespace}-plugins",
        *(f"--host={host}" for host in extra_hosts),
        *extra_flags,
    ]

    log = open(root / "dockerd.log", "wb")  # noqa: SIM115 - closed by stop()
    started = time.monotonic()
    process = subprocess.Popen(
        [dockerd, *flags],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    daemon = DockerDaemon(
        root=root,
        process=process,
        cli=cli,
        flags=tuple(flags),
        start_seconds=0.0,
        _log_file=log,
    )
    deadline = started + timeout
    while True:
        if _ping(daemon.socket):
            break
        if process.poll() is not None:
            tail = daemon.log_tail()
            daemon.stop()
            raise DaemonUnavailable(f"dockerd exited with {process.returncode}; log tail:\n{tail}")
        if time.monotonic() > deadline:
            tail = daemon.log_tail()
            daemon.stop()
            raise DaemonUnavailable(f"dockerd did not answer /_ping in {timeout:.0f}s:\n{tail}")
        time.sleep(0.05)
    daemon.start_seconds = time.monotonic() - started
    return daemon
