"""`hullguard image --catalog REGISTRY --shard I/N`: audit a registry's images in shards.

The registry's repositories come from `GET /v2/_catalog` and each repository's tags from
`GET /v2/<name>/tags/list`, both paginated (`n=`, then the `Link: <...>; rel="next"` header),
through the project's one registry client (`RegistryClient.list_names`): the same
authentication, insecure-loopback rule and timeouts as pulling an image.

Sharding: every `registry/repository:tag` reference is hashed with SHA-256 and belongs to shard
`int(hash) mod N`. The shards of N workers are disjoint and cover the catalogue, and a reference
stays in its shard when other repositories or tags are added or removed: a scheduled job keeps
auditing the same images in the same shard. Taking every N-th entry of the sorted list would
balance the shards more evenly, but one new repository early in the sort order would move
almost every image to another shard. Within a shard the images are audited in sorted order.

Each image is read and judged by the `image` pipeline (`run.inspect_image`, as
`registry:REF`); the reports are combined into one with a target per image. An image that
cannot be read is an unreadable target and an error entry; the others are still audited. A
repository whose tags cannot be listed is an error entry and an unreadable target of kind
`repository`. Only when the catalogue itself cannot be listed is the whole run unreadable.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from hullguard import __version__
from hullguard.config import Config
from hullguard.image.registry import RegistryClient, RegistryError, RegistryOptions, is_loopback
from hullguard.model import ErrorEntry, ErrorKind, Finding, Report, Target, TargetStatus

CATALOG_KIND = "catalog"  # Target.kind of the registry's catalogue
REPOSITORY_KIND = "repository"  # Target.kind of a repository whose tags could not be listed
PAGE_SIZE = 1000

_REGISTRY = re.compile(
    r"^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]{1,5})?$"
)
_REPOSITORY = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DECIMAL = re.compile(r"^[0-9]+$")  # not str.isdigit: it takes `²` and `٣`, which int() refuses


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` of `count` (0 <= index < count)."""

    index: int = 0
    count: int = 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, reference: str) -> bool:
        """Whether `reference` belongs to this shard: SHA-256 of it, modulo `count`."""
        digest = hashlib.sha256(reference.encode("utf-8")).digest()
        return int.from_bytes(digest, "big") % self.count == self.index


def parse_shard(text: str) -> Shard:
    """`I/N` with 0 <= I < N; ValueError saying what is wrong."""
    index_text, sep, count_text = text.strip().partition("/")
    if not sep or not _DECIMAL.match(index_text.strip()) or not _DECIMAL.match(count_text.strip()):
        raise ValueError(f"`{text}` is not a shard: use I/N, e.g. 0/3 (the first of three)")
    index, count = int(index_text), int(count_text)
    if count < 1:
        raise ValueError(f"`{text}`: the number of shards N must be at least 1")
    if index >= count:
        raise ValueError(f"`{text}`: the shard index I must be below N (0 to {count - 1})")
    return Shard(index, count)


def shard_references(references: Iterable[str], shard: Shard) -> list[str]:
    """The references of `shard`, sorted, each once."""
    return sorted(r for r in set(references) if shard.holds(r))


def check_registry(registry: str) -> str:
    """The registry host[:port] as given (without a trailing slash or scheme); ValueError when it
    is not one. A bare name (`registry`) is refused: image references would read it as a Docker
    Hub repository, so it needs a dot, a port or to be `localhost`."""
    text = registry.strip().rstrip("/")
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            raise ValueError(
                f"`{registry}`: give the registry as host[:port], without {scheme} (plain HTTP "
                "is chosen with --insecure-registry)"
            )
    if not _REGISTRY.match(text):
        raise ValueError(f"`{registry}` is not a registry host[:port]")
    host = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    if "." not in host and ":" not in text and host.lower() != "localhost":
        raise ValueError(
            f"`{registry}`: a registry name needs a dot, a port or to be localhost "
            "(e.g. registry.example.com, registry.ns.svc:5000), else it reads as a Docker Hub "
            "repository"
        )
    return text.lower()


def _host(registry: str) -> str:
    """The host of `host[:port]` (`[::1]:5000` -> `::1`)."""
    if registry.startswith("["):
        return registry[1:].partition("]")[0]
    return registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry


@dataclass(frozen=True)
class Listing:
    """The catalogue's references and what could not be listed."""

    references: tuple[str, ...]
    targets: tuple[Target, ...] = ()
    errors: tuple[ErrorEntry, ...] = ()


def list_catalog(
    registry: str,
    options: RegistryOptions,
    repositories: Sequence[str] = (),
    page_size: int = PAGE_SIZE,
) -> Listing:
    """Every `registry/repository:tag` of the registry (repositories matching one of the
    `repositories` globs when some are given). Raises RegistryError only when the catalogue
    cannot be listed; a repository whose tags cannot be is an error of the listing."""
    with RegistryClient.for_registry(registry, options=options) as client:
        names = client.list_names("/v2/_catalog", "repositories", "the catalogue", page_size)
    references: list[str] = []
    targets: list[Target] = []
    errors: list[ErrorEntry] = []
    where = f"{registry}/v2/_catalog"
    for name in sorted(set(names)):
        if repositories and not any(fnmatch.fnmatchcase(name, g) for g in repositories):
            continue
        if not _REPOSITORY.match(name):
            errors.append(
                ErrorEntry(where, f"the catalogue lists `{name}`, not a repository name; skipped")
            )
            continue
        try:
            with RegistryClient.for_registry(registry, name, options) as client:
                tags = client.list_names(f"/v2/{name}/tags/list", "tags", "the tags", page_size)
        except RegistryError as exc:
            message = f"the tags of {name} cannot be listed: {exc}"
            targets.append(
                Target(REPOSITORY_KIND, f"{registry}/{name}", TargetStatus.ERROR, message)
            )
            errors.append(ErrorEntry(f"{registry}/{name}", message, kind=ErrorKind.READ))
            continue
        for tag in sorted(set(tags)):
            if _TAG.match(tag):
                references.append(f"{registry}/{name}:{tag}")
            else:
                errors.append(ErrorEntry(f"{registry}/{name}", f"`{tag}` is not a tag; skipped"))
    return Listing(tuple(references), tuple(targets), tuple(errors))


@dataclass(frozen=True)
class CatalogRequest:
    registry: str
    shard: Shard = Shard()
    repositories: tuple[str, ...] = ()
    config: Config = field(default_factory=Config)
    baseline: frozenset[str] = frozenset()
    options: RegistryOptions = field(default_factory=RegistryOptions)


ImageAudit = Callable[[str], Report]


def audit_catalog(request: CatalogRequest, audit: ImageAudit | None = None) -> Report:
    """List the catalogue, keep the shard's references and audit each image (with `audit`,
    by default `run.inspect_image` of `registry:REF`); one report with a target per image."""
    if audit is None:
        audit = _inspect(request)
    try:
        listing = list_catalog(request.registry, request.options, request.repositories)
    except RegistryError as exc:
        message = f"the catalogue cannot be listed: {exc}"
        registry = request.registry
        if registry not in request.options.insecure_registries and is_loopback(_host(registry)):
            message += (
                f" (a registry on loopback that serves plain HTTP needs "
                f"--insecure-registry {registry})"
            )
        return Report(
            version=__version__,
            targets=(Target(CATALOG_KIND, request.registry, TargetStatus.ERROR, message),),
            errors=(ErrorEntry(request.registry, message, kind=ErrorKind.READ),),
            fail_on=request.config.fail_on,
        )
    chosen = shard_references(listing.references, request.shard)
    note = (
        f"shard {request.shard}: {len(chosen)} of {len(listing.references)} images"
        if request.shard.count > 1
        else f"{len(chosen)} images"
    )
    targets: list[Target] = [Target(CATALOG_KIND, request.registry, note=note), *listing.targets]
    findings: list[Finding] = []
    errors: list[ErrorEntry] = list(listing.errors)
    suppressed = baselined = 0
    for reference in chosen:
        report = audit(reference)
        targets.extend(report.targets)
        findings.extend(report.findings)
        errors.extend(report.errors)
        suppressed += report.suppressed
        baselined += report.baselined
    return Report(
        version=__version__,
        targets=tuple(targets),
        findings=tuple(findings),
        errors=tuple(dict.fromkeys(errors)),  # a problem every image meets is said once
        suppressed=suppressed,
        baselined=baselined,
        fail_on=request.config.fail_on,
    )


def _inspect(request: CatalogRequest) -> ImageAudit:
    from hullguard.image.run import ImageRequest, inspect_image

    def audit(reference: str) -> Report:
        return inspect_image(
            ImageRequest(
                ref=f"registry:{reference}",
                config=request.config,
                baseline=request.baseline,
                registry=request.options,
            )
        )

    return audit
