"""`docker run` command lines as ContainerSpecs: every flag, every form, exact places."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullguard.model import Located, Location
from hullguard.sources.docker_cli import (
    RUN_FLAGS,
    SHORT_FLAGS,
    RunSettings,
    containers_from_script,
    load_makefile,
    load_script,
    parse_options,
)
from hullguard.sources.shell import Word, parse_script
from hullguard.spec import DOCKER_CLI, ContainerSpec, EnvVar, Mount, PortBinding

F = "run.sh"


def at(line: int, column: int, end_column: int, end_line: int | None = None) -> Location:
    return Location(F, line, column, end_line or line, end_column)


def one(text: str) -> ContainerSpec:
    result = load_script(text, F)
    assert result.errors == ()
    assert len(result.containers) == 1
    return result.containers[0]


def where(value: Located[object] | None) -> tuple[object, int | None, int | None]:
    assert value is not None
    return value.value, value.location.line, value.location.column


# --- which commands -----------------------------------------------------------------------


def test_identity_of_a_docker_run_line() -> None:
    spec = one("set -e\ndocker run --rm nginx:1.27\n")
    assert spec.kind == DOCKER_CLI
    assert spec.name == f"`docker run nginx:1.27` at {F}:2"
    assert spec.resource == f"{F}:2"
    assert spec.anchor == at(2, 1, 27)
    assert spec.image == Located("nginx:1.27", at(2, 17, 27))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("docker create nginx", "`docker create nginx`"),
        ("docker container run nginx", "`docker run nginx`"),
        ("docker container create nginx", "`docker create nginx`"),
        ("podman run nginx", "`podman run nginx`"),
        ("nerdctl run nginx", "`nerdctl run nginx`"),
        ("/usr/bin/docker run nginx", "`docker run nginx`"),
        ("sudo docker run nginx", "`docker run nginx`"),
        ("docker -H tcp://10.0.0.1:2375 run nginx", "`docker run nginx`"),
        ("docker --context=prod run nginx", "`docker run nginx`"),
        ("docker --debug -l info run nginx", "`docker run nginx`"),
        ("ID=$(docker run -d nginx)", "`docker run nginx`"),
        ("sh -c 'docker run nginx'", "`docker run nginx`"),
    ],
)
def test_every_cli_and_verb_is_found_once(text: str, name: str) -> None:
    spec = one(text)
    assert spec.name == f"{name} at {F}:1"
    assert spec.image is not None and spec.image.value == "nginx"


@pytest.mark.parametrize(
    "text",
    ["docker ps", "docker build -t x .", "docker image ls", "echo docker run x", "docker --help"],
)
def test_other_commands_are_not_containers(text: str) -> None:
    assert load_script(text, F).containers == ()


def test_a_run_without_an_image_is_an_error_with_its_line() -> None:
    result = load_script("echo\ndocker run --rm\n", F)
    assert result.containers == ()
    assert [(e.message, e.line) for e in result.errors] == [
        ("`docker run` without an image: not analysed", 2)
    ]


def test_a_flag_missing_its_value_is_an_error() -> None:
    result = load_script("docker run -v", F)
    assert [(e.message, e.line, e.column) for e in result.errors] == [
        ("`-v` needs a value", 1, 12),
        ("`docker run` without an image: not analysed", 1, 1),
    ]


# --- the image and what follows it --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "image"),
    [
        ("docker run -v /a:/b alpine ls", "alpine"),
        ("docker run --name web -e A=1 alpine", "alpine"),
        ("docker run --name=web alpine", "alpine"),
        ("docker run -it alpine sh", "alpine"),
        ("docker run -dp 80:80 nginx", "nginx"),
        ("docker run -p80:80 nginx", "nginx"),
        ("docker run --rm=false nginx", "nginx"),
        ("docker run --unknown-flag nginx", "nginx"),
        ("docker run --unknown-flag=x nginx", "nginx"),
        ("docker run -- nginx --privileged", "nginx"),
        ("docker run --entrypoint /bin/sh nginx -c x", "nginx"),
        ("docker run --restart always --log-opt max-size=1m nginx", "nginx"),
        ("podman run --pod mypod --userns keep-id fedora", "fedora"),
        ('docker run "${IMAGE}" run', "${IMAGE}"),
    ],
)
def test_the_image_is_the_first_argument_that_is_not_a_flag_or_its_value(
    text: str, image: str
) -> None:
    spec = one(text)
    assert spec.image is not None and spec.image.value == image


def test_flags_after_the_image_belong_to_the_command() -> None:
    result = load_script("docker run alpine --privileged -v /:/host", F)
    spec = result.containers[0]
    assert spec.privileged is None
    assert spec.mounts == ()
    assert [a.value for a in result.runs[0].command] == ["--privileged", "-v", "/:/host"]


# --- each flag ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "column"),
    [
        ("docker run --privileged x", True, 12),
        ("docker run --privileged=true x", True, 12),
        ("docker run --privileged=false x", False, 12),
    ],
)
def test_privileged(text: str, value: bool, column: int) -> None:
    assert where(one(text).privileged) == (value, 1, column)


def test_privileged_with_a_value_that_is_not_a_boolean_is_an_error() -> None:
    result = load_script("docker run --privileged=$P x", F)
    assert result.containers[0].privileged is None
    assert [e.message for e in result.errors] == ["`--privileged=$P`: not a boolean"]


@pytest.mark.parametrize(
    ("text", "mount"),
    [
        ("docker run -v /:/host x", Mount("bind", "/", "/host", False, at(1, 15, 22))),
        ("docker run -v /etc:/e:ro x", Mount("bind", "/etc", "/e", True, at(1, 15, 25))),
        ("docker run -v /etc:/e:ro,z x", Mount("bind", "/etc", "/e", True, at(1, 15, 27))),
        ("docker run -v /etc:/e:rw x", Mount("bind", "/etc", "/e", False, at(1, 15, 25))),
        ("docker run -v data:/d x", Mount("volume", "data", "/d", False, at(1, 15, 22))),
        ("docker run -v /cache x", Mount("volume", None, "/cache", False, at(1, 15, 21))),
        ("docker run -v ./src:/s x", Mount("bind", "./src", "/s", False, at(1, 15, 23))),
        ("docker run -v ~/.ssh:/s x", Mount("bind", "~/.ssh", "/s", False, at(1, 15, 24))),
        ("docker run -v $PWD:/src x", Mount("bind", "$PWD", "/src", False, at(1, 15, 24))),
        (
            'docker run -v "$(pwd)":/src x',
            Mount("bind", "$(pwd)", "/src", False, at(1, 15, 28)),
        ),
        (
            "docker run --volume=/run/docker.sock:/run/docker.sock x",
            Mount("bind", "/run/docker.sock", "/run/docker.sock", False, at(1, 12, 54)),
        ),
        ("docker run -v/:/h x", Mount("bind", "/", "/h", False, at(1, 12, 18))),
        ("docker run -itv /:/h x", Mount("bind", "/", "/h", False, at(1, 17, 21))),
        (
            "docker run -v 'C:\\data:/data' x",
            Mount("bind", "C:\\data", "/data", False, at(1, 15, 30)),
        ),
        (
            "docker run --mount type=bind,source=/etc,target=/e,readonly x",
            Mount("bind", "/etc", "/e", True, at(1, 20, 60)),
        ),
        (
            "docker run --mount=type=bind,src=/var/run/docker.sock,dst=/s x",
            Mount("bind", "/var/run/docker.sock", "/s", False, at(1, 12, 61)),
        ),
        (
            "docker run --mount type=bind,src=/etc,destination=/e,readonly=false x",
            Mount("bind", "/etc", "/e", False, at(1, 20, 68)),
        ),
        (
            "docker run --mount source=v,target=/d,ro=true x",
            Mount("volume", "v", "/d", True, at(1, 20, 46)),
        ),
        (
            "docker run --mount type=tmpfs,target=/t x",
            Mount("tmpfs", None, "/t", False, at(1, 20, 40)),
        ),
        (
            "docker run --mount 'type=bind,\"source=/a,b\",target=/c' x",
            Mount("bind", "/a,b", "/c", False, at(1, 20, 55)),
        ),
        (
            "docker run --tmpfs /run:rw,noexec,size=64m x",
            Mount("tmpfs", None, "/run", False, at(1, 20, 43)),
        ),
        ("docker run --tmpfs /ro:ro x", Mount("tmpfs", None, "/ro", True, at(1, 20, 26))),
    ],
)
def test_mounts(text: str, mount: Mount) -> None:
    assert one(text).mounts == (mount,)


def test_a_mount_without_a_target_is_an_error() -> None:
    result = load_script("docker run --mount type=bind,src=/etc x", F)
    assert result.containers[0].mounts == ()
    assert [(e.message, e.line) for e in result.errors] == [
        ("`--mount type=bind,src=/etc`: no target", 1)
    ]


def test_capabilities_one_per_flag_or_comma_separated() -> None:
    spec = one("docker run --cap-add SYS_ADMIN --cap-add=NET_ADMIN,SYS_PTRACE --cap-drop ALL x")
    assert [where(c) for c in spec.cap_add] == [
        ("SYS_ADMIN", 1, 22),
        ("NET_ADMIN", 1, 32),
        ("SYS_PTRACE", 1, 32),
    ]
    assert [where(c) for c in spec.cap_drop] == [("ALL", 1, 74)]


@pytest.mark.parametrize(
    ("flag", "attribute"),
    [
        ("--pid", "pid"),
        ("--ipc", "ipc"),
        ("--network", "network"),
        ("--net", "network"),
        ("--uts", "uts"),
        ("--userns", "userns"),
        ("--cgroupns", "cgroup"),
    ],
)
def test_host_namespaces(flag: str, attribute: str) -> None:
    spaced = one(f"docker run {flag} host x")
    assert where(getattr(spaced, attribute)) == ("host", 1, 13 + len(flag))
    joined = one(f"docker run {flag}=host x")
    assert where(getattr(joined, attribute)) == ("host", 1, 12)


def test_network_host_wins_over_other_networks() -> None:
    assert where(one("docker run --network a --network host x").network) == ("host", 1, 34)
    assert where(one("docker run --network a --network b x").network) == ("a", 1, 22)
    assert where(one("docker run --network container:db x").network) == ("container:db", 1, 22)


@pytest.mark.parametrize(
    ("option", "attribute", "value"),
    [
        ("seccomp=unconfined", "seccomp", "unconfined"),
        ("seccomp:unconfined", "seccomp", "unconfined"),
        ("seccomp=/etc/profile.json", "seccomp", "/etc/profile.json"),
        ("apparmor=unconfined", "apparmor", "unconfined"),
        ("apparmor:docker-default", "apparmor", "docker-default"),
        ("no-new-privileges", "no_new_privileges", True),
        ("no-new-privileges=true", "no_new_privileges", True),
        ("no-new-privileges:true", "no_new_privileges", True),
        ("no-new-privileges=false", "no_new_privileges", False),
    ],
)
def test_security_options(option: str, attribute: str, value: object) -> None:
    assert where(getattr(one(f"docker run --security-opt {option} x"), attribute)) == (
        value,
        1,
        27,
    )
    assert where(getattr(one(f"docker run --security-opt={option} x"), attribute)) == (
        value,
        1,
        12,
    )


@pytest.mark.parametrize(
    ("option", "label"),
    [
        ("label=disable", "label=disable"),
        ("label:disable", "label=disable"),
        ("label=type:spc_t", "label=type:spc_t"),
    ],
)
def test_selinux_labels(option: str, label: str) -> None:
    assert [where(s) for s in one(f"docker run --security-opt {option} x").selinux] == [
        (label, 1, 27)
    ]


@pytest.mark.parametrize(
    ("text", "user", "column"),
    [
        ("docker run -u 0 x", "0", 15),
        ("docker run -u0 x", "0", 12),
        ("docker run --user root x", "root", 19),
        ("docker run --user=0:0 x", "0:0", 12),
        ("docker run -itu 1000 x", "1000", 17),
        ('docker run -u "$(id -u):$(id -g)" x', "$(id -u):$(id -g)", 15),
    ],
)
def test_user(text: str, user: str, column: int) -> None:
    assert where(one(text).user) == (user, 1, column)


def test_devices_read_only_runtime_and_limits() -> None:
    spec = one(
        "docker run --device /dev/kvm --device=/dev/sda:/dev/xvda:rwm --read-only"
        " --runtime runsc --memory 512m --cpus=1.5 --pids-limit 100 x"
    )
    assert [where(d) for d in spec.devices] == [
        ("/dev/kvm", 1, 21),
        ("/dev/sda:/dev/xvda:rwm", 1, 30),
    ]
    assert where(spec.read_only_rootfs) == (True, 1, 62)
    assert where(spec.runtime) == ("runsc", 1, 84)
    assert where(spec.memory_limit) == ("512m", 1, 99)
    assert where(spec.cpu_limit) == ("1.5", 1, 104)
    assert where(spec.pids_limit) == ("100", 1, 128)


def test_short_memory_flag() -> None:
    assert where(one("docker run -m 1g x").memory_limit) == ("1g", 1, 15)
    assert where(one("docker run -m1g x").memory_limit) == ("1g", 1, 12)


def test_podman_global_runtime() -> None:
    assert where(one("podman --runtime /usr/bin/runsc run x").runtime) == (
        "/usr/bin/runsc",
        1,
        18,
    )


def test_environment() -> None:
    result = load_script(
        "docker run -e A=1 --env B=two -eC=3 --env=D=$HOME -e PASS --env-file .env x", F
    )
    spec = result.containers[0]
    assert spec.env == (
        EnvVar("A", "1", at(1, 15, 18)),
        EnvVar("B", "two", at(1, 25, 30)),
        EnvVar("C", "3", at(1, 31, 36)),
        EnvVar("D", "$HOME", at(1, 37, 50)),
        EnvVar("PASS", "$PASS", at(1, 54, 58)),
    )
    assert result.runs[0].env_files == (Located(".env", at(1, 70, 74)),)


def test_an_environment_value_with_spaces_keeps_its_text() -> None:
    spec = one("docker run -e \"DOCKER_HOST=tcp://docker:2375\" -e 'M=a b' x")
    assert [(e.name, e.value, e.location.column) for e in spec.env] == [
        ("DOCKER_HOST", "tcp://docker:2375", 15),
        ("M", "a b", 50),
    ]


@pytest.mark.parametrize(
    ("option", "port"),
    [
        ("80", ("80", "tcp", None, None)),
        ("8080:80", ("80", "tcp", "8080", None)),
        ("8080:80/udp", ("80", "udp", "8080", None)),
        ("127.0.0.1:8080:80", ("80", "tcp", "8080", "127.0.0.1")),
        ("0.0.0.0:53:53/udp", ("53", "udp", "53", "0.0.0.0")),
        ("127.0.0.1::80", ("80", "tcp", None, "127.0.0.1")),
        ("[::1]:80:80", ("80", "tcp", "80", "::1")),
        ("8000-8010:80-90", ("80-90", "tcp", "8000-8010", None)),
        ("$PORT:80", ("80", "tcp", "$PORT", None)),
    ],
)
def test_published_ports(option: str, port: tuple[str, str, str | None, str | None]) -> None:
    (binding,) = one(f"docker run -p {option} x").ports
    assert binding == PortBinding(*port, at(1, 15, 15 + len(option)))
    (joined,) = one(f"docker run --publish={option} x").ports
    assert (joined.container_port, joined.protocol, joined.host_port, joined.host_ip) == port


def test_sysctls() -> None:
    spec = one("docker run --sysctl net.ipv4.ip_forward=1 --sysctl=kernel.shmmax=1 x")
    assert spec.sysctls == (
        EnvVar("net.ipv4.ip_forward", "1", at(1, 21, 42)),
        EnvVar("kernel.shmmax", "1", at(1, 43, 67)),
    )


def test_the_last_value_of_a_single_valued_flag_wins() -> None:
    assert where(one("docker run -u 0 -u 1000 x").user) == ("1000", 1, 20)


def test_a_command_over_continued_lines_keeps_each_word_on_its_line() -> None:
    spec = one(
        "docker run \\\n"
        "  --privileged \\\n"
        "  -v /var/run/docker.sock:/var/run/docker.sock \\\n"
        "  --pid=host \\\n"
        "  alpine:3 sh\n"
    )
    assert spec.anchor == at(1, 1, 14, end_line=5)
    assert where(spec.privileged) == (True, 2, 3)
    assert [(m.source, m.location.line, m.location.column) for m in spec.mounts] == [
        ("/var/run/docker.sock", 3, 6)
    ]
    assert where(spec.pid) == ("host", 4, 3)
    assert spec.image == Located("alpine:3", at(5, 3, 11))


def test_two_containers_in_one_script() -> None:
    result = load_script("docker run a\nif x; then\n  podman create --privileged b\nfi\n", F)
    assert [(c.name, c.anchor.line) for c in result.containers] == [
        (f"`docker run a` at {F}:1", 1),
        (f"`podman create b` at {F}:3", 3),
    ]


def test_containers_from_a_parsed_script() -> None:
    script = parse_script("x\n\ndocker run -u 0 nginx", line=10)
    containers, errors = containers_from_script(script, F)
    assert errors == ()
    assert [(c.resource, where(c.user)) for c in containers] == [(f"{F}:12", ("0", 12, 15))]


def test_unparseable_shell_keeps_what_was_found() -> None:
    result = load_script('docker run --privileged a\necho "unclosed\n', F)
    assert [c.image.value for c in result.containers if c.image] == ["a"]
    assert [(e.line, e.message.startswith("shell: ")) for e in result.errors] == [(2, True)]


# --- Makefiles ----------------------------------------------------------------------------

MAKEFILE = """\
IMAGE ?= registry.example.com/app:latest
define SCRIPT
\tdocker run not-a-recipe
endef

.PHONY: run
run: build
\t@echo "running $(IMAGE)"
\t-docker run --rm \\
\t\t-v $$PWD:/src \\
\t\t--privileged \\
\t\t$(IMAGE) make test

shell:
\t+@docker run -it -u $${UID} -e HOME=$$HOME busybox sh
"""


def test_makefile_recipes() -> None:
    result = load_makefile(MAKEFILE, "Makefile")
    assert result.errors == ()
    first, second = result.containers
    assert first.name == "`docker run $(IMAGE)` at Makefile:9"
    assert first.anchor.line == 9 and first.anchor.column == 3
    assert [
        (m.type, m.source, m.target, m.location.line, m.location.column) for m in first.mounts
    ] == [("bind", "$PWD", "/src", 10, 6)]
    assert first.privileged == Located(True, Location("Makefile", 11, 3, 11, 15))
    assert first.image == Located("$(IMAGE)", Location("Makefile", 12, 3, 12, 11))
    assert second.name == "`docker run busybox` at Makefile:15"
    assert second.anchor.column == 4
    assert second.user is not None
    assert (second.user.value, second.user.location.column) == ("${UID}", 22)
    assert [(e.name, e.value, e.location.column) for e in second.env] == [("HOME", "$HOME", 33)]
    assert second.image is not None and second.image.location.column == 45


def test_makefile_lines_without_a_tab_are_not_recipes() -> None:
    result = load_makefile("all:\n    docker run --privileged x\n", "Makefile")
    assert result.containers == ()


# --- the flag parser never fails ----------------------------------------------------------

_FLAGS = sorted(RUN_FLAGS) + [f"-{s}" for s in SHORT_FLAGS] + ["--", "-", "--x", "-Zv"]
_VALUES = st.sampled_from(
    [
        "/:/h",
        "a=b",
        "host",
        "seccomp",
        "seccomp:",
        "no-new-privileges=x",
        "type=bind",
        "[",
        "[::1",
        ":",
        "::",
        "/",
        "",
        "=",
        '"',
        "a,b",
        "label=",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_FLAGS),
            _VALUES,
            st.builds(lambda f, v: f"{f}={v}", st.sampled_from(_FLAGS), _VALUES),
            st.text(max_size=12),
        ),
        max_size=12,
    )
)
def test_the_flag_parser_never_raises(words: list[str]) -> None:
    parsed = [Word(w, w, 1, 1 + i) for i, w in enumerate(words)]
    options, index, _ = parse_options(parsed, F)
    assert 0 <= index <= len(words)
    run = RunSettings(F)
    for option in options:
        run.apply(option)
    run.spec(kind=DOCKER_CLI, name="n", resource="r", anchor=at(1, 1, 1), image=None)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("docker run -v/:=\"'$\\\n\t@+xp,")), max_size=80))
def test_scripts_and_makefiles_never_raise(text: str) -> None:
    load_script(text, F)
    load_makefile(text, "Makefile")
