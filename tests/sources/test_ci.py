"""CI workflows as ContainerSpecs: GitHub Actions and GitLab CI, exact values and places."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullguard.model import Located
from hullguard.sources.ci import CiResult, load_github_workflow, load_gitlab_ci
from hullguard.spec import CI, DOCKER_CLI, ContainerSpec

FILES = Path(__file__).parent / "ci_files"
GH = "github_workflow.yml"
GL = "gitlab-ci.yml"


def load(name: str) -> CiResult:
    text = (FILES / name).read_text(encoding="utf-8")
    return (load_github_workflow if name == GH else load_gitlab_ci)(text, name)


def by_name(result: CiResult) -> dict[str, ContainerSpec]:
    return {c.name: c for c in result.containers}


def where(value: Located[object] | None) -> tuple[object, int | None, int | None]:
    assert value is not None
    return value.value, value.location.line, value.location.column


def envs(spec: ContainerSpec) -> list[tuple[str, str, int | None]]:
    return [(e.name, e.value, e.location.line) for e in spec.env]


# --- GitHub Actions -----------------------------------------------------------------------


def test_github_finds_every_container() -> None:
    result = load(GH)
    assert result.errors == ()
    assert [(c.kind, c.name, c.resource, c.anchor.line) for c in result.containers] == [
        (CI, "job `build` container", "jobs.build.container", 10),
        (CI, "service `redis` of job `build`", "jobs.build.services.redis", 26),
        (CI, "service `db` of job `build`", "jobs.build.services.db", 31),
        (DOCKER_CLI, f"`docker run img:${{{{ github.sha }}}}` at {GH}:34", f"{GH}:34", 34),
        (DOCKER_CLI, f"`docker run alpine:3` at {GH}:38", f"{GH}:38", 38),
        (DOCKER_CLI, f"`docker run busybox` at {GH}:44", f"{GH}:44", 44),
        (CI, "job `plain` container", "jobs.plain.container", 50),
        (DOCKER_CLI, f"`docker run alpine` at {GH}:52", f"{GH}:52", 52),
    ]


def test_github_job_container_mapping() -> None:
    spec = by_name(load(GH))["job `build` container"]
    assert where(spec.image) == ("node:20", 10, 14)
    # options: the docker flags, each at its own column of line 11
    assert where(spec.privileged) == (True, 11, 16)
    assert where(spec.cpu_limit) == ("1", 11, 36)
    assert where(spec.user) == ("0", 11, 83)
    assert [
        (m.type, m.source, m.target, m.read_only, m.location.line, m.location.column)
        for m in spec.mounts
    ] == [
        ("bind", "/var/run/docker.sock", "/var/run/docker.sock", False, 11, 41),
        ("bind", "/etc", "/host-etc", True, 13, 11),
        ("volume", "cache", "/cache", False, 14, 11),
    ]
    assert envs(spec) == [("DEBUG", "true", 16), ("DOCKER_HOST", "tcp://docker:2375", 17)]
    assert [(p.container_port, p.host_port, p.host_ip, p.location.line) for p in spec.ports] == [
        ("22", "22", None, 19),
        ("8080", None, None, 20),
    ]


def test_github_services_string_and_mapping_with_folded_options() -> None:
    specs = by_name(load(GH))
    redis = specs["service `redis` of job `build`"]
    assert where(redis.image) == ("redis:7", 26, 16)
    assert [where(c) for c in redis.cap_add] == [("SYS_ADMIN", 29, 21)]
    assert where(redis.network) == ("${{ job.container.network }}", 30, 21)
    db = specs["service `db` of job `build`"]
    assert where(db.image) == ("postgres:16", 31, 11)
    assert db.privileged is None and db.mounts == ()


def test_github_run_steps_at_their_file_lines() -> None:
    specs = by_name(load(GH))
    inline = specs[f"`docker run img:${{{{ github.sha }}}}` at {GH}:34"]
    assert where(inline.image) == ("img:${{ github.sha }}", 34, 62)
    assert [(m.source, m.target, m.location.column) for m in inline.mounts] == [
        ("${{ github.workspace }}", "/src", 33)
    ]
    block = specs[f"`docker run alpine:3` at {GH}:38"]
    assert block.anchor.column == 11
    assert where(block.pid) == ("host", 39, 13)
    assert where(block.image) == ("alpine:3", 40, 13)
    sudo = specs[f"`docker run busybox` at {GH}:44"]
    assert where(sudo.user) == ("0", 44, 30)
    quoted = specs[f"`docker run alpine` at {GH}:52"]
    assert [(m.source, m.location.line, m.location.column) for m in quoted.mounts] == [
        ("/", 52, 29)
    ]


def test_github_powershell_steps_are_not_parsed_as_shell() -> None:
    assert not any("windows" in c.name for c in load(GH).containers)


def test_github_wrong_types_are_errors_with_lines() -> None:
    text = """\
jobs:
  a:
    container: [node]
    services: [redis]
    steps:
      - run: [docker, run, x]
  b:
    container:
      image: {name: x}
      options: 3
      volumes: /etc:/etc
      env: [A]
  c: just-a-string
  d:
    steps: run
"""
    result = load_github_workflow(text, "w.yml")
    assert [(e.line, e.message) for e in result.errors] == [
        (3, "a container should be a string or a mapping"),
        (4, "`services` should be a mapping"),
        (6, "`run` of step 1 should be a string"),
        (9, "`image` should be a string"),
        (10, "`options` should be a string"),
        (11, "`volumes` should be a list"),
        (12, "`env` should be a mapping"),
        (13, "job `c` should be a mapping"),
        (15, "`steps` should be a list"),
    ]
    assert result.containers == ()


def test_github_jobs_not_a_mapping() -> None:
    result = load_github_workflow("on: push\njobs: [a]\n", "w.yml")
    assert [(e.line, e.message) for e in result.errors] == [(2, "`jobs` should be a mapping")]


def test_github_invalid_yaml_keeps_the_other_documents() -> None:
    text = "jobs:\n  a:\n    container: [\n---\njobs:\n  b:\n    container: alpine\n"
    result = load_github_workflow(text, "w.yml")
    assert [c.name for c in result.containers] == ["job `b` container"]
    (error,) = result.errors
    assert error.path == "w.yml" and error.line == 4
    assert error.message.startswith("invalid YAML")


def test_github_broken_shell_in_a_step_keeps_what_was_found() -> None:
    text = (
        "jobs:\n  a:\n    steps:\n      - run: |\n"
        '          docker run -u 0 x\n          echo "open\n'
    )
    result = load_github_workflow(text, "w.yml")
    assert [(c.name, where(c.user)) for c in result.containers] == [
        ("`docker run x` at w.yml:5", ("0", 5, 25))
    ]
    assert [(e.line, e.message.startswith("shell: ")) for e in result.errors] == [(6, True)]


# --- GitLab CI ----------------------------------------------------------------------------


def test_gitlab_finds_every_container() -> None:
    result = load(GL)
    assert result.errors == ()
    assert [(c.kind, c.name, c.resource, c.anchor.line) for c in result.containers] == [
        (DOCKER_CLI, f"`docker run alpine` at {GL}:25", f"{GL}:25", 25),
        (DOCKER_CLI, f"`docker run busybox` at {GL}:28", f"{GL}:28", 28),
        (DOCKER_CLI, f"`docker run $IMAGE` at {GL}:39", f"{GL}:39", 39),
        (CI, "job `build` container", "build.image", 16),
        (CI, "service `docker:24-dind` of job `build` (also jobs `lint`)", "build.services[0]", 12),
        (CI, "job `test` container (also jobs `lint`)", "test.image", 10),
        (CI, "service `db` of job `test`", "test.services[0]", 34),
        (
            CI,
            "service `registry.example.com/mirror/docker:dind` of job `test`",
            "test.services[1]",
            38,
        ),
        (CI, "job `isolated` container", "isolated.image", 48),
    ]


GLOBAL_VARIABLES = [
    ("DOCKER_HOST", "tcp://docker:2375", 2),
    ("DOCKER_TLS_CERTDIR", "", 3),
    ("DEPLOY_PORT", "22:22", 4),
    ("RETRIES", "3", 6),
]


def test_gitlab_image_from_a_template_through_extends() -> None:
    spec = by_name(load(GL))["job `build` container"]
    assert where(spec.image) == ("docker:24", 16, 11)
    assert where(spec.user) == ("0", 18, 13)
    assert envs(spec) == GLOBAL_VARIABLES


def test_gitlab_default_image_and_dind_service() -> None:
    specs = by_name(load(GL))
    image = specs["job `test` container (also jobs `lint`)"]
    assert where(image.image) == ("alpine:3.19", 10, 10)
    assert image.privileged is None
    dind = specs["service `docker:24-dind` of job `build` (also jobs `lint`)"]
    assert where(dind.image) == ("docker:24-dind", 12, 7)
    assert where(dind.privileged) == (True, 12, 7)
    assert envs(dind) == GLOBAL_VARIABLES


def test_gitlab_service_mapping_with_alias_and_variables() -> None:
    specs = by_name(load(GL))
    db = specs["service `db` of job `test`"]
    assert where(db.image) == ("postgres:16", 34, 13)
    assert db.privileged is None
    assert envs(db) == [("POSTGRES_PASSWORD", "example", 37), *GLOBAL_VARIABLES]
    mirror = specs["service `registry.example.com/mirror/docker:dind` of job `test`"]
    assert where(mirror.privileged) == (True, 38, 7)


def test_gitlab_inherit_limits_defaults_and_variables() -> None:
    spec = by_name(load(GL))["job `isolated` container"]
    assert where(spec.image) == ("python:3.12", 48, 10)
    assert envs(spec) == [("DOCKER_HOST", "tcp://docker:2375", 2)]


def test_gitlab_scripts_at_their_file_lines() -> None:
    specs = by_name(load(GL))
    listed = specs[f"`docker run alpine` at {GL}:25"]
    assert where(listed.privileged) == (True, 25, 18)
    assert [(m.source, m.target, m.location.column) for m in listed.mounts] == [("/", "/host", 34)]
    block = specs[f"`docker run busybox` at {GL}:28"]
    assert where(block.pid) == ("host", 29, 9)
    assert where(block.image) == ("busybox", 29, 20)
    plain = specs[f"`docker run $IMAGE` at {GL}:39"]
    assert where(plain.user) == ("0", 39, 25)


def test_gitlab_hidden_jobs_are_not_run() -> None:
    assert not any("never-run" in c.name for c in load(GL).containers)


@pytest.mark.parametrize(
    ("image", "privileged"),
    [
        ("docker:dind", True),
        ("docker:27-dind", True),
        ("docker:27.3.1-dind-rootless", True),
        ("docker.io/library/docker:dind", True),
        ("docker:27", False),
        ("postgres:16", False),
        ("mydind:latest", False),
    ],
)
def test_gitlab_dind_services_are_privileged(image: str, privileged: bool) -> None:
    result = load_gitlab_ci(f"job:\n  services: ['{image}']\n  script: echo\n", "c.yml")
    (spec,) = result.containers
    if privileged:
        assert where(spec.privileged) == (True, 2, 14)
    else:
        assert spec.privileged is None


def test_gitlab_top_level_keywords_and_default_override() -> None:
    text = (
        "image: old:1\nbefore_script: docker run -u 0 a\n"
        "default:\n  image: new:2\nj:\n  script: x\n"
    )
    result = load_gitlab_ci(text, "c.yml")
    assert [(c.name, where(c.image)) for c in result.containers] == [
        ("`docker run a` at c.yml:2", ("a", 2, 32)),
        ("job `j` container", ("new:2", 4, 10)),
    ]


def test_gitlab_wrong_types_are_errors_with_lines() -> None:
    text = """\
variables: [A]
default: 3
a:
  image: [x]
  services: docker:dind
  script: {run: x}
b: text
c:
  extends: .missing
  script: echo
d:
  services:
    - alias: nameless
  script: echo
"""
    result = load_gitlab_ci(text, "c.yml")
    assert [(e.line, e.message) for e in result.errors] == [
        (2, "`default` should be a mapping"),
        (1, "`variables` should be a mapping"),
        (4, "`image` entry should be a string or a mapping"),
        (5, "`services` should be a list"),
        (6, "`script` should be a string or a list of strings"),
        (7, "job `b` should be a mapping"),
        (9, "`extends`: no job or template `.missing`"),
        (13, "no image `name`"),
    ]
    assert result.containers == ()


def test_gitlab_extends_loop_is_an_error() -> None:
    text = ".a:\n  extends: .b\n.b:\n  extends: .a\njob:\n  extends: .a\n  image: x\n"
    result = load_gitlab_ci(text, "c.yml")
    assert [c.name for c in result.containers] == ["job `job` container"]
    assert [e.message for e in result.errors] == ["`extends` of `.a` nests too deep or loops"]


def test_gitlab_invalid_yaml_is_an_error_with_its_line() -> None:
    result = load_gitlab_ci("job:\n  image: alpine\n  script: [echo\n", "c.yml")
    assert result.containers == ()
    (error,) = result.errors
    assert error.line is not None and error.line >= 3
    assert error.message.startswith("invalid YAML")


# --- never a traceback --------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "jobs:\n",
        "  a:\n",
        "    container: x\n",
        "    container:\n      image: y\n      options: --privileged -v /:/h -p [::1\n",
        "    services:\n      s: {image: z, ports: [1, '2:3'], env: {A: 1}}\n",
        "    steps:\n      - run: |\n          docker run -u 0 i\n",
        "      - run: docker run ${{ x }} '\n",
        "image: docker:dind\n",
        "services: [docker:dind, {name: q, alias: r}]\n",
        "variables: {A: {value: 1}}\n",
        "job:\n  extends: [.t, job]\n  script: [[docker run a], !reference [.t, script]]\n",
        ".t:\n  script: docker run --mount x\n",
        "default: {image: {name: a, docker: {user: 0}}}\n",
        "x: &a [*a]\n",
        "- - [\n",
        "---\n",
        "\t\n",
        ": :\n",
    ]
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=10))
def test_the_ci_loaders_never_raise(pieces: list[str]) -> None:
    text = "".join(pieces)
    for result in (load_github_workflow(text, "w.yml"), load_gitlab_ci(text, "c.yml")):
        assert all(e.path in ("w.yml", "c.yml") for e in result.errors)
