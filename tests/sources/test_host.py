"""The host source: exact facts and lines from root filesystems built in temporary folders,
errors for broken input, links kept inside the root, and one read-only run on this machine."""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from typing import Any

import pytest

from hullguard.model import Located, Location
from hullguard.sources.host import (
    FileRole,
    parse_dockerd_args,
    parse_located_json,
    read_host_files,
)

DJ = "/etc/docker/daemon.json"


def build(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def test_daemon_json_settings_with_their_lines(tmp_path: Path) -> None:
    text = (
        '{\n  "icc": false,\n  "hosts": [\n    "unix:///run/docker.sock",\n'
        '    "tcp://0.0.0.0:2375"\n  ],\n  "runtimes": {\n    "runsc": {}\n  }\n}\n'
    )
    build(tmp_path, {DJ: text})
    result = read_host_files(tmp_path)
    assert result.errors == ()
    assert result.files is not None
    settings = result.files.settings
    assert settings.icc == Located(False, Location(path=DJ, line=2, logical="daemon.json:icc"))
    assert [(h.value, h.location.line) for h in settings.hosts] == [
        ("unix:///run/docker.sock", 4),
        ("tcp://0.0.0.0:2375", 5),
    ]
    assert [(r.value, r.location.line) for r in settings.runtimes] == [("runsc", 8)]
    assert result.files.daemon_json_found


def test_malformed_daemon_json_is_an_error_with_its_line(tmp_path: Path) -> None:
    build(tmp_path, {DJ: '{\n  "icc": false,\n  "hosts": [\n}\n'})
    result = read_host_files(tmp_path)
    assert result.files is not None
    assert result.files.settings.icc is None
    [error] = result.errors
    assert (error.path, error.line) == (DJ, 4)
    assert error.message.startswith("invalid JSON")


def test_wrong_type_in_daemon_json(tmp_path: Path) -> None:
    build(tmp_path, {DJ: '{\n  "icc": "no"\n}'})
    [error] = read_host_files(tmp_path).errors
    assert (error.path, error.line, error.message) == (DJ, 2, "`icc` has the wrong type")


def test_last_exec_start_wins_and_flags_are_read(tmp_path: Path) -> None:
    build(tmp_path, {
        "/lib/systemd/system/docker.service":
            "[Service]\nExecStart=/usr/bin/dockerd -H fd:// --icc=false\n",
        "/etc/systemd/system/docker.service.d/10-tcp.conf":
            "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd \\\n  -H tcp://0.0.0.0:2376 "
            "--tlsverify --userns-remap default\n",
        "/etc/default/docker": 'DOCKER_OPTS="--insecure-registry reg.local:5000"\n',
    })  # fmt: skip
    result = read_host_files(tmp_path)
    assert result.files is not None
    files = result.files
    dropin = "/etc/systemd/system/docker.service.d/10-tcp.conf"
    assert files.units == ("/lib/systemd/system/docker.service", dropin)
    assert files.exec_start is not None and files.exec_start.location.line == 3
    settings = files.settings
    assert [(h.value, h.location.path) for h in settings.hosts] == [("tcp://0.0.0.0:2376", dropin)]
    assert settings.icc is None  # the first ExecStart was reset
    assert settings.tlsverify is not None and settings.tlsverify.value is True
    assert settings.userns_remap is not None and settings.userns_remap.value == "default"
    assert [(r.value, r.location.path, r.location.line) for r in settings.insecure_registries] == [
        ("reg.local:5000", "/etc/default/docker", 1)
    ]


def test_command_line_beats_daemon_json() -> None:
    at = Location(logical="cmdline")
    entries = parse_dockerd_args(
        ["/usr/bin/dockerd", "-Htcp://1.2.3.4:2375", "--live-restore", "--icc=false",
         "--log-driver", "journald", "-D", "--add-runtime", "runsc=/usr/bin/runsc"],
        at,
        3,
    )  # fmt: skip
    assert [(e.key, e.value) for e in entries] == [
        ("hosts", "tcp://1.2.3.4:2375"),
        ("live-restore", True),
        ("icc", False),
        ("log-driver", "journald"),
        ("debug", True),
        ("runtimes", "runsc"),
    ]


def test_socket_unit_tcp_listener(tmp_path: Path) -> None:
    build(tmp_path, {"/usr/lib/systemd/system/docker.socket":
                     "[Socket]\nListenStream=/run/docker.sock\nListenStream=2375\n"})  # fmt: skip
    files = read_host_files(tmp_path).files
    assert files is not None
    assert [(h.value, h.location.line) for h in files.settings.hosts] == [("tcp://0.0.0.0:2375", 3)]


def test_group_sudoers_credentials_audit_and_fstab(tmp_path: Path) -> None:
    build(tmp_path, {
        "/etc/passwd": "root:x:0:0::/root:/bin/sh\nann:x:1000:1000::/home/ann:/bin/sh\n"
                       "ci:x:1001:998::/var/ci:/bin/sh\n",
        "/etc/group": "root:x:0:\ndocker:x:998:ann\n",
        "/etc/sudoers": "Defaults env_reset\n%dev ALL=(ALL) NOPASSWD: /usr/bin/docker ps, "
                        "/usr/bin/ls\n",
        "/home/ann/.docker/config.json": '{"auths": {"ghcr.io": {"auth": "YW5uOnNlY3JldA=="}}}',
        "/etc/audit/rules.d/docker.rules": "# docker\n-w /var/lib/docker -k docker\n",
        "/etc/fstab": "# comment\n/dev/sdb1 /var/lib/docker ext4 defaults 0 2\n",
    })  # fmt: skip
    files = read_host_files(tmp_path).files
    assert files is not None
    assert [(m.user, m.via, m.location.path, m.location.line) for m in
            files.docker_group_members] == [("ann", "member", "/etc/group", 2),
                                            ("ci", "primary group", "/etc/passwd", 3)]  # fmt: skip
    [grant] = files.sudo_grants
    assert (grant.who, grant.commands, grant.nopasswd, grant.location.line) == (
        "%dev", ("/usr/bin/docker ps",), True, 2)  # fmt: skip
    [credential] = files.registry_credentials
    assert (credential.user, credential.registry) == ("ann", "ghcr.io")
    assert "YW5uOnNlY3JldA==" not in credential.redacted
    assert [(w.value, w.location.line) for w in files.audit_watches] == [("/var/lib/docker", 2)]
    assert files.data_root_mount is not None
    assert (files.data_root_mount.value, files.data_root_mount.location.line) == (
        "/var/lib/docker", 2)  # fmt: skip


def test_socket_stat_and_owner_names(tmp_path: Path) -> None:
    import socket

    build(tmp_path, {"/etc/group": "root:x:0:\n", "/etc/passwd": "root:x:0:0::/root:/bin/sh\n"})
    (tmp_path / "run").mkdir()
    here = Path.cwd()
    os.chdir(tmp_path / "run")
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind("docker.sock")
            os.chmod("docker.sock", 0o660)
            files = read_host_files(tmp_path).files
    finally:
        os.chdir(here)
    assert files is not None
    [fact] = files.of_role(FileRole.SOCKET)
    assert (fact.path, fact.kind, fact.mode_text, fact.engine) == (
        "/run/docker.sock", "socket", "0660", "Docker")  # fmt: skip
    assert fact.location == Location(logical="file:/run/docker.sock")
    if os.geteuid() == 0:
        assert (fact.owner, fact.group) == ("root", "root")


def test_links_out_of_the_root_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    build(outside, {"daemon.json": '{"icc": true}'})
    root = tmp_path / "root"
    (root / "etc/docker").mkdir(parents=True)
    (root / "etc/docker/daemon.json").symlink_to("../../../outside/daemon.json")
    result = read_host_files(root)
    assert result.files is not None and result.files.settings.icc is None
    [error] = result.errors
    assert error.path == DJ and "leads out of the audited root" in error.message


def test_absolute_links_start_again_at_the_root(tmp_path: Path) -> None:
    build(tmp_path, {"/srv/real.json": '{"icc": false}'})
    (tmp_path / "etc/docker").mkdir(parents=True)
    (tmp_path / "etc/docker/daemon.json").symlink_to("/srv/real.json")
    (tmp_path / "var").mkdir()
    (tmp_path / "var/run").symlink_to("/run")
    files = read_host_files(tmp_path).files
    assert files is not None and files.settings.icc is not None
    assert files.settings.icc.value is False
    assert files.settings.icc.location.path == DJ


def test_a_root_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    result = read_host_files(tmp_path / "missing")
    assert result.files is None
    [error] = result.errors
    assert error.path == str(tmp_path / "missing")


def test_located_json_rejects_trailing_data() -> None:
    with pytest.raises(ValueError, match="Extra data"):
        parse_located_json('{"a": 1} x')
    assert parse_located_json("[1,\n2]").value[1].line == 2


def test_the_real_machine_is_read_without_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Root `/`: no error escapes, and no file is opened for writing."""
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    real_os_open = os.open
    real_open = builtins.open

    def guarded_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        assert not flags & write_flags, f"opened {path} for writing"
        return real_os_open(path, flags, *args, **kwargs)

    def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        assert not set(mode) & set("wax+"), f"opened {file} with mode {mode}"
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", guarded_os_open)
    monkeypatch.setattr(builtins, "open", guarded_open)
    result = read_host_files(Path("/"))
    monkeypatch.undo()
    assert result.files is not None
    assert result.files.root == "/"
