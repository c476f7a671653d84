"""Compose `extends` across files: `file:` relative to the project folder in an `-f` file and
to the extended file's folder in a file reached through `extends`; the extended file read on
its own (without what other `-f` files merge into it, without its `include`s); cycles caught
per service across files; files outside the scanned folders never read."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from hullguard.config import Config
from hullguard.engine import ScanRequest, scan
from hullguard.model import ErrorKind
from hullguard.sources.compose import ComposeResult, load_compose
from hullguard.spec import ContainerSpec

TreeWriter = Callable[[dict[str, str | bytes]], Path]


def load(root: Path, *names: str) -> ComposeResult:
    return load_compose(
        [root / n for n in names or ("compose.yaml",)], lambda p: os.path.relpath(p, root)
    )


def service(result: ComposeResult, name: str) -> ContainerSpec:
    for container in result.containers:
        if container.resource == f"services.{name}":
            return container
    raise AssertionError(f"no service {name}")


def errors(result: ComposeResult) -> list[tuple[str | None, int | None, str]]:
    return [(e.path, e.line, e.message) for e in result.errors]


def test_file_of_an_f_file_in_another_folder_is_relative_to_the_project(
    tree: TreeWriter,
) -> None:
    root = tree(
        {
            "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n",
            "env/dev.yaml": (
                "services:\n  debug:\n    extends: {file: common.yaml, service: tools}\n"
            ),
            "common.yaml": "services:\n  tools:\n    image: tools:1\n    pid: host\n",
            "env/common.yaml": "services:\n  tools:\n    image: decoy:1\n",
        }
    )
    result = load(root, "compose.yaml", "env/dev.yaml")
    assert result.errors == ()
    debug = service(result, "debug")
    assert debug.image is not None
    assert (debug.image.value, debug.image.location.path) == ("tools:1", "common.yaml")
    assert debug.pid is not None and debug.pid.value == "host"


def test_extends_within_an_extended_file_is_relative_to_that_file(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": (
                "services:\n  app:\n    extends: {file: lib/mid.yaml, service: mid}\n"
            ),
            "lib/mid.yaml": (
                "services:\n"
                "  mid:\n"
                "    extends: {file: base.yaml, service: base}\n"
                "    volumes: [./cache:/cache]\n"
            ),
            "lib/base.yaml": (
                "services:\n  base:\n    image: base:1\n    volumes: [./conf:/etc/app:ro]\n"
            ),
        }
    )
    result = load(root)
    assert result.errors == ()
    app = service(result, "app")
    assert app.image is not None and app.image.location.path == "lib/base.yaml"
    assert [(m.source, m.target, m.location.path) for m in app.mounts] == [
        (str(root / "lib/conf"), "/etc/app", "lib/base.yaml"),
        (str(root / "lib/cache"), "/cache", "lib/mid.yaml"),
    ]
    assert result.files == ("compose.yaml", "lib/mid.yaml", "lib/base.yaml")


def test_extending_a_service_of_an_f_file_reads_that_file_alone(tree: TreeWriter) -> None:
    """docker compose: what another `-f` file merges into `web` is not what `admin` extends."""
    root = tree(
        {
            "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    user: '101'\n",
            "override.yaml": (
                "services:\n"
                "  web:\n"
                "    privileged: true\n"
                "  admin:\n"
                "    extends: {file: compose.yaml, service: web}\n"
                "    cap_add: [NET_ADMIN]\n"
            ),
        }
    )
    result = load(root, "compose.yaml", "override.yaml")
    assert result.errors == ()
    web, admin = service(result, "web"), service(result, "admin")
    assert web.privileged is not None and web.privileged.value is True
    assert admin.privileged is None
    assert admin.user is not None and admin.user.location.path == "compose.yaml"
    assert [c.value for c in admin.cap_add] == ["NET_ADMIN"]


def test_extends_without_file_does_not_reach_another_f_file(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n",
            "override.yaml": "services:\n  admin:\n    extends: web\n    user: '0'\n",
        }
    )
    result = load(root, "compose.yaml", "override.yaml")
    assert errors(result) == [
        (
            "override.yaml",
            3,
            "services.admin.extends: no service `web` in this file (it is in compose.yaml, "
            "which `extends` reaches only with `file:`)",
        )
    ]
    admin = service(result, "admin")
    assert (admin.image, admin.user is not None and admin.user.value) == (None, "0")


def test_includes_of_an_extended_file_are_not_read(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": "services:\n  app:\n    extends: {file: lib.yaml, service: svc}\n",
            "lib.yaml": "include: [inc.yaml]\nservices:\n  other:\n    image: o\n",
            "inc.yaml": "services:\n  svc:\n    image: s\n",
        }
    )
    result = load(root)
    assert errors(result) == [
        ("compose.yaml", 3, "services.app.extends: no service `svc` in lib.yaml")
    ]
    assert result.files == ("compose.yaml", "lib.yaml")


def test_a_file_met_twice_on_the_way_is_no_cycle(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": (
                "services:\n"
                "  x:\n"
                "    extends: {file: b.yaml, service: y}\n"
                "  z:\n"
                "    image: z:1\n"
                "    privileged: true\n"
            ),
            "b.yaml": (
                "services:\n  y:\n    extends: {file: compose.yaml, service: z}\n    user: '0'\n"
            ),
        }
    )
    result = load(root)
    assert result.errors == ()
    x = service(result, "x")
    assert x.image is not None and x.image.value == "z:1"
    assert x.privileged is not None and x.privileged.value is True
    assert x.user is not None and x.user.location.path == "b.yaml"


def test_an_included_file_may_extend_its_including_file(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": (
                "include: [sub/inc.yaml]\nservices:\n  base:\n    image: b:1\n    pid: host\n"
            ),
            "sub/inc.yaml": (
                "services:\n  worker:\n    extends: {file: ../compose.yaml, service: base}\n"
            ),
        }
    )
    result = load(root)
    assert result.errors == ()
    worker = service(result, "worker")
    assert worker.pid is not None and worker.pid.value == "host"


def test_cycle_across_three_files(tree: TreeWriter) -> None:
    root = tree(
        {
            "compose.yaml": (
                "services:\n  a:\n    image: a:1\n    extends: {file: b.yaml, service: b}\n"
            ),
            "b.yaml": "services:\n  b:\n    extends: {file: c.yaml, service: c}\n    user: b\n",
            "c.yaml": (
                "services:\n  c:\n    extends:\n      file: compose.yaml\n      service: a\n"
                "    privileged: true\n"
            ),
        }
    )
    result = load(root)
    assert errors(result) == [
        (
            "c.yaml",
            5,
            "services.c.extends: `a` in compose.yaml extends itself in a cycle: a in "
            "compose.yaml -> b in b.yaml -> c in c.yaml -> a in compose.yaml",
        )
    ]
    a = service(result, "a")  # what the chain gives up to where it closes
    assert a.image is not None and a.image.value == "a:1"
    assert a.user is not None and a.user.value == "b"
    assert a.privileged is not None and a.privileged.value is True


def test_a_very_long_chain_is_refused_not_a_crash(tree: TreeWriter) -> None:
    body = "".join(f"  s{i}:\n    extends: s{i + 1}\n" for i in range(99))
    root = tree({"compose.yaml": "services:\n" + body + "  s99:\n    image: end:1\n"})
    result = load(root)
    assert errors(result) == [
        (
            "compose.yaml",
            2 * 64 + 3,
            "services.s64.extends: more than 64 services extend one another: refused",
        )
    ]
    assert len(result.containers) == 100
    image = service(result, "s65").image
    assert image is not None and image.value == "end:1"


def test_extends_with_an_absolute_file(tree: TreeWriter) -> None:
    root = tree({"base/common.yaml": "services:\n  c:\n    image: c:1\n"})
    tree({"compose.yaml": f"services:\n  a:\n    extends:\n      file: {root}/base/common.yaml\n"
                          "      service: c\n"})  # fmt: skip
    result = load(root)
    assert result.errors == ()
    assert service(result, "a").image is not None


# --- confinement, through the engine -----------------------------------------------------------


def test_extends_outside_the_scanned_folder_is_not_read(tree: TreeWriter) -> None:
    root = tree(
        {
            "outside/base.yaml": "services:\n  base:\n    image: x\n    privileged: true\n",
            "app/docker-compose.yml": (
                "services:\n"
                "  web:\n"
                "    image: nginx:1.27\n"
                "    extends: {file: ../outside/base.yaml, service: base}\n"
                "  linked:\n"
                "    image: nginx:1.27\n"
                "    extends: {file: link.yaml, service: base}\n"
            ),
        }
    )
    (root / "app/link.yaml").symlink_to(root / "outside/base.yaml")
    report = scan(ScanRequest(paths=(str(root / "app"),), config=Config(select=("HG201",))))
    assert report.findings == ()
    assert [(e.path, e.line, e.kind, e.message) for e in report.errors] == [
        (
            f"{root}/app/docker-compose.yml",
            4,
            ErrorKind.READ,
            f"cannot read the file it names: {root}/outside/base.yaml: outside the scanned "
            "folders, not read",
        ),
        (
            f"{root}/app/docker-compose.yml",
            7,
            ErrorKind.READ,
            f"cannot read the file it names: {root}/app/link.yaml: outside the scanned folders, "
            "not read",
        ),
    ]


def test_f_files_extending_across_files_through_the_engine(tree: TreeWriter) -> None:
    root = tree(
        {
            "base.yml": "services:\n  web:\n    image: nginx:1.27\n    user: '101'\n",
            "ops.yml": (
                "services:\n"
                "  runner:\n"
                "    extends: {file: base.yml, service: web}\n"
                "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
            ),
        }
    )
    request = ScanRequest(
        paths=(),
        compose_files=(str(root / "base.yml"), str(root / "ops.yml")),
        config=Config(select=("HG101", "HG206")),
    )
    report = scan(request)
    assert report.errors == ()
    assert [(f.rule_id, f.resource, f.location.path, f.location.line) for f in report.findings] == [
        ("HG101", "services.runner", f"{root}/ops.yml", 4)
    ]
