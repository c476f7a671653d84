"""The runtime rules on hand-built ContainerSpecs: exact findings (rule, line, message)."""

from __future__ import annotations

from typing import Any

import pytest

from hullguard.model import Finding, Located, Location, Severity
from hullguard.registry import CONTAINER, Context, get_rule
from hullguard.spec import CI, COMPOSE, KUBERNETES, ContainerSpec, EnvVar, Mount, PortBinding

PATH = "compose.yaml"


def at(line: int) -> Location:
    return Location(path=PATH, line=line, column=7)


def located(value: Any, line: int) -> Located[Any]:
    return Located(value, at(line))


def bind(source: str, line: int, *, read_only: bool = False, target: str = "/mnt") -> Mount:
    return Mount("bind", source, target, read_only, at(line))


def spec(**fields: Any) -> ContainerSpec:
    """A compose service `ci` declared on line 2 with a non-root user, hardened unless told."""
    base: dict[str, Any] = {
        "kind": COMPOSE,
        "name": "service `ci`",
        "resource": "services.ci",
        "anchor": at(2),
        "image": located("docker:27-cli", 3),
        "user": located("10001", 4),
    }
    base.update(fields)
    return ContainerSpec(**base)


def run(rule_id: str, container: ContainerSpec) -> list[Finding]:
    rule = get_rule(rule_id)
    assert rule is not None and CONTAINER in rule.targets
    ctx = Context(rule, target_kind="compose", path=PATH, options=dict(rule.options))
    return list(rule.func(container, ctx))


def lines(rule_id: str, container: ContainerSpec) -> list[int | None]:
    return [f.location.line for f in run(rule_id, container)]


def only(rule_id: str, container: ContainerSpec) -> Finding:
    findings = run(rule_id, container)
    assert len(findings) == 1, findings
    assert findings[0].rule_id == rule_id
    assert findings[0].resource == "services.ci"
    return findings[0]


# --- HG101 docker-socket-mounted ----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("/var/run/docker.sock", "the Docker socket `/var/run/docker.sock`"),
        ("/run/docker.sock", "the Docker socket `/run/docker.sock`"),
        ("//var/run/docker.sock", "the Docker socket `/var/run/docker.sock`"),
        ("/var/run/docker.sock/", "the Docker socket `/var/run/docker.sock`"),
        ("/var/./run/../run/docker.sock", "the Docker socket `/var/run/docker.sock`"),
        ("/run/containerd/containerd.sock", "the containerd socket"),
        ("/var/run/crio/crio.sock", "the CRI-O socket"),
        ("/run/podman/podman.sock", "the Podman socket"),
        ("/run/user/1000/podman/podman.sock", "the Podman (rootless) socket"),
        ("${XDG_RUNTIME_DIR}/docker.sock", "the Docker socket `${XDG_RUNTIME_DIR}/docker.sock`"),
        ("~/.docker/run/docker.sock", "the Docker socket `~/.docker/run/docker.sock`"),
        ("//./pipe/docker_engine", "the Docker (Windows named pipe) socket"),
        ("/var/run", "`/var/run`, the directory of the Docker, containerd"),
        ("/run", "`/run`, the directory of the Docker"),
        ("/run/containerd", "`/run/containerd`, the directory of the containerd socket"),
        ("/", "the host's root filesystem `/`"),
    ],
)
def test_hg101_socket_in_any_form(source: str, fragment: str) -> None:
    finding = only("HG101", spec(mounts=(bind(source, 7),)))
    assert finding.location.line == 7
    assert finding.severity is Severity.CRITICAL
    assert finding.message.startswith("service `ci` mounts ")
    assert fragment in finding.message


def test_hg101_read_only_does_not_help_and_says_so() -> None:
    finding = only("HG101", spec(mounts=(bind("/var/run/docker.sock", 7, read_only=True),)))
    assert "read-only does not help" in finding.message


@pytest.mark.parametrize(
    "source",
    ["/var/running", "/run-data", "/run/docker", "/var", "/var/lib/docker", "./docker.sock.d"],
)
def test_hg101_not_a_socket(source: str) -> None:
    assert run("HG101", spec(mounts=(bind(source, 7),))) == []


def test_hg101_named_volume_at_socket_path_is_not_the_host_socket() -> None:
    volume = Mount("volume", "dind-sock", "/var/run", False, at(7))
    assert run("HG101", spec(mounts=(volume,))) == []


def test_hg101_every_socket_mount_is_reported() -> None:
    mounts = (bind("/data", 7), bind("/var/run/docker.sock", 8), bind("/run/crio/crio.sock", 9))
    assert lines("HG101", spec(mounts=mounts)) == [8, 9]


# --- HG104 docker-api-exposed-without-tls -------------------------------------------------


def env(*pairs: tuple[str, str, int]) -> tuple[EnvVar, ...]:
    return tuple(EnvVar(name, value, at(line)) for name, value, line in pairs)


def test_hg104_docker_host_plaintext_port() -> None:
    finding = only("HG104", spec(env=env(("DOCKER_HOST", "tcp://dind:2375", 6))))
    assert finding.location.line == 6
    assert "DOCKER_HOST=tcp://dind:2375" in finding.message
    assert "port 2375" in finding.message


def test_hg104_docker_host_without_tls_verify() -> None:
    container = spec(env=env(("DOCKER_HOST", "tcp://build:2376", 6), ("DOCKER_TLS_VERIFY", "0", 7)))
    assert "without DOCKER_TLS_VERIFY=1" in only("HG104", container).message


def test_hg104_tls_verified_and_other_schemes_pass() -> None:
    verified = env(("DOCKER_HOST", "tcp://build:2376", 6), ("DOCKER_TLS_VERIFY", "1", 7))
    assert run("HG104", spec(env=verified)) == []
    assert run("HG104", spec(env=env(("DOCKER_HOST", "unix:///run/docker.sock", 6)))) == []


def test_hg104_published_2375() -> None:
    ports = (
        PortBinding("2375", "tcp", "2375", None, at(9)),
        PortBinding("2376", "tcp", "2376", None, at(10)),
        PortBinding("2370-2380", "tcp", "2370-2380", "0.0.0.0", at(11)),
        PortBinding("2375", "udp", "2375", None, at(12)),
        PortBinding("2375", "tcp", "2375", "127.0.0.1", at(13)),
    )
    findings = run("HG104", spec(ports=ports))
    assert [(f.location.line, f.severity) for f in findings] == [
        (9, Severity.HIGH),
        (11, Severity.HIGH),
        (13, Severity.MEDIUM),
    ]
    assert "on 127.0.0.1 only" in findings[2].message


# --- HG201 privileged-container -----------------------------------------------------------


def test_hg201_privileged() -> None:
    finding = only("HG201", spec(privileged=located(True, 5)))
    assert finding.location.line == 5
    assert finding.message.startswith("service `ci` runs privileged")
    assert run("HG201", spec(privileged=located(False, 5))) == []
    assert run("HG201", spec()) == []


# --- HG206 container-runs-as-root ---------------------------------------------------------


@pytest.mark.parametrize("user", ["root", "0", "0:0", "root:app", "+0"])
def test_hg206_written_root_user(user: str) -> None:
    finding = only("HG206", spec(user=located(user, 4)))
    assert finding.location.line == 4
    assert finding.severity is Severity.HIGH
    assert finding.message == f"service `ci` runs as root (user `{user}`)"


@pytest.mark.parametrize("user", ["10001", "app", "1000:0", "${UID}:${GID}"])
def test_hg206_non_root_or_unresolved_user(user: str) -> None:
    assert run("HG206", spec(user=located(user, 4))) == []


def test_hg206_effective_user_names_every_link() -> None:
    chain = ("api/Dockerfile:1 FROM python:3.12", "no USER: the image runs as root")
    container = spec(
        user=None,
        effective_user=Located("", Location(path="api/Dockerfile", line=1)),
        user_chain=chain,
    )
    finding = only("HG206", container)
    assert finding.location == at(2)
    assert finding.message == (
        "service `ci` runs as root "
        "(api/Dockerfile:1 FROM python:3.12 → no USER: the image runs as root)"
    )
    assert finding.chain == chain


def test_hg206_effective_non_root_user_wins_over_nothing_written() -> None:
    container = spec(user=None, effective_user=located("10001", 8), user_chain=("USER 10001",))
    assert run("HG206", container) == []


def test_hg206_user_not_set_is_medium() -> None:
    finding = only("HG206", spec(user=None))
    assert finding.location.line == 2
    assert finding.severity is Severity.MEDIUM
    assert "sets no user" in finding.message and "`docker:27-cli`" in finding.message


def test_hg206_run_as_non_root_counts_as_non_root() -> None:
    container = spec(kind=KUBERNETES, user=None, run_as_non_root=located(True, 6))
    assert run("HG206", container) == []
    container = spec(kind=KUBERNETES, user=None, run_as_non_root=located(False, 6))
    assert only("HG206", container).severity is Severity.MEDIUM


# --- HG207 dangerous-capability-added / HG208 capabilities-not-dropped -------------------


def test_hg207_dangerous_capabilities_any_spelling() -> None:
    caps = (
        located("ALL", 6),
        located("cap_sys_admin", 7),
        located("NET_BIND_SERVICE", 8),
        located("net_admin", 9),
        located("CAP_NET_RAW", 10),
    )
    findings = run("HG207", spec(cap_add=caps))
    assert [(f.location.line, f.severity) for f in findings] == [
        (6, Severity.CRITICAL),
        (7, Severity.CRITICAL),
        (9, Severity.HIGH),
        (10, Severity.MEDIUM),
    ]
    assert "adds the capability SYS_ADMIN: " in findings[1].message


def test_hg208_capabilities_not_dropped() -> None:
    assert lines("HG208", spec()) == [2]
    partial = only("HG208", spec(cap_drop=(located("NET_RAW", 6), located("MKNOD", 7))))
    assert partial.location.line == 6 and "drops only NET_RAW, MKNOD" in partial.message
    assert run("HG208", spec(cap_drop=(located("all", 6),))) == []
    assert run("HG208", spec(cap_drop=(located("CAP_ALL", 6),))) == []


# --- HG209 host-namespace-shared ----------------------------------------------------------


def test_hg209_every_host_namespace() -> None:
    container = spec(
        pid=located("host", 5),
        ipc=located("host", 6),
        network=located("host", 7),
        uts=located("host", 8),
        userns=located("host", 9),
        cgroup=located("host", 10),
    )
    findings = run("HG209", container)
    assert sorted((f.location.line, f.severity) for f in findings) == [
        (5, Severity.HIGH),
        (6, Severity.HIGH),
        (7, Severity.HIGH),
        (8, Severity.MEDIUM),
        (9, Severity.HIGH),
        (10, Severity.MEDIUM),
    ]
    assert any("shares the host's PID namespace" in f.message for f in findings)


def test_hg209_other_containers_namespaces_pass() -> None:
    container = spec(
        pid=located("service:app", 5),
        network=located("container:vpn", 6),
        ipc=located("private", 7),
    )
    assert run("HG209", container) == []


# --- HG210 security-profile-disabled ------------------------------------------------------


def test_hg210_unconfined_profiles() -> None:
    container = spec(
        seccomp=located("unconfined", 5),
        apparmor=located("Unconfined", 6),
        selinux=(located("label=disable", 7), located("type:spc_t", 8), located("level:s0", 9)),
    )
    findings = run("HG210", container)
    assert [f.location.line for f in findings] == [5, 6, 7, 8]
    assert findings[0].message == "service `ci` runs with seccomp unconfined"
    assert "spc_t" in findings[3].message


@pytest.mark.parametrize("value", ["label:disable", "disable", "LABEL=DISABLE"])
def test_hg210_selinux_disable_spellings(value: str) -> None:
    assert lines("HG210", spec(selinux=(located(value, 7),))) == [7]


def test_hg210_custom_or_default_profiles_pass() -> None:
    container = spec(seccomp=located("./profile.json", 5), apparmor=located("docker-default", 6))
    assert run("HG210", container) == []


# --- HG211 privilege-escalation-allowed ---------------------------------------------------


def test_hg211_no_new_privileges() -> None:
    assert lines("HG211", spec()) == [2]
    assert run("HG211", spec(no_new_privileges=located(True, 5))) == []
    assert "explicitly" in only("HG211", spec(no_new_privileges=located(False, 5))).message


# --- HG212 device-passed-through ----------------------------------------------------------


def test_hg212_devices_by_table() -> None:
    devices = (
        located("/dev/mem", 5),
        located("/dev/sda:/dev/xvda:rwm", 6),
        located("/dev/fuse", 7),
        located("/dev/dri/renderD128", 8),
        located("/dev/something-else", 9),
        located("nvidia.com/gpu=all", 10),
    )
    findings = run("HG212", spec(devices=devices))
    assert [(f.location.line, f.severity) for f in findings] == [
        (5, Severity.CRITICAL),
        (6, Severity.CRITICAL),
        (7, Severity.MEDIUM),
        (8, Severity.LOW),
        (9, Severity.HIGH),
    ]
    assert "the host device `/dev/sda`: a raw disk" in findings[1].message


# --- HG213 writable-root-filesystem / HG214 no-resource-limits ----------------------------


def test_hg213_writable_root() -> None:
    assert lines("HG213", spec()) == [2]
    assert lines("HG213", spec(read_only_rootfs=located(False, 5))) == [5]
    assert run("HG213", spec(read_only_rootfs=located(True, 5))) == []


def test_hg214_limits() -> None:
    finding = only("HG214", spec())
    assert finding.location.line == 2 and finding.severity is Severity.LOW
    assert finding.message == "service `ci` has no memory limit and no PIDs limit"
    pids = only("HG214", spec(memory_limit=located("512m", 5)))
    assert pids.severity is Severity.INFO and "no PIDs limit" in pids.message
    assert run("HG214", spec(memory_limit=located("512m", 5), pids_limit=located("100", 6))) == []
    assert lines("HG214", spec(memory_limit=located("-1", 5), pids_limit=located("100", 6))) == [5]
    kubernetes = spec(kind=KUBERNETES, memory_limit=located("512Mi", 5))
    assert run("HG214", kubernetes) == []


# --- HG215 host-takeover-path -------------------------------------------------------------


def test_hg215_socket_and_root_from_dockerfile() -> None:
    container = spec(
        user=None,
        mounts=(bind("/var/run/docker.sock", 7),),
        effective_user=Located("", Location(path="api/Dockerfile", line=1)),
        user_chain=("api/Dockerfile:1 FROM python:3.12", "no USER"),
    )
    finding = only("HG215", container)
    assert finding.location.line == 7
    assert finding.message == (
        "service `ci` can take over the host: "
        "services.ci mounts the Docker socket `/var/run/docker.sock` + "
        "runs as root (api/Dockerfile:1 FROM python:3.12 → no USER)"
    )
    assert finding.chain == (
        "services.ci mounts the Docker socket `/var/run/docker.sock`",
        "api/Dockerfile:1 FROM python:3.12",
        "no USER",
    )


def test_hg215_privileged_root_reported_once() -> None:
    container = spec(
        user=located("0", 4),
        privileged=located(True, 5),
        mounts=(bind("/run/containerd/containerd.sock", 7),),
    )
    finding = only("HG215", container)
    assert finding.location.line == 7
    assert "runs privileged" in finding.message and "runs as root (user `0`)" in finding.message


def test_hg215_sys_admin_needs_host_pid() -> None:
    caps = (located("CAP_SYS_ADMIN", 6),)
    assert run("HG215", spec(user=located("root", 4), cap_add=caps)) == []
    finding = only("HG215", spec(user=located("root", 4), cap_add=caps, pid=located("host", 5)))
    assert finding.location.line == 6
    assert "adds SYS_ADMIN and shares the host's PID namespace" in finding.message


def test_hg215_needs_root() -> None:
    mounts = (bind("/var/run/docker.sock", 7),)
    assert run("HG215", spec(mounts=mounts)) == []
    assert run("HG215", spec(user=None, mounts=mounts)) == []  # unknown: HG206's
    assert run("HG215", spec(user=located("0", 4))) == []  # no way out


# --- HG301 sensitive-host-path-mounted ----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "read_only", "severity", "fragment"),
    [
        ("/", False, Severity.CRITICAL, "the host's `/` read-write"),
        ("/", True, Severity.HIGH, "the host's `/` read-only"),
        ("/etc", False, Severity.CRITICAL, "`/etc` read-write"),
        ("/etc/ssl", True, Severity.HIGH, "`/etc/ssl` (in `/etc`) read-only"),
        ("//etc//", True, Severity.HIGH, "`/etc` read-only"),
        ("/usr/../etc/./shadow", True, Severity.HIGH, "`/etc/shadow` (in `/etc`)"),
        ("/proc", True, Severity.HIGH, "`/proc` read-only"),
        ("/sys/fs/cgroup", False, Severity.CRITICAL, "(in `/sys`)"),
        ("/var/lib/docker", True, Severity.HIGH, "Docker's storage"),
        ("/var/lib/kubelet/pods", False, Severity.CRITICAL, "(in `/var/lib/kubelet`)"),
        ("/lib/modules", True, Severity.LOW, "`/lib/modules` read-only"),
        ("/var/log", False, Severity.HIGH, "`/var/log` read-write"),
        ("/var/run", True, Severity.HIGH, "`/var/run` read-only"),
        ("/home/alice/.ssh", True, Severity.HIGH, "(in `/home/*/.ssh`)"),
        ("~/.ssh", True, Severity.HIGH, "`~/.ssh` read-only"),
        ("${HOME}/.aws", True, Severity.HIGH, "`~/.aws` read-only"),
        ("/etc/localtime", False, Severity.MEDIUM, "time zone"),
    ],
)
def test_hg301_sensitive_paths(
    source: str, read_only: bool, severity: Severity, fragment: str
) -> None:
    finding = only("HG301", spec(mounts=(bind(source, 7, read_only=read_only),)))
    assert finding.location.line == 7
    assert finding.severity is severity
    assert fragment in finding.message, finding.message


@pytest.mark.parametrize(
    ("source", "read_only"),
    [
        ("/etcd", False),
        ("/etc-backup", False),
        ("/var/www/html", False),
        ("/home/alice/src/app", False),
        ("/srv/data", False),
        ("./data", False),
        ("/etc/localtime", True),
        ("/etc/ssl/certs", True),
        ("/var/run/docker.sock", False),
        ("/run/containerd/containerd.sock", True),
    ],
)
def test_hg301_not_sensitive_or_left_to_hg101(source: str, read_only: bool) -> None:
    assert run("HG301", spec(mounts=(bind(source, 7, read_only=read_only),))) == []


def test_hg301_named_volume_is_not_a_host_path() -> None:
    volume = Mount("volume", "etc", "/etc", False, at(7))
    assert run("HG301", spec(mounts=(volume,))) == []


def test_hg209_kubernetes_host_users_restates_the_default() -> None:
    assert run("HG209", spec(kind=KUBERNETES, userns=located("host", 5))) == []


@pytest.mark.parametrize("rule_id", ["HG206", "HG208", "HG211", "HG213", "HG214"])
def test_advice_is_not_given_for_ci_job_containers(rule_id: str) -> None:
    job = spec(kind=CI, name="job `test` container", resource="jobs.test.container", user=None)
    assert run(rule_id, job) == []
    assert run(rule_id, spec(user=None)) != []  # the same container elsewhere gets the advice


def test_a_ci_job_container_that_sets_root_is_still_reported() -> None:
    job = spec(kind=CI, user=located("root", 4))
    assert lines("HG206", job) == [4]
