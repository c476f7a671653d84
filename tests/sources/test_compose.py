"""The Compose source: every field of ContainerSpec with its value and its line, interpolation,
merging of several files, `extends`, `include`, the version 1 layout, and bad input as errors."""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullguard.model import ErrorEntry, ErrorKind, Located, Location
from hullguard.sources.compose import ComposeResult, load_compose
from hullguard.spec import COMPOSE, ContainerSpec, EnvVar, Mount, PortBinding

FILES = Path(__file__).parent / "compose_files"

TreeWriter = Callable[[dict[str, str | bytes]], Path]


def shown(path: Path) -> str:
    return os.path.relpath(path, FILES).replace(os.sep, "/")


def load(*names: str, environ: dict[str, str] | None = None) -> ComposeResult:
    return load_compose([FILES / n for n in names], shown, environ=environ)


def service(result: ComposeResult, name: str) -> ContainerSpec:
    for container in result.containers:
        if container.resource == f"services.{name}":
            return container
    raise AssertionError(f"no service {name}")


def lines(values: tuple[Located[str], ...] | tuple[EnvVar, ...]) -> list[tuple[object, ...]]:
    """(value, path, line) of located strings, (name, value, path, line) of variables."""
    if values and isinstance(values[0], EnvVar):
        return [(v.name, v.value, v.location.path, v.location.line) for v in values]  # type: ignore[union-attr]
    return [(v.value, v.location.path, v.location.line) for v in values]  # type: ignore[union-attr]


def at(value: Located[object] | None) -> tuple[object, str | None, int | None]:
    assert value is not None
    return value.value, value.location.path, value.location.line


def mounts(spec: ContainerSpec) -> list[tuple[str, str | None, str, bool, str | None, int | None]]:
    return [
        (m.type, m.source, m.target, m.read_only, m.location.path, m.location.line)
        for m in spec.mounts
    ]


def ports(spec: ContainerSpec) -> list[tuple[str | None, str | None, str, str, int | None]]:
    return [
        (p.host_ip, p.host_port, p.container_port, p.protocol, p.location.line) for p in spec.ports
    ]


def absolute(*parts: str) -> str:
    return os.path.normpath(os.path.abspath(FILES.joinpath(*parts)))


def errors(result: ComposeResult) -> list[tuple[str | None, int | None, str]]:
    return [(e.path, e.line, e.message) for e in result.errors]


# --- one file, every field --------------------------------------------------------------------

FULL = "full/compose.yaml"


@pytest.fixture(scope="module")
def full() -> ComposeResult:
    return load(FULL, environ={"LEVEL": "debug"})


def test_full_file_reads_without_errors(full: ComposeResult) -> None:
    assert full.errors == ()
    assert full.files == ("full/.env", FULL, "full/app.env")
    assert [c.resource for c in full.containers] == ["services.api", "services.legacy"]
    assert full.unset_variables == ()


def test_identity_and_anchor(full: ComposeResult) -> None:
    api = service(full, "api")
    assert api.kind == COMPOSE
    assert api.name == "service `api`"
    assert api.anchor == Location(FULL, 3, 3, 3, 6)


def test_image_and_build(full: ComposeResult) -> None:
    api, legacy = service(full, "api"), service(full, "legacy")
    assert at(api.image) == ("registry.example.com/api:1.2.3", FULL, 4)
    assert api.image and api.image.location == Location(FULL, 4, 12, 4, 53)
    assert at(api.build_context) == ("./api", FULL, 6)
    assert at(api.dockerfile) == ("Dockerfile.prod", FULL, 7)
    assert at(legacy.build_context) == ("./legacy", FULL, 80)
    assert legacy.dockerfile is None


def test_user_privileged_read_only(full: ComposeResult) -> None:
    api = service(full, "api")
    assert at(api.user) == ("1000:0", FULL, 8)  # APP_UID from `export APP_UID=1000` in .env
    assert at(api.privileged) == (True, FULL, 9)
    assert at(api.read_only_rootfs) == (True, FULL, 10)  # the string "true"
    assert service(full, "legacy").privileged is None


def test_capabilities(full: ComposeResult) -> None:
    api = service(full, "api")
    assert lines(api.cap_add) == [("SYS_ADMIN", FULL, 11), ("NET_RAW", FULL, 11)]
    assert [c.location.column for c in api.cap_add] == [15, 26]
    assert lines(api.cap_drop) == [("ALL", FULL, 13)]


def test_security_options(full: ComposeResult) -> None:
    api, legacy = service(full, "api"), service(full, "legacy")
    assert at(api.seccomp) == ("unconfined", FULL, 15)
    assert at(api.apparmor) == ("unconfined", FULL, 16)  # `apparmor=unconfined`
    assert lines(api.selinux) == [("disable", FULL, 17), ("type:spc_t", FULL, 18)]
    assert at(api.no_new_privileges) == (True, FULL, 19)  # `no-new-privileges:true`
    assert at(legacy.no_new_privileges) == (True, FULL, 93)  # bare `no-new-privileges`
    assert at(legacy.seccomp) == ("./profile.json", FULL, 94)
    assert lines(legacy.selinux) == [("user:USER", FULL, 95)]
    assert legacy.apparmor is None


def test_namespaces_and_runtime(full: ComposeResult) -> None:
    api = service(full, "api")
    assert at(api.pid) == ("host", FULL, 20)
    assert at(api.ipc) == ("service:db", FULL, 21)
    assert at(api.network) == ("container:proxy", FULL, 22)
    assert at(api.userns) == ("host", FULL, 23)
    assert at(api.uts) == ("host", FULL, 24)
    assert at(api.cgroup) == ("host", FULL, 25)
    assert at(api.runtime) == ("runsc", FULL, 26)
    legacy = service(full, "legacy")
    assert (legacy.pid, legacy.network, legacy.runtime) == (None, None, None)


def test_devices_short_and_long(full: ComposeResult) -> None:
    assert lines(service(full, "api").devices) == [
        ("/dev/fuse", FULL, 28),
        ("/dev/ttyUSB0:/dev/ttyS0:rwm", FULL, 29),
        ("/dev/kvm:/dev/kvm:rw", FULL, 30),
    ]


def test_volumes_short_and_long_and_tmpfs(full: ComposeResult) -> None:
    assert mounts(service(full, "api")) == [
        ("bind", absolute("full/data"), "/data", True, FULL, 34),  # ./data, `ro,z`
        ("bind", absolute("shared"), "/shared", False, FULL, 35),  # ../shared
        ("bind", "~/.ssh", "/root/.ssh", True, FULL, 36),  # ~ kept as written
        ("volume", "cache", "/cache", False, FULL, 37),  # a name: a named volume
        ("volume", None, "/anonymous", False, FULL, 38),  # no source: anonymous
        ("bind", "/var/run/docker.sock", "/var/run/docker.sock", False, FULL, 39),
        ("bind", absolute("full/conf"), "/etc/app", True, FULL, 40),  # long syntax
        ("volume", "logs", "/logs", False, FULL, 44),
        ("tmpfs", None, "/scratch", False, FULL, 47),
        ("tmpfs", None, "/run", False, FULL, 49),  # `tmpfs: /run:size=64m`
    ]
    assert mounts(service(full, "legacy")) == [
        ("tmpfs", None, "/tmp", False, FULL, 97),
        ("tmpfs", None, "/var/cache", True, FULL, 98),
    ]


def test_sysctls_list_and_map(full: ComposeResult) -> None:
    assert lines(service(full, "api").sysctls) == [
        ("net.ipv4.ip_forward", "1", FULL, 51),
        ("kernel.shm_rmid_forced", "0", FULL, 52),
    ]
    assert lines(service(full, "legacy").sysctls) == [("net.core.somaxconn", "1024", FULL, 85)]


def test_ports_short_long_ranges_ipv6(full: ComposeResult) -> None:
    assert ports(service(full, "api")) == [
        (None, "22", "22", "tcp", 54),  # unquoted 22:22 is not YAML 1.1's sexagesimal 1342
        (None, "8080", "80", "tcp", 55),
        ("127.0.0.1", "9000-9001", "9000-9001", "udp", 56),
        ("::1", "5432", "5432", "tcp", 57),
        (None, None, "3000", "tcp", 58),
        ("0.0.0.0", "8443", "443", "tcp", 59),
    ]


def test_environment_env_file_and_dotenv(full: ComposeResult) -> None:
    assert lines(service(full, "api").env) == [
        ("API_KEY", "abc123", "full/app.env", 1),
        ("MODE", "production", FULL, 68),  # `environment` wins over env_file
        ("QUOTED", "line one\nline two", "full/app.env", 3),
        ("REF", "1.2.3-x", "full/app.env", 4),  # interpolated from the project's .env
        ("FROM_SHELL", "literal $NOT", FULL, 69),  # a bare name takes the project variable
        ("DB_PASSWORD", "$ecret", FULL, 70),  # $$ escapes
        ("GREETING", "hello", FULL, 71),  # ${GREETING:+hello}: GREETING is set
    ]


def test_environment_map_and_defaults(full: ComposeResult) -> None:
    assert lines(service(full, "legacy").env) == [
        # UNSET_HERE has no value and no variable: not set at all
        ("DEBUG", "true", FULL, 88),
        ("LEVEL", "debug", FULL, 89),  # environ wins
        ("EMPTY", "", FULL, 90),  # ${EMPTY-default}: set, though empty
        ("EMPTY2", "from default", FULL, 91),  # ${EMPTY:-default}: empty counts as unset
    ]


def test_limits_deploy_and_legacy(full: ComposeResult) -> None:
    api, legacy = service(full, "api"), service(full, "legacy")
    assert at(api.memory_limit) == ("512M", FULL, 75)
    assert at(api.cpu_limit) == ("0.5", FULL, 76)
    assert at(api.pids_limit) == ("100", FULL, 77)
    assert at(legacy.memory_limit) == ("1g", FULL, 81)
    assert at(legacy.cpu_limit) == ("1.5", FULL, 82)
    assert at(legacy.pids_limit) == ("50", FULL, 83)


def test_environ_defaults_to_empty_not_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEVEL", "from-the-shell")
    assert lines(service(load(FULL), "legacy").env)[1] == ("LEVEL", "info", FULL, 89)


def test_environ_overrides_dotenv() -> None:
    api = service(load(FULL, environ={"TAG": "9"}), "api")
    assert at(api.image) == ("registry.example.com/api:9", FULL, 4)


# --- interpolation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "environ", "expected"),
    [
        ("$A", {"A": "x"}, "x"),
        ("${A}", {"A": "x"}, "x"),
        ("pre-${A}-post", {"A": "x"}, "pre-x-post"),
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A-d}", {"A": ""}, ""),
        ("${A-d}", {}, "d"),
        ("${A:+alt}", {"A": "x"}, "alt"),
        ("${A:+alt}", {"A": ""}, ""),
        ("${A+alt}", {"A": ""}, "alt"),
        ("${A+alt}", {}, ""),
        ("${A:-${B:-deep}}", {}, "deep"),
        ("${A:-${B}}", {"B": "b"}, "b"),
        ("$$A and $${B}", {"A": "x"}, "$A and ${B}"),
        ("cost: 5$", {}, "cost: 5$"),
        ("$ 5", {}, "$ 5"),
        ("$A_B$C", {"A_B": "1", "C": "2"}, "12"),
        ("${A:?must}", {"A": "x"}, "x"),
    ],
)
def test_interpolation(
    tree: TreeWriter, written: str, environ: dict[str, str], expected: str
) -> None:
    root = tree({"compose.yaml": f"services:\n  s:\n    image: '{written}'\n"})
    result = load_compose([root / "compose.yaml"], str, environ=environ)
    assert result.errors == ()
    assert at(result.containers[0].image)[0] == expected


def test_required_variable_is_an_error_with_its_line(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": (
                "services:\n"
                "  s:\n"
                "    image: ok\n"
                "    user: ${RUN_AS:?set RUN_AS}\n"
                "    runtime: ${RT?}\n"
            )
        }
    )
    result = load_compose([root / "compose.yaml"], lambda p: p.name)
    assert errors(result) == [
        ("compose.yaml", 4, "required variable RUN_AS is missing a value: set RUN_AS"),
        ("compose.yaml", 5, "required variable RT is missing a value"),
    ]
    spec = result.containers[0]
    assert at(spec.user) == ("", "compose.yaml", 4)
    assert at(spec.image) == ("ok", "compose.yaml", 3)


def test_unset_variables_become_empty_and_are_listed(tree: TreeWriter) -> None:
    root = tree({"compose.yaml": "services:\n  s:\n    image: app:$TAG\n    user: ${WHO}\n"})
    result = load_compose([root / "compose.yaml"], lambda p: p.name)
    assert result.errors == ()
    spec = result.containers[0]
    assert at(spec.image) == ("app:", "compose.yaml", 3)
    assert at(spec.user) == ("", "compose.yaml", 4)
    assert [(u.value, u.location.line) for u in result.unset_variables] == [
        ("TAG", 3),
        ("WHO", 4),
    ]


def test_invalid_interpolation_is_an_error_and_the_text_stays(tree: TreeWriter) -> None:
    root = tree({"compose.yaml": "services:\n  s:\n    image: 'a${'\n    user: '${1x}'\n"})
    result = load_compose([root / "compose.yaml"], lambda p: p.name)
    assert errors(result) == [
        ("compose.yaml", 3, "invalid interpolation: `${` is not closed in 'a${'"),
        ("compose.yaml", 4, "invalid interpolation format: ${1x}"),
    ]
    assert at(result.containers[0].image)[0] == "a${"
    assert at(result.containers[0].user)[0] == "${1x}"


def test_interpolated_booleans_and_numbers(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": (
                "services:\n  s:\n    privileged: ${PRIV}\n    read_only: ${RO:-no}\n"
                "    deploy: {resources: {limits: {pids: '${PIDS:-64}'}}}\n"
            )
        }
    )
    result = load_compose([root / "compose.yaml"], str, environ={"PRIV": "TRUE"})
    spec = result.containers[0]
    assert result.errors == ()
    assert spec.privileged is not None and spec.privileged.value is True
    assert spec.read_only_rootfs is not None and spec.read_only_rootfs.value is False
    assert spec.pids_limit is not None and spec.pids_limit.value == "64"


def test_dotenv_syntax(tree: TreeWriter) -> None:
    root = tree(
        {
            ".env": (
                "# comment\n"
                "\n"
                "A=plain value # trailing comment\n"
                "export B=exported\n"
                "C='single $A'\n"
                'D="double ${A}\\tend"\n'
                'E="two\n'
                'lines"\n'
                "F=${B}-${MISSING:-dflt}\n"
                "not a line\n"
                "G=after\n"
            ),
            "compose.yaml": (
                "services:\n  s:\n    environment:\n"
                "      - A\n      - B\n      - C\n      - D\n      - E\n      - F\n      - G\n"
            ),
        }
    )
    result = load_compose([root / "compose.yaml"], lambda p: p.name)
    assert errors(result) == [(".env", 10, "invalid variable name 'not a line' in .env")]
    assert [(v.name, v.value) for v in result.containers[0].env] == [
        ("A", "plain value"),
        ("B", "exported"),
        ("C", "single $A"),
        ("D", "double plain value\tend"),
        ("E", "two\nlines"),
        ("F", "exported-dflt"),
        ("G", "after"),
    ]


# --- several files ----------------------------------------------------------------------------

MAIN, PROD = "merge/compose.yaml", "merge/compose.prod.yaml"


@pytest.fixture(scope="module")
def merged() -> ComposeResult:
    return load(MAIN, PROD)


def test_merge_services_in_order(merged: ComposeResult) -> None:
    assert merged.errors == ()
    assert merged.files == (MAIN, PROD)
    assert [c.resource for c in merged.containers] == [
        "services.web",
        "services.db",
        "services.worker",
    ]
    web = service(merged, "web")
    assert web.anchor.path == MAIN and web.anchor.line == 2  # where it was declared first
    assert service(merged, "worker").anchor.path == PROD


def test_merge_scalars_take_the_last_file(merged: ComposeResult) -> None:
    web = service(merged, "web")
    assert at(web.image) == ("web:2", PROD, 3)
    assert at(web.user) == ("app", MAIN, 4)  # not overridden: still the first file's line


def test_merge_build_string_then_mapping(merged: ComposeResult) -> None:
    web = service(merged, "web")
    assert at(web.build_context) == ("./web", MAIN, 17)
    assert at(web.dockerfile) == ("Dockerfile.prod", PROD, 16)


def test_merge_sequences_append_without_repeating(merged: ComposeResult) -> None:
    assert lines(service(merged, "web").cap_add) == [("NET_ADMIN", PROD, 4), ("SYS_TIME", PROD, 4)]


def test_merge_environment_list_with_mapping(merged: ComposeResult) -> None:
    assert lines(service(merged, "web").env) == [
        ("MODE", "prod", PROD, 6),
        ("KEEP", "yes", MAIN, 9),
    ]


def test_merge_volumes_by_target_paths_relative_to_the_project(merged: ComposeResult) -> None:
    assert mounts(service(merged, "web")) == [
        ("bind", "/srv/app", "/app", True, PROD, 8),  # same target: replaced
        ("volume", "cache", "/cache", False, MAIN, 12),
        ("bind", absolute("merge/extra"), "/extra", False, PROD, 9),
    ]


def test_merge_ports_by_binding_and_devices_by_target(merged: ComposeResult) -> None:
    web = service(merged, "web")
    assert ports(web) == [(None, "8080", "80", "tcp", 11), ("127.0.0.1", "9090", "90", "tcp", 12)]
    assert lines(web.devices) == [("/dev/fuse2:/dev/fuse", PROD, 14)]


def test_override_file_in_another_folder(tree: TreeWriter) -> None:
    root = tree(
        {
            "app/compose.yaml": "services:\n  s:\n    image: a\n",
            "ops/override.yaml": (
                "services:\n  s:\n    build: ./src\n    volumes:\n      - ./data:/data\n"
            ),
        }
    )
    result = load_compose([root / "app/compose.yaml", root / "ops/override.yaml"], str)
    spec = result.containers[0]
    # paths in every -f file are relative to the project folder (the first file's)
    assert spec.mounts[0].source == os.path.abspath(root / "app/data")
    # build_context stays relative to the folder of the file its location names
    assert at(spec.build_context)[0] == "../app/src"
    assert spec.build_context and spec.build_context.location.path == str(
        root / "ops/override.yaml"
    )


def test_several_documents_in_one_file_merge(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": (
                "services:\n  s:\n    image: a\n    user: app\n---\nservices:\n  s:\n    image: b\n"
            )
        }
    )
    spec = load_compose([root / "compose.yaml"], lambda p: p.name).containers[0]
    assert at(spec.image) == ("b", "compose.yaml", 8)
    assert at(spec.user) == ("app", "compose.yaml", 4)


def test_yaml_merge_keys_and_anchors(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": (
                "x-base: &base\n"
                "  privileged: true\n"
                "  cap_add: [SYS_ADMIN]\n"
                "services:\n"
                "  s:\n"
                "    <<: *base\n"
                "    image: a\n"
            )
        }
    )
    spec = load_compose([root / "compose.yaml"], lambda p: p.name).containers[0]
    assert at(spec.privileged) == (True, "compose.yaml", 2)
    assert lines(spec.cap_add) == [("SYS_ADMIN", "compose.yaml", 3)]


# --- extends and include ----------------------------------------------------------------------

EXT, EXT_BASE = "extends/compose.yaml", "extends/common/base.yaml"


@pytest.fixture(scope="module")
def extended() -> ComposeResult:
    return load(EXT)


def test_extends_same_file(extended: ComposeResult) -> None:
    assert extended.errors == ()
    web = service(extended, "web")
    assert web.anchor.line == 8
    assert at(web.image) == ("app:base", EXT, 3)
    assert at(web.user) == ("1000", EXT, 4)
    assert at(web.privileged) == (True, EXT, 10)
    assert lines(web.cap_drop) == [("ALL", EXT, 5)]
    assert mounts(web) == [("bind", absolute("extends/data"), "/data", False, EXT, 7)]


def test_extends_chain(extended: ComposeResult) -> None:
    chained = service(extended, "chained")
    assert at(chained.privileged) == (True, EXT, 10)
    assert at(chained.pid) == ("host", EXT, 18)
    assert at(chained.image) == ("app:base", EXT, 3)


def test_extends_other_file_paths_relative_to_that_file(extended: ComposeResult) -> None:
    admin = service(extended, "admin")
    assert at(admin.image) == ("app:hardened", EXT_BASE, 3)
    assert at(admin.user) == ("root", EXT, 15)
    assert at(admin.read_only_rootfs) == (True, EXT_BASE, 4)
    assert mounts(admin) == [
        ("bind", absolute("extends/common/conf"), "/etc/app", True, EXT_BASE, 6)
    ]
    assert lines(admin.env) == [("HARDENED", "1", "extends/common/hardened.env", 1)]
    assert extended.files == (EXT, EXT_BASE, "extends/common/hardened.env")


def test_include_with_their_own_project_folder_and_env() -> None:
    result = load("include/compose.yaml")
    assert result.errors == ()
    assert [c.resource for c in result.containers] == [
        "services.app",
        "services.cache",
        "services.queue",
    ]
    cache = service(result, "cache")
    assert at(cache.image) == ("redis:7", "include/sub/compose.yaml", 3)  # from sub/.env
    assert mounts(cache) == [
        ("bind", absolute("include/sub/redis"), "/data", False, "include/sub/compose.yaml", 5)
    ]
    assert at(service(result, "queue").image) == ("rabbitmq:3.13", "include/sub/other.yaml", 3)
    assert result.files == (
        "include/compose.yaml",
        "include/sub/.env",
        "include/sub/compose.yaml",
        "include/sub/other.env",
        "include/sub/other.yaml",
    )


def test_version_1_layout() -> None:
    result = load("v1/docker-compose.yml")
    assert result.errors == ()
    web, db = service(result, "web"), service(result, "db")
    assert web.anchor.line == 1
    assert at(web.network) == ("host", "v1/docker-compose.yml", 3)
    assert mounts(web) == [("bind", "/etc", "/host-etc", False, "v1/docker-compose.yml", 5)]
    assert at(db.build_context) == ("./db", "v1/docker-compose.yml", 7)
    assert at(db.dockerfile) == ("Dockerfile.db", "v1/docker-compose.yml", 8)
    assert at(db.privileged) == (True, "v1/docker-compose.yml", 9)


def test_version_2_file_with_no_services_is_empty(tree: TreeWriter) -> None:
    root = tree({"compose.yaml": "version: '2'\nvolumes:\n  data: {}\n"})
    result = load_compose([root / "compose.yaml"], str)
    assert (result.containers, result.errors) == ((), ())


# --- bad input --------------------------------------------------------------------------------


def project(tree: TreeWriter, files: dict[str, str | bytes], *names: str) -> ComposeResult:
    root = tree(files)
    return load_compose(
        [root / n for n in names or ("compose.yaml",)],
        lambda p: os.path.relpath(p, root),
    )


def test_invalid_yaml_keeps_the_other_files(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": "services:\n  s:\n    image: [a\n",
            "b.yaml": "services:\n  t:\n    image: t\n",
        },
        "compose.yaml",
        "b.yaml",
    )
    assert [(e.path, e.line) for e in result.errors] == [("compose.yaml", 4)]
    assert result.errors[0].message.startswith("invalid YAML")
    assert [c.resource for c in result.containers] == ["services.t"]


def test_missing_extends_file_and_service(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": (
                "services:\n"
                "  a:\n"
                "    image: a\n"
                "    extends:\n"
                "      file: nowhere.yaml\n"
                "      service: x\n"
                "  b:\n"
                "    image: b\n"
                "    extends: ghost\n"
                "  c:\n"
                "    extends: {file: other.yaml, service: missing}\n"
                "  d:\n"
                "    extends: d\n"
            ),
            "other.yaml": "services:\n  present:\n    image: p\n",
        },
    )
    assert [(e.path, e.line, e.kind) for e in result.errors] == [
        ("compose.yaml", 5, ErrorKind.READ),
        ("compose.yaml", 9, ErrorKind.PARSE),
        ("compose.yaml", 11, ErrorKind.PARSE),
        ("compose.yaml", 13, ErrorKind.PARSE),
    ]
    assert result.errors[0].message == (
        "cannot read the file it names: nowhere.yaml: No such file or directory"
    )
    assert result.errors[1].message == "services.b.extends: no service `ghost` in this file"
    assert result.errors[2].message == "services.c.extends: no service `missing` in other.yaml"
    assert result.errors[3].message == "services.d.extends: `d` extends itself in a cycle"
    # each service is still projected with what it sets itself
    assert [at(c.image)[0] if c.image else None for c in result.containers] == [
        "a",
        "b",
        None,
        None,
    ]


def test_extends_cycle_across_services(tree: TreeWriter) -> None:
    result = project(
        tree,
        {"compose.yaml": "services:\n  a:\n    extends: b\n  b:\n    extends: a\n    image: b\n"},
    )
    assert [(e.line, e.message) for e in result.errors] == [
        (5, "services.b.extends: `a` extends itself in a cycle")
    ]
    assert len(result.containers) == 2


def test_extends_files_in_a_cycle(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": "services:\n  a:\n    extends: {file: b.yaml, service: b}\n",
            "b.yaml": "services:\n  b:\n    extends: {file: compose.yaml, service: a}\n",
        },
    )
    assert [(e.path, e.line) for e in result.errors] == [("b.yaml", 3)]
    assert result.errors[0].message == (
        "services.b.extends: `a` in compose.yaml extends itself in a cycle: "
        "a in compose.yaml -> b in b.yaml -> a in compose.yaml"
    )


def test_missing_env_file_unless_not_required(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": (
                "services:\n"
                "  s:\n"
                "    env_file:\n"
                "      - missing.env\n"
                "      - path: optional.env\n"
                "        required: false\n"
                "      - present.env\n"
            ),
            "present.env": "X=1\n",
        },
    )
    assert [(e.path, e.line, e.kind) for e in result.errors] == [
        ("compose.yaml", 4, ErrorKind.READ)
    ]
    assert result.errors[0].message == (
        "services.s.env_file: cannot read missing.env: No such file or directory"
    )
    assert lines(result.containers[0].env) == [("X", "1", "present.env", 1)]


def test_missing_include(tree: TreeWriter) -> None:
    result = project(
        tree,
        {"compose.yaml": "include:\n  - gone.yaml\nservices:\n  s:\n    image: s\n"},
    )
    assert [(e.path, e.line, e.kind) for e in result.errors] == [
        ("compose.yaml", 2, ErrorKind.READ)
    ]
    assert [c.resource for c in result.containers] == ["services.s"]


def test_include_conflict_keeps_the_local_service(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": "include:\n  - inc.yaml\nservices:\n  s:\n    image: local\n",
            "inc.yaml": "services:\n  s:\n    image: included\n",
        },
    )
    assert [(e.line, e.message) for e in result.errors] == [
        (2, "include: service `s` is defined both here and in inc.yaml: the local one is kept")
    ]
    assert at(result.containers[0].image)[0] == "local"


def test_wrong_types_are_errors_and_the_rest_is_projected(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": (
                "services:\n"
                "  s:\n"
                "    image: app\n"
                "    cap_add: SYS_ADMIN\n"
                "    privileged: maybe\n"
                "    volumes: /data\n"
                "    ports:\n"
                "      - {published: 80}\n"
                "      - 'abc'\n"
                "      - [1, 2]\n"
                "    deploy: 5\n"
                "    user: {name: x}\n"
                "    environment: text\n"
                "    security_opt: [no-new-privileges:perhaps]\n"
                "    pid: host\n"
                "  t: nginx\n"
                "  u:\n"
                "    build: 12\n"
            )
        },
    )
    assert errors(result) == [
        ("compose.yaml", 16, "service `t` must be a mapping, not a string"),
        ("compose.yaml", 12, "services.s.user must be a string, not a mapping"),
        ("compose.yaml", 5, "services.s.privileged must be true or false, not 'maybe'"),
        ("compose.yaml", 4, "services.s.cap_add must be a list, not a string"),
        ("compose.yaml", 14, "services.s.security_opt: 'no-new-privileges:perhaps' is not valid"),
        ("compose.yaml", 6, "services.s.volumes must be a list, not a string"),
        ("compose.yaml", 8, "services.s.ports[0] needs a `target`"),
        ("compose.yaml", 9, "services.s.ports[1]: 'abc' is not a port specification"),
        ("compose.yaml", 10, "services.s.ports[2] must be a string or a mapping, not a list"),
        ("compose.yaml", 13, "services.s.environment must be a list or a mapping, not a string"),
        ("compose.yaml", 11, "services.s.deploy must be a mapping, not a number"),
        ("compose.yaml", 18, "services.u.build must be a path or a mapping, not a number"),
    ]
    s = service(result, "s")
    assert at(s.image) == ("app", "compose.yaml", 3)
    assert at(s.pid) == ("host", "compose.yaml", 15)
    assert [c.resource for c in result.containers] == ["services.s", "services.u"]


def test_top_level_not_a_mapping(tree: TreeWriter) -> None:
    result = project(tree, {"compose.yaml": "- a\n- b\n"})
    assert errors(result) == [
        ("compose.yaml", 1, "a compose file is a mapping at the top level, not a list")
    ]
    result = project(tree, {"compose.yaml": "services: [a]\n"})
    assert errors(result) == [("compose.yaml", 1, "services must be a mapping, not a list")]


def test_unreadable_main_file_is_an_error(tmp_path: Path) -> None:
    result = load_compose([tmp_path / "absent.yaml"], lambda p: p.name)
    assert [(e.path, e.line, e.kind) for e in result.errors] == [
        ("absent.yaml", None, ErrorKind.READ)
    ]
    assert (result.containers, result.files) == ((), ())


def test_no_files() -> None:
    assert load_compose([], str) == ComposeResult((), (), ())


def test_alias_bomb_is_refused(tree: TreeWriter) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for index in range(1, 9):
        previous, name = chr(ord("a") + index - 1), chr(ord("a") + index)
        bomb += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    result = project(tree, {"compose.yaml": bomb})
    assert result.containers == ()
    assert "alias" in result.errors[0].message


# --- robustness and speed ---------------------------------------------------------------------

KEYS = [
    "image", "build", "user", "privileged", "read_only", "cap_add", "cap_drop", "security_opt",
    "pid", "ipc", "network_mode", "userns_mode", "uts", "cgroup", "devices", "volumes", "tmpfs",
    "sysctls", "runtime", "ports", "environment", "env_file", "deploy", "mem_limit", "cpus",
    "pids_limit", "extends", "include", "services", "context", "dockerfile", "target", "source",
    "type", "published", "host_ip", "path", "required", "file", "service", "resources", "limits",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.sampled_from(
        [
            "host",
            "./x",
            "../y",
            "~/z",
            "/etc:/etc:ro",
            "80:80",
            "[::1]:1:2/udp",
            "a=b",
            "$A",
            "${A:-b}",
            "${A:?x}",
            "${",
            "$$",
            "seccomp:unconfined",
            "label=disable",
            "x.yaml",
            "compose.yaml",
            ".",
            "",
            ":",
            "::",
            "a:b:c:d",
        ]
    ),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=5),
    ),
    max_leaves=30,
)
documents = st.dictionaries(
    st.sampled_from(["services", "include", "version", "web", "x-a"]),
    st.one_of(st.dictionaries(st.sampled_from(["s", "t", "u"]), values, max_size=3), values),
    max_size=3,
)


def write_yaml(value: object) -> str:
    import yaml

    return yaml.safe_dump(value, default_flow_style=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.data())
def test_random_documents_never_raise(document: dict[str, object], data: st.DataObject) -> None:
    text = write_yaml(document)
    mutation = data.draw(st.sampled_from(["none", "cut", "insert", "dedent"]))
    if mutation == "cut" and text:
        text = text[: data.draw(st.integers(0, len(text)))]
    elif mutation == "insert":
        where = data.draw(st.integers(0, len(text)))
        text = (
            text[:where]
            + data.draw(st.sampled_from(["${", "&a ", "*a", ": ", "- ", "\t"]))
            + text[where:]
        )
    elif mutation == "dedent":
        text = text.replace("  ", " ", 1)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "compose.yaml").write_text(text, encoding="utf-8")
        (root / "x.yaml").write_text(text, encoding="utf-8")
        result = load_compose([root / "compose.yaml"], lambda p: p.name, environ={"A": "1"})
    assert isinstance(result, ComposeResult)
    for error in result.errors:
        assert isinstance(error, ErrorEntry) and error.message
    for container in result.containers:
        assert all(isinstance(m, Mount) for m in container.mounts)
        assert all(isinstance(p, PortBinding) for p in container.ports)


SERVICE_TEMPLATE = """\
  svc{index}:
    image: "registry.example.com/team/svc{index}:${{TAG:-{index}}}"
    user: "{index}:{index}"
    privileged: {privileged}
    cap_add: [NET_ADMIN]
    security_opt: [no-new-privileges:true]
    volumes:
      - ./data{index}:/data
      - cache:/cache:ro
    ports:
      - "{port}:80"
    environment:
      MODE: production
      INDEX: "{index}"
    deploy:
      resources:
        limits: {{memory: 256M, cpus: "0.5"}}
"""


def test_speed_files_per_second(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not a benchmark assertion: prints files per second over 1,000 generated files."""
    rng = random.Random(7)
    paths = []
    for number in range(1000):
        folder = tmp_path / f"p{number}"
        folder.mkdir()
        body = "".join(
            SERVICE_TEMPLATE.format(
                index=i, privileged=rng.choice(["true", "false"]), port=8000 + i
            )
            for i in range(rng.randint(1, 4))
        )
        path = folder / "compose.yaml"
        path.write_text("services:\n" + body, encoding="utf-8")
        paths.append(path)
    started = time.perf_counter()
    containers = 0
    for path in paths:
        result = load_compose([path], str)
        assert result.errors == ()
        containers += len(result.containers)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\ncompose: {len(paths) / elapsed:.0f} files/s ({containers} services)")


def test_include_of_itself_is_an_error_not_a_loop(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": "include:\n  - b.yaml\nservices:\n  s:\n    image: s\n",
            "b.yaml": "include:\n  - b.yaml\n  - b.yaml\nservices:\n  t:\n    image: t\n",
        },
    )
    assert [(e.path, e.line) for e in result.errors] == [("b.yaml", 2), ("b.yaml", 3)]
    assert result.errors[0].message == "b.yaml includes or extends itself: ignored"
    assert [c.resource for c in result.containers] == ["services.s", "services.t"]


def test_named_volume_that_binds_a_host_folder_is_a_bind_mount(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": (
                "services:\n"
                "  s:\n"
                "    volumes:\n"
                "      - hostetc:/host/etc:ro\n"
                "      - {type: volume, source: local, target: /local}\n"
                "      - plain:/plain\n"
                "volumes:\n"
                "  hostetc:\n"
                "    driver: local\n"
                "    driver_opts: {type: none, o: bind, device: /etc}\n"
                "  local:\n"
                "    driver_opts: {type: none, o: 'rbind,ro', device: ./here}\n"
                "  plain: {}\n"
            )
        },
    )
    assert result.errors == ()
    assert [(m.type, m.source, m.target, m.read_only) for m in result.containers[0].mounts] == [
        ("bind", "/etc", "/host/etc", True),
        ("bind", str(tree({}) / "here"), "/local", False),  # `rbind`, relative to the project
        ("volume", "plain", "/plain", False),
    ]
