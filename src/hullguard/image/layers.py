"""Layer tar streams into the merged view of an image's files.

A layer is read once, as a stream (`tarfile` mode `r|`), gzip, zstd (when the `zstandard`
package is installed) or uncompressed, and never extracted: each member becomes an `ImageFile`
record, and bytes are kept only for the files the rules read (`model.wants_content`). Reading is
bounded: a layer that decompresses beyond `LayerLimits.max_bytes`, or beyond
`LayerLimits.max_ratio` times its compressed size once past `ratio_grace` bytes, is stopped (a
decompression bomb); a truncated layer keeps what was read. Member names with `..` or absolute
names are refused; links are recorded, never followed; device files are recorded, never read.
Executables (ELF, PE, Mach-O) are streamed through `probe_go_buildinfo`, which keeps only the
build information blob that the Go toolchain embeds, never the binary, and searches at most
`LayerLimits.go_probe_bytes` of each (a 10 GB sparse executable costs a bounded read; its holes
are never decompressed, `tarfile` makes them up as zeros, so only this bound stops them).

`read_layer` turns one stream into a `LayerDiff`; `apply_layer` lays diffs one over another
with the whiteouts (`.wh.<name>`, `.wh..wh..opq`) of the overlay filesystem.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import io
import posixpath
import re
import stat
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import IO, Any

from hullguard.image.model import FileType, ImageFile, wants_content

GiB = 1024**3
MiB = 1024**2
READ_CHUNK = 1024 * 1024
WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

GO_BUILDINFO_MAGIC = b"\xff Go buildinf:"
GO_BUILDINFO_HEADER = 32
GO_BUILDINFO_MAX = 1024 * 1024
# How far into an executable the Go build information is searched for. The Go linker writes it
# at the start of the data segment (`.go.buildinfo` in ELF, `__go_buildinfo` in Mach-O, the
# start of `.data` in PE), after the code and the read-only data: it lies past them, a few to a
# few tens of MiB in for ordinary programs (kubectl, terraform, docker). A binary whose code and
# read-only data outgrow the bound (huge embedded assets, `go:embed` of big files) is not
# recognised as Go and its modules are missed from the inventory; every other file, Go or not,
# costs at most this much reading.
GO_BUILDINFO_SCAN_MAX = 128 * MiB
_GO_FLAG_INLINE = 0x2
# Before Go 1.18 (the pointer format) the module information is a string of the read-only data,
# framed by these sentinels (Go's `runtime/debug`: `infoStart`, `infoEnd`); at most
# `GO_MODINFO_MAX` bytes are kept between them.
GO_MODINFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
GO_MODINFO_END = bytes.fromhex("f932433186182072008242104116d8f2")
GO_MODINFO_MAX = 1024 * 1024
# A Go version of the pointer-format era with modules (1.11 to 1.17), not followed by a digit
# or a dot (Go strings are packed without separators: a longer match could not be told apart).
_GO_OLD_VERSION = re.compile(rb"go1\.1[1-7](?:\.[0-9]{1,2})?(?:(?:beta|rc)[0-9]{1,2})?(?![0-9.])")
_GO_VERSION_LONGEST = 16  # bytes of a match and of what decides where it ends
_EXECUTABLE_MAGICS = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
)
_MORE = -1
_INVALID = -2

_TAR_TYPES = {
    tarfile.REGTYPE: FileType.REGULAR,
    tarfile.AREGTYPE: FileType.REGULAR,
    tarfile.CONTTYPE: FileType.REGULAR,
    tarfile.DIRTYPE: FileType.DIRECTORY,
    tarfile.SYMTYPE: FileType.SYMLINK,
    tarfile.LNKTYPE: FileType.HARDLINK,
    tarfile.CHRTYPE: FileType.CHARDEV,
    tarfile.BLKTYPE: FileType.BLOCKDEV,
    tarfile.FIFOTYPE: FileType.FIFO,
}


@dataclass(frozen=True, slots=True)
class LayerLimits:
    """How much one layer may decompress to, in total and relative to its compressed size."""

    max_bytes: int = 4 * GiB
    max_ratio: int = 100
    ratio_grace: int = 8 * MiB
    go_probe_bytes: int = GO_BUILDINFO_SCAN_MAX  # of one executable, see `probe_go_buildinfo`


class LayerBomb(Exception):
    """The layer decompresses beyond the limits."""


@dataclass
class LayerDiff:
    """What one layer changes: its files (with `layer` still -1), the paths it whites out, the
    directories it makes opaque, and what went wrong reading it. `raw_size` and `raw_sha256`
    describe the bytes read from the stream (the blob, compressed or not)."""

    digest: str
    files: list[ImageFile] = field(default_factory=list)
    whiteouts: list[str] = field(default_factory=list)
    opaque_dirs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    raw_size: int = 0
    raw_sha256: str = ""


class _Tally(io.RawIOBase):
    """A raw stream that counts and hashes what is read from it, and can be peeked."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._prefix = b""
        self.count = 0
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def peek_start(self, size: int) -> bytes:
        while len(self._prefix) < size:
            chunk = self._raw.read(size - len(self._prefix))
            if not chunk:
                break
            self._take(chunk)
            self._prefix += chunk
        return self._prefix[:size]

    def _take(self, chunk: bytes) -> None:
        self.count += len(chunk)
        self.sha256.update(chunk)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        chunk = self._raw.read(len(view))
        if not chunk:
            return 0
        self._take(chunk)
        view[: len(chunk)] = chunk
        return len(chunk)

    def drain(self) -> None:
        self._prefix = b""
        while chunk := self._raw.read(READ_CHUNK):
            self._take(chunk)


class _Bounded(io.RawIOBase):
    """Decompressed bytes, stopped with LayerBomb beyond the limits."""

    def __init__(self, read: Callable[[int], bytes], tally: _Tally, limits: LayerLimits) -> None:
        self._read = read
        self._tally = tally
        self._limits = limits
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._read(min(len(view), READ_CHUNK))
        if not chunk:
            return 0
        self.count += len(chunk)
        limits = self._limits
        if self.count > limits.max_bytes:
            raise LayerBomb(f"decompresses beyond {limits.max_bytes} bytes")
        if self.count > limits.ratio_grace and self.count > limits.max_ratio * max(
            self._tally.count, 1
        ):
            raise LayerBomb(
                f"decompresses beyond {limits.max_ratio}:1 "
                f"({self.count} bytes from {self._tally.count})"
            )
        view[: len(chunk)] = chunk
        return len(chunk)


def _decompressed(tally: _Tally) -> Callable[[int], bytes]:
    """The `read` of the decompressed stream; each call returns what one step gives, so that
    a truncated stream loses at most one step."""
    start = tally.peek_start(4)
    if start.startswith(_GZIP_MAGIC):
        gzip_read: Callable[[int], bytes] = _gzip_reader(tally).read1
        return gzip_read
    if start.startswith(_ZSTD_MAGIC):
        try:
            zstandard: Any = importlib.import_module("zstandard")
        except ImportError:
            raise OSError("zstd-compressed, and the `zstandard` package is not installed") from None
        reader = zstandard.ZstdDecompressor().stream_reader(tally, read_across_frames=True)
        read: Callable[[int], bytes] = reader.read
        return read
    return tally.read


def _isal_errors() -> tuple[type[BaseException], ...]:
    try:
        isal_zlib: Any = importlib.import_module("isal.isal_zlib")
    except ImportError:
        return ()
    return (isal_zlib.error,)


# What a damaged layer raises while it is read; ISA-L's decompression error is no OSError.
_LAYER_ERRORS: tuple[type[BaseException], ...] = (
    tarfile.TarError,
    EOFError,
    zlib.error,
    OSError,
    ValueError,
    *_isal_errors(),
)


def _gzip_reader(tally: _Tally) -> Any:
    """A gzip stream reader: ISA-L's (the `isal` package, several times faster) when it is
    installed, else the standard library's."""
    try:
        igzip: Any = importlib.import_module("isal.igzip")
    except ImportError:
        return gzip.GzipFile(fileobj=tally, mode="rb")
    return igzip.IGzipFile(fileobj=tally, mode="rb")


def normalise_member(name: str) -> str | None:
    """The absolute path of an archive member inside the root, or None when the name is
    absolute or climbs out with `..` (such members are refused)."""
    if name.startswith("/"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/" + "/".join(parts)


def read_layer(stream: IO[bytes], *, digest: str, limits: LayerLimits | None = None) -> LayerDiff:
    """Read one layer stream; never raises for bad data (it becomes `problems`)."""
    limits = limits or LayerLimits()
    diff = LayerDiff(digest=digest)
    tally = _Tally(stream)
    try:
        bounded = _Bounded(_decompressed(tally), tally, limits)
        with tarfile.open(fileobj=bounded, mode="r|") as tar:
            for member in tar:
                _add_member(diff, tar, member, limits)
        tally.drain()
    except LayerBomb as exc:
        diff.problems.append(f"layer {digest}: stopped, a decompression bomb: {exc}")
    except _LAYER_ERRORS as exc:
        text = str(exc) or type(exc).__name__
        diff.problems.append(
            f"layer {digest}: unreadable or truncated after {len(diff.files)} entries "
            f"(what was read is kept): {text}"
        )
    diff.raw_size = tally.count
    diff.raw_sha256 = tally.sha256.hexdigest()
    return diff


def _add_member(
    diff: LayerDiff, tar: tarfile.TarFile, member: tarfile.TarInfo, limits: LayerLimits
) -> None:
    path = normalise_member(member.name)
    if path is None:
        diff.problems.append(
            f"layer {diff.digest}: refused member `{member.name}`: its path leaves the root"
        )
        return
    if path == "/":
        return
    directory, name = posixpath.split(path)
    if name == OPAQUE_MARKER:
        diff.opaque_dirs.append(directory)
        return
    if name.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
        return  # other aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`)
    if name.startswith(WHITEOUT_PREFIX):
        diff.whiteouts.append(posixpath.join(directory, name[len(WHITEOUT_PREFIX) :]))
        return
    kind = _TAR_TYPES.get(member.type)
    if kind is None:
        if member.isfile():
            kind = FileType.REGULAR
        else:
            diff.problems.append(
                f"layer {diff.digest}: skipped `{path}`: unknown member type {member.type!r}"
            )
            return
    linkname: str | None = None
    if kind is FileType.HARDLINK:
        linkname = normalise_member(member.linkname)
        if linkname is None:
            diff.problems.append(
                f"layer {diff.digest}: refused hard link `{path}` → `{member.linkname}`: "
                "its target leaves the root"
            )
            return
    elif kind is FileType.SYMLINK:
        linkname = member.linkname
    size = member.size if kind is FileType.REGULAR else 0
    content = None
    go_buildinfo = None
    if kind is FileType.REGULAR and wants_content(path, size):
        extracted = tar.extractfile(member)
        if extracted is not None:
            content = extracted.read(size)
    elif kind is FileType.REGULAR and member.mode & 0o111 and size > GO_BUILDINFO_HEADER:
        extracted = tar.extractfile(member)
        if extracted is not None:
            go_buildinfo = probe_go_buildinfo(extracted, limit=limits.go_probe_bytes)
    diff.files.append(
        ImageFile(
            path=path,
            type=kind,
            mode=stat.S_IMODE(member.mode),
            uid=member.uid,
            gid=member.gid,
            size=size,
            layer=-1,
            linkname=linkname,
            content=content,
            go_buildinfo=go_buildinfo,
        )
    )


def probe_go_buildinfo(stream: IO[bytes], *, limit: int = GO_BUILDINFO_SCAN_MAX) -> bytes | None:
    """The Go build information blob of an executable read as a stream, or None.

    The blob starts with the 14-byte magic `\\xff Go buildinf:`, then one byte of pointer size
    and one of flags, padded to a 32-byte header. With the inline flag (0x2, Go 1.18 on) two
    strings follow, each a uvarint length then its bytes: the Go version and the module
    information; the blob returned ends after them. Only executables are searched, chunk by
    chunk, with at most `GO_BUILDINFO_MAX` bytes held past a candidate magic; a magic that is
    not followed by a plausible header (a string literal in a binary that reads build info) is
    passed over.

    Without the inline flag (the pointer format of Go 1.17 and before) the header holds only
    addresses, of strings that lie earlier in the file, in the read-only data: a stream cannot
    go back to them. So, on the way to the header, the bytes are watched (`_PointerScan`) for
    the module information framed by its sentinels and for the Go version string; when the
    module information was seen, the blob returned is a synthetic one in the inline format:
    the header with the inline flag set, then the Go version (empty when it could not be told
    for sure, see `_PointerScan.version`) and the framed module information, so it is read as
    any other blob. Without it, only the 32-byte header is returned.

    The magic is searched for in the first `limit` bytes only (`GO_BUILDINFO_SCAN_MAX`, where
    the reasons for the bound are given); a blob that starts within them is read to its end.
    """
    buffer = stream.read(min(READ_CHUNK, limit))
    if not buffer.startswith(_EXECUTABLE_MAGICS):
        return None
    scan = _PointerScan()
    scan.feed(buffer)
    scanned = len(buffer)
    eof = False
    start = 0
    while True:
        at = buffer.find(GO_BUILDINFO_MAGIC, start)
        if at < 0:
            if eof or scanned >= limit:
                return None
            buffer = buffer[-(len(GO_BUILDINFO_MAGIC) - 1) :]
            start = 0
            chunk = stream.read(min(READ_CHUNK, limit - scanned))
            scan.feed(chunk)
            scanned += len(chunk)
            eof = not chunk
            buffer += chunk
            continue
        buffer = buffer[at:]
        end = _buildinfo_end(buffer)
        while end == _MORE and not eof:
            chunk = stream.read(READ_CHUNK)
            scan.feed(chunk)
            scanned += len(chunk)
            eof = not chunk
            buffer += chunk
            end = _buildinfo_end(buffer)
        if end == GO_BUILDINFO_HEADER and not buffer[len(GO_BUILDINFO_MAGIC) + 1] & _GO_FLAG_INLINE:
            return scan.blob(buffer[:GO_BUILDINFO_HEADER])
        if end >= 0:
            return buffer[:end]
        start = 1


class _PointerScan:
    """Watches the bytes of an executable, chunk by chunk, for what a pointer-format header
    points at: the module information between `GO_MODINFO_START` and `GO_MODINFO_END` (the
    first such text of at most `GO_MODINFO_MAX` bytes that starts with a `path` line, as the
    Go linker of those versions writes it), and the Go version strings. Either may be split
    across chunks; a short tail of each chunk is kept for that."""

    def __init__(self) -> None:
        self._tail = b""  # the end of the bytes searched for the start sentinel
        self._capture: bytearray | None = None  # the bytes past a start sentinel
        self._searched = 0  # how much of `_capture` was searched for the end sentinel
        self.modinfo: bytes | None = None
        self._version_tail = b""
        self._versions: set[bytes] = set()

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        if len(self._versions) < 2:
            data = self._version_tail + chunk
            last = len(data) - _GO_VERSION_LONGEST
            # a match ending in the last bytes may go on in the next chunk: found again there
            self._versions.update(
                m.group() for m in _GO_OLD_VERSION.finditer(data) if m.end() <= last
            )
            self._version_tail = data[-2 * _GO_VERSION_LONGEST :]
        if self.modinfo is None:
            self._feed_modinfo(chunk)

    def _feed_modinfo(self, chunk: bytes) -> None:
        data = self._tail + chunk if self._capture is None else chunk
        while True:
            if self._capture is None:
                at = data.find(GO_MODINFO_START)
                if at < 0:
                    self._tail = data[-(len(GO_MODINFO_START) - 1) :]
                    return
                self._capture = bytearray()
                self._searched = 0
                data = data[at + len(GO_MODINFO_START) :]
            self._capture += data
            end = self._capture.find(GO_MODINFO_END, max(0, self._searched - len(GO_MODINFO_END)))
            if 0 <= end <= GO_MODINFO_MAX and self._capture.startswith(b"path\t"):
                text = bytes(self._capture[:end])
                self.modinfo = text if text.endswith(b"\n") else text + b"\n"
                self._capture = None
                return
            if end < 0 and len(self._capture) <= GO_MODINFO_MAX:
                self._searched = len(self._capture)
                return
            # not module information (too long, or not a `path` line first): the start
            # sentinel was a chance match; search again in what followed it
            data = bytes(self._capture)
            self._capture = None
            self._tail = b""

    def version(self) -> bytes:
        """The Go version, when exactly one Go version of the pointer-format era (1.11 to
        1.17) was seen before the header: the runtime always holds its own (the string that
        `runtime.buildVersion` points to), so a second, different one (a program that
        mentions a Go version) leaves it unknown. Empty when unknown."""
        versions = set(self._versions)
        if len(versions) < 2:
            versions.update(m.group() for m in _GO_OLD_VERSION.finditer(self._version_tail))
        return versions.pop() if len(versions) == 1 else b""

    def blob(self, header: bytes) -> bytes:
        """The synthetic inline-format blob for a pointer-format `header`; the header alone
        when no module information was seen."""
        if self.modinfo is None:
            return header
        flags = header[len(GO_BUILDINFO_MAGIC) + 1] | _GO_FLAG_INLINE
        version = self.version()
        framed = GO_MODINFO_START + self.modinfo + GO_MODINFO_END
        return (
            header[: len(GO_BUILDINFO_MAGIC) + 1]
            + bytes([flags])
            + bytes(GO_BUILDINFO_HEADER - len(GO_BUILDINFO_MAGIC) - 2)  # no pointers kept
            + _uvarint(len(version))
            + version
            + _uvarint(len(framed))
            + framed
        )


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _buildinfo_end(data: bytes) -> int:
    """Where the build info blob at the start of `data` ends; `_MORE` when `data` is too short
    to tell, `_INVALID` when it is not a build info header."""
    if len(data) < GO_BUILDINFO_HEADER:
        return _MORE
    if data[len(GO_BUILDINFO_MAGIC)] not in (4, 8):
        return _INVALID
    if not data[len(GO_BUILDINFO_MAGIC) + 1] & _GO_FLAG_INLINE:
        return GO_BUILDINFO_HEADER
    position = GO_BUILDINFO_HEADER
    for index in range(2):
        length = 0
        for shift in range(0, 70, 7):
            if position >= len(data):
                return _MORE
            byte = data[position]
            position += 1
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        else:
            return _INVALID
        end = position + length
        if end > GO_BUILDINFO_MAX:
            return _INVALID
        if end > len(data):
            return _MORE
        if index == 0 and not data[position:end].startswith((b"go", b"devel")):
            return _INVALID
        position = end
    return position


def apply_layer(files: dict[str, ImageFile], diff: LayerDiff, index: int) -> list[str]:
    """Lay `diff` over the merged view `files` as layer `index`; returns what went wrong
    (hard links whose target is missing)."""
    hidden = [d.rstrip("/") + "/" for d in diff.opaque_dirs]
    removed = set(diff.whiteouts)
    hidden.extend(p.rstrip("/") + "/" for p in diff.whiteouts)
    if hidden or removed:
        prefixes = tuple(hidden)
        for path in [p for p in files if p in removed or p.startswith(prefixes)]:
            del files[path]
    problems = []
    for file in diff.files:
        entry = replace(file, layer=index)
        previous = files.get(entry.path)
        if (
            previous is not None
            and previous.type is FileType.DIRECTORY
            and entry.type is not FileType.DIRECTORY
        ):
            prefix = entry.path + "/"
            for path in [p for p in files if p.startswith(prefix)]:
                del files[path]
        if entry.type is FileType.HARDLINK and entry.linkname is not None:
            target = files.get(entry.linkname)
            if target is None:
                problems.append(
                    f"layer {diff.digest}: hard link `{entry.path}` → `{entry.linkname}`: "
                    "the target is missing"
                )
            elif target.type is FileType.REGULAR:
                keep = target.content if wants_content(entry.path, target.size) else None
                entry = replace(
                    entry, size=target.size, content=keep, go_buildinfo=target.go_buildinfo
                )
        files[entry.path] = entry
    return problems


def merge_layers(diffs: list[LayerDiff]) -> tuple[dict[str, ImageFile], list[str]]:
    """The merged view of `diffs`, lowest first, with every problem met on the way."""
    files: dict[str, ImageFile] = {}
    problems: list[str] = []
    for index, diff in enumerate(diffs):
        problems.extend(diff.problems)
        problems.extend(apply_layer(files, diff, index))
    return files, problems
