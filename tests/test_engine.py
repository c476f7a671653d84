"""The engine end to end: discovery, dispatch, errors as data, suppressions, config, baseline."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import hullguard.engine as engine
from hullguard.config import Config
from hullguard.engine import ScanRequest, load_baseline, scan, select_rules
from hullguard.model import ErrorKind, Severity, TargetStatus
from hullguard.registry import Context, all_rules

LATEST = "FROM ubuntu:latest\nUSER app\nHEALTHCHECK CMD true\n"


def run(root: Path, **config: object) -> object:
    return scan(ScanRequest(paths=(str(root),), config=Config(**config)))  # type: ignore[arg-type]


def found(report: object) -> set[tuple[str, str | None, int | None]]:
    return {(f.rule_id, f.location.path, f.location.line) for f in report.findings}  # type: ignore[attr-defined]


def test_discovers_every_dockerfile_name(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "Dockerfile": LATEST,
            "api/Dockerfile.prod": LATEST,
            "web/app.Dockerfile": LATEST,
            "Containerfile": LATEST,
            "notes.txt": "FROM ubuntu:latest",
            ".git/Dockerfile": LATEST,
        }
    )
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG411",))))
    paths = sorted(t.path for t in report.targets)
    base = str(root)
    assert paths == sorted(
        f"{base}/{p}"
        for p in ["Containerfile", "Dockerfile", "api/Dockerfile.prod", "web/app.Dockerfile"]
    )
    assert {f.rule_id for f in report.findings} == {"HG411"}
    assert len(report.findings) == 4


def test_paths_are_reported_as_given(tree, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = tree({"app/Dockerfile": LATEST})
    monkeypatch.chdir(root)
    report = scan(ScanRequest(paths=(".",), config=Config(select=("HG411",))))
    assert found(report) == {("HG411", "app/Dockerfile", 1)}
    report = scan(ScanRequest(paths=("app/",), config=Config(select=("HG411",))))
    assert found(report) == {("HG411", "app/Dockerfile", 1)}


def test_every_kind_is_a_target(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "docker-compose.yml": "services: {}\n",
            "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
            "k8s/values.yaml": "replicas: 3\n",
            "chart/templates/pod.yaml": "apiVersion: v1\nkind: Pod\n"
            "metadata:\n  name: {{ .Release.Name }}\n",
            ".github/workflows/ci.yml": "on: push\n",
            ".gitlab-ci.yml": "image: alpine:3.20\n",
            "scripts/run.sh": "docker run --privileged x\n",
            "Makefile": "run:\n\tdocker run x\n",
        }
    )
    report = scan(ScanRequest(paths=(str(root),)))
    kinds = {t.path.removeprefix(str(root) + "/"): (t.kind, t.status) for t in report.targets}
    assert kinds == {
        ".github/workflows/ci.yml": ("ci", TargetStatus.OK),
        ".gitlab-ci.yml": ("ci", TargetStatus.OK),
        "Makefile": ("script", TargetStatus.OK),
        "chart/templates/pod.yaml": ("kubernetes", TargetStatus.SKIPPED),
        "docker-compose.yml": ("compose", TargetStatus.OK),
        "k8s/deploy.yaml": ("kubernetes", TargetStatus.OK),
        "scripts/run.sh": ("script", TargetStatus.OK),
    }
    helm = next(t for t in report.targets if t.path.endswith("pod.yaml"))
    assert helm.note and "template" in helm.note.lower()


def test_bad_files_become_errors_and_the_scan_goes_on(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "a/Dockerfile": b"FROM ubuntu:latest\nRUN echo \xff\xfe\n",
            "b/Dockerfile": b"\x00\x01binary",
            "c/Dockerfile": "",
            "d/Dockerfile": "FROM ubuntu:latest\nFROBNICATE now\n",
            "e/Dockerfile": "FROM ubuntu:latest\nRUN <<EOF\necho never closed\n",
            "f/Dockerfile": LATEST,
            "g/Dockerfile": "FROM alpine:3 AS build\nFROM alpine:3\nCOPY --from=biuld /a /b\n",
        }
    )
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG411",))))
    errors = {(e.path.removeprefix(str(root) + "/"), e.line, e.kind) for e in report.errors}  # type: ignore[union-attr]
    assert ("a/Dockerfile", 2, ErrorKind.PARSE) in errors
    assert ("b/Dockerfile", 1, ErrorKind.READ) in errors
    assert ("c/Dockerfile", 1, ErrorKind.PARSE) in errors
    assert ("d/Dockerfile", 2, ErrorKind.PARSE) in errors
    assert ("e/Dockerfile", 2, ErrorKind.PARSE) in errors
    assert ("g/Dockerfile", 3, ErrorKind.PARSE) in errors
    hit = {f.location.path.removeprefix(str(root) + "/") for f in report.findings}  # type: ignore[union-attr]
    assert {"a/Dockerfile", "d/Dockerfile", "e/Dockerfile", "f/Dockerfile"} <= hit
    assert report.exit_code() == 1  # findings; no target was unreadable


def test_oversized_file_is_skipped_with_an_error(tree) -> None:  # type: ignore[no-untyped-def]
    big = "FROM ubuntu:latest\n" + "RUN echo padding-padding-padding\n" * 400_000
    root = tree({"Dockerfile": big, "ok/Dockerfile": LATEST})
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG411",))))
    skipped = [t for t in report.targets if t.status is TargetStatus.SKIPPED]
    assert [t.path for t in skipped] == [f"{root}/Dockerfile"]
    assert "limit" in (skipped[0].note or "")
    assert found(report) == {("HG411", f"{root}/ok/Dockerfile", 1)}
    (root / "Dockerfile").write_text("# generated\n" * 600_000 + "FROM ubuntu:latest\n")
    bigger = scan(
        ScanRequest(
            paths=(str(root),), config=Config(select=("HG411",), max_file_size=64 * 1024 * 1024)
        )
    )
    assert ("HG411", f"{root}/Dockerfile", 600_001) in found(bigger)


def test_missing_path_is_exit_2_and_the_rest_is_scanned(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": LATEST})
    report = scan(
        ScanRequest(paths=(str(root / "nope"), str(root)), config=Config(select=("HG411",)))
    )
    assert found(report) == {("HG411", f"{root}/Dockerfile", 1)}
    assert report.exit_code() == 2


def test_symlinks_never_lead_out_of_the_root(tree, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path_factory.mktemp("outside")
    (outside / "Dockerfile").write_text(LATEST)
    root = tree({"inside/Dockerfile": LATEST})
    os.symlink(outside / "Dockerfile", root / "Dockerfile")
    os.symlink(outside, root / "linked-dir")
    os.symlink(root / "inside", root / "loop")
    report = scan(
        ScanRequest(paths=(str(root / "inside"), str(root)), config=Config(select=("HG411",)))
    )
    assert found(report) == {("HG411", f"{root}/inside/Dockerfile", 1)}
    skipped = {t.path: t.note for t in report.targets if t.status is TargetStatus.SKIPPED}
    assert set(skipped) == {f"{root}/Dockerfile", f"{root}/linked-dir"}
    assert all("outside the scanned root" in (n or "") for n in skipped.values())


def test_exclude_globs(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {"vendor/x/Dockerfile": LATEST, "app/Dockerfile": LATEST, "app/Dockerfile.tmpl": LATEST}
    )
    report = scan(
        ScanRequest(
            paths=(str(root),), config=Config(select=("HG411",), exclude=("vendor", "*.tmpl"))
        )
    )
    assert found(report) == {("HG411", f"{root}/app/Dockerfile", 1)}


def test_inline_suppressions(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "Dockerfile": (
                "# hullguard: ignore[HG411] pinned by the release job\n"
                "FROM ubuntu:latest AS one\n"
                "FROM ubuntu:latest AS two\n"
                "# hullguard: ignore[base-image-mutable-tag]\n"
                "\n"
                "FROM ubuntu:latest AS three\n"
                "# hullguard: ignore[HG999, HG4]\n"
                "FROM ubuntu:latest\n"
            )
        }
    )
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG411",))))
    assert found(report) == {("HG411", f"{root}/Dockerfile", 3)}
    assert report.suppressed == 3
    assert [(e.line, e.kind, e.message) for e in report.errors] == [
        (7, ErrorKind.SUPPRESSION, "unknown rule `HG999` in ignore[...]")
    ]


def test_suppression_covers_every_line_of_a_multiline_instruction(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree(
        {
            "Dockerfile": (
                "FROM debian:12.5\n"
                "# hullguard: ignore[HG430]\n"
                "RUN apt-get update \\\n"
                "    && apt-get install -y curl \\\n"
                "    && rm -rf /var/lib/apt/lists/*\n"
                "RUN apt-get update && apt-get install -y wget && rm -rf /var/lib/apt/lists/*\n"
            )
        }
    )
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG430",))))
    assert found(report) == {("HG430", f"{root}/Dockerfile", 6)}
    assert report.suppressed == 1


def test_file_wide_suppression(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": "# hullguard: ignore-file[HG4] legacy image\nFROM ubuntu:latest\n"})
    report = scan(ScanRequest(paths=(str(root),)))
    assert not [f for f in report.findings if f.pillar == 4]
    assert report.suppressed >= 1


def test_select_ignore_profile_and_severity_override() -> None:
    ids = {
        r.id
        for r in select_rules(Config(select=("HG4",), ignore=("HG413", "base-image-mutable-tag")))
    }
    assert ids and all(i.startswith("HG4") for i in ids)
    assert "HG413" not in ids and "HG411" not in ids
    cis = select_rules(Config(profile="cis-docker"))
    assert cis and all(r.reference_ids("cis-docker") for r in cis)
    assert len(cis) < len(all_rules())


def test_severity_override_and_rule_options(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": "FROM ghcr.io/acme/base:1.0\nUSER app\n"})
    report = scan(
        ScanRequest(
            paths=(str(root),),
            config=Config(select=("HG410",), severity={"HG410": Severity.CRITICAL}),
        )
    )
    assert [(f.rule_id, f.severity) for f in report.findings] == [("HG410", Severity.CRITICAL)]
    trusted = scan(
        ScanRequest(
            paths=(str(root),),
            config=Config(
                select=("HG410",), rule_options={"HG410": {"trusted_registries": ["ghcr.io/acme"]}}
            ),
        )
    )
    assert trusted.findings == ()


def test_crashing_rule_is_reported_and_others_still_run(tree, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": LATEST})
    rule = next(r for r in all_rules() if r.id == "HG413")

    def explode(model: object, ctx: Context) -> list[object]:
        raise RuntimeError("boom")

    broken = replace(rule, func=explode)

    original = engine.select_rules
    monkeypatch.setattr(
        engine,
        "select_rules",
        lambda config: [broken if r.id == "HG413" else r for r in original(config)],
    )
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG411", "HG413"))))
    assert found(report) == {("HG411", f"{root}/Dockerfile", 1)}
    assert [(e.kind, e.rule_id) for e in report.errors] == [(ErrorKind.RULE_CRASH, "HG413")]
    assert "RuntimeError: boom" in report.errors[0].message


def test_baseline_survives_unrelated_line_shifts(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree({"Dockerfile": "FROM ubuntu:latest\nUSER root\n"})
    first = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG411", "HG202"))))
    assert found(first) == {("HG411", f"{root}/Dockerfile", 1), ("HG202", f"{root}/Dockerfile", 2)}
    prints = load_baseline(first.to_dict())
    (root / "Dockerfile").write_text(
        "# syntax=docker/dockerfile:1\n\nFROM ubuntu:latest\nLABEL a=b\nUSER root\nRUN curl -k https://x\n"
    )
    second = scan(
        ScanRequest(
            paths=(str(root),), config=Config(select=("HG411", "HG202", "HG442")), baseline=prints
        )
    )
    assert found(second) == {("HG442", f"{root}/Dockerfile", 6)}
    assert second.baselined == 2


PRIVILEGED_POD = """apiVersion: v1
kind: Pod
metadata:
  name: tools
spec:
  hostNetwork: true
  containers:
    - name: tools
      image: alpine:3.20
      ports:
        - containerPort: 80
          hostPort: 80
      securityContext:
        privileged: true
"""


def test_a_control_is_reported_once_when_every_rule_runs(tree) -> None:  # type: ignore[no-untyped-def]
    root = tree({"pod.yaml": PRIVILEGED_POD})
    everything = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG2",))))
    at = {(f.rule_id, f.location.line) for f in everything.findings}
    assert ("HG201", 14) in at and ("HG232", 14) not in at  # privileged: said once
    assert ("HG209", 6) in at and ("HG231", 6) not in at  # host network: said once
    assert ("HG234", 12) in at  # host ports: only the PSS rule knows it
    baseline = scan(ScanRequest(paths=(str(root),), config=Config(profile="pss-baseline")))
    assert {(f.rule_id, f.location.line) for f in baseline.findings} == {
        ("HG231", 6),
        ("HG232", 14),
        ("HG234", 12),
    }


def test_suppressions_in_slash_comments(tree) -> None:  # type: ignore[no-untyped-def]
    """Jenkinsfiles (Groovy) and go.mod have only `//` comments: directives work there too."""
    root = tree(
        {
            "Jenkinsfile": (
                "pipeline {\n"
                "    agent any\n"
                "    stages {\n"
                "        stage('Publish') {\n"
                "            steps {\n"
                "                // hullguard: ignore[HG613] a throwaway registry in a sandbox\n"
                "                sh 'docker login -u ci -p $PASS registry.example.com'\n"
                "                sh 'docker login -u ci -p $PASS registry.example.com'\n"
                "            }\n"
                "        }\n"
                "    }\n"
                "}\n"
            )
        }
    )
    report = scan(ScanRequest(paths=(str(root),), config=Config(select=("HG613",))))
    assert found(report) == {("HG613", f"{root}/Jenkinsfile", 8)}
    assert report.suppressed == 1
