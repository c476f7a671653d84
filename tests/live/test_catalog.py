"""Live: a registry's catalogue audited in shards by separate processes, then merged.

A real registry (Debian's docker-registry) on loopback holds several repositories and tags, each
a small busybox image written here as an OCI layout and pushed with skopeo. Three
`hullguard image --catalog ... --shard i/3` processes audit it side by side; every image is
audited by exactly one of them, and `hullguard merge` of their reports gives the union. One
image whose config was deleted from the registry's storage is an unreadable target of its shard
while the rest go on.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from hullguard.image.catalog import Shard, list_catalog
from hullguard.image.registry import RegistryError
from hullguard.model import Report
from hullguard.render import FORMATS, render
from tests.live.conftest import unavailable
from tests.live.daemon import BUSYBOX
from tests.live.registry import HTPASSWD, Registry, insecure, registry, start_registry

__all__ = ["registry"]  # the shared fixture this module uses

pytestmark = pytest.mark.live

HULLGUARD = Path(sys.executable).with_name("hullguard")
SHARDS = 3
# repository -> {tag: image user}; "" runs as root (HG202 and friends), "1000" does not.
CATALOG: dict[str, dict[str, str]] = {
    "alpha/app": {"1.0": "", "1.1": "1000", "latest": "1000"},
    "beta": {"v1": "", "v2": ""},
    "gamma/tools/cli": {"2024.1": "1000"},
    "delta": {"a": "", "b": "1000", "c": ""},
    "epsilon/web": {"stable": ""},
    "broken/image": {"1": ""},
}
BROKEN = "broken/image:1"


def _busybox_layout(root: Path, name: str, user: str) -> str:
    """An OCI layout of one image: busybox and a file naming the image, in one layer. The
    digest of its config."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tar.gettarinfo(str(BUSYBOX), arcname="bin/busybox")
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        with open(BUSYBOX, "rb") as handle:
            tar.addfile(info, handle)
        marker = name.encode() + b"\n"
        entry = tarfile.TarInfo("etc/hg-image")
        entry.size, entry.mode = len(marker), 0o644
        tar.addfile(entry, io.BytesIO(marker))
    layer = gzip.compress(raw.getvalue(), mtime=0)
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    config_bytes = json.dumps(
        {
            "os": "linux",
            "architecture": "amd64",
            "config": {"User": user, "Cmd": ["/bin/busybox", "sh"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": f"COPY busybox /bin/busybox # {name}"}],
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": _blob(root, config_bytes, "application/vnd.oci.image.config.v1+json"),
            "layers": [_blob(root, layer, "application/vnd.oci.image.layer.v1.tar+gzip")],
        }
    ).encode()
    top = _blob(root, manifest, "application/vnd.oci.image.manifest.v1+json")
    top["annotations"] = {"org.opencontainers.image.ref.name": "img"}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return "sha256:" + hashlib.sha256(config_bytes).hexdigest()


def _blob(root: Path, data: bytes, media_type: str) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "blobs" / "sha256" / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


@pytest.fixture(scope="module")
def catalog(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Push every image of CATALOG; delete the config of BROKEN from the registry's storage.
    The references (`host/repository:tag`), sorted."""
    if not BUSYBOX.is_file():
        unavailable(f"{BUSYBOX} is absent: install Debian's busybox-static")
    folder = tmp_path_factory.mktemp("layouts")
    pushed = []
    broken_config = ""
    for repository, tags in CATALOG.items():
        for tag, user in tags.items():
            name = f"{repository}:{tag}"
            layout = folder / name.replace("/", "_").replace(":", "_")
            config = _busybox_layout(layout, name, user)
            pushed.append(registry.push(f"oci:{layout}:img", name))
            if name == BROKEN:
                broken_config = config
    hex_digest = broken_config.split(":", 1)[1]
    data = (
        registry.root
        / "data/docker/registry/v2/blobs/sha256"
        / hex_digest[:2]
        / hex_digest
        / "data"
    )
    data.unlink()
    return sorted(pushed)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HULLGUARD), *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def _image_targets(document: dict[str, Any]) -> list[str]:
    return [t["path"] for t in document["targets"] if t["kind"] == "image"]


def _finding_keys(document: dict[str, Any]) -> set[str]:
    return {json.dumps(f, sort_keys=True) for f in document["findings"]}


def test_the_catalogue_is_listed_page_by_page(registry: Registry, catalog: list[str]) -> None:
    """With two entries a page, the catalogue and the tags of `alpha/app` take several pages,
    each found through the `Link` header: all of them are listed, as in one page."""
    small = list_catalog(registry.host, insecure(registry), page_size=2)
    large = list_catalog(registry.host, insecure(registry), page_size=1000)
    assert small.references == large.references == tuple(catalog)
    assert small.errors == ()
    only = list_catalog(registry.host, insecure(registry), repositories=("alpha/*", "beta"))
    assert [r.split("/", 1)[1] for r in only.references] == [
        "alpha/app:1.0",
        "alpha/app:1.1",
        "alpha/app:latest",
        "beta:v1",
        "beta:v2",
    ]


def test_the_real_registry_over_plain_http_needs_insecure_registry(
    registry: Registry, catalog: list[str], tmp_path: Path
) -> None:
    """Without `--insecure-registry`, HTTPS to the plain HTTP registry fails, and the message
    names the option to add."""
    result = _run(
        "image", "--catalog", registry.host, "--format", "json", "-o", "report.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    (error,) = json.loads((tmp_path / "report.json").read_text())["errors"]
    assert error["message"].endswith(
        f"(a registry on loopback that serves plain HTTP needs --insecure-registry {registry.host})"
    )


def test_shards_in_separate_processes_audit_each_image_once_and_merge(
    registry: Registry, catalog: list[str], tmp_path: Path
) -> None:
    processes = [
        subprocess.Popen(
            [
                str(HULLGUARD),
                "image",
                "--catalog",
                registry.host,
                "--insecure-registry",
                registry.host,
                "--shard",
                f"{index}/{SHARDS}",
                "--format",
                "json",
                "-o",
                f"shard_{index}.json",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(SHARDS)
    ]
    outcomes = []
    for process in processes:
        try:
            _out, err = process.communicate(timeout=600)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        outcomes.append((process.returncode, err))
    shards = [json.loads((tmp_path / f"shard_{i}.json").read_text()) for i in range(SHARDS)]

    # Every image audited exactly once across the shards, each in the shard its hash names.
    audited = [ref for shard in shards for ref in _image_targets(shard)]
    assert sorted(audited) == [f"registry:{ref}" for ref in catalog]
    for index, shard in enumerate(shards):
        for ref in _image_targets(shard):
            assert Shard(index, SHARDS).holds(ref.removeprefix("registry:")), (index, ref)
        assert shard["origin"]["command"] == "image"
        catalog_target = [t for t in shard["targets"] if t["kind"] == "catalog"]
        assert catalog_target[0]["path"] == registry.host
        assert catalog_target[0]["note"].startswith(f"shard {index}/{SHARDS}: ")

    # The broken image is an unreadable target and an error of its shard; the rest went on.
    broken_ref = f"registry:{registry.host}/{BROKEN}"
    holder = next(i for i, s in enumerate(shards) if broken_ref in _image_targets(s))
    at_or_above_medium = {"medium", "high", "critical"}
    for index, (code, err) in enumerate(outcomes):
        failing = any(f["severity"] in at_or_above_medium for f in shards[index]["findings"])
        assert code == (2 if index == holder else 1 if failing else 0), (index, err)
    broken = [t for t in shards[holder]["targets"] if t["path"] == broken_ref]
    assert broken[0]["status"] == "error"
    assert any(e["path"] == broken_ref for e in shards[holder]["errors"])
    for shard in shards:
        statuses = {t["path"]: t["status"] for t in shard["targets"] if t["kind"] == "image"}
        assert all(s == "ok" for p, s in statuses.items() if p != broken_ref)

    # Root images are flagged, the others are not; findings name their image.
    root_images = {
        f"registry:{registry.host}/{repo}:{tag}"
        for repo, tags in CATALOG.items()
        for tag, user in tags.items()
        if user == "" and f"{repo}:{tag}" != BROKEN
    }
    flagged = {
        ref
        for shard in shards
        for f in shard["findings"]
        if f["rule_id"] == "HG202"
        for ref in _image_targets(shard)
        if f["location"]["logical"].startswith(f"image/{ref}:")
    }
    assert flagged == root_images

    # Each shard's JSON is read back to the same document.
    for shard in shards:
        assert Report.from_dict(shard).to_dict() == shard

    # merge: the union of targets, the union of findings, deduplicated.
    result = _run(
        "merge", *(f"shard_{i}.json" for i in range(SHARDS)), "--format", "json", "-o", "all.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr  # the broken image is unreadable
    merged = json.loads((tmp_path / "all.json").read_text())
    union_targets = [t for shard in shards for t in shard["targets"]]
    assert sorted(map(json.dumps, merged["targets"])) == sorted(map(json.dumps, union_targets))
    union_findings = set().union(*(_finding_keys(s) for s in shards))
    assert _finding_keys(merged) == union_findings
    assert len(merged["findings"]) == len(union_findings)
    assert merged["fleet"]["duplicates"] == 0
    images = {entry["image"]: entry for entry in merged["fleet"]["images"]}
    assert set(images) == {f"registry:{ref}" for ref in catalog}
    assert images[broken_ref]["status"] == "error"
    for ref in root_images:
        assert images[ref]["by_severity"]["medium"] + images[ref]["by_severity"]["high"] > 0
    assert sum(entry["findings"] for entry in images.values()) == len(merged["findings"])
    assert [entry["file"] for entry in merged["fleet"]["reports"]] == [
        f"shard_{i}.json" for i in range(SHARDS)
    ]

    # Overlapping reports: a copy of a shard adds nothing, and a file named twice is read once.
    (tmp_path / "copy_0.json").write_bytes((tmp_path / "shard_0.json").read_bytes())
    overlapping = _run(
        "merge", "shard_0.json", "shard_1.json", "copy_0.json", "shard_2.json", "shard_1.json",
        "--format", "json", "-o", "overlap.json", cwd=tmp_path,
    )  # fmt: skip
    assert overlapping.returncode == 2
    overlap = json.loads((tmp_path / "overlap.json").read_text())
    assert _finding_keys(overlap) == union_findings
    assert len(overlap["findings"]) == len(merged["findings"])
    assert overlap["fleet"]["duplicates"] == len(shards[0]["findings"])
    assert [entry["file"] for entry in overlap["fleet"]["reports"]] == [
        "shard_0.json", "shard_1.json", "copy_0.json", "shard_2.json",
    ]  # fmt: skip
    assert len(overlap["targets"]) == len(merged["targets"])

    # A corrupt report is an error entry naming the file; the others are merged.
    (tmp_path / "corrupt.json").write_text('{"schema": "hullguard/report/v1",\n "targets": [\n')
    readable = next(i for i in range(SHARDS) if i != holder)
    with_corrupt = _run(
        "merge", f"shard_{readable}.json", "corrupt.json", "--format", "json", cwd=tmp_path
    )
    assert with_corrupt.returncode == 2
    document = json.loads(with_corrupt.stdout)
    corrupt_errors = [e for e in document["errors"] if e["path"] == "corrupt.json"]
    assert len(corrupt_errors) == 1 and corrupt_errors[0]["line"] == 3
    assert corrupt_errors[0]["message"].startswith("not JSON")
    assert _finding_keys(document) == _finding_keys(shards[readable])

    # The merged report renders in every format the renderers offer.
    report = Report.from_dict(merged)
    for fmt in FORMATS:
        assert render(report, fmt, color=False, width=100).strip(), fmt
        shown = _run("merge", *(f"shard_{i}.json" for i in range(SHARDS)), "--format", fmt,
                     cwd=tmp_path)  # fmt: skip
        assert shown.returncode == 2 and shown.stdout.strip(), (fmt, shown.stderr)
    text = _run("merge", "shard_0.json", "--format", "text", "--no-color", cwd=tmp_path).stdout
    assert "Fleet" in text and "shard_0.json" in text


def test_a_catalogue_behind_basic_auth_is_listed_with_the_docker_config(tmp_path: Path) -> None:
    if HTPASSWD is None:
        unavailable("htpasswd (apache2-utils) is absent: no bcrypt htpasswd file to write")
    if not BUSYBOX.is_file():
        unavailable(f"{BUSYBOX} is absent: install Debian's busybox-static")
    auth = ("hg-user", "hg-secret")
    (tmp_path / "auth-registry").mkdir()
    private = start_registry(tmp_path / "auth-registry", auth)
    try:
        layout = tmp_path / "layout"
        _busybox_layout(layout, "private/app:1", "1000")
        private.push(f"oci:{layout}:img", "private/app:1", f"--dest-creds={auth[0]}:{auth[1]}")
        anonymous = tmp_path / "none.json"
        with pytest.raises(RegistryError, match="authentication"):
            list_catalog(private.host, insecure(private, docker_config=anonymous))
        config = tmp_path / "config.json"
        config.write_text(
            json.dumps({"auths": {private.host: {"username": auth[0], "password": auth[1]}}})
        )
        listing = list_catalog(private.host, insecure(private, docker_config=config))
        assert listing.references == (f"{private.host}/private/app:1",)
        assert listing.errors == ()
    finally:
        private.stop()
