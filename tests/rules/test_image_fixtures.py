"""Image file rules against images described by `*.image.toml` fixtures.

A fixture (tests/rules/fixtures/<RULE>/bad_*.image.toml, good_*.image.toml) lists the layers
and the files of the merged image:

    [[layer]]                # in order; a file's `layer` indexes them (the last one when absent)
    created_by = "COPY . /app # buildkit"

    [[file]]
    path = "/app/.env"
    type = "file"            # file (the default), dir, symlink (`linkname`), hardlink, char, ...
    mode = "0644"            # 0644 for files, 0755 for directories and 0777 for links by default
    uid = 0
    gid = 0
    content = "TOKEN=..."    # kept only where the image sources would keep it (`wants_content`)
    size = 120               # the length of `content` by default

    [[expect]]               # each finding of the fixture's rule, matched on the keys given
    logical = "image/fixture:/app/.env"
    message = "a part of the message"
    severity = "high"

A `bad_` fixture must produce exactly its expected findings; a `good_` one none.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from hullguard.image.model import FileType, ImageContents, ImageFile, Layer, wants_content
from hullguard.model import Finding, Location
from hullguard.registry import IMAGE_FILES, Context, Rule, all_rules, get_rule, run_rule
from hullguard.secrets import find_secrets
from tests.rules.harness import FIXTURES, check_expectations

IMAGE_FILE_RULES = {r.id for r in all_rules() if IMAGE_FILES in r.targets}
CASES = sorted(p for p in FIXTURES.glob("*/*.image.toml") if p.parent.name in IMAGE_FILE_RULES)
REF = "fixture"
_DEFAULT_MODES = {FileType.DIRECTORY: 0o755, FileType.SYMLINK: 0o777}


def build_contents(spec: dict[str, Any]) -> ImageContents:
    layers = tuple(
        Layer(
            index=i,
            digest=f"sha256:{i:064x}",
            size=0,
            created_by=entry.get("created_by"),
        )
        for i, entry in enumerate(spec.get("layer", [{"created_by": "ADD rootfs.tar /"}]))
    )
    files: dict[str, ImageFile] = {}
    for entry in spec.get("file", []):
        kind = FileType(entry.get("type", "file"))
        text: str | None = entry.get("content")
        data = text.encode("utf-8") if text is not None else None
        size = int(entry.get("size", len(data) if data is not None else 0))
        path = entry["path"]
        files[path] = ImageFile(
            path=path,
            type=kind,
            mode=int(entry["mode"], 8) if "mode" in entry else _DEFAULT_MODES.get(kind, 0o644),
            uid=int(entry.get("uid", 0)),
            gid=int(entry.get("gid", 0)),
            size=size,
            layer=int(entry.get("layer", len(layers) - 1)),
            linkname=entry.get("linkname"),
            content=data if data is not None and wants_content(path, size) else None,
        )
    return ImageContents(
        ref=REF, files=files, layers=layers, location=Location(logical=f"image/{REF}")
    )


def run_fixture(path: Path) -> tuple[Rule, list[Finding], dict[str, Any]]:
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    rule = get_rule(path.parent.name)
    assert rule is not None
    ctx = Context(rule, target_kind=IMAGE_FILES, path=f"image/{REF}", options=rule.options)
    return rule, list(run_rule(rule, build_contents(spec), ctx)), spec


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_image_fixture(path: Path) -> None:
    rule, findings, spec = run_fixture(path)
    check_expectations(path, rule.id, findings, spec.get("expect", []))


def test_every_image_file_rule_has_image_fixtures() -> None:
    for rule_id in IMAGE_FILE_RULES:
        names = [p.name for p in (FIXTURES / rule_id).glob("*.image.toml")]
        assert any(n.startswith("bad_") for n in names), rule_id
        assert any(n.startswith("good_") for n in names), rule_id


def test_no_secret_in_messages() -> None:
    """Fixtures put credentials in files and instructions; no finding prints one."""
    for path in CASES:
        _, findings, spec = run_fixture(path)
        texts = [f.get("content", "") for f in spec.get("file", [])]
        texts += [layer.get("created_by", "") for layer in spec.get("layer", [])]
        secrets = [s.secret for text in texts for s in find_secrets(text)]
        for finding in findings:
            assert not any(s in finding.message for s in secrets), finding.message
