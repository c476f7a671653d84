"""The Docker-related files of a root filesystem, read without writing and without leaving it.

`read_host_files(root)` reads what `hullguard host` needs from a root filesystem (`/`, or a
mounted disk image): the engine sockets' owners and modes, the daemon's configuration wherever it
is written (`daemon.json`, systemd units and drop-ins, `/etc/default/docker`,
`/etc/sysconfig/docker`, and the command line of a running `dockerd` when the root is `/`), the
docker group and sudoers grants, users' registry credentials, audit rules and the partition of the
data root. Every fact carries the place it was read: the file as seen on the host and its line,
or a logical `file:<path>` for facts taken from a file's metadata.

Symlinks are resolved here, component by component, as the kernel would inside a chroot: an
absolute target starts again at the root, and a relative one that climbs above the root is
refused with an error entry. Nothing outside the root is ever opened. Files are bounded in size.
"""

from __future__ import annotations

import enum
import json
import os
import posixpath
import re
import shlex
import stat
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullguard.model import ErrorEntry, ErrorKind, Located, Location
from hullguard.paths import normalise_path
from hullguard.secrets import redact

MAX_FILE_SIZE = 1 << 20
_MAX_LINKS = 40
_MAX_JSON_DEPTH = 64

DOCKER_UNITS = ("docker.service", "docker.socket")
# systemd's unit search path, most important first (/run holds transient and generated units).
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system",
             "/usr/lib/systemd/system")  # fmt: skip
DAEMON_JSON = "/etc/docker/daemon.json"
ENV_FILES = {"/etc/default/docker": ("DOCKER_OPTS",),
             "/etc/sysconfig/docker": ("OPTIONS", "other_args", "DOCKER_OPTS")}  # fmt: skip
SOCKETS = {
    "/var/run/docker.sock": "Docker",
    "/run/docker.sock": "Docker",
    "/run/containerd/containerd.sock": "containerd",
    "/var/run/containerd/containerd.sock": "containerd",
    "/run/podman/podman.sock": "Podman",
    "/run/crio/crio.sock": "CRI-O",
}
DEFAULT_DATA_ROOT = "/var/lib/docker"
# Files and binaries whose changes an audit log should record; only those present are reported.
AUDITED_PATHS = (
    "/usr/bin/dockerd", "/usr/sbin/dockerd", "/usr/bin/docker", "/run/containerd",
    "/var/lib/docker", "/etc/docker", "/run/containerd/containerd.sock", "/etc/default/docker",
    "/etc/docker/daemon.json", "/etc/containerd/config.toml", "/etc/sysconfig/docker",
    "/usr/bin/containerd", "/usr/sbin/containerd", "/usr/bin/containerd-shim",
    "/usr/bin/containerd-shim-runc-v1", "/usr/bin/containerd-shim-runc-v2", "/usr/bin/runc",
    "/usr/sbin/runc",
)  # fmt: skip
DOCKER_COMMANDS = frozenset({"docker", "dockerd", "docker-compose", "podman", "nerdctl", "ctr"})


class FileRole(enum.Enum):
    """Why a file's owner and mode matter."""

    SOCKET = "socket"
    CONFIG_DIR = "config-dir"
    DAEMON_JSON = "daemon-json"
    ENV_FILE = "env-file"
    UNIT = "unit"
    TLS_CA = "tls-ca"
    TLS_CERT = "tls-cert"
    TLS_KEY = "tls-key"
    REGISTRY_CERT = "registry-cert"


@dataclass(frozen=True, slots=True)
class FileFact:
    """A file's metadata: `mode` holds the permission bits (`0o660`), owner and group by name
    when /etc/passwd and /etc/group name them, else by number."""

    path: str
    role: FileRole
    kind: str  # "file", "directory", "socket" or "other"
    mode: int
    uid: int
    gid: int
    owner: str
    group: str
    location: Location
    engine: str | None = None  # for sockets: whose socket it is

    @property
    def mode_text(self) -> str:
        return f"{self.mode:04o}"


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    """The daemon's settings merged from every place they can be written, each with the place
    that set it. Scalars: the most specific source wins (daemon.json < environment files <
    unit ExecStart < the running process); lists keep every occurrence."""

    hosts: tuple[Located[str], ...] = ()
    tls: Located[bool] | None = None
    tlsverify: Located[bool] | None = None
    tlscacert: Located[str] | None = None
    tlscert: Located[str] | None = None
    tlskey: Located[str] | None = None
    userns_remap: Located[str] | None = None
    icc: Located[bool] | None = None
    live_restore: Located[bool] | None = None
    no_new_privileges: Located[bool] | None = None
    experimental: Located[bool] | None = None
    selinux_enabled: Located[bool] | None = None
    iptables: Located[bool] | None = None
    userland_proxy: Located[bool] | None = None
    authorization_plugins: tuple[Located[str], ...] = ()
    insecure_registries: tuple[Located[str], ...] = ()
    log_driver: Located[str] | None = None
    log_level: Located[str] | None = None
    debug: Located[bool] | None = None
    storage_driver: Located[str] | None = None
    storage_opts: tuple[Located[str], ...] = ()
    seccomp_profile: Located[str] | None = None
    cgroup_parent: Located[str] | None = None
    data_root: Located[str] | None = None
    default_runtime: Located[str] | None = None
    runtimes: tuple[Located[str], ...] = ()  # runtime names (daemon.json `runtimes`, --add-runtime)


@dataclass(frozen=True, slots=True)
class GroupMember:
    """A user in the docker group: listed in /etc/group, or with it as primary group."""

    user: str
    uid: int | None
    via: str  # "member" or "primary group"
    location: Location


@dataclass(frozen=True, slots=True)
class SudoGrant:
    """A sudoers rule that lets `who` run docker commands, or everything, as root."""

    who: str
    commands: tuple[str, ...]
    grants_all: bool
    nopasswd: bool
    location: Location


@dataclass(frozen=True, slots=True)
class RegistryCredential:
    """A registry login stored in a user's `~/.docker/config.json`, redacted."""

    user: str
    registry: str
    redacted: str
    location: Location


@dataclass(frozen=True, slots=True)
class HostFiles:
    root: str
    files: tuple[FileFact, ...] = ()
    settings: DaemonSettings = field(default_factory=DaemonSettings)
    daemon_json_found: bool = False
    units: tuple[str, ...] = ()  # unit files and drop-ins read, in the order systemd applies them
    exec_start: Located[str] | None = None  # docker.service's effective ExecStart
    dockerd_pid: int | None = None
    docker_group: Located[str] | None = None  # the group's line in /etc/group
    docker_group_members: tuple[GroupMember, ...] = ()
    sudo_grants: tuple[SudoGrant, ...] = ()
    registry_credentials: tuple[RegistryCredential, ...] = ()
    audit_rules_read: tuple[str, ...] = ()  # the audit rules files found
    audit_watches: tuple[Located[str], ...] = ()  # paths watched by -w or -F path=/dir=
    present_paths: tuple[str, ...] = ()  # the AUDITED_PATHS (and units) present on the host
    data_root: str = DEFAULT_DATA_ROOT
    data_root_mount: Located[str] | None = None  # a mount point at or above-the-data-root, not /
    mounts_read: tuple[str, ...] = ()  # /etc/fstab, /proc/self/mountinfo: what was consulted

    def file(self, path: str) -> FileFact | None:
        return next((f for f in self.files if f.path == path), None)

    def of_role(self, role: FileRole) -> list[FileFact]:
        return [f for f in self.files if f.role is role]


@dataclass(frozen=True, slots=True)
class HostFilesResult:
    files: HostFiles | None
    errors: tuple[ErrorEntry, ...] = ()


class _Outside(Exception):
    """A symlink leads out of the root."""


class RootFS:
    """Reads files of a root filesystem by their host paths, resolving links inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.live = root.resolve() == Path("/")
        self.errors: list[ErrorEntry] = []
        self._refused: set[str] = set()

    def resolve(self, host_path: str, *, follow_last: bool = True) -> Path | None:
        """The real path under the root of `host_path`, or None when it does not exist or leads
        out of the root (then an error entry says so once)."""
        try:
            return self._resolve(host_path, follow_last)
        except _Outside as exc:
            if host_path not in self._refused:
                self._refused.add(host_path)
                self.errors.append(ErrorEntry(host_path, f"not read: {exc}", kind=ErrorKind.READ))
            return None

    def _resolve(self, host_path: str, follow_last: bool) -> Path | None:
        pending = [p for p in host_path.split("/") if p]
        done: list[str] = []
        links = 0
        while pending:
            part = pending.pop(0)
            if part == ".":
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = self.root.joinpath(*done, part)
            try:
                info = candidate.lstat()
            except OSError:
                return None
            if stat.S_ISLNK(info.st_mode) and (pending or follow_last):
                links += 1
                if links > _MAX_LINKS:
                    raise _Outside(f"too many levels of symbolic links at /{'/'.join(done)}")
                target = os.readlink(candidate)
                if target.startswith("/"):
                    done = []
                else:
                    depth = len(done)
                    climbs = _climb(target)
                    if climbs > depth and not self.live:
                        raise _Outside(
                            f"/{'/'.join([*done, part])} is a symbolic link to {target}, "
                            "which leads out of the audited root"
                        )
                pending = [p for p in target.split("/") if p] + pending
                continue
            done.append(part)
        return self.root.joinpath(*done)

    def stat(self, host_path: str) -> os.stat_result | None:
        real = self.resolve(host_path)
        if real is None:
            return None
        try:
            return real.lstat()
        except OSError:
            return None

    def read(self, host_path: str, limit: int = MAX_FILE_SIZE) -> str | None:
        """The text of a regular file of at most `limit` bytes, or None when it is absent or
        larger; errors become entries."""
        data = self.read_bytes(host_path, limit)
        return None if data is None else data.decode("utf-8", errors="replace")

    def read_bytes(self, host_path: str, limit: int = MAX_FILE_SIZE) -> bytes | None:
        """The bytes of a regular file of at most `limit` bytes, as `read`."""
        real = self.resolve(host_path)
        if real is None:
            return None
        try:
            info = real.lstat()
            if not stat.S_ISREG(info.st_mode):
                return None
            if info.st_size > limit:
                self.errors.append(ErrorEntry(host_path, f"not read: {info.st_size:,} bytes, over "
                                              f"the {limit:,}-byte limit",
                                              kind=ErrorKind.READ))  # fmt: skip
                return None
            fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                return handle.read(limit + 1)
        except OSError as exc:
            self.errors.append(
                ErrorEntry(host_path, f"cannot read: {exc.strerror}", kind=ErrorKind.READ)
            )
            return None

    def listdir(self, host_dir: str) -> list[str]:
        real = self.resolve(host_dir)
        if real is None:
            return []
        try:
            return sorted(os.listdir(real))
        except OSError:
            return []


def _climb(target: str) -> int:
    """How many levels above its start a relative link target reaches at most."""
    level = lowest = 0
    for part in target.split("/"):
        if part == "..":
            level -= 1
            lowest = min(lowest, level)
        elif part not in ("", "."):
            level += 1
    return -lowest


def read_host_files(root: Path) -> HostFilesResult:
    """Every Docker-related fact of the root filesystem at `root`; never writes anything."""
    if not root.is_dir():
        return HostFilesResult(
            None,
            (ErrorEntry(str(root), "the root to audit is not a directory", kind=ErrorKind.READ),),
        )
    fs = RootFS(root)
    users = _read_passwd(fs)
    groups = _read_group(fs)
    entries: list[_Entry] = []

    daemon_json_path = DAEMON_JSON
    units, exec_start, unit_entries = _read_units(fs)
    env_entries = [e for path, names in ENV_FILES.items() for e in _read_env_file(fs, path, names)]
    pid, cmdline_entries = _read_running_dockerd(fs) if fs.live else (None, [])
    for entry in [*cmdline_entries, *unit_entries, *env_entries]:
        if entry.key == "config-file" and isinstance(entry.value, str):
            daemon_json_path = entry.value
    json_entries, daemon_json_found = _read_daemon_json(fs, daemon_json_path)
    entries = [*json_entries, *env_entries, *unit_entries, *cmdline_entries]
    settings = _merge(entries)

    files = _stat_files(fs, settings, units, users, groups)
    docker_group, members = _docker_group(fs, users, groups)
    data_root = settings.data_root.value if settings.data_root else DEFAULT_DATA_ROOT
    mount, mounts_read = _data_root_mount(fs, normalise(data_root))
    watches, audit_files = _read_audit_rules(fs)
    present = [p for p in AUDITED_PATHS if fs.stat(p) is not None]
    present.extend(u for u in units if not u.endswith(".conf"))
    host_files = HostFiles(
        root=str(root),
        files=tuple(files),
        settings=settings,
        daemon_json_found=daemon_json_found,
        units=tuple(units),
        exec_start=exec_start,
        dockerd_pid=pid,
        docker_group=docker_group,
        docker_group_members=tuple(members),
        sudo_grants=tuple(_read_sudoers(fs)),
        registry_credentials=tuple(_read_registry_credentials(fs, users)),
        audit_rules_read=tuple(audit_files),
        audit_watches=tuple(watches),
        present_paths=tuple(present),
        data_root=normalise(data_root),
        data_root_mount=mount,
        mounts_read=tuple(mounts_read),
    )
    return HostFilesResult(host_files, tuple(fs.errors))


def normalise(path: str) -> str:
    """An absolute host path in its plain form (`//var/lib/docker/` is `/var/lib/docker`)."""
    return normalise_path("/" + path.strip())


# --- users and groups ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _User:
    name: str
    uid: int
    gid: int
    home: str
    line: int


@dataclass(frozen=True, slots=True)
class _Group:
    name: str
    gid: int
    members: tuple[str, ...]
    line: int


def _read_passwd(fs: RootFS) -> list[_User]:
    users: list[_User] = []
    for number, line in enumerate((fs.read("/etc/passwd") or "").splitlines(), start=1):
        parts = line.split(":")
        if len(parts) >= 6 and parts[2].isdigit() and parts[3].isdigit():
            users.append(_User(parts[0], int(parts[2]), int(parts[3]), parts[5], number))
    return users


def _read_group(fs: RootFS) -> list[_Group]:
    groups: list[_Group] = []
    for number, line in enumerate((fs.read("/etc/group") or "").splitlines(), start=1):
        parts = line.split(":")
        if len(parts) >= 4 and parts[2].isdigit():
            members = tuple(m.strip() for m in parts[3].split(",") if m.strip())
            groups.append(_Group(parts[0], int(parts[2]), members, number))
    return groups


def _docker_group(
    fs: RootFS, users: Sequence[_User], groups: Sequence[_Group]
) -> tuple[Located[str] | None, list[GroupMember]]:
    group = next((g for g in groups if g.name == "docker"), None)
    if group is None:
        return None, []
    uids = {u.name: u.uid for u in users}
    at = Location(path="/etc/group", line=group.line, logical="group:docker")
    members = [GroupMember(m, uids.get(m), "member", at) for m in group.members]
    listed = set(group.members)
    members.extend(
        GroupMember(u.name, u.uid, "primary group",
                    Location(path="/etc/passwd", line=u.line, logical=f"user:{u.name}"))
        for u in users
        if u.gid == group.gid and u.name not in listed
    )  # fmt: skip
    return Located(f"docker:{group.gid}", at), members


# --- file metadata ---------------------------------------------------------------------------


def _stat_files(
    fs: RootFS,
    settings: DaemonSettings,
    units: Sequence[str],
    users: Sequence[_User],
    groups: Sequence[_Group],
) -> list[FileFact]:
    user_names = {u.uid: u.name for u in users}
    group_names = {g.gid: g.name for g in groups}
    wanted: list[tuple[str, FileRole, str | None]] = [
        (path, FileRole.SOCKET, engine) for path, engine in SOCKETS.items()
    ]
    wanted += [("/etc/docker", FileRole.CONFIG_DIR, None)]
    json_path = DAEMON_JSON
    wanted += [(json_path, FileRole.DAEMON_JSON, None)]
    wanted += [(path, FileRole.ENV_FILE, None) for path in ENV_FILES]
    wanted += [(path, FileRole.UNIT, None) for path in units]
    for setting, role in ((settings.tlscacert, FileRole.TLS_CA),
                          (settings.tlscert, FileRole.TLS_CERT),
                          (settings.tlskey, FileRole.TLS_KEY)):  # fmt: skip
        if setting is not None and setting.value.startswith("/"):
            wanted.append((normalise(setting.value), role, None))
    for registry in fs.listdir("/etc/docker/certs.d"):
        folder = f"/etc/docker/certs.d/{registry}"
        wanted += [
            (f"{folder}/{name}", FileRole.REGISTRY_CERT, None) for name in fs.listdir(folder)
        ]
    facts: list[FileFact] = []
    seen: set[tuple[int, int]] = set()
    for path, role, engine in wanted:
        info = fs.stat(path)
        if info is None or (role is FileRole.SOCKET and (info.st_dev, info.st_ino) in seen):
            continue
        seen.add((info.st_dev, info.st_ino))
        facts.append(
            FileFact(
                path=path,
                role=role,
                kind=_kind(info.st_mode),
                mode=stat.S_IMODE(info.st_mode),
                uid=info.st_uid,
                gid=info.st_gid,
                owner=user_names.get(info.st_uid, str(info.st_uid)),
                group=group_names.get(info.st_gid, str(info.st_gid)),
                location=Location(logical=f"file:{path}"),
                engine=engine,
            )
        )
    return facts


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


# --- daemon settings -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """One setting as written in one place; `value` is a str, a bool or a list of str."""

    key: str
    value: str | bool
    location: Location
    rank: int  # which source: higher wins for scalars


_JSON_RANK, _ENV_RANK, _UNIT_RANK, _PROCESS_RANK = range(4)
_LIST_KEYS = {"hosts", "authorization-plugins", "insecure-registries", "storage-opts", "runtimes"}
_BOOL_KEYS = {"tls", "tlsverify", "icc", "live-restore", "no-new-privileges", "experimental",
              "selinux-enabled", "iptables", "userland-proxy", "debug"}  # fmt: skip
_STR_KEYS = {"tlscacert", "tlscert", "tlskey", "userns-remap", "log-driver", "log-level",
             "storage-driver", "seccomp-profile", "cgroup-parent", "data-root",
             "default-runtime", "config-file"}  # fmt: skip
# Command-line spellings of daemon.json keys.
_FLAG_KEYS = {
    "-H": "hosts", "--host": "hosts", "--authorization-plugin": "authorization-plugins",
    "--insecure-registry": "insecure-registries", "--storage-opt": "storage-opts",
    "--add-runtime": "runtimes", "-D": "debug", "-l": "log-level", "-s": "storage-driver",
    "-g": "data-root", "--graph": "data-root",
}  # fmt: skip


def _merge(entries: Iterable[_Entry]) -> DaemonSettings:
    scalars: dict[str, _Entry] = {}
    lists: dict[str, list[Located[str]]] = {}
    for entry in entries:
        if entry.key in _LIST_KEYS:
            lists.setdefault(entry.key, []).append(Located(str(entry.value), entry.location))
        elif entry.key in _BOOL_KEYS or entry.key in _STR_KEYS:
            current = scalars.get(entry.key)
            if current is None or entry.rank >= current.rank:
                scalars[entry.key] = entry

    def text(key: str) -> Located[str] | None:
        entry = scalars.get(key)
        return Located(str(entry.value), entry.location) if entry else None

    def flag(key: str) -> Located[bool] | None:
        entry = scalars.get(key)
        return Located(_truth(entry.value), entry.location) if entry else None

    def many(key: str) -> tuple[Located[str], ...]:
        return tuple(lists.get(key, ()))

    return DaemonSettings(
        hosts=many("hosts"), tls=flag("tls"), tlsverify=flag("tlsverify"),
        tlscacert=text("tlscacert"), tlscert=text("tlscert"), tlskey=text("tlskey"),
        userns_remap=text("userns-remap"), icc=flag("icc"), live_restore=flag("live-restore"),
        no_new_privileges=flag("no-new-privileges"), experimental=flag("experimental"),
        selinux_enabled=flag("selinux-enabled"), iptables=flag("iptables"),
        userland_proxy=flag("userland-proxy"),
        authorization_plugins=many("authorization-plugins"),
        insecure_registries=many("insecure-registries"), log_driver=text("log-driver"),
        log_level=text("log-level"), debug=flag("debug"), storage_driver=text("storage-driver"),
        storage_opts=many("storage-opts"), seccomp_profile=text("seccomp-profile"),
        cgroup_parent=text("cgroup-parent"), data_root=text("data-root"),
        default_runtime=text("default-runtime"), runtimes=many("runtimes"),
    )  # fmt: skip


def _truth(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    return value.strip().lower() in ("1", "t", "true", "yes", "on")


def parse_dockerd_args(args: Sequence[str], location: Location, rank: int) -> list[_Entry]:
    """The settings a dockerd command line makes, one entry per flag (the program name first)."""
    entries: list[_Entry] = []
    index = 1
    if len(args) > 1 and posixpath.basename(args[0]) == "docker" and args[1] == "daemon":
        index = 2
    while index < len(args):
        token = args[index]
        index += 1
        if not token.startswith("-") or token in ("-", "--"):
            continue
        name, equals, value = token.partition("=")
        has_value = bool(equals)
        if not name.startswith("--") and len(name) > 2 and not has_value:
            name, value, has_value = name[:2], name[2:], True  # -Htcp://...
        key = _FLAG_KEYS.get(name, name.lstrip("-"))
        if key in _BOOL_KEYS:
            entries.append(_Entry(key, _truth(value) if has_value else True, location, rank))
            continue
        if not has_value:
            if index >= len(args):
                break
            value = args[index]
            index += 1
        if key == "runtimes":
            value = value.partition("=")[0]
        entries.append(_Entry(key, value, location, rank))
    return entries


def _split_command(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def _is_dockerd(args: Sequence[str]) -> bool:
    if not args:
        return False
    program = posixpath.basename(args[0].lstrip("-@+!:"))
    return program == "dockerd" or (program == "docker" and args[1:2] == ["daemon"])


# daemon.json ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonNode:
    """A JSON value with the line it starts on; objects map keys to (key line, node)."""

    value: Any
    line: int


def parse_located_json(text: str) -> JsonNode:
    """Parse JSON keeping the line of every value; raises json.JSONDecodeError."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\r\n]*")

    def line_of(pos: int) -> int:
        return bisect_right(newlines, pos - 1) + 1

    def skip(pos: int) -> int:
        match = ws.match(text, pos)
        return match.end() if match else pos

    def fail(message: str, pos: int) -> json.JSONDecodeError:
        return json.JSONDecodeError(message, text, pos)

    def node(pos: int, depth: int) -> tuple[JsonNode, int]:
        if depth > _MAX_JSON_DEPTH:
            raise fail("nested too deeply", pos)
        pos = skip(pos)
        start = line_of(pos)
        char = text[pos : pos + 1]
        if char == "{":
            members: dict[str, tuple[int, JsonNode]] = {}
            pos = skip(pos + 1)
            if text[pos : pos + 1] == "}":
                return JsonNode(members, start), pos + 1
            while True:
                pos = skip(pos)
                if text[pos : pos + 1] != '"':
                    raise fail("Expecting property name enclosed in double quotes", pos)
                key_line = line_of(pos)
                key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
                pos = skip(pos)
                if text[pos : pos + 1] != ":":
                    raise fail("Expecting ':' delimiter", pos)
                value, pos = node(pos + 1, depth + 1)
                members[key] = (key_line, value)
                pos = skip(pos)
                char = text[pos : pos + 1]
                if char == "}":
                    return JsonNode(members, start), pos + 1
                if char != ",":
                    raise fail("Expecting ',' delimiter", pos)
                pos += 1
        if char == "[":
            items: list[JsonNode] = []
            pos = skip(pos + 1)
            if text[pos : pos + 1] == "]":
                return JsonNode(items, start), pos + 1
            while True:
                item, pos = node(pos, depth + 1)
                items.append(item)
                pos = skip(pos)
                char = text[pos : pos + 1]
                if char == "]":
                    return JsonNode(items, start), pos + 1
                if char != ",":
                    raise fail("Expecting ',' delimiter", pos)
                pos += 1
        scalar, end = decoder.raw_decode(text, pos)
        return JsonNode(scalar, start), end

    result, end = node(0, 0)
    end = skip(end)
    if end != len(text):
        raise fail("Extra data", end)
    return result


def _read_daemon_json(fs: RootFS, path: str) -> tuple[list[_Entry], bool]:
    text = fs.read(path)
    if text is None:
        return [], False
    if not text.strip():
        return [], True
    try:
        document = parse_located_json(text)
    except json.JSONDecodeError as exc:
        fs.errors.append(ErrorEntry(path, f"invalid JSON: {exc.msg}", line=exc.lineno,
                                    column=exc.colno))  # fmt: skip
        return [], True
    if not isinstance(document.value, dict):
        fs.errors.append(ErrorEntry(path, "daemon.json must hold a JSON object", line=1))
        return [], True
    entries: list[_Entry] = []
    for key, (key_line, node) in document.value.items():
        at = Location(path=path, line=key_line, logical=f"daemon.json:{key}")
        if key in _LIST_KEYS and key != "runtimes":
            items = node.value if isinstance(node.value, list) else [node]
            for item in items:
                if isinstance(item.value, str):
                    item_at = Location(path=path, line=item.line, logical=f"daemon.json:{key}")
                    entries.append(_Entry(key, item.value, item_at, _JSON_RANK))
        elif key == "runtimes" and isinstance(node.value, dict):
            for name, (name_line, _) in node.value.items():
                name_at = Location(
                    path=path, line=name_line, logical=f"daemon.json:runtimes.{name}"
                )
                entries.append(_Entry(key, name, name_at, _JSON_RANK))
        elif (key in _BOOL_KEYS and isinstance(node.value, bool)) or (
            key in _STR_KEYS and isinstance(node.value, str)
        ):
            entries.append(_Entry(key, node.value, at, _JSON_RANK))
        elif key in _BOOL_KEYS | _STR_KEYS | _LIST_KEYS:
            fs.errors.append(ErrorEntry(path, f"`{key}` has the wrong type", line=key_line))
    return entries, True


# systemd units ------------------------------------------------------------------------------


def _unit_lines(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines of a unit file (continuations joined) with their first line number."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith(("#", ";"))):
            continue
        if not pending:
            first = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        yield first, " ".join(pending)
        pending = []
    if pending:
        yield first, " ".join(pending)


def _unit_files(fs: RootFS, unit: str) -> list[str]:
    """The unit file and its drop-ins, in the order systemd reads them."""
    main = next((f"{d}/{unit}" for d in UNIT_DIRS if fs.resolve(f"{d}/{unit}") is not None), None)
    dropins: dict[str, str] = {}
    for directory in reversed(UNIT_DIRS):
        folder = f"{directory}/{unit}.d"
        for name in fs.listdir(folder):
            if name.endswith(".conf"):
                dropins[name] = f"{folder}/{name}"
    return ([main] if main else []) + [dropins[name] for name in sorted(dropins)]


def _read_units(fs: RootFS) -> tuple[list[str], Located[str] | None, list[_Entry]]:
    paths: list[str] = []
    exec_start: Located[str] | None = None
    entries: list[_Entry] = []
    for unit in DOCKER_UNITS:
        files = _unit_files(fs, unit)
        paths.extend(files)
        for path in files:
            text = fs.read(path)
            if text is None:
                continue
            section = ""
            for number, line in _unit_lines(text):
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1]
                    continue
                name, _, value = line.partition("=")
                name, value = name.strip(), value.strip()
                at = Location(path=path, line=number, logical=f"{unit}:{section}.{name}")
                if unit == "docker.service" and section == "Service" and name == "ExecStart":
                    exec_start = Located(value, at) if value else None
                elif unit == "docker.socket" and section == "Socket" and name == "ListenStream":
                    host = _listen_stream_host(value)
                    if host:
                        entries.append(_Entry("hosts", host, at, _UNIT_RANK))
    if exec_start is not None:
        args = _split_command(exec_start.value)
        if _is_dockerd(args):
            entries.extend(parse_dockerd_args(args, exec_start.location, _UNIT_RANK))
    return paths, exec_start, entries


def _listen_stream_host(value: str) -> str | None:
    """A docker.socket ListenStream that is a TCP port (`2375`, `0.0.0.0:2375`, `[::]:2376`)."""
    if not value or value.startswith(("/", "@")):
        return None
    address = value.rpartition(":")[2] if ":" in value else value
    if address.isdigit():
        return f"tcp://{value if ':' in value else '0.0.0.0:' + value}"
    return None


def _read_env_file(fs: RootFS, path: str, names: Sequence[str]) -> list[_Entry]:
    text = fs.read(path)
    if text is None:
        return []
    entries: list[_Entry] = []
    for number, line in _unit_lines(text):
        name, sep, value = line.removeprefix("export ").partition("=")
        if not sep or name.strip() not in names:
            continue
        words = _split_command(value)
        if len(words) == 1:
            words = _split_command(words[0])
        at = Location(path=path, line=number, logical=f"{path}:{name.strip()}")
        entries.extend(parse_dockerd_args(["dockerd", *words], at, _ENV_RANK))
    return entries


# the running daemon ---------------------------------------------------------------------------


def _read_running_dockerd(fs: RootFS) -> tuple[int | None, list[_Entry]]:
    for name in fs.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:
            continue
        args = [a.decode("utf-8", errors="replace") for a in raw.split(b"\0") if a]
        if args and posixpath.basename(args[0]) == "dockerd":
            at = Location(path=f"/proc/{name}/cmdline", logical=f"process/dockerd[{name}]:cmdline")
            return int(name), parse_dockerd_args(args, at, _PROCESS_RANK)
    return None, []


# sudoers ------------------------------------------------------------------------------------

_SUDO_TAG = re.compile(r"^(?:NO)?(?:PASSWD|EXEC|SETENV|LOG_INPUT|LOG_OUTPUT|MAIL|FOLLOW|"
                       r"INTERCEPT|NOEXEC|NOSETENV|NOLOG_INPUT|NOLOG_OUTPUT|NOMAIL|NOFOLLOW|"
                       r"NOINTERCEPT)$")  # fmt: skip
_RUNAS = re.compile(r"^\([^)]*\)\s*")


def _read_sudoers(fs: RootFS) -> list[SudoGrant]:
    paths = ["/etc/sudoers"] + [
        f"/etc/sudoers.d/{n}" for n in fs.listdir("/etc/sudoers.d")
        if "." not in n and not n.endswith("~")
    ]  # fmt: skip
    lines: list[tuple[str, int, str]] = []
    for path in paths:
        text = fs.read(path)
        if text is not None:
            lines.extend((path, number, line) for number, line in _unit_lines(text))
    cmnd_aliases: dict[str, list[str]] = {}
    for _, _, line in lines:
        if line.startswith("Cmnd_Alias"):
            for definition in line.removeprefix("Cmnd_Alias").split(":"):
                name, _, value = definition.partition("=")
                cmnd_aliases[name.strip()] = [c.strip() for c in value.split(",")]
    grants: list[SudoGrant] = []
    for path, number, line in lines:
        if line.startswith(("Defaults", "#", "@", "Cmnd_Alias", "User_Alias", "Host_Alias",
                            "Runas_Alias")) or "=" not in line:  # fmt: skip
            continue
        left, _, right = line.partition("=")
        parts = left.split()
        if len(parts) < 2:
            continue
        who_text = " ".join(parts[:-1])
        commands, nopasswd = _sudo_commands(right, cmnd_aliases)
        grants_all = "ALL" in commands
        docker = tuple(c for c in commands if c != "ALL" and _is_docker_command(c))
        if not grants_all and not docker:
            continue
        for who in (w.strip() for w in who_text.split(",")):
            if who in ("root", "%root", "#0") or not who:
                continue
            grants.append(SudoGrant(who, docker if not grants_all else ("ALL",), grants_all,
                                    nopasswd, Location(path=path, line=number,
                                                       logical=f"sudoers:{who}")))  # fmt: skip
    return grants


def _sudo_commands(spec: str, aliases: Mapping[str, list[str]]) -> tuple[list[str], bool]:
    commands: list[str] = []
    nopasswd = False
    for raw in spec.split(","):
        item = _RUNAS.sub("", raw.strip())
        while ":" in item:
            tag, _, rest = item.partition(":")
            if not _SUDO_TAG.match(tag.strip()):
                break
            nopasswd = nopasswd or tag.strip() == "NOPASSWD"
            item = rest.strip()
        item = item.lstrip("!").strip()
        commands.extend(aliases.get(item, [item]))
    return commands, nopasswd


def _is_docker_command(command: str) -> bool:
    words = command.split()
    return bool(words) and posixpath.basename(words[0]) in DOCKER_COMMANDS


# registry credentials -------------------------------------------------------------------------


def _read_registry_credentials(fs: RootFS, users: Sequence[_User]) -> list[RegistryCredential]:
    found: list[RegistryCredential] = []
    seen: set[str] = set()
    for user in users:
        home = normalise(user.home)
        if home == "/" or home in seen:
            continue
        seen.add(home)
        path = f"{home}/.docker/config.json"
        text = fs.read(path)
        if text is None:
            continue
        try:
            document = parse_located_json(text)
        except json.JSONDecodeError as exc:
            fs.errors.append(ErrorEntry(path, f"invalid JSON: {exc.msg}", line=exc.lineno))
            continue
        auths = document.value.get("auths") if isinstance(document.value, dict) else None
        if auths is None or not isinstance(auths[1].value, dict):
            continue
        for registry, (_, entry) in auths[1].value.items():
            if not isinstance(entry.value, dict):
                continue
            for key in ("auth", "password", "identitytoken", "registrytoken"):
                secret = entry.value.get(key)
                if secret and isinstance(secret[1].value, str) and secret[1].value.strip():
                    at = Location(path=path, line=secret[0], logical=f"auths.{registry}.{key}")
                    found.append(RegistryCredential(user.name, registry,
                                                    redact(secret[1].value), at))  # fmt: skip
                    break
    return found


# audit rules --------------------------------------------------------------------------------

_AUDIT_PATH_FIELD = re.compile(r"-F\s*(?:path|dir)=(\S+)")


def _read_audit_rules(fs: RootFS) -> tuple[list[Located[str]], list[str]]:
    paths = [f"/etc/audit/rules.d/{n}" for n in fs.listdir("/etc/audit/rules.d")
             if n.endswith(".rules")]  # fmt: skip
    paths.append("/etc/audit/audit.rules")
    watches: list[Located[str]] = []
    read: list[str] = []
    for path in paths:
        text = fs.read(path)
        if text is None:
            continue
        read.append(path)
        for number, line in _unit_lines(text):
            at = Location(path=path, line=number, logical="audit-rule")
            words = line.split()
            if "-w" in words[:-1]:
                watches.append(Located(normalise(words[words.index("-w") + 1]), at))
            watches.extend(Located(normalise(m), at) for m in _AUDIT_PATH_FIELD.findall(line))
    return watches, read


# partitions ---------------------------------------------------------------------------------


def _data_root_mount(fs: RootFS, data_root: str) -> tuple[Located[str] | None, list[str]]:
    """The mount point holding the data root when it is not `/` itself (from fstab, and
    from the kernel's mount table when auditing the live root)."""
    read: list[str] = []
    candidates: list[Located[str]] = []
    fstab = fs.read("/etc/fstab")
    if fstab is not None:
        read.append("/etc/fstab")
        for number, line in enumerate(fstab.splitlines(), start=1):
            fields = line.split()
            if len(fields) >= 2 and not fields[0].startswith("#") and fields[2:3] != ["swap"]:
                candidates.append(Located(normalise(fields[1]), Location(
                    path="/etc/fstab", line=number, logical=f"fstab:{fields[1]}")))  # fmt: skip
    if fs.live:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            mountinfo = ""
        if mountinfo:
            read.append("/proc/self/mountinfo")
        for number, line in enumerate(mountinfo.splitlines(), start=1):
            fields = line.split()
            if len(fields) >= 5:
                point = fields[4].replace("\\040", " ")
                at = Location(path="/proc/self/mountinfo", line=number, logical=f"mount:{point}")
                candidates.append(Located(normalise(point), at))
    best: Located[str] | None = None
    for candidate in candidates:
        point = candidate.value
        if point == "/" or not (data_root == point or data_root.startswith(point + "/")):
            continue
        if best is None or len(point) > len(best.value):
            best = candidate
    return best, read
