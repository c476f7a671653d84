"""GitLab Code Quality JSON: the report a job publishes with `artifacts: reports: codequality:`.

GitLab reads a JSON array of issues, each with `description`, `check_name`, `fingerprint`,
`severity` (info, minor, major, critical or blocker) and `location.path` with
`location.lines.begin` (a subset of the Code Climate issue format); it shows them in the merge
request widget and, on higher tiers, beside the changed lines. Choices:

- `severity`: info -> info, low -> minor, medium -> major, high -> critical,
  critical -> blocker.
- `fingerprint` is the finding's own (stable across runs, distinct for each occurrence), so
  GitLab can tell new findings from fixed ones; a finding without one gets a hash of its rule,
  place and message. GitLab shows one issue per fingerprint, so a fingerprint met again (two
  hand-merged reports of the same file in two places) is hashed with the issue's place.
- `location.path` is the file's path as the scan gave it (relative to where the scan ran, which
  in CI is the repository root); GitLab wants it relative to the repository, so an absolute path
  under the working directory (`hullguard scan $CI_PROJECT_DIR/deploy`) is made relative to
  it. A finding on a live object has no file: its path is the
  object (`container/web`, `image/app:1.0`, `host`) and its line 1, and the description names
  the logical place.
- `check_name` is the rule id and name (`HG101 docker-socket-mounted`), `categories` is
  `["Security"]`, `type` is `issue`. The fix and the references go in `content.body`.
- Errors of the run are not issues of the code and are left out; `--format json` keeps them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePath
from typing import Any

from hullguard.model import Finding, Report, Severity
from hullguard.render.grouping import TargetIndex

SEVERITY = {
    Severity.INFO: "info",
    Severity.LOW: "minor",
    Severity.MEDIUM: "major",
    Severity.HIGH: "critical",
    Severity.CRITICAL: "blocker",
}


def render_gitlab(report: Report) -> str:
    return json.dumps(code_quality(report, Path.cwd()), indent=2) + "\n"


def code_quality(report: Report, root: PurePath | None = None) -> list[dict[str, Any]]:
    """The Code Quality issues as plain data, one per finding, in the report's order; absolute
    paths under `root` (the repository) relative to it, fingerprints unique."""
    index = TargetIndex(report.targets)
    issues = [_issue(finding, index, root) for finding in report.findings]
    seen: set[str] = set()
    for issue in issues:
        fingerprint, again = issue["fingerprint"], 0
        while fingerprint in seen:
            again += 1
            place = json.dumps(issue["location"], sort_keys=True)
            key = f"{issue['fingerprint']}\0{place}\0{again}"
            fingerprint = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        issue["fingerprint"] = fingerprint
        seen.add(fingerprint)
    return issues


def _relative(path: str, root: PurePath | None) -> str:
    if root is None or not PurePath(path).is_absolute():
        return path
    try:
        return PurePath(path).relative_to(root).as_posix()
    except ValueError:
        return path


def _issue(finding: Finding, index: TargetIndex, root: PurePath | None) -> dict[str, Any]:
    location = finding.location
    description = finding.message
    if location.path:
        path = _relative(location.path, root)
        begin = location.line if location.line is not None and location.line >= 1 else 1
    else:
        path = index.target_of(finding).name
        begin = 1
        if location.logical and location.logical != path:
            description += f" ({location.logical})"
    lines: dict[str, int] = {"begin": begin}
    if location.path and location.end_line is not None and location.end_line > begin:
        lines["end"] = location.end_line
    issue: dict[str, Any] = {
        "type": "issue",
        "description": description,
        "check_name": f"{finding.rule_id} {finding.rule_name}",
        "fingerprint": finding.fingerprint or _fallback_fingerprint(finding),
        "severity": SEVERITY[finding.severity],
        "categories": ["Security"],
        "location": {"path": path, "lines": lines},
    }
    body = _body(finding)
    if body:
        issue["content"] = {"body": body}
    return issue


def _body(finding: Finding) -> str:
    parts = []
    if finding.fix:
        parts.append(f"Fix: {finding.fix}")
    if finding.references:
        parts.append("References: " + ", ".join(finding.references))
    return "\n\n".join(parts)


def _fallback_fingerprint(finding: Finding) -> str:
    location = finding.location
    key = "\0".join(
        (
            finding.rule_id,
            location.path or "",
            str(location.line or ""),
            str(location.column or ""),
            location.logical or "",
            finding.message,
        )
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
