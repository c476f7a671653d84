"""Cross-artifact reasoning: a container runs as the USER of the Dockerfile building its image."""

from __future__ import annotations

from dataclasses import replace

from hullguard.config import Config
from hullguard.engine import ScanRequest, scan

API_DOCKERFILE = 'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]\n'
WORKER_DOCKERFILE = "FROM python:3.12-slim\nRUN useradd -u 10001 worker\nUSER 10001\n"
COMPOSE = """services:
  api:
    build: ./api
    image: registry.example.com/shop/api:1.4
  worker:
    build:
      context: ./worker
  web:
    image: nginx:1.27
    user: "0"
  proxy:
    image: nginx:1.27
    user: "101"
"""
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/shop/api:1.5
"""


def test_effective_user_follows_build_and_image_into_the_dockerfile(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "api/Dockerfile": API_DOCKERFILE,
            "worker/Dockerfile": WORKER_DOCKERFILE,
            "docker-compose.yml": COMPOSE,
            "k8s/api.yaml": DEPLOYMENT,
        }
    )
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG206",))))
    by_resource = {f.resource: f for f in report.findings}
    assert set(by_resource) == {
        "services.api",
        "services.web",
        "Deployment/api/containers/api",
    }
    api = by_resource["services.api"]
    assert any("api/Dockerfile" in link for link in api.chain), api.chain
    assert any("no USER" in link for link in api.chain), api.chain
    k8s = by_resource["Deployment/api/containers/api"]
    assert any("registry.example.com/shop/api" in link for link in k8s.chain), k8s.chain
    assert any("api/Dockerfile" in link for link in k8s.chain), k8s.chain
    web = by_resource["services.web"]
    assert any("user" in link and "0" in link for link in web.chain), web.chain


def test_compose_override_file_is_merged_not_scanned_alone(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "docker-compose.yml": 'services:\n  app:\n    image: alpine:3.20\n    user: "1000"\n',
            "docker-compose.override.yml": "services:\n  app:\n    privileged: true\n",
        }
    )
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG201",))))
    assert [(f.rule_id, f.resource, f.location.path, f.location.line) for f in report.findings] == [
        ("HG201", "services.app", f"{root}/docker-compose.override.yml", 3)
    ]
    assert sorted(t.path for t in report.targets) == [
        f"{root}/docker-compose.override.yml",
        f"{root}/docker-compose.yml",
    ]


def test_explicit_compose_files_are_one_project(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "base.yml": 'services:\n  app:\n    image: alpine:3.20\n    user: "1000"\n',
            "prod.yml": (
                "services:\n  app:\n    volumes:\n"
                "      - /var/run/docker.sock:/var/run/docker.sock\n"
            ),
        }
    )
    request = ScanRequest(
        paths=(),
        compose_files=(str(root / "base.yml"), str(root / "prod.yml")),
        config=Config(select=("HG101",)),
    )
    report = scan(request)
    assert [(f.rule_id, f.location.path, f.location.line) for f in report.findings] == [
        ("HG101", f"{root}/prod.yml", 4)
    ]


def test_files_named_outside_the_scanned_folders_are_not_read(tree, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path_factory.mktemp("host")
    (outside / "secrets.env").write_text("DB_PASSWORD=hunter2\n")
    root = tree(
        {
            "docker-compose.yml": (
                f"services:\n  app:\n    image: alpine:3.20\n    env_file: {outside}/secrets.env\n"
            ),
        }
    )
    report = scan(ScanRequest(paths=(str(root),)))
    assert [(e.path, e.line, e.message) for e in report.errors] == [
        (
            f"{root}/docker-compose.yml",
            4,
            f"services.app.env_file: cannot read {outside}/secrets.env: outside the scanned "
            "folders, not read",
        )
    ]


def test_configured_image_map_names_the_dockerfile(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "images/api.Dockerfile": API_DOCKERFILE,
            "deploy/api.yaml": DEPLOYMENT,
            ".hullguard.toml": (
                '[images]\n"registry.example.com/shop/api" = "images/api.Dockerfile"\n'
            ),
        }
    )
    from hullguard.config import load_config

    config = load_config(root / ".hullguard.toml")
    report = scan(ScanRequest(paths=(str(root),), config=replace(config, select=("HG206",))))
    (finding,) = report.findings
    assert finding.resource == "Deployment/api/containers/api"
    assert finding.severity.value == "high"
    assert any("images/api.Dockerfile" in link for link in finding.chain), finding.chain


RUNTIME_CLASS = """apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: sandboxed
handler: runsc
"""
TENANT_POD = """apiVersion: v1
kind: Pod
metadata:
  name: job
  namespace: tenants
spec:
  runtimeClassName: sandboxed
  containers:
    - name: job
      image: registry.example.com/jobs/run:1.0
"""


def test_a_runtime_class_defined_in_another_file_is_followed(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree({"cluster/runtimeclass.yaml": RUNTIME_CLASS, "apps/job.yaml": TENANT_POD})
    options = {"HG603": {"namespaces": ["tenants"]}}
    config = Config(select=("HG603",), rule_options=options)
    assert scan(ScanRequest(paths=(str(root),), config=config)).findings == ()
    alone = scan(ScanRequest(paths=(str(root / "apps"),), config=config))
    assert [f.rule_id for f in alone.findings] == ["HG603"]
