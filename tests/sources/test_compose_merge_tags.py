"""Compose's merge tags: `!reset` removes what earlier files set, `!override` replaces it
instead of merging; a later `null` leaves the earlier value. The examples of the Compose
specification's merge chapter, the security-relevant ones run through the whole engine, and
bad input (a tag on a key, an `!override` that changes nothing, an unknown tag) as errors."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullguard.cli import main
from hullguard.config import Config
from hullguard.engine import ScanRequest, scan
from hullguard.model import ErrorKind, Location
from hullguard.sources.compose import ComposeResult, load_compose
from hullguard.sources.yaml import YamlTag, YList, YMap, load_documents
from hullguard.spec import ContainerSpec

TreeWriter = Callable[[dict[str, str | bytes]], Path]


def project(tree: TreeWriter, files: dict[str, str], *names: str) -> ComposeResult:
    root = tree(files)
    return load_compose(
        [root / n for n in names or ("compose.yaml", "override.yaml")],
        lambda p: os.path.relpath(p, root),
    )


def service(result: ComposeResult, name: str) -> ContainerSpec:
    for container in result.containers:
        if container.resource == f"services.{name}":
            return container
    raise AssertionError(f"no service {name}")


def errors(result: ComposeResult) -> list[tuple[str | None, int | None, str]]:
    return [(e.path, e.line, e.message) for e in result.errors]


# --- the YAML layer keeps the tags -------------------------------------------------------------


def test_yaml_keeps_application_tags_beside_the_values() -> None:
    text = (
        "services:\n"
        "  app:\n"
        "    ports: !reset []\n"
        "    user: !reset null\n"
        "    volumes: !override\n"
        "      - ./data:/data\n"
        "      - !reset /x:/x\n"
        "    !reset cap_add: [X]\n"
        "    image: plain\n"
    )
    [document] = load_documents(text, "c.yaml")
    app = document.value["services"]["app"]
    assert dict(app.tags) == {"ports": "!reset", "user": "!reset", "volumes": "!override"}
    assert app["user"] is None  # an application tag builds nothing: read as if untagged
    assert isinstance(app["volumes"], YList) and dict(app["volumes"].tags) == {1: "!reset"}
    assert document.value["services"].tags == {}
    assert [(t.tag, t.role, t.kind, t.location.line, t.location.column) for t in document.tags] == [
        ("!reset", "value", "sequence", 3, 12),
        ("!reset", "value", "scalar", 4, 11),
        ("!override", "value", "sequence", 5, 14),
        ("!reset", "item", "scalar", 7, 9),
        ("!reset", "key", "scalar", 8, 5),
    ]


def test_yaml_tag_of_an_aliased_node_is_listed_once_and_kept_at_each_use() -> None:
    text = "x-none: &none !reset null\na: *none\nb:\n  c: *none\n"
    [document] = load_documents(text, "c.yaml")
    assert document.value.tags == {"x-none": "!reset", "a": "!reset"}
    assert document.value["b"].tags == {"c": "!reset"}
    assert document.tags == (YamlTag("!reset", Location("c.yaml", 1, 9, 1, 26), "value", "scalar"),)


def test_yaml_repeated_key_keeps_the_tag_of_the_last_one() -> None:
    [document] = load_documents("a: !reset 1\na: 2\n", "c.yaml")
    assert document.value == {"a": 2}
    assert document.value.tags == {}


def test_yaml_tag_on_a_whole_document() -> None:
    [document] = load_documents("!reset\nservices: {}\n", "c.yaml")
    assert isinstance(document.value, YMap)
    assert [(t.tag, t.role, t.kind) for t in document.tags] == [("!reset", "document", "mapping")]


def test_yaml_plain_scalar_with_an_application_tag_reads_as_if_untagged() -> None:
    [document] = load_documents("a: !x null\nb: !x\nc: !x '1'\nd: !x 010\ne: !x on\n", "c.yaml")
    assert document.value == {"a": None, "b": None, "c": "1", "d": 8, "e": True}


def test_yaml_core_tags_are_not_application_tags() -> None:
    [document] = load_documents("a: !!str 1\nb: !!int '2'\n", "c.yaml")
    assert document.value == {"a": "1", "b": 2}
    assert document.tags == ()


# --- the specification's examples ----------------------------------------------------------------

SPEC_BASE = """services:
  app:
    image: myapp
    ports:
      - "8080:80"
    environment:
      FOO: BAR
"""


def test_reset_value_example_of_the_specification(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": SPEC_BASE,
            "override.yaml": (
                "services:\n"
                "  app:\n"
                "    image: myapp\n"
                "    ports: !reset []\n"
                "    environment:\n"
                "      FOO: !reset null\n"
            ),
        },
    )
    assert result.errors == ()
    app = service(result, "app")
    assert app.ports == ()
    assert app.env == ()
    assert app.image is not None and app.image.location.path == "override.yaml"


def test_replace_value_example_of_the_specification(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": SPEC_BASE,
            "override.yaml": 'services:\n  app:\n    ports: !override\n      - "8443:443"\n',
        },
    )
    assert result.errors == ()
    ports = service(result, "app").ports
    assert [(p.host_port, p.container_port, p.location.path, p.location.line) for p in ports] == [
        ("8443", "443", "override.yaml", 4)
    ]


def test_without_override_sequences_merge(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": SPEC_BASE,
            "override.yaml": 'services:\n  app:\n    ports:\n      - "8443:443"\n',
        },
    )
    assert [p.host_port for p in service(result, "app").ports] == ["8080", "8443"]


# --- what each tag clears ---------------------------------------------------------------------

BASE = """services:
  app:
    image: alpine:3.20
    user: root
    privileged: true
    cap_add: [NET_ADMIN]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - ./cache:/cache
    environment:
      - FOO=bar
      - KEEP=1
    deploy:
      resources:
        limits: {memory: 512m, pids: 100}
  worker:
    image: worker:1
    privileged: true
"""


def test_reset_scalars_lists_and_a_nested_key(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": (
                "services:\n"
                "  app:\n"
                "    user: !reset null\n"
                "    privileged: !reset null\n"
                "    cap_add: !reset []\n"
                "    environment:\n"
                "      FOO: !reset\n"  # a variable of a list-form `environment`
                "    deploy:\n"
                "      resources:\n"
                "        limits:\n"
                "          memory: !reset null\n"
            ),
        },
    )
    assert result.errors == ()
    app = service(result, "app")
    assert (app.user, app.privileged, app.cap_add) == (None, None, ())
    assert [(e.name, e.value, e.location.line) for e in app.env] == [("KEEP", "1", 12)]
    assert app.memory_limit is None
    assert app.pids_limit is not None and app.pids_limit.value == "100"
    assert [m.target for m in app.mounts] == ["/var/run/docker.sock", "/cache"]
    worker = service(result, "worker")
    assert worker.privileged is not None and worker.privileged.value is True


def test_override_replaces_instead_of_merging(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": (
                "services:\n"
                "  app:\n"
                "    volumes: !override\n"
                "      - ./data:/data\n"
                "    environment: !override {ONLY: 1}\n"
                "    cap_add: !override [SYS_TIME]\n"
            ),
        },
    )
    assert result.errors == ()
    app = service(result, "app")
    root = str(tree({}))
    assert [(m.source, m.target, m.location.line) for m in app.mounts] == [
        (f"{root}/data", "/data", 4)
    ]
    assert [(e.name, e.value) for e in app.env] == [("ONLY", "1")]
    assert [(c.value, c.location.path) for c in app.cap_add] == [("SYS_TIME", "override.yaml")]


def test_reset_and_override_of_a_whole_service(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": (
                "services:\n  worker: !reset {}\n  app: !override\n    image: fresh:1\n"
            ),
        },
    )
    assert result.errors == ()
    assert [c.resource for c in result.containers] == ["services.app"]
    app = result.containers[0]
    assert (app.privileged, app.user, app.mounts, app.anchor.path) == (
        None,
        None,
        (),
        "override.yaml",
    )


def test_reset_of_every_service(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": "services: !reset {}\n",
        },
    )
    assert (result.containers, result.errors) == ((), ())


def test_a_later_null_keeps_the_earlier_value(tree: TreeWriter) -> None:
    """As docker compose merges: only `!reset` removes (`privileged: null` is no undo)."""
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": "services:\n  app:\n    privileged: null\n    user:\n",
        },
    )
    assert result.errors == ()
    app = service(result, "app")
    assert app.privileged is not None
    assert (app.privileged.value, app.privileged.location.path) == (True, "compose.yaml")
    assert app.user is not None and app.user.value == "root"


def test_override_null_removes_like_reset(tree: TreeWriter) -> None:
    result = project(
        tree,
        {"compose.yaml": BASE, "override.yaml": "services:\n  app:\n    privileged: !override\n"},
    )
    assert result.errors == ()
    assert service(result, "app").privileged is None


def test_override_of_a_single_value_that_merges(tree: TreeWriter) -> None:
    """`env_file: x.env` and `build: ./dir` merge with what earlier files set: there
    `!override` on a single value does something, and is no error."""
    result = project(
        tree,
        {
            "compose.yaml": (
                "services:\n"
                "  app:\n"
                "    build: {context: ., dockerfile: Dockerfile.dev}\n"
                "    env_file: [a.env]\n"
            ),
            "override.yaml": (
                "services:\n  app:\n    build: !override ./prod\n    env_file: !override b.env\n"
            ),
            "a.env": "A=1\n",
            "b.env": "B=2\n",
        },
    )
    assert result.errors == ()
    app = service(result, "app")
    assert app.build_context is not None and app.build_context.value == "./prod"
    assert app.dockerfile is None
    assert [(e.name, e.value) for e in app.env] == [("B", "2")]


def test_a_reset_list_item_drops_only_itself(tree: TreeWriter) -> None:
    """As docker compose: a tagged item leaves this file's list; earlier items stay."""
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": (
                "services:\n"
                "  app:\n"
                "    volumes:\n"
                "      - !reset /var/run/docker.sock:/var/run/docker.sock\n"
                "      - ./logs:/logs\n"
                "      - {type: bind, source: ./x, target: /x, read_only: !reset true}\n"
            ),
        },
    )
    assert result.errors == ()
    mounts = service(result, "app").mounts
    assert [(m.target, m.location.path, m.location.line, m.read_only) for m in mounts] == [
        ("/var/run/docker.sock", "compose.yaml", 8, False),
        ("/cache", "compose.yaml", 9, False),
        ("/logs", "override.yaml", 5, False),
        ("/x", "override.yaml", 6, False),
    ]


def test_tags_in_the_first_file_remove_its_own_value(tree: TreeWriter) -> None:
    result = project(
        tree,
        {"compose.yaml": "services:\n  app:\n    image: a\n    privileged: !reset true\n"},
        "compose.yaml",
    )
    assert result.errors == ()
    assert result.containers[0].privileged is None


def test_a_reset_value_is_not_interpolated(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": "services:\n  app:\n    user: !reset ${UNSET:?must be set}\n",
        },
    )
    assert (result.errors, result.unset_variables) == ((), ())
    assert service(result, "app").user is None


def test_tags_carried_by_aliases_and_merge_keys(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": (
                "x-unprivileged: &unprivileged\n"
                "  privileged: !reset null\n"
                "  user: !reset null\n"
                "services:\n"
                "  app:\n"
                "    <<: *unprivileged\n"
                "  worker:\n"
                "    <<: *unprivileged\n"
            ),
        },
    )
    assert result.errors == ()
    for name in ("app", "worker"):
        assert (service(result, name).privileged, service(result, name).user) == (None, None)


def test_tags_of_a_later_document_clear_the_earlier_ones(tree: TreeWriter) -> None:
    result = project(
        tree,
        {"compose.yaml": BASE + "---\nservices:\n  worker:\n    privileged: !reset null\n"},
        "compose.yaml",
    )
    assert result.errors == ()
    assert service(result, "worker").privileged is None


def test_tags_in_a_version_1_file(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": "web:\n  image: nginx\n  privileged: true\n",
            "override.yaml": "web:\n  privileged: !reset null\n",
        },
    )
    assert result.errors == ()
    assert service(result, "web").privileged is None


def test_reset_of_a_named_volume_that_binds_a_host_folder(tree: TreeWriter) -> None:
    base = (
        "services:\n"
        "  app:\n"
        "    volumes: [hostetc:/host/etc]\n"
        "volumes:\n"
        "  hostetc:\n"
        "    driver_opts: {type: none, o: bind, device: /etc}\n"
    )
    reset = project(
        tree,
        {"compose.yaml": base, "override.yaml": "volumes:\n  hostetc: !override {}\n"},
    )
    assert [(m.type, m.source) for m in service(reset, "app").mounts] == [("volume", "hostetc")]
    kept = project(tree, {"override.yaml": "volumes:\n  other: !reset {}\n"})
    assert [(m.type, m.source) for m in service(kept, "app").mounts] == [("bind", "/etc")]


def test_tags_in_included_files_merge_like_f_files(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": "include:\n  - path: [inc/base.yaml, inc/override.yaml]\n",
            "inc/base.yaml": BASE,
            "inc/override.yaml": "services:\n  worker:\n    privileged: !reset null\n",
        },
        "compose.yaml",
    )
    assert result.errors == ()
    assert service(result, "worker").privileged is None
    assert service(result, "app").privileged is not None


# --- with extends -----------------------------------------------------------------------------


def test_a_service_reset_clears_what_it_inherits_through_extends(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": (
                "services:\n"
                "  base:\n"
                "    image: app:1\n"
                "    privileged: true\n"
                "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"
                "  web:\n"
                "    extends: base\n"
                "    privileged: !reset null\n"
                "    volumes: !override [./data:/data]\n"
            ),
        },
        "compose.yaml",
    )
    assert result.errors == ()
    web = service(result, "web")
    assert web.privileged is None
    assert [m.target for m in web.mounts] == ["/data"]
    assert web.image is not None and web.image.value == "app:1"
    base = service(result, "base")
    assert base.privileged is not None and [m.target for m in base.mounts] == [
        "/var/run/docker.sock"
    ]


def test_reset_of_an_override_file_applies_to_a_service_extended_there(
    tree: TreeWriter,
) -> None:
    """The override extends a base of its own file and also resets what the first file set."""
    result = project(
        tree,
        {
            "compose.yaml": "services:\n  app:\n    image: a\n    cap_add: [SYS_ADMIN]\n",
            "override.yaml": (
                "services:\n"
                "  hardened:\n"
                "    read_only: true\n"
                "    cap_add: [NET_BIND_SERVICE]\n"
                "  app:\n"
                "    extends: hardened\n"
                "    cap_add: !reset []\n"
            ),
        },
    )
    assert result.errors == ()
    app = service(result, "app")
    assert app.cap_add == ()
    assert app.read_only_rootfs is not None and app.read_only_rootfs.value is True


# --- bad input ----------------------------------------------------------------------------------


def test_bad_tags_are_errors_with_file_and_line_and_the_value_reads_untagged(
    tree: TreeWriter,
) -> None:
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": (
                "services:\n"
                "  app:\n"
                "    !reset privileged: false\n"
                "    user: !override nobody\n"
                "    cap_add:\n"
                "      - !override SYS_TIME\n"
                "    labels: !merge {a: b}\n"
                "    image: !Ref Image\n"
            ),
        },
    )
    assert [(e.path, e.line, e.column, e.kind) for e in result.errors] == [
        ("override.yaml", 3, 5, ErrorKind.PARSE),
        ("override.yaml", 6, 9, ErrorKind.PARSE),
        ("override.yaml", 7, 13, ErrorKind.PARSE),
        ("override.yaml", 8, 12, ErrorKind.PARSE),
        ("override.yaml", 4, 11, ErrorKind.PARSE),
    ]
    assert [e.message for e in result.errors] == [
        "`!reset` on a mapping key means nothing: ignored (it goes before the value: "
        "`ports: !reset []`)",
        "`!override` on a list item changes nothing: it replaces a whole value "
        "(`ports: !override [...]`)",
        "unknown YAML tag `!merge`: read as if untagged (Compose knows `!reset` and `!override`)",
        "unknown YAML tag `!Ref`: read as if untagged (Compose knows `!reset` and `!override`)",
        "`!override` on a single value changes nothing: it replaces the earlier value anyway "
        "(`!reset null` removes it)",
    ]
    app = service(result, "app")
    assert app.privileged is not None and app.privileged.value is False
    assert app.user is not None and app.user.value == "nobody"
    assert [c.value for c in app.cap_add] == ["NET_ADMIN", "SYS_TIME"]
    assert app.image is not None and app.image.value == "Image"


def test_a_number_after_a_tag_or_an_anchor_reads_as_written(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": "services:\n  app:\n    user: &uid 010\n    pids_limit: 0100\n",
            "override.yaml": "services:\n  app:\n    pids_limit: !override 0200\n",
        },
    )
    app = service(result, "app")
    assert app.user is not None and app.user.value == "010"
    assert app.pids_limit is not None and app.pids_limit.value == "0200"
    assert errors(result) == [
        (
            "override.yaml",
            3,
            "`!override` on a single value changes nothing: it replaces the earlier value anyway "
            "(`!reset null` removes it)",
        )
    ]


def test_a_tag_on_a_whole_document_is_an_error(tree: TreeWriter) -> None:
    result = project(tree, {"compose.yaml": BASE, "override.yaml": "!reset\nservices: {}\n"})
    assert errors(result) == [
        ("override.yaml", 1, "`!reset` on a whole document means nothing: ignored")
    ]
    assert len(result.containers) == 2


def test_override_with_a_value_of_the_wrong_type(tree: TreeWriter) -> None:
    result = project(
        tree,
        {
            "compose.yaml": BASE,
            "override.yaml": "services:\n  app:\n    ports: !override '80:80'\n",
        },
    )
    assert errors(result) == [
        (
            "override.yaml",
            3,
            "`!override` on a single value changes nothing: it replaces the earlier value anyway "
            "(`!reset null` removes it)",
        ),
        ("override.yaml", 3, "services.app.ports must be a list, not a string"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "services: !reset\n",
        "services:\n  app: !override\n",
        "services:\n  app: !reset [1, 2]\n  w: !override [a]\n",
        "!override [1]\n",
        "services:\n  app:\n    volumes: !reset {a: !override b}\n",
        "services:\n  app:\n    environment: [!reset A=1, !override B]\n",
        "services:\n  !reset app: !reset\n",
        "services:\n  app:\n    x: &a !reset [*a]\n",
    ],
)
def test_odd_tag_placements_never_raise(tree: TreeWriter, text: str) -> None:
    result = project(tree, {"compose.yaml": BASE, "override.yaml": text})
    assert all(e.path in ("override.yaml", "compose.yaml") and e.line for e in result.errors)


# --- through the whole engine -------------------------------------------------------------------

PRIVILEGED_BASE = (
    "services:\n  app:\n    image: alpine:3.20\n    user: '1000'\n    privileged: true\n"
)
SOCKET_BASE = (
    "services:\n"
    "  ci:\n"
    "    image: docker:27-cli\n"
    "    user: '1000'\n"
    "    volumes:\n"
    "      - /var/run/docker.sock:/var/run/docker.sock\n"
)


def run_scan(root: Path, *files: str, select: str) -> tuple[int, dict[str, object]]:
    out = root / "report.json"
    args = ["scan", "--format", "json", "--output", str(out), "--select", select]
    for name in files:
        args += ["-f", str(root / name)]
    code = main(args)
    return code, json.loads(out.read_text())


def findings(report: dict[str, object]) -> list[tuple[str, str, str, int]]:
    rows = report["findings"]
    assert isinstance(rows, list)
    return [
        (f["rule_id"], f["resource"], Path(f["location"]["path"]).name, f["location"]["line"])
        for f in rows
    ]


def test_cli_privileged_reset_in_the_override_is_not_privileged(tree: TreeWriter) -> None:
    root = tree(
        {
            "base.yml": PRIVILEGED_BASE,
            "override.yml": "services:\n  app:\n    privileged: !reset null\n",
            "plain-null.yml": "services:\n  app:\n    privileged: null\n",
        }
    )
    code, report = run_scan(root, "base.yml", "override.yml", select="HG201")
    assert (code, findings(report), report["errors"]) == (0, [], [])
    code, report = run_scan(root, "base.yml", select="HG201")
    assert (code, findings(report)) == (1, [("HG201", "services.app", "base.yml", 5)])
    code, report = run_scan(root, "base.yml", "plain-null.yml", select="HG201")
    assert (code, findings(report)) == (1, [("HG201", "services.app", "base.yml", 5)])


def test_cli_socket_mount_replaced_by_override_is_not_reported(tree: TreeWriter) -> None:
    root = tree(
        {
            "base.yml": SOCKET_BASE,
            "override.yml": "services:\n  ci:\n    volumes: !override [./data:/data]\n",
            "merged.yml": "services:\n  ci:\n    volumes: [./data:/data]\n",
        }
    )
    code, report = run_scan(root, "base.yml", "override.yml", select="HG101,HG3")
    assert (code, findings(report), report["errors"]) == (0, [], [])
    code, report = run_scan(root, "base.yml", "merged.yml", select="HG101")
    assert (code, findings(report)) == (1, [("HG101", "services.ci", "base.yml", 6)])


def test_engine_reports_a_bad_tag_and_still_judges_the_service(tree: TreeWriter) -> None:
    root = tree(
        {
            "docker-compose.yml": PRIVILEGED_BASE,
            "docker-compose.override.yml": "services:\n  app:\n    !reset privileged: false\n",
        }
    )
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG201",))))
    assert [(f.rule_id, f.location.path, f.location.line) for f in report.findings] == []
    assert [(e.path, e.line) for e in report.errors] == [(f"{root}/docker-compose.override.yml", 3)]
    key_tagged = tree({"docker-compose.override.yml": "services:\n  app:\n    !reset user: x\n"})
    report = scan(ScanRequest(paths=(str(key_tagged),), config=Config(select=("HG201",))))
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("HG201", 5)]
    assert [e.line for e in report.errors] == [3]


# --- robustness ---------------------------------------------------------------------------------

FIELDS = ["image", "user", "privileged", "volumes", "ports", "environment", "cap_add", "build",
          "env_file", "extends", "profiles", "deploy", "resources", "limits", "memory"]  # fmt: skip
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(0, 9000), st.sampled_from(["a", "./x:/x", "80:80", "A=1"])
)
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)
    ),
    max_leaves=20,
)
files = st.dictionaries(st.sampled_from(["services", "volumes", "x-a"]),
                        st.dictionaries(st.sampled_from(["app", "web"]), trees, max_size=2),
                        min_size=1, max_size=2)  # fmt: skip
TAGS = ["!reset ", "!override ", "!x ", "!reset\n", "&t !reset ", "*t "]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files, files, st.data())
def test_tags_anywhere_never_raise(
    base: dict[str, object], over: dict[str, object], data: st.DataObject
) -> None:
    texts = []
    for document in (base, over):
        text = yaml.safe_dump(document, default_flow_style=False)
        for _ in range(data.draw(st.integers(0, 4))):
            marks = [m.end() for m in re.finditer(r"(: |- |^ *)", text, re.MULTILINE)]
            where = data.draw(st.sampled_from(marks))
            text = text[:where] + data.draw(st.sampled_from(TAGS)) + text[where:]
        texts.append(text)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "compose.yaml").write_text(texts[0])
        (root / "override.yaml").write_text(texts[1])
        result = load_compose(
            [root / "compose.yaml", root / "override.yaml"], lambda p: p.name, profiles=()
        )
    assert all(e.path in ("compose.yaml", "override.yaml") and e.line for e in result.errors)
