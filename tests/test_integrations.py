"""Where users run hullguard: the pre-commit hook, the GitHub action, the GitLab CI template and
the Dockerfile of hullguard's own image (its build is tested in tests/live/test_own_image.py).

The pre-commit test runs the real `pre-commit try-repo` against a clone of this checkout's
committed HEAD: pre-commit builds a virtual environment and pip-installs hullguard into it, so it
needs the package index; without it the test skips with the reason (and fails with CI=true).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from hullguard.cli import main
from hullguard.discovery import classify_name
from tests.live.conftest import unavailable

REPO = Path(__file__).resolve().parents[1]
HOOKS = REPO / ".pre-commit-hooks.yaml"
ACTION = REPO / "action.yml"
GITLAB_TEMPLATE = REPO / "ci" / "hullguard.gitlab-ci.yml"
DOCKERFILE = REPO / "Dockerfile"
FULL_SHA = re.compile(r"@[0-9a-f]{40}$")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")

BAD_DOCKERFILE = "FROM ubuntu:latest\nRUN apt-get update && apt-get install -y curl\n"
GOOD_DOCKERFILE = (
    f"FROM python:3.12-slim@sha256:{'a' * 64}\n"
    "USER 10001\n"
    'HEALTHCHECK CMD ["python3", "-c", "print(1)"]\n'
    'CMD ["python3", "-m", "http.server"]\n'
)
BAD_WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t registry.example/app .
"""
PRIVILEGED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: tool
spec:
  containers:
    - name: tool
      image: registry.example/tool@sha256:%s
      securityContext:
        privileged: true
""" % ("b" * 64)


def scan_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "--format", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, report


def findings_at(report: dict[str, Any]) -> set[tuple[str, str, int | None]]:
    return {
        (f["rule_id"], f["location"]["path"], f["location"]["line"]) for f in report["findings"]
    }


# --- scanning the files a hook or a CI job names ------------------------------------------------


def test_files_named_on_the_command_line_are_read_by_their_kind(
    tree: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pre-commit passes paths relative to the repository root: a workflow is known by its
    folder, a manifest by its content, Dockerfiles by their several names."""
    root = tree(
        {
            ".github/workflows/build.yml": BAD_WORKFLOW,
            "deploy/tool.yaml": PRIVILEGED_POD,
            "deploy/values.yaml": "replicas: 2\n",
            "Dockerfile.prod": BAD_DOCKERFILE,
            "api.dockerfile": BAD_DOCKERFILE,
            "Containerfile": BAD_DOCKERFILE,
        }
    )
    monkeypatch.chdir(root)
    names = [
        ".github/workflows/build.yml",
        "deploy/tool.yaml",
        "deploy/values.yaml",
        "Dockerfile.prod",
        "api.dockerfile",
        "./Containerfile",
    ]
    code, report = scan_json([*names, "--select", "HG612,HG232,HG411"], capsys)
    assert code == 1
    kinds = {t["path"]: (t["kind"], t["status"]) for t in report["targets"]}
    assert kinds == {
        ".github/workflows/build.yml": ("ci", "ok"),
        "deploy/tool.yaml": ("kubernetes", "ok"),
        "Dockerfile.prod": ("dockerfile", "ok"),
        "api.dockerfile": ("dockerfile", "ok"),
        "Containerfile": ("dockerfile", "ok"),
    }  # values.yaml is not a manifest: passed over, as in a folder scan
    assert findings_at(report) == {
        ("HG612", ".github/workflows/build.yml", 6),
        ("HG232", "deploy/tool.yaml", 10),
        ("HG411", "Dockerfile.prod", 1),
        ("HG411", "api.dockerfile", 1),
        ("HG411", "Containerfile", 1),
    }
    assert report["errors"] == []


# --- .pre-commit-hooks.yaml ---------------------------------------------------------------------


def hook() -> dict[str, Any]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and [h["id"] for h in hooks] == ["hullguard"]
    entry: dict[str, Any] = hooks[0]
    return entry


def test_hook_definition() -> None:
    entry = hook()
    assert entry["entry"] == "hullguard scan"
    assert entry["language"] == "python"
    assert entry["pass_filenames"] is True
    assert entry["types"] == ["text"]
    assert entry["require_serial"] is True


@pytest.mark.parametrize(
    ("path", "selected"),
    [
        ("Dockerfile", True),
        ("services/api/Dockerfile", True),
        ("Dockerfile.prod", True),
        ("docker/api.dockerfile", True),
        ("Containerfile", True),
        ("build/app.Containerfile", True),
        ("docker-compose.yml", True),
        ("compose.yaml", True),
        ("deploy/docker-compose.prod.yml", True),
        ("k8s/deployment.yaml", True),
        ("charts/app/values.YML", True),
        (".gitlab-ci.yml", True),
        (".github/workflows/release.yaml", True),
        ("README.md", False),
        ("src/app.py", False),
        ("dockerfiles/notes.txt", False),
        ("Dockerfile_test.go", False),
        ("docs/compose.yaml.md", False),
        ("scripts/deploy.sh", False),  # scripts are an opt-in: docs/integrations.md
        ("Dockerfile.dockerignore", False),  # BuildKit's ignore file of `Dockerfile`
        ("api/app.Dockerfile.dockerignore", False),
        ("Dockerfile.md", False),
        ("docker/Containerfile.txt", False),
    ],
)
def test_hook_selects_what_hullguard_reads(path: str, selected: bool) -> None:
    """pre-commit passes a file when `files` matches it and `exclude` does not."""
    files, exclude = re.compile(hook()["files"]), re.compile(hook().get("exclude", "^$"))
    assert bool(files.search(path) and not exclude.search(path)) is selected
    if selected:
        assert classify_name(PurePosixPath(path)) is not None


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A clone of this checkout's committed HEAD (what try-repo installs) and the environment
    for pre-commit, with its cache in a temporary folder."""
    if shutil.which("git") is None:
        unavailable("git is not installed")
    if not (REPO / ".git").exists():
        pytest.skip(f"{REPO} is not a git checkout: try-repo needs one")
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        unavailable("pre-commit is not installed (pip install -e '.[test]')")
    base = tmp_path_factory.mktemp("pre-commit")
    clone = base / "hullguard"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=300)
    env = {**os.environ, "PRE_COMMIT_HOME": str(base / "cache"), "NO_COLOR": "1"}
    env.pop("PRE_COMMIT_COLOR", None)
    yield clone, env


def try_repo(
    hook_repo: tuple[Path, dict[str, str]], project: Path, *files: str
) -> subprocess.CompletedProcess[str]:
    clone, env = hook_repo
    if not (project / ".git").exists():
        subprocess.run(["git", "init", "--quiet", str(project)], check=True, timeout=60)
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(clone), "hullguard"]
    result = subprocess.run(
        [*command, "--color", "never", "--verbose", "--files", *files],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if result.returncode not in (0, 1):
        log = Path(env["PRE_COMMIT_HOME"]) / "pre-commit.log"
        detail = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        output = result.stdout + result.stderr + detail
        offline = (
            "NewConnectionError",
            "Temporary failure in name resolution",
            "No matching distribution found",
            "Could not find a version that satisfies",
            "Network is unreachable",
        )
        if any(marker in output for marker in offline):
            tail = "\n".join(output.splitlines()[-10:])
            unavailable(f"pre-commit cannot install the hook without the package index:\n{tail}")
        pytest.fail(f"pre-commit try-repo exited {result.returncode}:\n{output}")
    return result


def test_pre_commit_hook_fails_on_findings(
    hook_repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(BAD_DOCKERFILE, encoding="utf-8")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "build.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    result = try_repo(hook_repo, tmp_path, "Dockerfile", ".github/workflows/build.yml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^hullguard\.+Failed$", result.stdout, re.MULTILINE), result.stdout
    # The text report names each finding's rule and place: `HG411 ... Dockerfile:1:1`.
    assert re.search(r"\bHG411\b.*\sDockerfile:1\b", result.stdout), result.stdout
    assert re.search(r"\bHG612\b.*\s\.github/workflows/build\.yml:6\b", result.stdout)


def test_pre_commit_hook_passes_a_good_dockerfile(
    hook_repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(GOOD_DOCKERFILE, encoding="utf-8")
    (tmp_path / "README.md").write_text("FROM ubuntu:latest\n", encoding="utf-8")
    result = try_repo(hook_repo, tmp_path, "Dockerfile", "README.md")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^hullguard\.+Passed$", result.stdout, re.MULTILINE), result.stdout
    assert "1 of 1 target scanned" in result.stdout  # README.md was never handed to it


# --- action.yml ---------------------------------------------------------------------------------


def action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_action_is_a_composite_action_with_its_inputs() -> None:
    data = action()
    assert data["runs"]["using"] == "composite"
    assert set(data["inputs"]) == {
        "path",
        "args",
        "format",
        "fail-on",
        "version",
        "python-version",
        "upload-sarif",
        "sarif-file",
        "category",
    }
    for name, spec in data["inputs"].items():
        assert spec["description"], name
        assert isinstance(spec.get("default"), str), name  # composite inputs are strings


def test_action_uses_only_the_inputs_it_declares() -> None:
    text = ACTION.read_text(encoding="utf-8")
    declared = set(action()["inputs"])
    used = set(re.findall(r"\binputs\.([A-Za-z0-9_-]+)", text))
    assert used, "the action reads none of its inputs"
    assert used <= declared, used - declared
    # Every input is used somewhere, or it would be a promise the action does not keep.
    assert declared <= used, declared - used


def test_action_reads_outputs_only_of_earlier_steps() -> None:
    steps = action()["runs"]["steps"]
    ids = [step.get("id") for step in steps]
    for index, step in enumerate(steps):
        for used in re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs", yaml.safe_dump(step)):
            assert used in ids[:index], (step["name"], used)
    outputs = action()["outputs"]
    for spec in outputs.values():
        for used in re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs", spec["value"]):
            assert used in ids


def test_action_steps_run_shell_with_inputs_only_through_the_environment() -> None:
    """`${{ inputs.x }}` inside `run:` is pasted into the script before bash sees it: a path or
    an argument could inject commands. Inputs reach the scripts as environment variables."""
    for step in action()["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash", step["name"]
            assert "${{" not in step["run"], step["name"]


def test_action_refuses_a_windows_runner_first() -> None:
    """The scripts use a POSIX virtual environment (`bin/python`); on a Windows runner the
    action fails in its first step with a message instead of on a missing file."""
    first = action()["runs"]["steps"][0]
    assert first.get("if") == "${{ runner.os == 'Windows' }}", first
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", first["run"]],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "runs on Linux and macOS runners, not on Windows" in result.stdout


def test_action_expands_arrays_as_the_bash_of_macos_allows() -> None:
    """macOS ships bash 3.2, where `"${a[@]}"` of an empty array under `set -u` is an "unbound
    variable" error (the default `args` is empty): every array is expanded as
    `${a[@]+"${a[@]}"}`."""
    for step in action()["runs"]["steps"]:
        script = step.get("run", "")
        arrays = set(re.findall(r"read -r -d '' -a (\w+)", script))
        for name in arrays:
            bare = script.replace(f'${{{name}[@]+"${{{name}[@]}}"}}', "")
            assert f"${{{name}[@]}}" not in bare, (step["name"], name)
    (scan,) = [s for s in action()["runs"]["steps"] if s["name"] == "Scan"]
    assert {"paths", "args"} <= set(re.findall(r"read -r -d '' -a (\w+)", scan["run"]))


def test_action_pins_every_action_by_commit() -> None:
    uses = [step["uses"] for step in action()["runs"]["steps"] if "uses" in step]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert all(FULL_SHA.search(u) for u in uses), uses


def workflow_of_action_steps(steps: list[dict[str, Any]]) -> str:
    """The action's steps as one job of a workflow, the form hullguard's CI rules read."""
    workflow = {"on": "push", "jobs": {"scan": {"runs-on": "ubuntu-latest", "steps": steps}}}
    return yaml.safe_dump(workflow, sort_keys=False)


def test_hullguard_finds_nothing_in_the_action(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    steps = action()["runs"]["steps"]
    (workflows / "action.yml").write_text(workflow_of_action_steps(steps), encoding="utf-8")
    code, report = scan_json([str(tmp_path), "--fail-on", "info"], capsys)
    assert [(t["kind"], t["status"]) for t in report["targets"]] == [("ci", "ok")]
    assert report["findings"] == [] and report["errors"] == [] and code == 0

    # The same steps with the upload action referenced by its tag are reported.
    for step in steps:
        if "uses" in step and step["uses"].startswith("github/codeql-action/"):
            step["uses"] = "github/codeql-action/upload-sarif@v3"
    (workflows / "action.yml").write_text(workflow_of_action_steps(steps), encoding="utf-8")
    code, report = scan_json([str(tmp_path), "--fail-on", "info"], capsys)
    assert [f["rule_id"] for f in report["findings"]] == ["HG612"] and code == 1


def run_step(name: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the `run:` script of the action's step `name` as the runner runs `shell: bash`."""
    (step,) = [s for s in action()["runs"]["steps"] if s["name"] == name]
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def outputs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.parametrize(("content", "exit_code"), [(BAD_DOCKERFILE, 1), (GOOD_DOCKERFILE, 0)])
def test_action_scan_and_exit_steps(tmp_path: Path, content: str, exit_code: int) -> None:
    """The scan step writes SARIF and records the exit code without failing; the last step
    fails with that code. Run here with the hullguard of this environment."""
    venv = Path(sys.prefix)
    if not (venv / "bin" / "hullguard").exists():
        pytest.fail(f"{venv}/bin/hullguard is missing: pip install -e '.[test]'")
    workspace = tmp_path / "workspace"
    (workspace / "app").mkdir(parents=True)
    (workspace / "app" / "Dockerfile").write_text(content, encoding="utf-8")
    github_output = tmp_path / "github-output"
    env = {
        "HULLGUARD_VENV": str(venv),
        "HULLGUARD_PATHS": "app\n",
        "HULLGUARD_ARGS": "--ignore HG430",
        "HULLGUARD_FORMAT": "text",
        "HULLGUARD_FAIL_ON": "medium",
        "HULLGUARD_SARIF": "hullguard.sarif",
        "GITHUB_OUTPUT": str(github_output),
    }
    scan = run_step("Scan", env, workspace)
    assert scan.returncode == 0, scan.stderr
    assert outputs(github_output) == {"exit-code": str(exit_code), "sarif-written": "true"}
    sarif = json.loads((workspace / "hullguard.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    rule_ids = [r["ruleId"] for r in results]
    assert "HG430" not in rule_ids  # args reach the scan
    if exit_code:
        assert "HG411" in rule_ids and "HG411 base-image-mutable-tag" in scan.stdout
    else:
        assert results == [] and "No findings." in scan.stdout

    done = run_step(
        "Apply the exit code",
        {"HULLGUARD_EXIT": str(exit_code), "HULLGUARD_FAIL_ON": "medium"},
        workspace,
    )
    assert done.returncode == exit_code
    assert ("::error title=hullguard::" in done.stdout) is bool(exit_code)


# --- ci/hullguard.gitlab-ci.yml -----------------------------------------------------------------


def gitlab_template() -> dict[str, Any]:
    data = yaml.safe_load(GITLAB_TEMPLATE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_gitlab_template_publishes_the_code_quality_report() -> None:
    data = gitlab_template()
    assert data["hullguard"] == {"extends": ".hullguard"}
    job = data[".hullguard"]
    assert DIGEST.search(job["image"]), job["image"]
    report = job["artifacts"]["reports"]["codequality"]
    assert job["artifacts"]["when"] == "always"  # published when the job fails too
    (quality,) = [line for line in job["script"] if "--format gitlab" in line]
    assert f"--output {report}" in quality
    assert '--fail-on "$HULLGUARD_FAIL_ON"' in quality
    assert set(re.findall(r"\$\{?(HULLGUARD_[A-Z_]+)", "\n".join(job["script"]))) <= set(
        job["variables"]
    )


def test_hullguard_finds_nothing_in_the_gitlab_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(GITLAB_TEMPLATE, tmp_path / ".gitlab-ci.yml")
    code, report = scan_json([str(tmp_path), "--fail-on", "info"], capsys)
    assert [(t["kind"], t["status"]) for t in report["targets"]] == [("ci", "ok")]
    assert report["findings"] == [] and report["errors"] == [] and code == 0


def test_gitlab_template_report_command(tmp_path: Path) -> None:
    """The template's Code Quality command, run with this environment's hullguard."""
    from hullguard import cli

    choices = {
        choice
        for param in cli.scan.params  # the click options of `hullguard scan`
        if "--format" in getattr(param, "opts", ())
        for choice in getattr(param.type, "choices", ())
    }
    assert "gitlab" in choices, "the template relies on `hullguard scan --format gitlab`"
    (quality,) = [line for line in gitlab_template()[".hullguard"]["script"] if "gitlab" in line]
    (tmp_path / "Dockerfile").write_text(BAD_DOCKERFILE, encoding="utf-8")
    env = {
        **os.environ,
        "HULLGUARD_PATHS": ".",
        "HULLGUARD_ARGS": "",
        "HULLGUARD_FAIL_ON": "medium",
    }
    command = quality.replace("/tmp/hullguard/bin/hullguard", f"{sys.prefix}/bin/hullguard")
    result = subprocess.run(
        ["sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    issues = json.loads((tmp_path / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert any("HG411" in json.dumps(issue) for issue in issues)


def test_gitlab_template_publishes_the_report_when_a_target_cannot_be_read(tmp_path: Path) -> None:
    """The job's scan commands in order, as GitLab runs them (the first failing one ends the
    job): a path that cannot be read fails the job with exit 2, after the Code Quality report
    is written."""
    script = gitlab_template()[".hullguard"]["script"]
    scans = [line for line in script if " scan " in line]
    assert len(scans) == 2
    (tmp_path / "Dockerfile").write_text(BAD_DOCKERFILE, encoding="utf-8")
    env = {
        **os.environ,
        "HULLGUARD_PATHS": ". missing",
        "HULLGUARD_ARGS": "",
        "HULLGUARD_FAIL_ON": "medium",
    }
    command = "\n".join(scans).replace(
        "/tmp/hullguard/bin/hullguard", f"{sys.prefix}/bin/hullguard"
    )
    result = subprocess.run(
        ["sh", "-e", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    issues = json.loads((tmp_path / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert any("HG411" in json.dumps(issue) for issue in issues)


# --- Dockerfile of hullguard's own image ---------------------------------------------------------


def test_own_dockerfile_has_no_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = scan_json([str(DOCKERFILE), "--fail-on", "info"], capsys)
    assert [(t["kind"], t["status"]) for t in report["targets"]] == [("dockerfile", "ok")]
    assert report["findings"] == [] and report["errors"] == [] and code == 0


def test_own_dockerfile_bases_are_pinned_and_overridable() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    (default,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert default.startswith("python:3.11-slim-bookworm@") and DIGEST.search(default)
    froms = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert froms == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    assert re.search(r"^USER \d+:\d+$", text, re.MULTILINE)
    assert 'ENTRYPOINT ["hullguard"]' in text and "WORKDIR /work" in text


def test_dockerignore_keeps_what_the_build_needs() -> None:
    """The build context holds pyproject.toml, the files it names and the sources, and nothing
    of the tests, the git history or local environments."""
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*"
    kept = {line[1:].rstrip("/") for line in rules if line.startswith("!")}
    assert {"pyproject.toml", "README.md", "src"} <= kept
    assert not kept & {"tests", ".git", ".venv"}
