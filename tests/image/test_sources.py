"""Image sources: an OCI layout, `docker save` archives (classic and OCI), root filesystems."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from hullguard.image.model import FileType
from hullguard.image.run import ImageRequest, inspect_image
from hullguard.image.sources import open_image
from hullguard.model import ErrorKind, Location, TargetStatus
from tests.image.test_layers import directory, file, layer_tar

BASE = layer_tar(directory("etc"), file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"))
TOP = layer_tar(file("app/.env", b"TOKEN=fake\n"), file("etc/.wh.passwd"), compress=True)

CONFIG: dict[str, Any] = {
    "architecture": "amd64",
    "os": "linux",
    "config": {
        "User": "1000:1000",
        "Env": ["PATH=/usr/bin", "MODE=prod"],
        "ExposedPorts": {"22/tcp": {}, "8080/TCP": {}},
        "Healthcheck": {"Test": ["CMD-SHELL", "true"]},
        "Entrypoint": ["/app/run"],
        "Cmd": ["--serve"],
        "Labels": {"org.opencontainers.image.title": "demo"},
    },
    "rootfs": {
        "type": "layers",
        "diff_ids": [
            "sha256:" + hashlib.sha256(BASE).hexdigest(),
            "sha256:" + hashlib.sha256(gzip.decompress(TOP)).hexdigest(),
        ],
    },
    "history": [
        {"created_by": "COPY base / # buildkit"},
        {"created_by": "USER 1000:1000", "empty_layer": True},
        {"created_by": "COPY .env /app/.env # buildkit"},
    ],
}


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _descriptor(media_type: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": _sha(data), "size": len(data), **extra}


def write_oci_layout(root: Path, tag: str = "v1") -> dict[str, bytes]:
    """An OCI image layout of BASE and TOP; returns its blobs by digest."""
    config = json.dumps(CONFIG).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": _descriptor("application/vnd.oci.image.config.v1+json", config),
            "layers": [
                _descriptor("application/vnd.oci.image.layer.v1.tar", BASE),
                _descriptor("application/vnd.oci.image.layer.v1.tar+gzip", TOP),
            ],
        }
    ).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [
            _descriptor(
                "application/vnd.oci.image.manifest.v1+json",
                manifest,
                annotations={"org.opencontainers.image.ref.name": tag},
            )
        ],
    }
    blobs = {_sha(b): b for b in (config, manifest, BASE, TOP)}
    (root / "blobs" / "sha256").mkdir(parents=True)
    for digest, data in blobs.items():
        (root / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps(index))
    return blobs


def _tar_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_docker_archive_oci(path: Path, layout: Path) -> None:
    """A `docker save` archive in the OCI layout newer engines write (with manifest.json)."""
    blobs = write_oci_layout(layout)
    members = {f"blobs/sha256/{d.split(':')[1]}": b for d, b in blobs.items()}
    config_digest = _sha(json.dumps(CONFIG).encode())
    members["manifest.json"] = json.dumps(
        [
            {
                "Config": f"blobs/sha256/{config_digest.split(':')[1]}",
                "RepoTags": ["demo:v1"],
                "Layers": [f"blobs/sha256/{_sha(b).split(':')[1]}" for b in (BASE, TOP)],
            }
        ]
    ).encode()
    members["index.json"] = (layout / "index.json").read_bytes()
    path.write_bytes(_tar_of(members))


def write_docker_archive_classic(path: Path) -> None:
    """The classic layout: `<id>/layer.tar` (uncompressed), `<config id>.json`, manifest last."""
    top_plain = layer_tar(file("app/.env", b"TOKEN=fake\n"), file("etc/.wh.passwd"))
    config = json.loads(json.dumps(CONFIG))
    config["rootfs"]["diff_ids"] = [_sha(BASE), _sha(top_plain)]
    config_bytes = json.dumps(config).encode()
    members = {
        "aaa/layer.tar": BASE,
        "aaa/VERSION": b"1.0",
        "bbb/layer.tar": top_plain,
        f"{_sha(config_bytes).split(':')[1]}.json": config_bytes,
        "manifest.json": json.dumps(
            [
                {
                    "Config": f"{_sha(config_bytes).split(':')[1]}.json",
                    "Layers": ["aaa/layer.tar", "bbb/layer.tar"],
                }
            ]
        ).encode(),
    }
    path.write_bytes(_tar_of(members))


def _check_demo_image(ref: str, result: Any) -> None:
    assert result.errors == ()
    assert [(t.kind, t.path, t.status) for t in result.targets] == [("image", ref, TargetStatus.OK)]
    contents = result.contents
    assert sorted(contents.files) == ["/app/.env", "/etc"]
    env = contents.files["/app/.env"]
    assert env.content == b"TOKEN=fake\n"
    assert env.layer == 1
    assert contents.layer_of(env).created_by == "COPY .env /app/.env # buildkit"
    assert contents.layers[0].created_by == "COPY base / # buildkit"
    spec = result.spec
    assert spec.user.value == "1000:1000"
    assert spec.user.location == Location(logical=f"image/{ref}:Config.User")
    assert spec.anchor == Location(logical=f"image/{ref}:Config")
    assert spec.user_explicit
    assert spec.user_chain == (
        f'image {ref} Config.User "1000:1000"',
        "set by `USER 1000:1000` in the build history",
    )
    assert [(e.name, e.value) for e in spec.env] == [("PATH", "/usr/bin"), ("MODE", "prod")]
    assert [p.value for p in spec.exposed_ports] == ["22/tcp", "8080/tcp"]
    assert spec.healthcheck.value == ("CMD-SHELL", "true")
    assert spec.entrypoint.value == ("/app/run",)
    assert spec.cmd.value == ("--serve",)
    assert [(label.name, label.value) for label in spec.labels] == [
        ("org.opencontainers.image.title", "demo")
    ]


def test_oci_layout_by_tag(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "layout")
    ref = f"oci:{tmp_path / 'layout'}:v1"
    _check_demo_image(ref, open_image(ref))


def test_oci_layout_unknown_tag(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "layout")
    result = open_image(f"oci:{tmp_path / 'layout'}:v2")
    assert result.contents is None
    assert [e.message for e in result.errors] == ["no image tagged `v2` in the layout's index.json"]
    assert result.targets[0].status is TargetStatus.ERROR


def test_docker_archive_in_the_oci_layout(tmp_path: Path) -> None:
    write_docker_archive_oci(tmp_path / "image.tar", tmp_path / "layout")
    ref = f"docker-archive:{tmp_path / 'image.tar'}"
    _check_demo_image(ref, open_image(ref))


def test_docker_archive_in_the_classic_layout(tmp_path: Path) -> None:
    write_docker_archive_classic(tmp_path / "image.tar")
    ref = f"docker-archive:{tmp_path / 'image.tar'}"
    result = open_image(ref)
    _check_demo_image(ref, result)
    assert result.contents.layers[0].digest == _sha(BASE)


def test_a_layer_whose_digest_does_not_match_is_an_error_and_not_used(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "layout")
    top = tmp_path / "layout" / "blobs" / "sha256" / _sha(TOP).split(":")[1]
    tampered = layer_tar(file("app/.env", b"TOKEN=other\n"), compress=True)
    top.write_bytes(tampered)
    result = open_image(f"oci:{tmp_path / 'layout'}")
    assert [(e.kind, e.message) for e in result.errors] == [
        (
            ErrorKind.READ,
            f"layer {_sha(TOP)}: its content does not match its digest ({_sha(tampered)}); "
            "its files are not used",
        )
    ]
    assert sorted(result.contents.files) == ["/etc", "/etc/passwd"]


def test_a_config_whose_digest_does_not_match_is_an_error(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "layout")
    config = tmp_path / "layout" / "blobs" / "sha256" / _sha(json.dumps(CONFIG).encode())[7:]
    config.write_bytes(json.dumps({**CONFIG, "config": {"User": ""}}).encode())
    result = open_image(f"oci:{tmp_path / 'layout'}")
    assert result.contents is None and result.spec is None
    assert len(result.errors) == 1
    assert "its content does not match its digest" in result.errors[0].message


def test_a_rootfs_tar_and_a_directory_have_files_and_no_config(tmp_path: Path) -> None:
    (tmp_path / "rootfs.tar").write_bytes(BASE)
    result = open_image(f"rootfs:{tmp_path / 'rootfs.tar'}")
    assert result.spec is None
    assert sorted(result.contents.files) == ["/etc", "/etc/passwd"]
    assert result.targets[0].note.startswith("an unpacked root filesystem has no image config")

    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (root / "etc" / "mtab").symlink_to("/proc/self/mounts")
    result = open_image(f"dir:{root}")
    files = result.contents.files
    assert sorted(files) == ["/etc", "/etc/mtab", "/etc/passwd"]
    assert files["/etc/passwd"].content == b"root:x:0:0::/root:/bin/sh\n"
    assert files["/etc/mtab"].type is FileType.SYMLINK
    assert files["/etc/mtab"].linkname == "/proc/self/mounts"


def test_a_registry_reference_that_is_not_one_is_an_error() -> None:
    result = open_image("registry:Not/A/Valid/Ref")
    assert result.contents is None
    assert "not an image reference" in result.errors[0].message
    assert result.errors[0].kind is ErrorKind.READ


@pytest.mark.parametrize("user, expect_root", [("", True), ("1000", False)])
def test_inspect_image_reports_an_image_running_as_root(
    tmp_path: Path, user: str, expect_root: bool
) -> None:
    CONFIG_USER = {**CONFIG, "config": {**CONFIG["config"], "User": user}}
    layout = tmp_path / "layout"
    (layout / "blobs" / "sha256").mkdir(parents=True)
    config = json.dumps(CONFIG_USER).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "config": _descriptor("application/vnd.oci.image.config.v1+json", config),
            "layers": [_descriptor("application/vnd.oci.image.layer.v1.tar", BASE)],
        }
    ).encode()
    for blob in (config, manifest, BASE):
        (layout / "blobs" / "sha256" / _sha(blob)[7:]).write_bytes(blob)
    (layout / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "manifests": [_descriptor("x", manifest)]})
    )
    ref = f"oci:{layout}"
    report = inspect_image(ImageRequest(ref))
    root = [f for f in report.findings if f.rule_id == "HG202"]
    if expect_root:
        assert [(f.location.logical, f.message) for f in root] == [
            (
                f"image/{ref}:Config.User",
                f'the image runs as root (no USER): image {ref} Config.User ""',
            )
        ]
    else:
        assert root == []


def test_dir_source_keeps_a_large_package_database_whole(tmp_path: Path) -> None:
    from hullguard.image.inventory import inventory

    status = tmp_path / "var" / "lib" / "dpkg" / "status"
    status.parent.mkdir(parents=True)
    paragraphs = [
        f"Package: pkg{i}\nStatus: install ok installed\nArchitecture: amd64\n"
        f"Version: 1.0.{i}-1\nDescription: {'x' * 200}\n"
        for i in range(8000)
    ]
    status.write_text("\n".join(paragraphs))
    assert status.stat().st_size > 1024 * 1024
    result = open_image(f"dir:{tmp_path}")
    assert result.contents is not None
    found, errors = inventory(result.contents)
    assert errors == []
    assert len(found.packages) == 8000
    assert found.packages[-1].version == "1.0.7999-1"
