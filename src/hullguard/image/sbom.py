"""Software bills of materials for an image: CycloneDX 1.6 JSON and SPDX 2.3 JSON.

Both describe the image as a container that holds its operating system and every package of
its inventory. The CycloneDX document is built with `cyclonedx-python-lib`; the SPDX document is
plain JSON. Serial numbers, namespaces and timestamps can be given so that output is
reproducible.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from hullguard import __version__
from hullguard.image.model import ImageContents, Layer
from hullguard.image.packages import Inventory, OperatingSystem, Package

PROPERTY_PREFIX = "hullguard"
_DIGEST = re.compile(r"@(sha256:[a-f0-9]{64})$")
_SPDX_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def image_digest(ref: str) -> str | None:
    """The content digest a reference names (`name@sha256:...`), if it names one."""
    match = _DIGEST.search(ref)
    return match.group(1) if match else None


def _layer(contents: ImageContents | None, package: Package) -> Layer | None:
    if contents is None or not 0 <= package.layer < len(contents.layers):
        return None
    return contents.layers[package.layer]


def _package_properties(package: Package, contents: ImageContents | None) -> list[tuple[str, str]]:
    """Name/value pairs that both formats carry for one package."""
    pairs: list[tuple[str, str]] = []
    if package.source_name:
        pairs.append((f"{PROPERTY_PREFIX}:package:source-name", package.source_name))
    if package.source_version:
        pairs.append((f"{PROPERTY_PREFIX}:package:source-version", package.source_version))
    if package.architecture:
        pairs.append((f"{PROPERTY_PREFIX}:package:architecture", package.architecture))
    pairs.append((f"{PROPERTY_PREFIX}:package:path", package.path))
    layer = _layer(contents, package)
    if layer is not None:
        pairs.append((f"{PROPERTY_PREFIX}:layer:index", str(layer.index)))
        pairs.append((f"{PROPERTY_PREFIX}:layer:digest", layer.digest))
        if layer.created_by:
            pairs.append((f"{PROPERTY_PREFIX}:layer:created-by", layer.created_by))
    return pairs


def _unique_refs(packages: Iterable[Package]) -> list[str]:
    """One reference per package: its purl, made unique with its path when the same purl was
    found twice (two copies of one npm package), then with a counter."""
    refs: list[str] = []
    seen: set[str] = set()
    for package in packages:
        ref = package.purl
        if ref in seen:
            ref = f"{package.purl}#{package.path}"
        base, n = ref, 1
        while ref in seen:
            n += 1
            ref = f"{base}#{n}"
        seen.add(ref)
        refs.append(ref)
    return refs


def _os_ref(os: OperatingSystem) -> str:
    return f"os:{os.id}@{os.version_id}" if os.version_id else f"os:{os.id}"


# --- CycloneDX ---------------------------------------------------------------------------


def cyclonedx_json(
    ref: str,
    inventory: Inventory,
    contents: ImageContents | None,
    *,
    serial_number: uuid.UUID | None = None,
    timestamp: datetime | None = None,
) -> str:
    """A CycloneDX 1.6 JSON BOM of the image: the image is `metadata.component`, its
    operating system and packages are the components, and the image depends on them all."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.tool import ToolRepository
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    digest = image_digest(ref)
    image = Component(
        type=ComponentType.CONTAINER,
        name=_DIGEST.sub("", ref) or ref,
        version=digest,
        bom_ref=f"image:{ref}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=digest.split(":", 1)[1])]
        if digest
        else None,
    )
    tool = Component(type=ComponentType.APPLICATION, name="hullguard", version=__version__)
    components: list[Component] = []
    if inventory.os is not None:
        os = inventory.os
        components.append(
            Component(
                type=ComponentType.OPERATING_SYSTEM,
                name=os.id,
                version=os.version_id,
                description=os.pretty_name,
                bom_ref=_os_ref(os),
                properties=[Property(name=f"{PROPERTY_PREFIX}:os:codename", value=os.codename)]
                if os.codename
                else None,
            )
        )
    for package, bom_ref in zip(inventory.packages, _unique_refs(inventory.packages), strict=True):
        components.append(
            Component(
                type=ComponentType.LIBRARY,
                name=package.name,
                version=package.version,
                purl=_purl(PackageURL, package.purl),
                bom_ref=bom_ref,
                properties=[
                    Property(name=name, value=value)
                    for name, value in _package_properties(package, contents)
                ],
            )
        )
    bom = Bom(
        components=components,
        serial_number=serial_number,
        metadata=BomMetaData(
            component=image,
            tools=ToolRepository(components=[tool]),
            timestamp=timestamp or datetime.now(UTC),
        ),
    )
    bom.register_dependency(image, components)
    return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"


def _purl(factory: Any, purl: str) -> Any:
    """The parsed purl, or None for one the purl library rejects (the bom-ref keeps it)."""
    try:
        return factory.from_string(purl)
    except ValueError:
        return None


# --- SPDX --------------------------------------------------------------------------------


def _spdx_id(*parts: str) -> str:
    """An SPDX identifier: `SPDXRef-` and letters, digits, `.` and `-` only."""
    tail = "-".join(_SPDX_ID_UNSAFE.sub("-", part).strip("-") for part in parts if part)
    return f"SPDXRef-{tail}"


def _spdx_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def spdx_json(
    ref: str,
    inventory: Inventory,
    contents: ImageContents | None,
    *,
    created: datetime | None = None,
    namespace: str | None = None,
) -> str:
    """An SPDX 2.3 JSON document of the image: the document DESCRIBES the image, which
    CONTAINS its operating system and every package (each with its purl)."""
    digest = image_digest(ref)
    image_id = _spdx_id("Image")
    image: dict[str, Any] = {
        "SPDXID": image_id,
        "name": _DIGEST.sub("", ref) or ref,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "primaryPackagePurpose": "CONTAINER",
    }
    if digest:
        image["versionInfo"] = digest
        image["checksums"] = [{"algorithm": "SHA256", "checksumValue": digest.split(":", 1)[1]}]
    packages: list[dict[str, Any]] = [image]
    relationships: list[dict[str, str]] = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": image_id,
        }
    ]

    def contains(element: str) -> None:
        relationships.append(
            {
                "spdxElementId": image_id,
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": element,
            }
        )

    if inventory.os is not None:
        os = inventory.os
        os_package: dict[str, Any] = {
            "SPDXID": _spdx_id("OperatingSystem", os.id),
            "name": os.id,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "primaryPackagePurpose": "OPERATING-SYSTEM",
        }
        if os.version_id:
            os_package["versionInfo"] = os.version_id
        if os.pretty_name:
            os_package["description"] = os.pretty_name
        packages.append(os_package)
        contains(os_package["SPDXID"])
    for n, package in enumerate(inventory.packages, 1):
        entry: dict[str, Any] = {
            "SPDXID": _spdx_id("Package", str(n), package.ecosystem.value, package.name),
            "name": package.name,
            "versionInfo": package.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": package.purl,
                }
            ],
        }
        if package.source_name:
            source = package.source_name
            if package.source_version:
                source = f"{source} {package.source_version}"
            entry["sourceInfo"] = f"built from source package {source}"
        entry["comment"] = "; ".join(
            f"{name}={value}" for name, value in _package_properties(package, contents)
        )
        packages.append(entry)
        contains(entry["SPDXID"])
    name = ref
    document = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": namespace
        or f"https://hullguard.invalid/spdx/{quote(name, safe='')}-{uuid.uuid4()}",
        "creationInfo": {
            "creators": [f"Tool: hullguard-{__version__}"],
            "created": _spdx_time(created or datetime.now(UTC)),
        },
        "packages": packages,
        "relationships": relationships,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
