"""Where images come from: `open_image(ref)` reads one into `ImageContents` and `ImageSpec`.

REF is `docker-archive:FILE` (`docker save` output, the classic `manifest.json` layout or the
OCI layout newer engines write), `oci:DIR[:TAG]` (an OCI image layout), `dir:PATH` (an unpacked
root filesystem), `rootfs:FILE.tar` (one packed root filesystem), or a name the local daemon
knows (its `docker save` stream, read through the Engine API), or `registry:REF` (pulled from an
OCI registry, `registry.RegistryClient`); a plain reference the daemon does not know (or no
daemon at all) falls back to the registry.

Everything is read as a stream: archives with `tarfile` mode `r|*`, layers with
`layers.read_layer`. Blobs named by digest are checked against it; a mismatch is an error and the
blob is not used. Nothing raises: what cannot be read becomes an error entry of the result.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import re
import stat
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from hullguard.image.config import image_spec_from_config
from hullguard.image.layers import (
    GO_BUILDINFO_HEADER,
    READ_CHUNK,
    LayerDiff,
    LayerLimits,
    merge_layers,
    normalise_member,
    probe_go_buildinfo,
    read_layer,
)
from hullguard.image.model import (
    FileType,
    ImageContents,
    ImageFile,
    Layer,
    wants_content,
)
from hullguard.image.registry import RegistryClient, RegistryError, RegistryOptions
from hullguard.image.streams import ChunkStream
from hullguard.model import ErrorEntry, ErrorKind, Location, Target, TargetStatus
from hullguard.progress import counted, progress, reading
from hullguard.spec import ImageSpec

IMAGE_KIND = "image"  # Target.kind and Unit.kind of an image
NO_CONFIG_NOTE = (
    "an unpacked root filesystem has no image config: its files are audited, "
    "the config rules (user, ports, healthcheck) are not run"
)
MAX_METADATA_BYTES = 16 * 1024 * 1024
OCI_INDEX_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
_DIGEST = re.compile(r"^(?P<algorithm>sha256):(?P<hex>[a-f0-9]{64})$")
_TAG_ANNOTATION = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class ImageResult:
    contents: ImageContents | None
    spec: ImageSpec | None
    targets: tuple[Target, ...]
    errors: tuple[ErrorEntry, ...]


class ImageUnreadable(Exception):
    """The image cannot be read at all; the message says why."""


class _NotOnDaemon(ImageUnreadable):
    """The daemon does not have the image, or cannot be reached: the registry is tried."""


@dataclass
class _Read:
    """An image read so far: its config (None without one), layers lowest first, problems."""

    config: Mapping[str, Any] | None
    diffs: list[LayerDiff]
    sizes: list[int]
    problems: list[str] = field(default_factory=list)
    note: str | None = None


def open_image(
    ref: str,
    *,
    docker_host: str | None = None,
    limits: LayerLimits | None = None,
    registry: RegistryOptions | None = None,
) -> ImageResult:
    """Read the image REF names; never raises."""
    limits = limits or LayerLimits()
    registry = registry or RegistryOptions()
    kind, _, rest = ref.partition(":")
    try:
        match kind:
            case "docker-archive":
                read = _from_archive_file(Path(rest), limits)
            case "oci":
                read = _from_oci_layout(rest, limits)
            case "dir":
                return _from_directory(ref, Path(rest), limits)
            case "rootfs":
                read = _from_rootfs_tar(Path(rest), limits)
            case "registry":
                read = _from_registry(rest, registry, limits)
            case _:
                read = _from_daemon_or_registry(ref, docker_host, registry, limits)
    except ImageUnreadable as exc:
        message = str(exc)
        return ImageResult(
            None,
            None,
            (Target(IMAGE_KIND, ref, TargetStatus.ERROR, message),),
            (ErrorEntry(ref, message, kind=ErrorKind.READ),),
        )
    return _result(ref, read)


def _result(ref: str, read: _Read) -> ImageResult:
    files, merge_problems = merge_layers(read.diffs)
    history = _history(read.config)
    built = [h for h in history if not h.get("empty_layer")]
    layers = tuple(
        Layer(
            index=i,
            digest=diff.digest,
            size=read.sizes[i],
            created_by=_created_by(built[i]) if i < len(built) else None,
        )
        for i, diff in enumerate(read.diffs)
    )
    contents = ImageContents(
        ref=ref, files=files, layers=layers, location=Location(logical=f"image/{ref}")
    )
    spec = None
    if read.config is not None:
        config = read.config.get("config")
        spec = image_spec_from_config(config if isinstance(config, Mapping) else {}, ref, history)
    errors = tuple(
        ErrorEntry(ref, problem, kind=ErrorKind.READ)
        for problem in (*read.problems, *merge_problems)
    )
    return ImageResult(contents, spec, (Target(IMAGE_KIND, ref, note=read.note),), errors)


def _history(config: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    history = config.get("history") if config else None
    if not isinstance(history, list):
        return []
    return [h for h in history if isinstance(h, Mapping)]


def _created_by(entry: Mapping[str, Any]) -> str | None:
    value = entry.get("created_by")
    return value if isinstance(value, str) else None


# --- docker save archives (a file, or the daemon's stream) -------------------------------------


def _from_archive_file(path: Path, limits: LayerLimits) -> _Read:
    try:
        with path.open("rb") as stream:
            return _read_archive(stream, limits)
    except OSError as exc:
        raise ImageUnreadable(f"cannot open {path}: {exc.strerror or exc}") from None


def _blob_digest(name: str) -> str | None:
    """`sha256:<hex>` for a member `blobs/sha256/<hex>`."""
    parts = name.split("/")
    if len(parts) == 3 and parts[0] == "blobs":
        digest = f"{parts[1]}:{parts[2]}"
        if _DIGEST.match(digest):
            return digest
    return None


def _read_archive(stream: IO[bytes] | io.RawIOBase, limits: LayerLimits) -> _Read:
    """A `docker save` archive, read in one pass: layers are read as they pass by (their
    order is known only from the manifest at the end), metadata is kept."""
    metadata: dict[str, bytes] = {}
    diffs: dict[str, LayerDiff] = {}
    links: dict[str, str] = {}
    problems: list[str] = []
    try:
        with tarfile.open(fileobj=stream, mode="r|*") as tar:
            for member in tar:
                _archive_member(tar, member, metadata, diffs, links, problems, limits)
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        if not metadata and not diffs:
            raise ImageUnreadable(f"not a readable image archive: {exc}") from None
        problems.append(f"the archive is truncated or unreadable (what was read is kept): {exc}")
    config_name, layer_names = _archive_manifest(metadata)
    config = _json(metadata.get(_resolve(config_name, links)), f"config {config_name}", problems)
    diff_ids = _diff_ids(config)
    ordered: list[LayerDiff] = []
    sizes: list[int] = []
    for index, name in enumerate(layer_names):
        diff = diffs.get(_resolve(name, links))
        if diff is None:
            problems.append(f"layer {name}: listed in the manifest, missing from the archive")
            diff = LayerDiff(digest=name)
        digest = _blob_digest(name) or (diff_ids[index] if index < len(diff_ids) else name)
        if digest != diff.digest:
            diff.problems = [
                p.replace(f"layer {diff.digest}:", f"layer {digest}:") for p in diff.problems
            ]
            diff.digest = digest
        if _blob_digest(name) is None and diff.raw_size and index < len(diff_ids):
            _check_digest(diff, diff_ids[index], problems)
        ordered.append(diff)
        sizes.append(diff.raw_size)
    return _Read(config, ordered, sizes, problems)


def _archive_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    metadata: dict[str, bytes],
    diffs: dict[str, LayerDiff],
    links: dict[str, str],
    problems: list[str],
    limits: LayerLimits,
) -> None:
    path = normalise_member(member.name)
    if path is None:
        problems.append(f"refused archive member `{member.name}`: its path leaves the root")
        return
    name = path.lstrip("/")
    if member.issym() or member.islnk():
        base = posixpath.dirname(name) if member.issym() else ""
        links[name] = posixpath.normpath(posixpath.join(base, member.linkname))
        return
    if not member.isfile():
        return
    extracted = tar.extractfile(member)
    if extracted is None:
        return
    blob = _blob_digest(name)
    head = extracted.peek(64)[:64].lstrip() if isinstance(extracted, io.BufferedReader) else b""
    is_layer = name.endswith("layer.tar") or (blob is not None and not head.startswith(b"{"))
    if is_layer:
        diff = read_layer(extracted, digest=blob or name, limits=limits)
        if blob is not None and not diff.problems:
            _check_digest(diff, blob, problems)
        diffs[name] = diff
    elif member.size <= MAX_METADATA_BYTES:
        data = extracted.read()
        if blob is not None and f"sha256:{_sha256(data)}" != blob:
            problems.append(f"blob {blob}: its content does not match its digest; not used")
            return
        metadata[name] = data
    else:
        problems.append(f"skipped archive member `{name}`: {member.size} bytes is too large")


def _check_digest(diff: LayerDiff, expected: str, problems: list[str]) -> None:
    """Drop a layer whose bytes do not match the digest that names it."""
    if f"sha256:{diff.raw_sha256}" == expected:
        return
    problems.append(
        f"layer {expected}: its content does not match its digest "
        f"(sha256:{diff.raw_sha256}); its files are not used"
    )
    diff.files, diff.whiteouts, diff.opaque_dirs = [], [], []


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _resolve(name: str, links: Mapping[str, str]) -> str:
    seen = set()
    while name in links and name not in seen:
        seen.add(name)
        name = links[name]
    return name


def _archive_manifest(metadata: Mapping[str, bytes]) -> tuple[str, list[str]]:
    """The config member and the layer members, from `manifest.json`, else `index.json`."""
    problems: list[str] = []
    manifest = _json(metadata.get("manifest.json"), "manifest.json", problems)
    if isinstance(manifest, list) and manifest and isinstance(manifest[0], Mapping):
        entry = manifest[0]
        layers = entry.get("Layers")
        if isinstance(entry.get("Config"), str) and isinstance(layers, list):
            return entry["Config"], [str(name) for name in layers]
    index = _json(metadata.get("index.json"), "index.json", problems)
    if isinstance(index, Mapping):
        descriptor = _first_manifest(index, None)
        data = _json(metadata.get(_blob_path(descriptor)), "the image manifest", problems)
        if isinstance(data, Mapping):
            return _manifest_members(data)
    raise ImageUnreadable(
        "no usable manifest.json or index.json: not a `docker save` archive"
        + (f" ({'; '.join(problems)})" if problems else "")
    )


def _manifest_members(manifest: Mapping[str, Any]) -> tuple[str, list[str]]:
    config = manifest.get("config")
    layers = manifest.get("layers")
    if not isinstance(config, Mapping) or not isinstance(layers, list):
        raise ImageUnreadable("the image manifest has no config or no layers")
    return _blob_path(config), [_blob_path(layer) for layer in layers]


def _blob_path(descriptor: Any) -> str:
    digest = descriptor.get("digest") if isinstance(descriptor, Mapping) else None
    match = _DIGEST.match(digest) if isinstance(digest, str) else None
    if match is None:
        raise ImageUnreadable(f"a descriptor without a usable sha256 digest: {descriptor!r}")
    return f"blobs/{match['algorithm']}/{match['hex']}"


def _json(data: bytes | None, what: str, problems: list[str]) -> Any:
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError as exc:
        problems.append(f"{what}: not JSON: {exc}")
        return None


def _diff_ids(config: Any) -> list[str]:
    rootfs = config.get("rootfs") if isinstance(config, Mapping) else None
    ids = rootfs.get("diff_ids") if isinstance(rootfs, Mapping) else None
    return [str(i) for i in ids] if isinstance(ids, list) else []


def _first_manifest(index: Mapping[str, Any], tag: str | None) -> Mapping[str, Any]:
    manifests = [m for m in index.get("manifests") or [] if isinstance(m, Mapping)]
    if tag is not None:
        manifests = [
            m for m in manifests if (m.get("annotations") or {}).get(_TAG_ANNOTATION) == tag
        ]
        if not manifests:
            raise ImageUnreadable(f"no image tagged `{tag}` in the layout's index.json")
    if not manifests:
        raise ImageUnreadable("index.json lists no manifest")
    return manifests[0]


# --- OCI image layouts -------------------------------------------------------------------------


def _from_oci_layout(spec: str, limits: LayerLimits) -> _Read:
    root, tag = Path(spec), None
    if not root.is_dir() and ":" in spec:
        folder, _, tag = spec.rpartition(":")
        root = Path(folder)
    if not (root / "index.json").is_file():
        raise ImageUnreadable(f"{root}: not an OCI image layout (no index.json)")
    problems: list[str] = []
    index = _oci_json(root, None, problems)
    descriptor = _first_manifest(index, tag)
    manifest = _oci_json(root, descriptor, problems)
    note = None
    while manifest.get("mediaType") in OCI_INDEX_TYPES or "manifests" in manifest:
        descriptor = _platform_manifest(manifest)
        note = "an index of several platforms: the first linux image is read"
        manifest = _oci_json(root, descriptor, problems)
    config_descriptor = manifest.get("config")
    config = _oci_json(root, config_descriptor, problems)
    diffs, sizes = [], []
    layers = manifest.get("layers")
    for descriptor in layers if isinstance(layers, list) else []:
        path = root / _blob_path(descriptor)
        digest = str(descriptor["digest"])
        try:
            if path.is_symlink():
                raise OSError("a symbolic link, not followed")
            with path.open("rb") as stream:
                diff = read_layer(stream, digest=digest, limits=limits)
        except OSError as exc:
            problems.append(f"layer {digest}: cannot read {path}: {exc.strerror or exc}")
            diff = LayerDiff(digest=digest)
        else:
            if not diff.problems:
                _check_digest(diff, digest, problems)
        diffs.append(diff)
        sizes.append(diff.raw_size)
    return _Read(config, diffs, sizes, problems, note)


def _platform_manifest(index: Mapping[str, Any]) -> Mapping[str, Any]:
    manifests = [m for m in index.get("manifests") or [] if isinstance(m, Mapping)]
    for manifest in manifests:
        if (manifest.get("platform") or {}).get("os") == "linux":
            return manifest
    if not manifests:
        raise ImageUnreadable("an image index lists no manifest")
    return manifests[0]


def _oci_json(root: Path, descriptor: Any, problems: list[str]) -> Mapping[str, Any]:
    """A JSON document of the layout (`index.json` for None, else the blob of a
    descriptor), checked against its digest; raises ImageUnreadable when it is not usable."""
    path = root / ("index.json" if descriptor is None else _blob_path(descriptor))
    try:
        if path.is_symlink():
            raise OSError("a symbolic link, not followed")
        if path.stat().st_size > MAX_METADATA_BYTES:
            raise OSError(f"larger than {MAX_METADATA_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise ImageUnreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    if descriptor is not None and f"sha256:{_sha256(data)}" != descriptor["digest"]:
        raise ImageUnreadable(
            f"blob {descriptor['digest']}: its content does not match its digest "
            f"(sha256:{_sha256(data)})"
        )
    document = _json(data, str(path), problems)
    if not isinstance(document, Mapping):
        raise ImageUnreadable(f"{path}: not a JSON object")
    return document


# --- unpacked root filesystems -----------------------------------------------------------------


def _from_rootfs_tar(path: Path, limits: LayerLimits) -> _Read:
    try:
        with path.open("rb") as stream:
            diff = read_layer(stream, digest=f"rootfs:{path.name}", limits=limits)
    except OSError as exc:
        raise ImageUnreadable(f"cannot open {path}: {exc.strerror or exc}") from None
    return _Read(None, [diff], [diff.raw_size], note=NO_CONFIG_NOTE)


def _from_directory(ref: str, root: Path, limits: LayerLimits) -> ImageResult:
    if not root.is_dir():
        raise ImageUnreadable(f"{root}: no such directory")
    files: dict[str, ImageFile] = {}
    problems: list[str] = []
    total = 0
    for entry in _walk(root, problems):
        relative = "/" + entry.path[len(str(root)) :].lstrip("/")
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError as exc:
            problems.append(f"{relative}: {exc.strerror or exc}")
            continue
        kind = _file_type(info.st_mode)
        if kind is None:
            continue
        size = info.st_size if kind is FileType.REGULAR else 0
        total += size
        linkname = os.readlink(entry.path) if kind is FileType.SYMLINK else None
        content = go_buildinfo = None
        if kind is FileType.REGULAR and wants_content(relative, size):
            content = _read_file(entry.path, problems, relative, size)
        elif kind is FileType.REGULAR and info.st_mode & 0o111 and size > GO_BUILDINFO_HEADER:
            go_buildinfo = _probe_file(entry.path, problems, relative, limits.go_probe_bytes)
        files[relative] = ImageFile(
            relative,
            kind,
            stat.S_IMODE(info.st_mode),
            info.st_uid,
            info.st_gid,
            size,
            0,
            linkname,
            content,
            go_buildinfo=go_buildinfo,
        )
    contents = ImageContents(
        ref=ref,
        files=files,
        layers=(Layer(0, ref, total, None),),
        location=Location(logical=f"image/{ref}"),
    )
    errors = tuple(ErrorEntry(ref, p, kind=ErrorKind.READ) for p in problems)
    return ImageResult(contents, None, (Target(IMAGE_KIND, ref, note=NO_CONFIG_NOTE),), errors)


def _walk(root: Path, problems: list[str]) -> Iterator[os.DirEntry[str]]:
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    yield entry
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError as exc:
            problems.append(f"{folder}: {exc.strerror or exc}")


def _file_type(mode: int) -> FileType | None:
    for test, kind in (
        (stat.S_ISREG, FileType.REGULAR),
        (stat.S_ISDIR, FileType.DIRECTORY),
        (stat.S_ISLNK, FileType.SYMLINK),
        (stat.S_ISCHR, FileType.CHARDEV),
        (stat.S_ISBLK, FileType.BLOCKDEV),
        (stat.S_ISFIFO, FileType.FIFO),
    ):
        if test(mode):
            return kind
    return None


def _open_file(path: str) -> IO[bytes]:
    """A regular file of the tree, never through a link."""
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb")


def _read_file(path: str, problems: list[str], shown: str, size: int) -> bytes | None:
    """The bytes the rules and the inventory read (`wants_content` already bounded `size`)."""
    try:
        with _open_file(path) as handle:
            return handle.read(size)
    except OSError as exc:
        problems.append(f"{shown}: {exc.strerror or exc}")
        return None


def _probe_file(path: str, problems: list[str], shown: str, limit: int) -> bytes | None:
    """The Go build information of an executable of the tree, streamed as for a layer: at most
    `limit` bytes are searched, so a huge or sparse executable costs a bounded read."""
    try:
        with _open_file(path) as handle:
            return probe_go_buildinfo(handle, limit=limit)
    except OSError as exc:
        problems.append(f"{shown}: {exc.strerror or exc}")
        return None


# --- the local daemon --------------------------------------------------------------------------


def _from_daemon(name: str, docker_host: str | None, limits: LayerLimits) -> _Read:
    import docker  # type: ignore[import-untyped, unused-ignore]

    from hullguard.sources.daemon import (
        _connection_problem,
        _ReadOnlyClient,
        _tls_config,
        choose_endpoint,
    )

    endpoint = choose_endpoint(docker_host, os.environ)
    try:
        tls = _tls_config(endpoint, None, os.environ)
        client = _ReadOnlyClient(
            base_url=endpoint, version="auto", timeout=60, tls=tls, own_ca=bool(tls)
        )
    except Exception as exc:  # the SDK wraps every failure to connect differently
        problem = _connection_problem(exc, endpoint, 60)
        raise _NotOnDaemon(problem) from None
    try:
        try:
            attributes = client.inspect_image(name)
        except docker.errors.NotFound:
            raise _NotOnDaemon(f"no image `{name}` on the daemon at {endpoint}") from None
        except Exception as exc:
            raise _NotOnDaemon(_connection_problem(exc, endpoint, 60)) from None
        size = attributes.get("Size") if isinstance(attributes, dict) else None
        estimate = size if isinstance(size, int) and size > 0 else None  # the save is a bit more
        try:
            with progress(f"Exporting {name}", total=estimate, unit="bytes") as bar:
                chunks = counted(client.get_image(name, chunk_size=READ_CHUNK), bar)
                return _read_archive(ChunkStream(chunks), limits)
        except ImageUnreadable:
            raise
        except Exception as exc:
            raise ImageUnreadable(f"exporting `{name}` from {endpoint} failed: {exc}") from None
    finally:
        client.close()


# --- registries --------------------------------------------------------------------------------


def _from_daemon_or_registry(
    ref: str, docker_host: str | None, options: RegistryOptions, limits: LayerLimits
) -> _Read:
    """The daemon's image, else (not there, or no daemon) the registry's."""
    try:
        return _from_daemon(ref, docker_host, limits)
    except _NotOnDaemon as exc:
        daemon_problem = str(exc)
    try:
        read = _from_registry(ref, options, limits)
    except ImageUnreadable as exc:
        raise ImageUnreadable(f"{daemon_problem}; from a registry: {exc}") from None
    pulled = f"not on the daemon ({daemon_problem}): pulled from the registry"
    read.note = f"{pulled}; {read.note}" if read.note else pulled
    return read


def _from_registry(text: str, options: RegistryOptions, limits: LayerLimits) -> _Read:
    """The image from its registry: manifest and config checked by the client, layers streamed
    from the responses into `read_layer` and checked against their digests."""
    try:
        with RegistryClient.for_ref(text, options) as client:
            pulled = client.pull()
            diffs: list[LayerDiff] = []
            sizes: list[int] = []
            problems: list[str] = []
            total = sum(size for _, size in pulled.layers)
            with progress(f"Pulling {text}", total=total, unit="bytes") as bar:
                for digest, size in pulled.layers:
                    try:
                        with client.open_blob(digest, size) as stream:
                            diff = read_layer(reading(stream, bar), digest=digest, limits=limits)
                    except RegistryError as exc:
                        problems.append(str(exc))
                        diff = LayerDiff(digest=digest)
                    else:
                        if not diff.problems:
                            _check_digest(diff, digest, problems)
                    diffs.append(diff)
                    sizes.append(diff.raw_size)
    except RegistryError as exc:
        raise ImageUnreadable(str(exc)) from None
    return _Read(pulled.config, diffs, sizes, problems, pulled.note)
