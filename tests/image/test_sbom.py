"""SBOMs of an image: CycloneDX 1.6 JSON (checked by the library's strict schema validator) and
SPDX 2.3 JSON (no SPDX 2.3 JSON schema is installed, so its required fields are checked here)."""

from __future__ import annotations

import json
import re
import sys
import types
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from hullguard import __version__
from hullguard.cli import main
from hullguard.image.model import ImageContents, Layer
from hullguard.image.packages import Ecosystem, Inventory, OperatingSystem, Package
from hullguard.image.run import ImageRequest, image_sbom
from hullguard.image.sbom import cyclonedx_json, spdx_json
from hullguard.model import ErrorEntry, Location

DIGEST = "sha256:" + "ab" * 32
LAYERS = (
    Layer(0, "sha256:" + "11" * 32, 100, "ADD rootfs.tar.xz / # buildkit"),
    Layer(1, "sha256:" + "22" * 32, 200, "RUN pip install requests"),
)
CONTENTS = ImageContents(
    ref="registry.example/app@" + DIGEST,
    files={},
    layers=LAYERS,
    location=Location(logical="image/app"),
)
DEBIAN = OperatingSystem("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)")
LIBC = Package(
    Ecosystem.DEB,
    "libc6",
    "2.36-9+deb12u7",
    "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12",
    "/var/lib/dpkg/status",
    0,
    source_name="glibc",
    source_version="2.36-9+deb12u7",
    architecture="amd64",
)
REQUESTS = Package(
    Ecosystem.PYPI,
    "requests",
    "2.32.3",
    "pkg:pypi/requests@2.32.3",
    "/usr/lib/python3/dist-packages/requests-2.32.3.dist-info",
    1,
)
LODASH_A = Package(
    Ecosystem.NPM, "lodash", "4.17.21", "pkg:npm/lodash@4.17.21", "/app/node_modules/lodash", 1
)
LODASH_B = Package(
    Ecosystem.NPM,
    "lodash",
    "4.17.21",
    "pkg:npm/lodash@4.17.21",
    "/app/node_modules/x/node_modules/lodash",
    1,
)
INVENTORY = Inventory(DEBIAN, (LIBC, REQUESTS, LODASH_A, LODASH_B))
SERIAL = uuid.UUID("3e671687-395b-41f5-a30f-a58921a69b79")
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
NAMESPACE = "https://hullguard.invalid/spdx/app-3e671687-395b-41f5-a30f-a58921a69b79"


def _cyclonedx(inventory: Inventory = INVENTORY, contents: ImageContents | None = CONTENTS) -> str:
    return cyclonedx_json(CONTENTS.ref, inventory, contents, serial_number=SERIAL, timestamp=WHEN)


def _valid_cyclonedx(text: str) -> dict[str, Any]:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)
    data: dict[str, Any] = json.loads(text)
    return data


def _properties(component: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in component.get("properties", [])}


# --- CycloneDX ---------------------------------------------------------------------------


def test_cyclonedx_is_a_valid_1_6_bom_of_the_image() -> None:
    bom = _valid_cyclonedx(_cyclonedx())
    assert bom["bomFormat"] == "CycloneDX"
    assert bom["specVersion"] == "1.6"
    assert bom["serialNumber"] == f"urn:uuid:{SERIAL}"
    assert bom["metadata"]["timestamp"].startswith("2024-05-06T07:08:09")
    assert bom["metadata"]["tools"]["components"] == [
        {"type": "application", "name": "hullguard", "version": __version__}
    ]
    image = bom["metadata"]["component"]
    assert image["type"] == "container"
    assert image["name"] == "registry.example/app"
    assert image["version"] == DIGEST
    assert image["hashes"] == [{"alg": "SHA-256", "content": "ab" * 32}]


def test_cyclonedx_components_are_the_os_and_every_package() -> None:
    bom = _valid_cyclonedx(_cyclonedx())
    components = bom["components"]
    os = [c for c in components if c["type"] == "operating-system"]
    assert [(c["name"], c["version"]) for c in os] == [("debian", "12")]
    libraries = [c for c in components if c["type"] == "library"]
    assert sorted((c["name"], c["version"], c["purl"]) for c in libraries) == sorted(
        (p.name, p.version, p.purl) for p in INVENTORY.packages
    )
    refs = [c["bom-ref"] for c in components]
    assert len(refs) == len(set(refs)) == 5
    assert sorted(c["bom-ref"] for c in libraries if c["name"] == "lodash") == [
        "pkg:npm/lodash@4.17.21",
        "pkg:npm/lodash@4.17.21#/app/node_modules/x/node_modules/lodash",
    ]
    image_deps = next(
        d for d in bom["dependencies"] if d["ref"] == bom["metadata"]["component"]["bom-ref"]
    )
    assert sorted(image_deps["dependsOn"]) == sorted(refs)


def test_cyclonedx_properties_carry_source_path_and_layer() -> None:
    bom = _valid_cyclonedx(_cyclonedx())
    libc = next(c for c in bom["components"] if c["name"] == "libc6")
    assert _properties(libc) == {
        "hullguard:package:source-name": "glibc",
        "hullguard:package:source-version": "2.36-9+deb12u7",
        "hullguard:package:architecture": "amd64",
        "hullguard:package:path": "/var/lib/dpkg/status",
        "hullguard:layer:index": "0",
        "hullguard:layer:digest": LAYERS[0].digest,
        "hullguard:layer:created-by": "ADD rootfs.tar.xz / # buildkit",
    }
    requests = next(c for c in bom["components"] if c["name"] == "requests")
    assert _properties(requests)["hullguard:layer:created-by"] == "RUN pip install requests"


def test_cyclonedx_is_reproducible_with_injected_serial_and_timestamp() -> None:
    assert _cyclonedx() == _cyclonedx()


def test_cyclonedx_of_an_empty_inventory_without_contents_is_valid() -> None:
    text = cyclonedx_json("dir:/rootfs", Inventory(None, ()), None)
    bom = _valid_cyclonedx(text)
    assert bom["metadata"]["component"]["name"] == "dir:/rootfs"
    assert "version" not in bom["metadata"]["component"]
    assert bom.get("components", []) == []
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", bom["serialNumber"])


def test_cyclonedx_keeps_a_package_whose_purl_does_not_parse() -> None:
    odd = Package(Ecosystem.GOLANG, "weird", "v1", "not-a-purl", "/bin/app", 0)
    bom = _valid_cyclonedx(_cyclonedx(Inventory(None, (odd,)), None))
    (component,) = bom["components"]
    assert component["bom-ref"] == "not-a-purl"
    assert "purl" not in component


# --- SPDX --------------------------------------------------------------------------------

_SPDX_ID = re.compile(r"SPDXRef-[A-Za-z0-9.-]+")


def _spdx(inventory: Inventory = INVENTORY, contents: ImageContents | None = CONTENTS) -> str:
    return spdx_json(CONTENTS.ref, inventory, contents, created=WHEN, namespace=NAMESPACE)


def _check_spdx(document: dict[str, Any]) -> None:
    """The fields SPDX 2.3 requires of a document and of each package (clauses 6 and 7)."""
    assert document["spdxVersion"] == "SPDX-2.3"
    assert document["dataLicense"] == "CC0-1.0"
    assert document["SPDXID"] == "SPDXRef-DOCUMENT"
    assert document["name"]
    assert "#" not in document["documentNamespace"]
    assert re.match(r"https?://", document["documentNamespace"])
    info = document["creationInfo"]
    assert info["creators"] and all(
        re.match(r"(Tool|Organization|Person): \S", c) for c in info["creators"]
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", info["created"])
    ids = [p["SPDXID"] for p in document["packages"]]
    assert len(ids) == len(set(ids))
    for package in document["packages"]:
        assert _SPDX_ID.fullmatch(package["SPDXID"])
        assert package["name"]
        assert package["downloadLocation"] == "NOASSERTION"
        assert package["filesAnalyzed"] is False
        assert package["licenseConcluded"] == package["licenseDeclared"] == "NOASSERTION"
    known = {*ids, "SPDXRef-DOCUMENT"}
    for relationship in document["relationships"]:
        assert relationship["spdxElementId"] in known
        assert relationship["relatedSpdxElement"] in known
    described = [
        r["relatedSpdxElement"]
        for r in document["relationships"]
        if r["spdxElementId"] == "SPDXRef-DOCUMENT" and r["relationshipType"] == "DESCRIBES"
    ]
    assert len(described) == 1


def test_spdx_document_has_the_required_fields() -> None:
    document = json.loads(_spdx())
    _check_spdx(document)
    assert document["creationInfo"] == {
        "creators": [f"Tool: hullguard-{__version__}"],
        "created": "2024-05-06T07:08:09Z",
    }
    assert document["documentNamespace"] == NAMESPACE


def test_spdx_describes_the_image_which_contains_the_os_and_every_package() -> None:
    document = json.loads(_spdx())
    by_id = {p["SPDXID"]: p for p in document["packages"]}
    (describes,) = [r for r in document["relationships"] if r["relationshipType"] == "DESCRIBES"]
    image = by_id[describes["relatedSpdxElement"]]
    assert image["primaryPackagePurpose"] == "CONTAINER"
    assert image["name"] == "registry.example/app"
    assert image["versionInfo"] == DIGEST
    assert image["checksums"] == [{"algorithm": "SHA256", "checksumValue": "ab" * 32}]
    contained = [
        by_id[r["relatedSpdxElement"]]
        for r in document["relationships"]
        if r["relationshipType"] == "CONTAINS" and r["spdxElementId"] == image["SPDXID"]
    ]
    assert len(contained) == len(document["packages"]) - 1 == 5
    (os,) = [p for p in contained if p["primaryPackagePurpose"] == "OPERATING-SYSTEM"]
    assert (os["name"], os["versionInfo"]) == ("debian", "12")
    purls = sorted(
        ref["referenceLocator"]
        for p in contained
        for ref in p.get("externalRefs", [])
        if ref["referenceCategory"] == "PACKAGE-MANAGER" and ref["referenceType"] == "purl"
    )
    assert purls == sorted(p.purl for p in INVENTORY.packages)
    libc = next(p for p in contained if p["name"] == "libc6")
    assert libc["versionInfo"] == "2.36-9+deb12u7"
    assert libc["sourceInfo"] == "built from source package glibc 2.36-9+deb12u7"
    assert "hullguard:layer:created-by=ADD rootfs.tar.xz / # buildkit" in libc["comment"]


def test_spdx_is_reproducible_with_injected_time_and_namespace() -> None:
    assert _spdx() == _spdx()


def test_spdx_defaults_make_a_fresh_namespace_and_identifiers_stay_legal() -> None:
    odd = Package(Ecosystem.NPM, "@scope/a b", "1.0", "pkg:npm/%40scope/a%20b@1.0", "/n", 5)
    first = json.loads(spdx_json("oci:/x:y#z", Inventory(None, (odd,)), None))
    second = json.loads(spdx_json("oci:/x:y#z", Inventory(None, (odd,)), None))
    _check_spdx(first)
    assert first["documentNamespace"] != second["documentNamespace"]


# --- the image command ---------------------------------------------------------------------


def _rootfs(tmp_path: Path) -> str:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text("ID=debian\nVERSION_ID=12\n", encoding="utf-8")
    return f"dir:{root}"


@pytest.fixture
def fake_inventory(monkeypatch: pytest.MonkeyPatch) -> list[ImageContents]:
    """Stand in for the inventory readers: every image holds INVENTORY, with one note."""
    seen: list[ImageContents] = []

    def inventory(contents: ImageContents) -> tuple[Inventory, list[ErrorEntry]]:
        seen.append(contents)
        return INVENTORY, [ErrorEntry(path="/var/lib/rpm", message="note: skipped")]

    module = types.ModuleType("hullguard.image.inventory")
    module.inventory = inventory  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "hullguard.image.inventory", module)
    return seen


def test_image_sbom_reads_the_image_and_writes_its_inventory(
    tmp_path: Path, fake_inventory: list[ImageContents]
) -> None:
    result = image_sbom(ImageRequest(ref=_rootfs(tmp_path)), "cyclonedx")
    assert result.text is not None
    bom = _valid_cyclonedx(result.text)
    assert len(bom["components"]) == 5
    assert [e.message for e in result.errors] == ["note: skipped"]
    assert len(fake_inventory) == 1
    assert "/etc/os-release" in fake_inventory[0].files


def test_image_command_writes_sboms(
    tmp_path: Path, fake_inventory: list[ImageContents], capsys: pytest.CaptureFixture[str]
) -> None:
    ref = _rootfs(tmp_path)
    out = tmp_path / "bom.json"
    assert main(["image", ref, "--format", "cyclonedx", "-o", str(out)]) == 0
    _valid_cyclonedx(out.read_text(encoding="utf-8"))
    assert main(["image", ref, "--format", "spdx-json"]) == 0
    captured = capsys.readouterr()
    _check_spdx(json.loads(captured.out))
    assert "note: skipped" in captured.err


def test_image_command_sbom_of_an_unreadable_image_exits_2(
    tmp_path: Path, fake_inventory: list[ImageContents], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["image", f"oci:{tmp_path / 'missing'}", "--format", "cyclonedx"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("hullguard: ")
    assert fake_inventory == []


def test_sbom_formats_belong_to_the_image_command_only() -> None:
    assert main(["scan", ".", "--format", "cyclonedx"]) == 2
    assert main(["host", "--format", "spdx-json"]) == 2
