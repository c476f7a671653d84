"""`hullguard host` against a real private daemon: exact findings for containers created with
each bad and good configuration, proof that the audit only reads, and the faults: an
unreachable socket, a permission denied, a daemon stopped and a container removed mid-audit."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import hullguard.sources.daemon as daemon_source
from hullguard.host import HostRequest, NoSuchRoot, audit_host
from hullguard.model import Report, TargetStatus
from hullguard.sources.daemon import read_daemon
from tests.live.conftest import unavailable
from tests.live.daemon import DaemonUnavailable, DockerDaemon, start_docker_daemon

pytestmark = pytest.mark.live

IMAGE = "hullguard-host/busybox:1"
NONROOT_IMAGE = "hullguard-host/app:1"
BUSYBOX_DOCKERFILE = (
    "FROM scratch\n"
    "COPY busybox /bin/busybox\n"
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
    'CMD ["sleep", "3600"]\n'
)
HARDENED = (
    "--read-only",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
    "--memory=64m",
    "--pids-limit=100",
)

# name -> `docker create` options (the image last); every one without a network of its own
# gets --network=none: the private daemon has no bridge.
CONTAINERS: dict[str, tuple[str, ...]] = {
    "plain": (IMAGE,),
    "privileged": ("--privileged", IMAGE),
    "socket": ("-v", "/var/run/docker.sock:/var/run/docker.sock", IMAGE),
    "host-proc": ("-v", "/proc:/host/proc:ro", IMAGE),
    "host-etc": ("-v", "/etc:/host/etc", IMAGE),
    "sys-admin": ("--cap-add=SYS_ADMIN", IMAGE),
    "host-pid": ("--pid=host", IMAGE),
    "host-net": ("--network=host", IMAGE),
    "root-user": ("--user=0:0", *HARDENED, IMAGE),
    "seccomp": ("--security-opt=seccomp=unconfined", IMAGE),
    "nnp-unset": ("--user=10001", "--read-only", "--cap-drop=ALL", "--memory=64m",
                  "--pids-limit=100", IMAGE),
    "good": ("--user=10001:10001", *HARDENED, IMAGE),
    "good-image-user": (*HARDENED, NONROOT_IMAGE),
}  # fmt: skip

# What a container with no hardening at all is told: root through its image, capabilities
# kept, privilege escalation allowed, a writable root filesystem, no memory or PIDs limit.
PLAIN = {
    ("HG206", "container/{name}"),
    ("HG208", "container/{name}"),
    ("HG211", "container/{name}"),
    ("HG213", "container/{name}:HostConfig.ReadonlyRootfs"),
    ("HG214", "container/{name}:HostConfig.Memory"),
}


@pytest.fixture(scope="module")
def estate(docker_daemon: DockerDaemon) -> Iterator[DockerDaemon]:
    """The daemon with the images built and every container of CONTAINERS created."""
    docker_daemon.build_busybox_image(IMAGE, BUSYBOX_DOCKERFILE)
    docker_daemon.build_busybox_image(
        NONROOT_IMAGE, BUSYBOX_DOCKERFILE.replace("CMD", "USER 10001\nCMD")
    )
    for name, options in CONTAINERS.items():
        network = () if any(o.startswith("--network") for o in options) else ("--network=none",)
        docker_daemon.docker("create", "--name", f"hg-{name}", *network, *options)
    try:
        yield docker_daemon
    finally:
        docker_daemon.docker("rm", "--force", *(f"hg-{n}" for n in CONTAINERS), check=False)


def audit(daemon: DockerDaemon, root: Path, **options: Any) -> Report:
    return audit_host(HostRequest(docker_host=daemon.host, root=root, **options))


def findings_of(report: Report, name: str) -> set[tuple[str, str | None]]:
    resource = f"container/hg-{name}"
    return {(f.rule_id, f.location.logical) for f in report.findings if f.resource == resource}


def expected(name: str, *extra: tuple[str, str], without: tuple[str, ...] = ()) -> set[Any]:
    plain = {(rule, at.format(name=f"hg-{name}")) for rule, at in PLAIN if rule not in without}
    return plain | {(rule, at.format(name=f"hg-{name}")) for rule, at in extra}


def test_each_container_gets_exactly_its_findings(estate: DockerDaemon, tmp_path: Path) -> None:
    report = audit(estate, tmp_path)
    at = "container/{name}:"
    assert findings_of(report, "plain") == expected("plain")
    assert findings_of(report, "privileged") == expected(
        "privileged",
        ("HG201", at + "HostConfig.Privileged"),
        ("HG215", at + "HostConfig.Privileged"),
        ("HG602", at + "HostConfig.Privileged"),
    )
    assert findings_of(report, "socket") == expected(
        "socket",
        ("HG101", at + "Mounts[0]"),
        ("HG215", at + "Mounts[0]"),
        ("HG602", at + "Mounts[0]"),
    )
    assert findings_of(report, "host-proc") == expected("host-proc", ("HG301", at + "Mounts[0]"))
    assert findings_of(report, "host-etc") == expected("host-etc", ("HG301", at + "Mounts[0]"))
    assert findings_of(report, "sys-admin") == expected(
        "sys-admin", ("HG207", at + "HostConfig.CapAdd[0]")
    )
    assert findings_of(report, "host-pid") == expected(
        "host-pid", ("HG209", at + "HostConfig.PidMode"), ("HG602", at + "HostConfig.PidMode")
    )
    assert findings_of(report, "host-net") == expected(
        "host-net",
        ("HG209", at + "HostConfig.NetworkMode"),
        ("HG602", at + "HostConfig.NetworkMode"),
    )
    assert findings_of(report, "root-user") == {("HG206", "container/hg-root-user:Config.User")}
    assert findings_of(report, "seccomp") == expected(
        "seccomp", ("HG210", at + "HostConfig.SecurityOpt[0]")
    )
    assert findings_of(report, "nnp-unset") == {("HG211", "container/hg-nnp-unset")}
    assert findings_of(report, "good") == set()
    assert findings_of(report, "good-image-user") == set()


def test_findings_name_the_user_chain_and_the_targets(estate: DockerDaemon, tmp_path: Path) -> None:
    report = audit(estate, tmp_path)
    (root,) = [
        f for f in report.findings if f.rule_id == "HG206" and f.resource == "container/hg-plain"
    ]
    assert root.chain == ("container/hg-plain", f"image {IMAGE}", 'Config.User ""', "root")
    assert root.location.line is None and root.location.path is None
    assert root.target_kind == "container"
    shown = {t.path: t.status for t in report.targets if t.kind == "container"}
    assert {f"container/hg-{n}" for n in CONTAINERS} <= set(shown)
    assert all(status is TargetStatus.OK for status in shown.values())
    assert [t.kind for t in report.targets if t.kind == "daemon"] == ["daemon"]


def test_running_only_narrows_to_running_containers(estate: DockerDaemon, tmp_path: Path) -> None:
    estate.docker("run", "-d", "--name", "hg-running", "--network=none", *HARDENED,
                  "--user=10001", IMAGE)  # fmt: skip
    try:
        result = read_daemon(estate.host, running_only=True)
        assert [c.resource for c in result.containers] == ["container/hg-running"]
        everything = read_daemon(estate.host)
        assert {f"container/hg-{n}" for n in [*CONTAINERS, "running"]} <= {
            c.resource for c in everything.containers
        }
    finally:
        estate.docker("rm", "--force", "hg-running")


def _events(daemon: DockerDaemon, since: float, until: float) -> list[dict[str, Any]]:
    out = daemon.docker(
        "events", "--since", f"{since:.3f}", "--until", f"{until:.3f}", "--format", "{{json .}}"
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_the_audit_only_reads(
    estate: DockerDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    methods: list[tuple[str, str]] = []
    send = requests.Session.send

    def recording_send(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        methods.append((request.method, request.path_url))
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", recording_send)
    time.sleep(1.1)  # the events API filters by whole seconds: leave the last test's behind
    since = time.time()
    report = audit(estate, tmp_path)
    time.sleep(1.1)  # the events API filters by whole seconds
    until = time.time()
    monkeypatch.undo()
    assert report.findings
    assert methods and {m for m, _ in methods} == {"GET"}
    assert any("/containers/json" in path for _, path in methods)
    assert _events(estate, since, until) == []
    since = time.time()  # the same window around a change does see it
    estate.docker("create", "--name", "hg-witness", "--network=none", IMAGE)
    estate.docker("rm", "hg-witness")
    time.sleep(1.1)
    assert {e["status"] for e in _events(estate, since, time.time())} >= {"create", "destroy"}


def test_the_client_refuses_anything_but_get(estate: DockerDaemon) -> None:
    client = daemon_source._ReadOnlyClient(base_url=estate.host, version="1.41")
    with pytest.raises(PermissionError, match="refused POST"):
        client.create_container(IMAGE, name="hg-never")
    with pytest.raises(PermissionError, match="refused DELETE"):
        client.remove_container("hg-good")
    assert "hg-never" not in estate.docker("ps", "-a", "--format", "{{.Names}}").stdout


def test_a_container_removed_mid_audit_is_skipped(
    estate: DockerDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    estate.docker("create", "--name", "hg-doomed", "--network=none", IMAGE)
    inspect = daemon_source._ReadOnlyClient.inspect_container

    def removing_inspect(self: Any, container: str) -> Any:
        if container == doomed_id:
            estate.docker("rm", "--force", "hg-doomed")
        return inspect(self, container)

    doomed_id = estate.docker("inspect", "--format", "{{.Id}}", "hg-doomed").stdout.strip()
    monkeypatch.setattr(daemon_source._ReadOnlyClient, "inspect_container", removing_inspect)
    report = audit(estate, tmp_path)
    (target,) = [t for t in report.targets if t.path == "container/hg-doomed"]
    assert target.status is TargetStatus.SKIPPED
    assert target.note == "removed during the audit: skipped"
    assert findings_of(report, "doomed") == set()
    assert findings_of(report, "privileged") >= {
        ("HG201", "container/hg-privileged:HostConfig.Privileged")
    }
    assert not report.errors or all("hg-doomed" not in e.message for e in report.errors)
    assert report.exit_code() == 1


@pytest.fixture
def second_daemon(estate: DockerDaemon) -> Iterator[DockerDaemon]:
    try:
        daemon = start_docker_daemon()
    except DaemonUnavailable as exc:
        unavailable(f"cannot start a second private Docker daemon: {exc}")
    try:
        yield daemon
    finally:
        daemon.stop()


def test_a_daemon_stopped_mid_audit_gives_a_partial_report(
    second_daemon: DockerDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon = second_daemon
    daemon.build_busybox_image(IMAGE, BUSYBOX_DOCKERFILE)
    for index in range(8):
        daemon.docker("create", "--name", f"hg-c{index}", "--network=none", "--privileged", IMAGE)
    inspect = daemon_source._ReadOnlyClient.inspect_container
    victim = daemon.docker("inspect", "--format", "{{.Id}}", "hg-c4").stdout.strip()

    def stopping_inspect(self: Any, container: str) -> Any:
        if container == victim:
            daemon.process.terminate()
            daemon.process.wait(30)
        return inspect(self, container)

    monkeypatch.setattr(daemon_source, "MAX_WORKERS", 1)  # in list order: c0..c3 are read first
    monkeypatch.setattr(daemon_source._ReadOnlyClient, "inspect_container", stopping_inspect)
    report = audit(daemon, tmp_path)
    status = {t.path: t.status for t in report.targets if t.kind == "container"}
    assert status == {
        **{f"container/hg-c{i}": TargetStatus.OK for i in range(4)},
        **{f"container/hg-c{i}": TargetStatus.ERROR for i in range(4, 8)},
    }
    privileged = {f.resource for f in report.findings if f.rule_id == "HG201"}
    assert privileged == {f"container/hg-c{i}" for i in range(4)}
    (lost,) = [e for e in report.errors if "stopped answering" in e.message]
    assert lost.path == daemon.host
    assert "4 container(s) not read (hg-c4, hg-c5, hg-c6, hg-c7)" in lost.message
    assert report.exit_code() == 2


def test_an_unreachable_socket_is_named_and_the_host_files_still_run(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.sock"
    report = audit_host(HostRequest(docker_host=f"unix://{missing}", root=tmp_path))
    (daemon,) = [t for t in report.targets if t.kind == "daemon"]
    assert daemon.status is TargetStatus.ERROR
    message = (
        f"no Docker socket at {missing}: start the daemon, or pass --docker-host (or set "
        "DOCKER_HOST) to reach another one"
    )
    assert daemon.note == message
    assert [e.message for e in report.errors if e.path == f"unix://{missing}"] == [message]
    assert [t.path for t in report.targets if t.kind == "host"] == [str(tmp_path)]
    assert report.exit_code() == 2


def test_a_socket_nobody_listens_on_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dead.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.close()  # the file stays, nobody accepts
    result = read_daemon(f"unix://{path}")
    assert result.state is None
    assert [e.message for e in result.errors] == [
        f"connection refused on {path}: the daemon is not running there; start it, or pass "
        "--docker-host"
    ]


def test_permission_denied_on_the_socket_says_what_to_do(estate: DockerDaemon) -> None:
    """A forked child that drops to an unprivileged uid, against a real daemon's socket of
    mode 0660 root:root."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged user")
    read_daemon("unix:///nonexistent.sock")  # everything the child needs is imported now
    estate.socket.chmod(0o660)
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.close(reader)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            result = read_daemon(estate.host)
            lines = [str(result.state is None), *(e.message for e in result.errors)]
            os.write(writer, "\n".join(lines).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, encoding="utf-8") as pipe:
        said = pipe.read()
    os.waitpid(child, 0)
    assert said.splitlines() == [
        "True",
        f"permission denied on {estate.socket}: run as root or as a member of the docker "
        "group, or pass --docker-host",
    ]


def test_a_root_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(NoSuchRoot):
        audit_host(HostRequest(docker_host="unix:///nonexistent.sock", root=tmp_path / "no"))
    from hullguard.cli import main

    assert main(["host", "--root", str(tmp_path / "no"), "--docker-host", "unix:///x.sock"]) == 2


def test_the_cli_reports_the_estate_as_json(
    estate: DockerDaemon, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hullguard.cli import main

    code = main(
        ["host", "--docker-host", estate.host, "--root", str(tmp_path), "--format", "json",
         "--select", "HG201"]
    )  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [
        (f["rule_id"], f["location"]["logical"], f["location"]["line"])
        for f in data["findings"]
        if f["resource"] == "container/hg-privileged"
    ] == [("HG201", "container/hg-privileged:HostConfig.Privileged", None)]
