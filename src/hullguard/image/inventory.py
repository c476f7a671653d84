"""The package inventory of an image, read from the package databases in its merged files.

Every reader takes the bytes the image sources kept (`model.wants_content`: the package
databases up to 64 MiB, the Go build information of executables) and never touches the disk
or the network. A malformed database becomes an `ErrorEntry` with its path and line, and what
could be read from it is kept.

- OS: `/etc/os-release`, `/usr/lib/os-release`, then `/etc/alpine-release`,
  `/etc/debian_version`, `/etc/redhat-release`.
- dpkg: `/var/lib/dpkg/status` (deb822 paragraphs; only `Status: … installed`) and the
  distroless `/var/lib/dpkg/status.d/*` (one paragraph a file, no Status field).
- apk: `/lib/apk/db/installed` (paragraphs of `X:value` lines: `P` name, `V` version, `A`
  architecture, `o` origin, `L` license).
- rpm: `rpmdb.sqlite` (table `Packages`, one header blob a row); without it, the BerkeleyDB
  hash `Packages` of older releases (CentOS/RHEL 7 and 8, Amazon Linux 2), read by `bdb`.
- Python: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` (core metadata headers).
- Node: `node_modules/<name>/package.json` and `node_modules/@scope/<name>/package.json`.
- Go: the build information captured from executables (the inline format of Go 1.18 on).
"""

from __future__ import annotations

import json
import posixpath
import re
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from email.parser import BytesHeaderParser

from packageurl import PackageURL

from hullguard.image.bdb import BerkeleyDBError, read_hash_database
from hullguard.image.model import FileType, ImageContents, ImageFile
from hullguard.image.packages import Ecosystem, Inventory, OperatingSystem, Package
from hullguard.model import ErrorEntry, ErrorKind

DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_STATUS_D = "/var/lib/dpkg/status.d/"
APK_INSTALLED = "/lib/apk/db/installed"
RPM_SQLITE = ("/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite")
RPM_BERKELEY = "/var/lib/rpm/Packages"

_DEB_DISTROS = frozenset({"debian", "ubuntu", "raspbian", "kali", "linuxmint", "pureos"})
_APK_DISTROS = frozenset({"alpine", "wolfi", "chainguard", "postmarketos"})


class _Errors:
    def __init__(self, contents: ImageContents) -> None:
        self._contents = contents
        self.entries: list[ErrorEntry] = []

    def add(self, path: str, message: str, line: int | None = None) -> None:
        logical = self._contents.at(path).logical
        self.entries.append(ErrorEntry(logical, message, line=line, kind=ErrorKind.PARSE))


def inventory(contents: ImageContents) -> tuple[Inventory, list[ErrorEntry]]:
    """The operating system and every package found in `contents`, with what went wrong."""
    errors = _Errors(contents)
    os = operating_system(contents)
    packages: list[Package] = []
    packages.extend(_dpkg(contents, os, errors))
    packages.extend(_apk(contents, os, errors))
    packages.extend(_rpm(contents, os, errors))
    packages.extend(_python(contents, errors))
    packages.extend(_node(contents, errors))
    packages.extend(_go(contents, errors))
    return Inventory(os, tuple(packages)), errors.entries


# --- files -------------------------------------------------------------------------------------


def _resolve(contents: ImageContents, path: str) -> ImageFile | None:
    """The file at `path`, through symbolic links inside the image (a few hops at most)."""
    for _ in range(8):
        file = contents.files.get(path)
        if file is None or file.type is not FileType.SYMLINK or file.linkname is None:
            return file
        base = posixpath.dirname(path)
        path = posixpath.normpath(posixpath.join(base, file.linkname))
        path = "/" + path.lstrip("/")
    return None


def _content(contents: ImageContents, path: str) -> tuple[ImageFile, bytes] | None:
    file = _resolve(contents, path)
    if file is None or file.content is None:
        return None
    return file, file.content


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


# --- the operating system ----------------------------------------------------------------------


def operating_system(contents: ImageContents) -> OperatingSystem | None:
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        found = _content(contents, path)
        if found is not None:
            fields = parse_os_release(_text(found[1]))
            if "ID" in fields:
                return OperatingSystem(
                    id=fields["ID"],
                    version_id=fields.get("VERSION_ID"),
                    codename=fields.get("VERSION_CODENAME"),
                    pretty_name=fields.get("PRETTY_NAME"),
                )
    found = _content(contents, "/etc/alpine-release")
    if found is not None:
        version = _text(found[1]).strip() or None
        return OperatingSystem("alpine", version, None, None)
    found = _content(contents, "/etc/debian_version")
    if found is not None:
        text = _text(found[1]).strip()
        if re.match(r"\d", text):
            return OperatingSystem("debian", text.split(".")[0], None, None)
        return OperatingSystem("debian", None, text.split("/")[0] or None, None)
    found = _content(contents, "/etc/redhat-release")
    if found is not None:
        return _redhat_release(_text(found[1]).strip())
    return None


def parse_os_release(text: str) -> dict[str, str]:
    """`KEY=value` lines, values unquoted as the os-release format allows (shell quoting)."""
    fields: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote = value[0]
            value = value[1:-1]
            if quote == '"':
                value = re.sub(r"\\([\\$\"`])", r"\1", value)
        fields[key.strip()] = value
    return fields


_REDHAT_IDS = (
    ("red hat", "rhel"),
    ("centos", "centos"),
    ("fedora", "fedora"),
    ("rocky", "rocky"),
    ("alma", "almalinux"),
    ("oracle", "ol"),
    ("amazon", "amzn"),
)


def _redhat_release(line: str) -> OperatingSystem:
    lowered = line.lower()
    os_id = next((i for key, i in _REDHAT_IDS if key in lowered), "rhel")
    version = re.search(r"release\s+(\S+)", line)
    codename = re.search(r"\(([^)]*)\)", line)
    return OperatingSystem(
        os_id,
        version.group(1) if version else None,
        codename.group(1) if codename else None,
        line or None,
    )


def _distro(os: OperatingSystem | None, ids: frozenset[str]) -> tuple[str | None, str | None]:
    """The purl namespace (the distribution, when it is one of `ids`) and `distro` qualifier."""
    if os is None or os.id not in ids:
        return None, None
    qualifier = f"{os.id}-{os.version_id}" if os.version_id else os.id
    return os.id, qualifier


def _purl(
    kind: str,
    namespace: str | None,
    name: str,
    version: str | None,
    qualifiers: dict[str, str | None] | None = None,
) -> str:
    kept = {k: v for k, v in (qualifiers or {}).items() if v}
    return str(
        PackageURL(
            type=kind, namespace=namespace, name=name, version=version or None, qualifiers=kept
        ).to_string()
    )


# --- dpkg --------------------------------------------------------------------------------------


def parse_deb822(text: str) -> Iterator[tuple[int, dict[str, str], list[tuple[int, str]]]]:
    """Paragraphs of a deb822 file: (first line, fields, malformed lines). Continuation lines
    (starting with a space or tab) extend the previous field."""
    fields: dict[str, str] = {}
    bad: list[tuple[int, str]] = []
    start = 0
    last: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if fields or bad:
                yield start, fields, bad
            fields, bad, last = {}, [], None
            continue
        if not fields and not bad:
            start = number
        if line[0] in " \t":
            if last is None:
                bad.append((number, "a continuation line with no field before it"))
            else:
                fields[last] += "\n" + line.strip()
            continue
        key, colon, value = line.partition(":")
        if not colon or not key or " " in key:
            bad.append((number, f"not a `Field: value` line: {line[:60]!r}"))
            continue
        last = key
        fields[key] = value.strip()
    if fields or bad:
        yield start, fields, bad


def _dpkg(
    contents: ImageContents, os: OperatingSystem | None, errors: _Errors
) -> Iterator[Package]:
    namespace, distro = _distro(os, _DEB_DISTROS)
    sources = [(DPKG_STATUS, True)]
    sources += sorted(
        (path, False)
        for path, file in contents.files.items()
        if path.startswith(DPKG_STATUS_D)
        and file.type is FileType.REGULAR
        and not path.endswith(".md5sums")
        and "/" not in path[len(DPKG_STATUS_D) :]
    )
    for path, needs_status in sources:
        found = _content(contents, path)
        if found is None:
            _unkept(contents, path, errors)
            continue
        file, data = found
        for start, fields, bad in parse_deb822(_text(data)):
            for line, message in bad:
                errors.add(path, message, line)
            status = fields.get("Status")
            if status is not None or needs_status:
                if status is None or len(status.split()) != 3:
                    errors.add(path, f"no valid Status: {status!r}", start)
                    continue
                if status.split()[2] != "installed":
                    continue
            name, version = fields.get("Package"), fields.get("Version")
            if not name or not version:
                errors.add(path, "a package paragraph without Package or Version", start)
                continue
            source_name, source_version = name, version
            if fields.get("Source"):
                match = re.fullmatch(r"(\S+)(?:\s+\(([^)]+)\))?", fields["Source"].strip())
                if match is None:
                    errors.add(path, f"malformed Source: {fields['Source']!r}", start)
                else:
                    source_name = match.group(1)
                    source_version = match.group(2) or version
            arch = fields.get("Architecture")
            yield Package(
                ecosystem=Ecosystem.DEB,
                name=name,
                version=version,
                purl=_purl(
                    "deb", namespace or "debian", name, version, {"arch": arch, "distro": distro}
                ),
                path=path,
                layer=file.layer,
                source_name=source_name,
                source_version=source_version,
                architecture=arch,
            )


def _unkept(contents: ImageContents, path: str, errors: _Errors) -> None:
    """A database that exists but whose bytes were not kept (over its size bound)."""
    file = _resolve(contents, path)
    if file is not None and file.type is FileType.REGULAR:
        errors.add(path, f"not read: {file.size} bytes, over the size bound for package databases")


# --- apk ---------------------------------------------------------------------------------------


def _apk(contents: ImageContents, os: OperatingSystem | None, errors: _Errors) -> Iterator[Package]:
    path = APK_INSTALLED
    found = _content(contents, path)
    if found is None:
        _unkept(contents, path, errors)
        return
    file, data = found
    namespace = os.id if os is not None and os.id in _APK_DISTROS else "alpine"
    distro = os.version_id if os is not None and os.id in _APK_DISTROS else None
    entry: dict[str, str] = {}
    start = 0
    lines = [*_text(data).splitlines(), ""]
    for number, line in enumerate(lines, 1):
        if not line.strip():
            if entry:
                package = _apk_package(entry, path, file.layer, namespace, distro)
                if package is None:
                    errors.add(path, "a package entry without P: or V:", start)
                else:
                    yield package
            entry = {}
            continue
        if not entry:
            start = number
        if len(line) < 2 or line[1] != ":":
            errors.add(path, f"not an `X:value` line: {line[:60]!r}", number)
            continue
        entry.setdefault(line[0], line[2:])


def _apk_package(
    entry: dict[str, str], path: str, layer: int, namespace: str, distro: str | None
) -> Package | None:
    name, version = entry.get("P"), entry.get("V")
    if not name or not version:
        return None
    arch = entry.get("A")
    return Package(
        ecosystem=Ecosystem.APK,
        name=name,
        version=version,
        purl=_purl("apk", namespace, name, version, {"arch": arch, "distro": distro}),
        path=path,
        layer=layer,
        source_name=entry.get("o") or name,
        source_version=version,
        architecture=arch,
        licenses=(entry["L"],) if entry.get("L") else (),
    )


# --- rpm ---------------------------------------------------------------------------------------

# The header blob stored in rpmdb.sqlite (and in each record of the older databases) is the rpm
# header without its 8-byte magic: two big-endian uint32, the index entry count `il` and the
# data store size `dl`; then `il` index entries of four big-endian int32 each (tag, type,
# offset into the data store, count); then the `dl`-byte data store. Strings (types 6 STRING
# and 9 I18NSTRING, and the first of an 8 STRING_ARRAY) are NUL-terminated at their offset;
# INT32 (type 4) values are big-endian.
RPMTAG_NAME = 1000
RPMTAG_VERSION = 1001
RPMTAG_RELEASE = 1002
RPMTAG_EPOCH = 1003
RPMTAG_LICENSE = 1014
RPMTAG_ARCH = 1022
RPMTAG_SOURCERPM = 1044
_RPM_INT32 = 4
_RPM_STRINGS = (6, 8, 9)
_RPM_MAX_ENTRIES = 1 << 16


class RpmHeaderError(ValueError):
    pass


def parse_rpm_header(blob: bytes) -> dict[int, str | int]:
    """The tags this inventory reads from one header blob; raises RpmHeaderError."""
    if len(blob) < 8:
        raise RpmHeaderError("shorter than the header intro")
    il, dl = struct.unpack_from(">II", blob)
    if il > _RPM_MAX_ENTRIES or 8 + 16 * il + dl > len(blob):
        raise RpmHeaderError(f"{il} entries and {dl} data bytes do not fit {len(blob)} bytes")
    store = blob[8 + 16 * il : 8 + 16 * il + dl]
    wanted = {
        RPMTAG_NAME,
        RPMTAG_VERSION,
        RPMTAG_RELEASE,
        RPMTAG_EPOCH,
        RPMTAG_LICENSE,
        RPMTAG_ARCH,
        RPMTAG_SOURCERPM,
    }
    values: dict[int, str | int] = {}
    for index in range(il):
        tag, kind, offset, count = struct.unpack_from(">iiii", blob, 8 + 16 * index)
        if tag not in wanted:
            continue
        if offset < 0 or offset >= dl or count < 1:
            raise RpmHeaderError(f"tag {tag}: offset {offset} outside the data store")
        if kind == _RPM_INT32:
            if offset + 4 > dl:
                raise RpmHeaderError(f"tag {tag}: value outside the data store")
            values[tag] = struct.unpack_from(">i", store, offset)[0]
        elif kind in _RPM_STRINGS:
            end = store.find(b"\0", offset)
            if end < 0:
                raise RpmHeaderError(f"tag {tag}: unterminated string")
            values[tag] = store[offset:end].decode("utf-8", errors="replace")
    return values


def _rpm(contents: ImageContents, os: OperatingSystem | None, errors: _Errors) -> Iterator[Package]:
    found_sqlite = False
    for path in RPM_SQLITE:
        found = _content(contents, path)
        if found is None:
            _unkept(contents, path, errors)
            continue
        found_sqlite = True
        yield from _rpm_sqlite(found[0], found[1], path, os, errors)
    if found_sqlite:
        return
    berkeley = _content(contents, RPM_BERKELEY)
    if berkeley is None:
        _unkept(contents, RPM_BERKELEY, errors)
        return
    yield from _rpm_berkeley(berkeley[0], berkeley[1], RPM_BERKELEY, os, errors)


def _rpm_berkeley(
    file: ImageFile, data: bytes, path: str, os: OperatingSystem | None, errors: _Errors
) -> Iterator[Package]:
    """The BerkeleyDB hash `Packages` of older releases: keys are header numbers (4 bytes in
    the database's byte order), values header blobs; key 0 holds a counter, not a header."""
    try:
        database = read_hash_database(data)
    except BerkeleyDBError as exc:
        errors.add(path, f"not read: not a BerkeleyDB hash rpm database: {exc}")
        return
    for problem in database.problems:
        errors.add(path, f"damaged BerkeleyDB rpm database: {problem}")
    rows: list[tuple[int, bytes]] = []
    for key, value in database.pairs:
        if len(key) != 4:
            errors.add(path, f"a record whose key is {len(key)} bytes, not a header number")
            continue
        number = int.from_bytes(key, database.byteorder)
        if number != 0:
            rows.append((number, value))
    rows.sort(key=lambda row: row[0])
    yield from _rpm_headers(file, path, os, errors, rows)


def _rpm_sqlite(
    file: ImageFile, data: bytes, path: str, os: OperatingSystem | None, errors: _Errors
) -> Iterator[Package]:
    image = bytearray(data)
    if image[:16] == b"SQLite format 3\0" and len(image) >= 20:
        image[18:20] = b"\x01\x01"  # WAL mode to rollback: the -wal file is not at hand
    rows: list[tuple[object, object]] = []
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(bytes(image))
        columns = [r[1] for r in connection.execute("PRAGMA table_info(Packages)")]
        if "blob" not in columns:
            errors.add(path, "no `Packages` table with a `blob` column")
            return
        key = "hnum" if "hnum" in columns else "rowid"
        rows = connection.execute(f"SELECT {key}, blob FROM Packages ORDER BY {key}").fetchall()
    except sqlite3.Error as exc:
        errors.add(path, f"not a readable SQLite rpm database: {exc}")
        return
    finally:
        connection.close()
    yield from _rpm_headers(file, path, os, errors, rows)


def _rpm_headers(
    file: ImageFile,
    path: str,
    os: OperatingSystem | None,
    errors: _Errors,
    rows: Sequence[tuple[object, object]],
) -> Iterator[Package]:
    """The packages of (header number, header blob) rows, whichever database held them."""
    namespace = os.id if os is not None else "redhat"
    distro = f"{os.id}-{os.version_id}" if os is not None and os.version_id else None
    for key_value, blob in rows:
        if not isinstance(blob, bytes):
            errors.add(path, f"package {key_value}: the header is not a blob")
            continue
        try:
            tags = parse_rpm_header(blob)
        except RpmHeaderError as exc:
            errors.add(path, f"package {key_value}: malformed header: {exc}")
            continue
        name, version = tags.get(RPMTAG_NAME), tags.get(RPMTAG_VERSION)
        release = tags.get(RPMTAG_RELEASE)
        if not isinstance(name, str) or not isinstance(version, str):
            errors.add(path, f"package {key_value}: no NAME or VERSION")
            continue
        if name == "gpg-pubkey":
            continue  # an imported signing key, not a package
        epoch = tags.get(RPMTAG_EPOCH)
        epoch = epoch if isinstance(epoch, int) else None
        arch = tags.get(RPMTAG_ARCH)
        arch = arch if isinstance(arch, str) else None
        evr = f"{version}-{release}" if isinstance(release, str) else version
        source_name, source_version = _source_rpm(tags.get(RPMTAG_SOURCERPM))
        license_ = tags.get(RPMTAG_LICENSE)
        yield Package(
            ecosystem=Ecosystem.RPM,
            name=name,
            version=f"{epoch}:{evr}" if epoch is not None else evr,
            purl=_purl(
                "rpm",
                namespace,
                name,
                evr,
                {
                    "arch": arch,
                    "epoch": str(epoch) if epoch is not None else None,
                    "distro": distro,
                },
            ),
            path=path,
            layer=file.layer,
            source_name=source_name,
            source_version=source_version,
            architecture=arch,
            licenses=(license_,) if isinstance(license_, str) and license_ else (),
        )


def _source_rpm(value: object) -> tuple[str | None, str | None]:
    """`openssl-3.0.7-24.el9.src.rpm` → (`openssl`, `3.0.7-24.el9`)."""
    if not isinstance(value, str) or not value:
        return None, None
    stem = re.sub(r"\.(no)?src\.rpm$", "", value)
    parts = stem.rsplit("-", 2)
    if len(parts) != 3:
        return stem, None
    return parts[0], f"{parts[1]}-{parts[2]}"


# --- Python ------------------------------------------------------------------------------------


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _python(contents: ImageContents, errors: _Errors) -> Iterator[Package]:
    for path in sorted(contents.files):
        folder, base = posixpath.split(path)
        if not (
            (base == "METADATA" and folder.endswith(".dist-info"))
            or (base == "PKG-INFO" and folder.endswith(".egg-info"))
        ):
            continue
        found = _content(contents, path)
        if found is None:
            _unkept(contents, path, errors)
            continue
        file, data = found
        headers = BytesHeaderParser().parsebytes(data)
        name, version = headers.get("Name"), headers.get("Version")
        if not name or not version:
            errors.add(path, "core metadata without Name or Version", 1)
            continue
        name, version = str(name).strip(), str(version).strip()
        license_ = headers.get("License-Expression") or headers.get("License")
        licenses = (str(license_).strip(),) if license_ and "\n" not in str(license_) else ()
        yield Package(
            ecosystem=Ecosystem.PYPI,
            name=name,
            version=version,
            purl=_purl("pypi", None, pep503(name), version),
            path=folder,
            layer=file.layer,
            licenses=licenses,
        )


# --- Node --------------------------------------------------------------------------------------


def _node_package_dir(path: str) -> bool:
    parts = path.split("/")
    if len(parts) >= 4 and parts[-3] == "node_modules" and not parts[-2].startswith("@"):
        return True
    return len(parts) >= 5 and parts[-4] == "node_modules" and parts[-3].startswith("@")


def _node(contents: ImageContents, errors: _Errors) -> Iterator[Package]:
    for path in sorted(contents.files):
        if not path.endswith("/package.json") or not _node_package_dir(path):
            continue
        found = _content(contents, path)
        if found is None:
            _unkept(contents, path, errors)
            continue
        file, data = found
        try:
            document = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
            errors.add(path, f"not valid JSON: {exc}", line)
            continue
        if not isinstance(document, dict):
            errors.add(path, "not a JSON object", 1)
            continue
        name, version = document.get("name"), document.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
            continue  # a package.json that describes no published package
        scope, _, bare = name.rpartition("/")
        license_ = document.get("license")
        yield Package(
            ecosystem=Ecosystem.NPM,
            name=name,
            version=version,
            purl=_purl("npm", scope or None, bare, version),
            path=posixpath.dirname(path),
            layer=file.layer,
            licenses=(license_,) if isinstance(license_, str) and license_ else (),
        )


# --- Go ----------------------------------------------------------------------------------------

_GO_MAGIC = b"\xff Go buildinf:"
_GO_FLAG_INLINE = 0x2


class GoBuildInfoError(ValueError):
    pass


def parse_go_buildinfo(blob: bytes) -> tuple[str, str]:
    """(Go version, module information text) from a build info blob in the inline format.

    The 32-byte header holds the magic, the pointer size and the flags; with flag 0x2 the Go
    version and the module information follow as uvarint-length-prefixed strings. The module
    information is framed by two 16-byte sentinels, the last preceded by a newline. Binaries
    of Go before 1.18 (the pointer format) come as the synthetic blob `probe_go_buildinfo`
    makes of them, in this same format; its Go version is empty when it could not be told (then
    no `stdlib` is reported). A bare pointer-format header means no module information was
    found.
    """
    if not blob.startswith(_GO_MAGIC) or len(blob) < 32:
        raise GoBuildInfoError("not a Go build info header")
    if not blob[len(_GO_MAGIC) + 1] & _GO_FLAG_INLINE:
        raise GoBuildInfoError(
            "the pointer format of Go before 1.18, and no module information was found before it"
        )
    strings: list[bytes] = []
    position = 32
    for _ in range(2):
        length = shift = 0
        while True:
            if position >= len(blob) or shift > 63:
                raise GoBuildInfoError("truncated")
            byte = blob[position]
            position += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if position + length > len(blob):
            raise GoBuildInfoError("truncated")
        strings.append(blob[position : position + length])
        position += length
    version, mod = strings
    mod = mod[16:-16] if len(mod) >= 33 and mod[-17] == ord("\n") else b""
    return version.decode("utf-8", errors="replace"), mod.decode("utf-8", errors="replace")


def _golang_purl(module: str, version: str | None) -> str:
    namespace, _, name = module.rpartition("/")
    return _purl("golang", namespace or None, name, version)


def _go(contents: ImageContents, errors: _Errors) -> Iterator[Package]:
    for path in sorted(contents.files):
        file = contents.files[path]
        if file.go_buildinfo is None or file.type is FileType.HARDLINK:
            continue
        try:
            go_version, modinfo = parse_go_buildinfo(file.go_buildinfo)
        except GoBuildInfoError as exc:
            errors.add(path, f"Go build information: {exc}")
            continue

        found: list[Package] = []
        for number, line in enumerate(modinfo.splitlines(), 1):
            fields = line.split("\t")
            if fields[0] in ("mod", "dep") and len(fields) >= 3:
                found.append(_go_package(file, path, fields[1], fields[2]))
            elif fields[0] == "=>" and len(fields) >= 3 and found:
                found[-1] = _go_package(file, path, fields[1], fields[2])  # a replacement
            elif fields[0] not in ("build", "path", "") or len(fields) < 2:
                errors.add(path, f"Go module information: unexpected line {line[:60]!r}", number)
        if go_version.startswith("go"):
            stdlib = go_version.removeprefix("go").split()[0]
            found.insert(0, _go_package(file, path, "stdlib", stdlib))
        yield from found


def _go_package(file: ImageFile, path: str, name: str, version: str) -> Package:
    """A module of a Go binary: the main module (`mod`), a dependency (`dep`, or its `=>`
    replacement), or `stdlib` at the Go version that built it. `(devel)` has no purl version."""
    return Package(
        ecosystem=Ecosystem.GOLANG,
        name=name,
        version=version,
        purl=_golang_purl(name, None if version == "(devel)" else version),
        path=path,
        layer=file.layer,
    )
