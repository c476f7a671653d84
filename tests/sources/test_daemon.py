"""The daemon source's projections, from inspect data recorded on a real Docker 20.10 engine
(`daemon_api/`), and its choice of endpoint, TLS settings and error messages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from hullguard.model import Located, Location
from hullguard.sources.daemon import (
    TLSSettings,
    _connection_problem,
    _ReadOnlyClient,
    candidate_endpoints,
    choose_endpoint,
    container_spec_from_inspect,
    daemon_state_from_api,
)
from hullguard.spec import LIVE, EnvVar, Mount, PortBinding

RECORDED = Path(__file__).parent / "daemon_api"


def recorded(name: str) -> dict[str, Any]:
    data = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def at(path: str) -> Location:
    return Location(logical=path)


def test_daemon_state_from_version_info_and_bridge() -> None:
    bridge = {"Options": {"com.docker.network.bridge.enable_icc": "false"}}
    state = daemon_state_from_api(
        "unix:///var/run/docker.sock", recorded("version"), recorded("info"), bridge
    )
    assert state.endpoint == "unix:///var/run/docker.sock"
    assert state.version == "20.10.24+dfsg1"
    assert state.api_version == "1.41"
    assert state.os == "Debian GNU/Linux 12 (bookworm)"
    assert state.kernel_version == recorded("info")["KernelVersion"]
    assert state.components == {
        "Engine": "20.10.24+dfsg1",
        "containerd": "1.6.20~ds1",
        "runc": "1.1.5+ds1",
        "docker-init": "0.19.0",
    }
    assert state.security_options == ("name=seccomp,profile=default",)
    assert (state.rootless, state.userns) == (False, False)
    assert state.runtimes == ("io.containerd.runc.v2", "io.containerd.runtime.v1.linux", "runc")
    assert state.default_runtime == "runc"
    assert state.live_restore is False
    assert state.icc is False
    assert state.insecure_registries == ("127.0.0.0/8",)
    assert state.authorization_plugins == ()
    assert state.logging_driver == "json-file"
    assert state.experimental is False
    assert state.cgroup_version == "1"
    assert state.location == at("daemon")


def test_daemon_state_security_options_insecure_indexes_and_no_bridge() -> None:
    info = {
        "SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless", "name=userns"],
        "RegistryConfig": {
            "InsecureRegistryCIDRs": [],
            "IndexConfigs": {
                "docker.io": {"Secure": True},
                "registry.local:5000": {"Secure": False},
            },
        },
        "Plugins": {"Authorization": ["opa-docker-authz"]},
        "LiveRestoreEnabled": True,
    }
    state = daemon_state_from_api("tcp://h:2376", {"Version": "27.1.1"}, info, None)
    assert (state.rootless, state.userns) == (True, True)
    assert state.insecure_registries == ("registry.local:5000",)
    assert state.authorization_plugins == ("opa-docker-authz",)
    assert state.live_restore is True
    assert state.icc is None
    assert state.components == {"Engine": "27.1.1"}
    assert state.experimental is None and state.cgroup_version is None


def test_a_container_with_every_bad_setting() -> None:
    spec = container_spec_from_inspect(
        recorded("container-web"), recorded("image-busybox-test"), cgroupns_default="host"
    )
    c = "container/web:"
    assert (spec.kind, spec.name, spec.resource) == (LIVE, "container `web`", "container/web")
    assert spec.anchor == at("container/web")
    assert spec.image == Located("busybox-test:1", at(c + "Config.Image"))
    assert spec.privileged == Located(True, at(c + "HostConfig.Privileged"))
    assert spec.cap_add == (Located("SYS_ADMIN", at(c + "HostConfig.CapAdd[0]")),)
    assert spec.cap_drop == ()
    assert spec.pid == Located("host", at(c + "HostConfig.PidMode"))
    assert spec.ipc == Located("host", at(c + "HostConfig.IpcMode"))
    assert spec.network == Located("host", at(c + "HostConfig.NetworkMode"))
    assert (spec.uts, spec.userns, spec.cgroup) == (None, None, None)  # cgroupns: the default
    assert spec.mounts == (
        Mount("bind", "/var/run/docker.sock", "/var/run/docker.sock", False, at(c + "Mounts[0]")),
        Mount("bind", "/proc", "/host/proc", True, at(c + "Mounts[1]")),
        Mount("volume", "data", "/data", False, at(c + "Mounts[2]")),
        Mount("tmpfs", None, "/run", False, at(c + "HostConfig.Tmpfs./run")),
    )
    assert spec.devices == (Located("/dev/null:/dev/xnull:r", at(c + "HostConfig.Devices[0]")),)
    assert spec.seccomp == Located("unconfined", at(c + "HostConfig.SecurityOpt[0]"))
    assert spec.apparmor == Located("unconfined", at(c + "HostConfig.SecurityOpt[1]"))
    assert spec.selinux == ()  # the label=disable docker adds to a privileged container
    assert spec.no_new_privileges is None
    assert spec.read_only_rootfs == Located(False, at(c + "HostConfig.ReadonlyRootfs"))
    assert spec.runtime == Located("runc", at(c + "HostConfig.Runtime"))
    assert spec.memory_limit == Located("67108864", at(c + "HostConfig.Memory"))
    assert spec.cpu_limit == Located("0.5", at(c + "HostConfig.NanoCpus"))
    assert spec.pids_limit == Located("100", at(c + "HostConfig.PidsLimit"))
    assert spec.env[0] == EnvVar("SECRET", "x", at(c + "Config.Env[0]"))
    assert spec.ports == (
        PortBinding("80", "tcp", "8080", "127.0.0.1", at(c + "HostConfig.PortBindings.80/tcp[0]")),
    )
    assert spec.sysctls == (
        EnvVar("kernel.msgmax", "65536", at(c + "HostConfig.Sysctls.kernel.msgmax")),
    )
    assert spec.user is None
    assert spec.effective_user == Located("", at("image/busybox-test:1:Config.User"))
    assert spec.user_chain == ("container/web", "image busybox-test:1", 'Config.User ""', "root")


def test_a_hardened_container_with_its_own_user() -> None:
    spec = container_spec_from_inspect(recorded("container-good"), recorded("image-busybox-test"))
    c = "container/good:"
    assert spec.user == Located("1000:1000", at(c + "Config.User"))
    assert spec.effective_user == spec.user
    assert spec.user_chain == ("container/good", 'Config.User "1000:1000"', "user 1000:1000")
    assert spec.cap_drop == (Located("ALL", at(c + "HostConfig.CapDrop[0]")),)
    assert spec.no_new_privileges == Located(True, at(c + "HostConfig.SecurityOpt[0]"))
    assert spec.read_only_rootfs == Located(True, at(c + "HostConfig.ReadonlyRootfs"))
    assert spec.network == Located("none", at(c + "HostConfig.NetworkMode"))
    assert spec.privileged == Located(False, at(c + "HostConfig.Privileged"))
    assert spec.cgroup == Located("host", at(c + "HostConfig.CgroupnsMode"))  # default unknown
    assert spec.mounts == () and spec.ports == () and spec.devices == ()


def test_the_user_comes_from_the_image_config() -> None:
    spec = container_spec_from_inspect(recorded("container-app"), recorded("image-busybox-app"))
    assert spec.user is None
    assert spec.effective_user == Located("10001", at("image/busybox-app:1:Config.User"))
    assert spec.user_chain == (
        "container/app",
        "image busybox-app:1",
        'Config.User "10001"',
        "user 10001",
    )


def test_without_its_image_the_container_config_decides() -> None:
    spec = container_spec_from_inspect(recorded("container-app"), None)
    assert spec.user == Located("10001", at("container/app:Config.User"))
    assert spec.user_chain == ("container/app", 'Config.User "10001"', "user 10001")
    root = container_spec_from_inspect(recorded("container-web"), None)
    assert root.user is None
    assert root.effective_user == Located("", at("container/web:Config.User"))
    assert root.user_chain == ("container/web", 'Config.User ""', "root")


@pytest.mark.parametrize(
    ("options", "seccomp", "selinux", "nnp"),
    [
        (["seccomp:unconfined"], "unconfined", (), None),
        (['seccomp={"defaultAction":"SCMP_ACT_ERRNO"}'], "custom profile", (), None),
        (["label=disable"], None, ("label=disable",), None),
        (["label:type:spc_t"], None, ("label=type:spc_t",), None),
        (["no-new-privileges"], None, (), True),
        (["no-new-privileges:false"], None, (), False),
        (["no-new-privileges=true"], None, (), True),
    ],
)
def test_security_options_as_the_engine_stores_them(
    options: list[str], seccomp: str | None, selinux: tuple[str, ...], nnp: bool | None
) -> None:
    data = {"Name": "/x", "Config": {}, "HostConfig": {"SecurityOpt": options}}
    spec = container_spec_from_inspect(data, None)
    assert (spec.seccomp.value if spec.seccomp else None) == seccomp
    assert tuple(o.value for o in spec.selinux) == selinux
    assert (spec.no_new_privileges.value if spec.no_new_privileges else None) == nnp


def test_label_disable_written_for_an_ordinary_container_is_kept() -> None:
    host = {"SecurityOpt": ["label=disable"], "PidMode": "", "IpcMode": "private"}
    spec = container_spec_from_inspect({"Name": "/x", "HostConfig": host}, None)
    assert [o.value for o in spec.selinux] == ["label=disable"]


def test_endpoints_in_order() -> None:
    assert candidate_endpoints("tcp://h:2376", {"DOCKER_HOST": "unix:///x"}) == ("tcp://h:2376",)
    assert candidate_endpoints(None, {"DOCKER_HOST": "unix:///x.sock"}) == ("unix:///x.sock",)
    assert candidate_endpoints(None, {"XDG_RUNTIME_DIR": "/run/user/1000"}) == (
        "unix:///var/run/docker.sock",
        "unix:///run/user/1000/docker.sock",
        "unix:///run/user/1000/podman/podman.sock",
        "unix:///run/podman/podman.sock",
    )


def test_the_first_socket_that_exists_is_chosen(tmp_path: Path) -> None:
    (tmp_path / "podman").mkdir()
    (tmp_path / "podman" / "podman.sock").touch()
    env = {"XDG_RUNTIME_DIR": str(tmp_path)}
    if Path("/var/run/docker.sock").exists():
        pytest.skip("this machine has a default Docker socket, which comes first")
    assert choose_endpoint(None, env) == f"unix://{tmp_path}/podman/podman.sock"
    assert choose_endpoint(None, {"XDG_RUNTIME_DIR": str(tmp_path / "none")}) in (
        "unix:///var/run/docker.sock",  # none exists: the default, so that the error names it
        "unix:///run/podman/podman.sock",
    )


def test_tls_settings_from_the_environment(tmp_path: Path) -> None:
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    env = {"DOCKER_CERT_PATH": str(tmp_path), "DOCKER_TLS_VERIFY": "1"}
    assert TLSSettings.from_env(env) == TLSSettings(
        str(tmp_path / "ca.pem"), str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"), True
    )
    assert TLSSettings.from_env({}) is None
    unverified = TLSSettings.from_env({"DOCKER_CERT_PATH": str(tmp_path)})
    assert unverified is not None and unverified.verify is False


def test_connection_problems_say_what_to_do() -> None:
    def wrapped(cause: OSError) -> Exception:
        error = requests.ConnectionError(cause)
        outer = Exception(f"Error while fetching server API version: {error}")
        outer.__cause__ = error
        return outer

    sock = "unix:///var/run/docker.sock"
    assert _connection_problem(wrapped(PermissionError(13, "denied")), sock, 10) == (
        "permission denied on /var/run/docker.sock: run as root or as a member of the docker "
        "group, or pass --docker-host"
    )
    assert _connection_problem(wrapped(FileNotFoundError(2, "no")), sock, 10).startswith(
        "no Docker socket at /var/run/docker.sock: start the daemon"
    )
    assert _connection_problem(wrapped(ConnectionRefusedError(111, "no")), sock, 10).startswith(
        "connection refused on /var/run/docker.sock"
    )
    assert _connection_problem(requests.Timeout("slow"), "tcp://h:2376", 2.5) == (
        "no answer from tcp://h:2376 within 2.5s: the daemon is hung or unreachable"
    )


def test_the_client_sends_nothing_but_get(tmp_path: Path) -> None:
    client = _ReadOnlyClient(base_url=f"unix://{tmp_path}/none.sock", version="1.41")
    with pytest.raises(PermissionError, match=re.escape("refused POST /v1.41/containers/x/stop")):
        client.stop("x")
    with pytest.raises(PermissionError, match="refused DELETE"):
        client.remove_image("busybox")
    with pytest.raises(requests.ConnectionError):  # a GET goes out (and finds no daemon)
        client.containers()
