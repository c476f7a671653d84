"""The Kubernetes manifests of deploy/kubernetes: what they run, the privileges they take, and
that `hullguard scan --profile pss-restricted` passes them but for the documented host mounts.

The manifests are scanned as they are (every finding suppressed inline, with a reason), and
again with the suppression directives turned into plain comments (line numbers unchanged): the
findings that appear then are exactly the documented exceptions, each about reading the node
through a hostPath volume.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from hullguard import __version__
from hullguard.config import Config
from hullguard.engine import ScanRequest, scan
from hullguard.model import Report

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes"
DIRECTIVE = re.compile(r"#\s*hullguard:\s*ignore\[([^\]]*)\]\s*(.*)$", re.MULTILINE)
IMAGE = f"hullguard:{__version__}"

# (file, rule, the offending line) under the pss-restricted profile without the suppressions.
NODE_EXCEPTIONS = {
    ("HG244", "runAsUser: 0"),  # root, to read root-only files under /host
    ("HG243", "runAsNonRoot: false"),
    ("HG233", 'add: ["DAC_READ_SEARCH"]'),  # the one capability reading them needs
    ("HG302", "path: /"),  # the node's root filesystem, mounted read-only
}
EXPECTED_WITHOUT_SUPPRESSIONS = {
    *(("daemonset.yaml", rule, line) for rule, line in NODE_EXCEPTIONS),
    *(("daemonset-docker.yaml", rule, line) for rule, line in NODE_EXCEPTIONS),
    ("daemonset-docker.yaml", "HG302", "path: /var/run/docker.sock"),
}
# The rules those exceptions are: host paths, and the root user and capability that reading
# a host path's root-only files takes.
HOST_MOUNT_RULES = {"HG302", "HG243", "HG244", "HG233"}


def _documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def _one(name: str, kind: str) -> dict[str, Any]:
    found = [d for d in _documents(name) if d["kind"] == kind]
    assert len(found) == 1
    return found[0]


def _scan(root: Path, profile: str) -> Report:
    return scan(ScanRequest(paths=(str(root),), config=Config(profile=profile)))


def _found(report: Report, root: Path) -> set[tuple[str, str, str]]:
    result = set()
    for finding in report.findings:
        assert finding.location.path is not None and finding.location.line is not None
        path = Path(finding.location.path)
        lines = (path if path.is_absolute() else root / path.name).read_text().splitlines()
        result.add((path.name, finding.rule_id, lines[finding.location.line - 1].strip()))
    return result


def _without_suppressions(tmp_path: Path) -> Path:
    copy = tmp_path / "kubernetes"
    shutil.copytree(DEPLOY, copy)
    for manifest in copy.glob("*.yaml"):
        text = manifest.read_text()
        manifest.write_text(DIRECTIVE.sub("# (suppression removed)", text))
    return copy


def test_pss_restricted_passes_with_the_documented_suppressions() -> None:
    report = _scan(DEPLOY, "pss-restricted")
    assert report.errors == ()
    assert report.findings == ()
    assert report.suppressed == len(EXPECTED_WITHOUT_SUPPRESSIONS)
    assert sorted(t.path.rsplit("/", 1)[-1] for t in report.targets) == [
        "catalog-job.yaml",
        "daemonset-docker.yaml",
        "daemonset.yaml",
        "namespace.yaml",
    ]


def test_without_suppressions_only_the_host_mount_exceptions_appear(tmp_path: Path) -> None:
    copy = _without_suppressions(tmp_path)
    report = _scan(copy, "pss-restricted")
    found = _found(report, copy)
    assert found == EXPECTED_WITHOUT_SUPPRESSIONS
    assert {rule for _, rule, _ in found} <= HOST_MOUNT_RULES
    assert not any(name == "catalog-job.yaml" for name, _, _ in found)


def test_every_suppression_gives_a_reason_and_names_only_what_fires(tmp_path: Path) -> None:
    """Each directive has a reason, and each rule it names fires (under the default profile
    or pss-restricted, which keeps PSS findings the default one folds into container rules) on
    the line it stands before once the directives are gone."""
    copy = _without_suppressions(tmp_path)
    fired = {
        (Path(f.location.path or "").name, f.rule_id, f.location.line)
        for profile in ("default", "pss-restricted")
        for f in _scan(copy, profile).findings
    }
    directives = 0
    for manifest in sorted(DEPLOY.glob("*.yaml")):
        lines = manifest.read_text().splitlines()
        for number, line in enumerate(lines, start=1):
            match = DIRECTIVE.search(line)
            if not match:
                continue
            directives += 1
            assert manifest.name != "catalog-job.yaml"
            assert len(match.group(2).split()) >= 4, (manifest.name, number, line)
            target = next(
                n
                for n in range(number + 1, len(lines) + 1)
                if not lines[n - 1].strip().startswith("#")
            )
            for rule in match.group(1).split(","):
                assert (manifest.name, rule.strip(), target) in fired, (manifest.name, number, rule)
    assert directives == 9


def test_the_default_profile_leaves_only_the_sandbox_advice() -> None:
    report = _scan(DEPLOY, "default")
    assert report.errors == ()
    assert {(Path(f.location.path or "").name, f.rule_id) for f in report.findings} == {
        ("daemonset.yaml", "HG602"),
        ("daemonset-docker.yaml", "HG602"),
    }
    assert all(f.severity.value == "info" for f in report.findings)


@pytest.mark.parametrize("name", ["daemonset.yaml", "daemonset-docker.yaml"])
def test_the_node_daemonset_reads_the_host_read_only_with_one_capability(name: str) -> None:
    daemonset = _one(name, "DaemonSet")
    pod = daemonset["spec"]["template"]["spec"]
    assert pod["hostPID"] is False and pod["hostIPC"] is False and pod["hostNetwork"] is False
    assert pod["automountServiceAccountToken"] is False
    assert pod["tolerations"] == [{"operator": "Exists"}]
    (container,) = pod["containers"]
    assert container["image"] == IMAGE
    script = container["args"][0]
    assert "hullguard host --root /host" in script
    assert '-o "/reports/$NODE_NAME.json.partial"' in script
    context = container["securityContext"]
    assert context["runAsUser"] == 0
    assert context["privileged"] is False
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert context["capabilities"] == {"drop": ["ALL"], "add": ["DAC_READ_SEARCH"]}
    assert set(container["resources"]["limits"]) == {"cpu", "memory"}
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["host-root"] == {
        "name": "host-root",
        "mountPath": "/host",
        "readOnly": True,
        "mountPropagation": "None",
    }
    host_paths = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    if name == "daemonset.yaml":
        assert host_paths == {"host-root": "/"}
        assert "--docker-host" not in script
    else:
        assert host_paths == {"host-root": "/", "docker-socket": "/var/run/docker.sock"}
        assert mounts["docker-socket"]["readOnly"] is True
        assert "--docker-host unix:///var/run/docker.sock" in script
    assert all(m.get("readOnly") for m in mounts.values() if m["name"] in host_paths)


def test_the_two_daemonsets_do_not_select_each_others_pods() -> None:
    selectors = [
        _one(name, "DaemonSet")["spec"]["selector"]["matchLabels"]
        for name in ("daemonset.yaml", "daemonset-docker.yaml")
    ]
    assert selectors[0] != selectors[1]


def test_the_catalog_job_is_indexed_with_one_shard_per_completion() -> None:
    job = _one("catalog-job.yaml", "Job")
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["parallelism"] == spec["completions"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert int(env["SHARDS"]["value"]) == spec["completions"]
    assert env["REGISTRY"]["valueFrom"]["configMapKeyRef"]["name"] == "hullguard-catalog"
    script = container["args"][0]
    assert 'image --catalog "$REGISTRY" --shard "$JOB_COMPLETION_INDEX/$SHARDS"' in script
    assert "--format json" in script
    assert container["image"] == IMAGE
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert not any("hostPath" in v for v in pod["volumes"])
    config = _one("catalog-job.yaml", "ConfigMap")
    assert config["metadata"]["name"] == "hullguard-catalog"
    assert "." in config["data"]["registry"]


def test_the_namespace_enforces_privileged_and_warns_at_restricted() -> None:
    labels = _one("namespace.yaml", "Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    for name in ("daemonset.yaml", "daemonset-docker.yaml", "catalog-job.yaml"):
        for document in _documents(name):
            assert document["metadata"]["namespace"] == "hullguard"
