"""Compose source: a Compose project (one or more `-f` files) projected into ContainerSpecs.

Reads the Compose Specification and the legacy formats: version 2/3 files, and version 1 files
whose top-level keys are the services themselves. Every file is interpolated on its own
(`${VAR}`, `$VAR`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
`${VAR:+alt}`, `${VAR+alt}`, `$$`), then its `include` entries and `extends` are resolved, and
the files are merged in order as `docker compose -f a -f b` merges them:

- mappings merge key by key, the later file winning; `command`, `entrypoint` and
  `healthcheck.test` are replaced whole;
- `environment`, `labels`, `sysctls` and `annotations` merge as mappings whether written as a
  list (`A=b`) or a mapping;
- `volumes` and `devices` merge by their target inside the container, `ports` by
  (host ip, host port, container port, protocol); other sequences (`cap_add`, `security_opt`,
  `env_file`, `tmpfs`, `dns`, ...) are appended, an item already present is not repeated;
- a later `null` leaves the earlier value as it was (`privileged: null` does not undo
  `privileged: true`); in `environment`, `labels`, `sysctls` and `annotations` it stands for a
  variable without a value, as in one file;
- the YAML tag `!reset` removes what the earlier files set (`ports: !reset []`,
  `user: !reset null`, a whole service, or one `environment` variable) and `!override`
  replaces it instead of merging (`volumes: !override [./data:/data]`). They apply along
  mapping keys: a tagged list item is only dropped from (`!reset`) or kept in its own list, as
  docker compose does. A service's own `!reset`/`!override` also clear what it inherits
  through `extends`. Any other application tag, a tag on a mapping key or on a whole document,
  and an `!override` that cannot change anything (on a list item, or on a single value that
  replaces the earlier one anyway) are error entries, and the value is read as if untagged.

`extends` names a service of its own file, or with `file:` one of another file, read on its
own: without its `include`s and without what other `-f` files merge into it (an `-f` file is
never the merged project). That service's own `extends` are followed in turn, across files; a
service met twice on the way (same file, same name) is a cycle, reported where it closes, and
the service keeps what it sets itself. Files named by `extends` and `include` are read only
where `allowed` lets them be (the scanned folders).

`profiles`: a service with `profiles` starts only when one of them is enabled. By default
every service is projected, and a gated one says so in its name (service `shell` (profile
`debug`)), so that each message tells when it applies; `profiles=` keeps only what
`docker compose --profile P up` starts: services without `profiles` and those with one of P
(`*` enables every profile).

Paths: the first file's folder is the project folder; relative paths in every `-f` file
(`extends.file` too) are relative to it, in a file reached through `include` to that
include's project folder and in a file reached through `extends: {file: ...}` to that file's
folder, as Compose does. A bind
mount's `source` is reported as an absolute path when it was written relative (`./data`,
`../x`, `.`); `~/...` stays as written. `build_context` is kept relative to the folder of the
file its location names (as written, except for an override file in another folder), remote
contexts (`https://...`, `git@...`) as written. A named volume that the top-level `volumes:`
declares as a local bind (`driver_opts: {type: none, o: bind, device: /etc}`) is projected as
the bind mount of its device folder, since that is what the container gets.

Variables come from the project folder's `.env` and from `environ`; `environ` wins. It
defaults to an empty mapping, NOT `os.environ`, so that a scan gives the same result whatever
shell runs it. A variable that is unset and has no default becomes the empty string, as
Compose does; it is not an error (Compose only warns) but is listed, with the place that uses
it, in `ComposeResult.unset_variables`. `${VAR:?msg}` with VAR unset is an error entry.

Nothing here raises on bad input: unreadable or invalid files, missing `extends`/`include`/
`env_file` targets and values of the wrong type become error entries with file and line, and
the rest of the project is still projected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

from hullguard.model import ErrorEntry, ErrorKind, Located, Location
from hullguard.sources.yaml import YamlDocument, YList, YMap, load_documents
from hullguard.spec import COMPOSE, ContainerSpec, EnvVar, Mount, PortBinding

MAX_FILE_BYTES = 10 * 1024 * 1024  # an extends/include/env file larger than this is refused
MAX_FILE_NESTING = 32  # include and extends files within files
MAX_INTERPOLATION_DEPTH = 32  # `${A:-${B:-${C}}}`
MAX_EXTENDS_CHAIN = 64  # services extending one another
RESET, OVERRIDE = "!reset", "!override"

_TOP_LEVEL_KEYS = frozenset(
    {"version", "services", "volumes", "networks", "secrets", "configs", "include", "name",
     "models"}
)  # fmt: skip
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
_PORT = re.compile(r"^\d+(?:-\d+)?$")
_TRUE = frozenset({"true", "yes", "y", "on", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "off", "0", "f"})


@dataclass(frozen=True)
class ComposeResult:
    """A project's containers, the problems met on the way, and every file that was read
    (display paths: the `-f` files, `.env`, extended, included and `env_file` files)."""

    containers: tuple[ContainerSpec, ...]
    errors: tuple[ErrorEntry, ...]
    files: tuple[str, ...]
    unset_variables: tuple[Located[str], ...] = ()


def load_compose(
    files: Sequence[Path],
    display: Callable[[Path], str],
    *,
    environ: Mapping[str, str] | None = None,
    allowed: Callable[[Path], bool] | None = None,
    profiles: Collection[str] | None = None,
) -> ComposeResult:
    """Load the Compose project made of `files` (merged in order, like `docker compose -f`).

    `display(path)` names a file in locations and errors. Variables come from the `.env` of the
    first file's folder and from `environ`, which wins; `environ` defaults to an empty mapping,
    not `os.environ`, so results are reproducible. `allowed(path)`, when given, says whether a
    file the project names (`extends`, `include`, `env_file`, `.env`) may be read: a file it
    refuses is reported, not read, so a scanned tree cannot make the scan read the host's files.
    `profiles`, when given, keeps only the services `docker compose --profile P up` starts for
    those profiles; by default every service is projected, a gated one naming its profiles.
    """
    loader = _Loader(display, dict(environ or {}), allowed)
    if not files:
        return ComposeResult((), (), ())
    project_dir = files[0].parent
    env = loader.project_environment(project_dir, None)
    loaded = [loader.load_file(path, project_dir, env, None, 0) for path in files]
    loader.project_files = [file for file in loaded if file is not None]
    services: dict[str, _Service] = {}
    for file in loader.project_files:
        loader.merge_file_into(services, file)
    containers: list[ContainerSpec] = []
    for service in services.values():
        gated = loader.profiles_of(service)
        if profiles is None or _enabled(gated, profiles):
            containers.append(loader.project(service, env, gated))
    return ComposeResult(
        containers=tuple(containers),
        errors=tuple(loader.errors),
        files=tuple(loader.files),
        unset_variables=tuple(loader.unset),
    )


# --- loading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Service:
    name: str
    value: YMap
    anchor: Location  # the service's key in the file that declared it first


# Where a value tagged `!reset` or `!override` is: the mapping keys that lead to it from the
# top of its document (`("services", "app", "ports")`, also in a version 1 file). Both tags
# clear what earlier files set there.
_KeyPath = tuple[Any, ...]


@dataclass(frozen=True)
class _LoadedFile:
    """One file read for a project: its services as written (its documents merged, its
    `include`s added, `extends` not yet applied), the folder its relative paths are relative
    to, the variables it was interpolated with, how deep it lies (0: an `-f` file), its
    `!reset`/`!override` places and, filled as needed, its services with `extends` applied."""

    path: Path
    base_dir: Path
    env: dict[str, str]
    depth: int
    services: dict[str, _Service]
    cleared: tuple[_KeyPath, ...]
    resolved: dict[str, _Service] = dataclass_field(default_factory=dict)


def _merge_services_into(services: dict[str, _Service], new: Mapping[str, _Service]) -> None:
    for name, service in new.items():
        old = services.get(name)
        if old is None:
            services[name] = service
        else:
            services[name] = _Service(name, _merge_maps(old.value, service.value, ""), old.anchor)


def _clear(services: dict[str, _Service], cleared: Sequence[_KeyPath]) -> None:
    """Remove from `services` (merged from earlier files) what `!reset`/`!override` clear."""
    for path in cleared:
        if not path or path[0] != "services":
            continue
        if len(path) == 1:
            services.clear()
            continue
        name = str(path[1])
        old = services.get(name)
        if old is None:
            continue
        if len(path) == 2:
            del services[name]
        else:
            services[name] = _Service(name, _without_path(old.value, path[2:], ""), old.anchor)


def _cleared_for(service: str, value: YMap, cleared: Sequence[_KeyPath]) -> YMap:
    """`value` (what `service` inherits through `extends`) without what the service's own
    `!reset`/`!override` values clear."""
    for path in cleared:
        if len(path) > 2 and path[0] == "services" and str(path[1]) == service:
            value = _without_path(value, path[2:], "")
    return value


def _enabled(gated: Sequence[str], profiles: Collection[str]) -> bool:
    """Whether `docker compose --profile P up` starts a service with `profiles: gated`."""
    return not gated or "*" in profiles or any(name in profiles for name in gated)


class _Loader:
    """State shared while one project loads: the errors, the files read, the file cache."""

    def __init__(
        self,
        display: Callable[[Path], str],
        environ: dict[str, str],
        allowed: Callable[[Path], bool] | None = None,
    ) -> None:
        self.display = display
        self.environ = environ
        self.allowed = allowed
        self.errors: list[ErrorEntry] = []
        self.files: dict[str, None] = {}
        self.unset: list[Located[str]] = []
        self._lines: dict[str, list[str]] = {}
        self._texts: dict[str, str] = {}
        self._cache: dict[tuple[str, str, int, bool], _LoadedFile | None] = {}
        self._loading: set[tuple[str, str, int, bool]] = set()
        self.bind_volumes: dict[str, str] = {}  # named volumes that bind a host folder
        self._environments: dict[tuple[str, tuple[str, ...] | None], dict[str, str]] = {}
        self.project_files: list[_LoadedFile] = []  # the `-f` files, once read
        self._reported: set[ErrorEntry] = set()

    # -- errors and files

    def error(self, location: Location, message: str, kind: ErrorKind = ErrorKind.PARSE) -> None:
        self.report(ErrorEntry(location.path, message, location.line, location.column, kind=kind))

    def report(self, entry: ErrorEntry) -> None:
        """Record an error once (a file read both as an `-f` file and through `extends` is
        parsed twice)."""
        if entry not in self._reported:
            self._reported.add(entry)
            self.errors.append(entry)

    def read(self, path: Path, named_at: Location | None, what: str) -> str | None:
        """The text of `path`, or None with an error at the place that named it."""
        shown = self.display(path)
        if self.allowed is not None and not self.allowed(path):
            where = named_at or Location(path=shown)
            self.error(
                where, f"{what} {shown}: outside the scanned folders, not read", ErrorKind.READ
            )
            return None
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise _TooLarge
            data = path.read_bytes()
        except _TooLarge:
            problem = f"larger than {MAX_FILE_BYTES} bytes: refused"
        except OSError as exc:
            problem = exc.strerror or str(exc)
        else:
            text = data.decode("utf-8", errors="replace")
            self.files.setdefault(shown, None)
            self._texts[shown] = text
            return text
        where = named_at or Location(path=shown)
        self.error(where, f"{what} {shown}: {problem}", ErrorKind.READ)
        return None

    def raw(self, value: Any, location: Location) -> str:
        """A number as it was written (`22:22` is a string to Compose, 1342 to YAML 1.1)."""
        path, line, column, end = (
            location.path, location.line, location.column, location.end_column
        )  # fmt: skip
        if path is not None and line is not None and column and end and location.end_line == line:
            lines = self._lines.get(path)
            if lines is None and path in self._texts:
                lines = self._lines[path] = self._texts[path].split("\n")
            if lines is not None and 0 < line <= len(lines):
                written = lines[line - 1][column - 1 : end - 1].strip()
                while written[:1] in ("!", "&"):  # a tag or an anchor before the value
                    written = written.partition(" ")[2].lstrip()
                if written:
                    return written
        return str(value)

    # -- environment

    def project_environment(
        self, folder: Path, env_files: list[Located[str]] | None
    ) -> dict[str, str]:
        """`.env` of `folder` (or the given env files) overridden by `environ`; the same
        mapping for the same folder and files, so that a file including itself is caught."""
        key = (str(folder), None if env_files is None else tuple(e.value for e in env_files))
        known = self._environments.get(key)
        if known is None:
            known = self._environments[key] = self._read_environment(folder, env_files)
        return known

    def _read_environment(
        self, folder: Path, env_files: list[Located[str]] | None
    ) -> dict[str, str]:
        values: dict[str, str] = {}
        if env_files is None:
            dotenv = folder / ".env"
            if dotenv.is_file():
                text = self.read(dotenv, None, "cannot read")
                if text is not None:
                    for var in self.parse_env_file(
                        text, self.display(dotenv), self.environ, lookup_wins=True
                    ):
                        values[var.name] = var.value
        else:
            for named in env_files:
                text = self.read(Path(named.value), named.location, "env_file: cannot read")
                if text is not None:
                    shown = self.display(Path(named.value))
                    for var in self.parse_env_file(text, shown, self.environ, lookup_wins=True):
                        values[var.name] = var.value
        values.update(self.environ)
        return values

    def parse_env_file(
        self, text: str, shown: str, lookup: Mapping[str, str], *, lookup_wins: bool = False
    ) -> list[EnvVar]:
        """`KEY=value` lines as Compose reads `.env` and `env_file` files: `export ` prefixes,
        comments, single quotes (literal), double quotes (escapes, several lines) and plain
        values (inline ` #` comments cut) interpolated from the earlier lines and `lookup`
        (`lookup` first when `lookup_wins`, as for `.env` and the outside environment)."""
        found: dict[str, str] = {}
        scope = _Chain(lookup, found) if lookup_wins else _Chain(found, lookup)
        result: list[EnvVar] = []
        lines = text.split("\n")
        index = 0
        while index < len(lines):
            number = index + 1
            line = lines[index].strip()
            index += 1
            if not line or line.startswith("#"):
                continue
            if line.startswith("export ") or line.startswith("export\t"):
                line = line[7:].lstrip()
            key, sep, rest = line.partition("=")
            key = key.strip()
            location = Location(path=shown, line=number, column=1)
            if not _DOTENV_KEY.fullmatch(key):
                self.error(location, f"invalid variable name {key!r} in {shown}")
                continue
            if not sep:
                inherited = lookup.get(key)
                if inherited is not None:
                    found[key] = inherited
                    result.append(EnvVar(key, inherited, location))
                continue
            rest = rest.lstrip()
            if rest[:1] in ("'", '"'):
                quote = rest[0]
                body = rest[1:]
                while _closing_quote(body, quote) < 0 and index < len(lines):
                    body += "\n" + lines[index]
                    index += 1
                end = _closing_quote(body, quote)
                if end < 0:
                    self.error(location, f"unterminated quoted value for {key} in {shown}")
                    continue
                body = body[:end]
                value = self.expand(_unescape(body), scope, location) if quote == '"' else body
            else:
                comment = rest.find(" #")
                if comment >= 0:
                    rest = rest[:comment]
                value = self.expand(rest.strip(), scope, location)
            found[key] = value
            result.append(EnvVar(key, value, location))
        return result

    # -- interpolation

    def expand(self, text: str, env: Mapping[str, str], location: Location) -> str:
        if "$" not in text:
            return text
        problems: list[str] = []
        unset: list[str] = []
        value = _expand(text, env, problems, unset, 0)
        for problem in problems:
            self.error(location, problem)
        for name in unset:
            self.unset.append(Located(name, location))
        return value

    def interpolate(self, value: Any, env: Mapping[str, str]) -> None:
        """Interpolate every string value of a mapping or sequence, in place (keys are not)."""
        if isinstance(value, YMap):
            for key, item in value.items():
                if isinstance(item, str):
                    if "$" in item:
                        value[key] = self.expand(item, env, value.at(key))
                elif isinstance(item, YMap | YList):
                    self.interpolate(item, env)
        elif isinstance(value, YList):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    if "$" in item:
                        value[index] = self.expand(item, env, value.at(index))
                elif isinstance(item, YMap | YList):
                    self.interpolate(item, env)

    # -- files

    def load_file(
        self,
        path: Path,
        base_dir: Path,
        env: dict[str, str],
        named_at: Location | None,
        depth: int,
        *,
        includes: bool = True,
    ) -> _LoadedFile | None:
        """One compose file: interpolated, its includes added (unless `includes` is false, as
        for a file read for `extends`), its relative paths rebased on `base_dir`. Cached; a
        file that (indirectly) includes itself is an error."""
        key = (os.path.normpath(str(path)), str(base_dir), id(env), includes)
        if key in self._cache:
            return self._cache[key]
        if key in self._loading or depth > MAX_FILE_NESTING:
            where = named_at or Location(path=self.display(path))
            self.error(where, f"{self.display(path)} includes or extends itself: ignored")
            return None
        self._loading.add(key)
        try:
            loaded = self._load_file(path, base_dir, env, named_at, depth, includes)
        finally:
            self._loading.discard(key)
        self._cache[key] = loaded
        return loaded

    def _load_file(
        self,
        path: Path,
        base_dir: Path,
        env: dict[str, str],
        named_at: Location | None,
        depth: int,
        includes: bool,
    ) -> _LoadedFile | None:
        what = "cannot read" if named_at is None else "cannot read the file it names:"
        text = self.read(path, named_at, what)
        if text is None:
            return None
        shown = self.display(path)
        services: dict[str, _Service] = {}
        cleared: list[_KeyPath] = []
        file_dir = path.parent
        for document in load_documents(text, shown):
            if document.error is not None:
                error = document.error
                self.report(ErrorEntry(shown, error.message, error.line, error.column))
                continue
            top = document.value
            if top is None:
                continue
            if not isinstance(top, YMap):
                self.error(
                    Location(path=shown, line=document.line, column=1),
                    f"a compose file is a mapping at the top level, not {_kind(top)}",
                )
                continue
            tagged = self._take_tags(document, top) if document.tags else ()
            self.interpolate(top, env)
            if depth == 0:
                self._clear_bind_volumes(tagged)
            self._bind_volumes(top, base_dir)
            found = self._services_of(top)
            for service in found.values():
                _rebase(service.value, base_dir, file_dir)
            if includes and "include" in top:
                self._include(top, file_dir, found, depth)
            _clear(services, tagged)
            _merge_services_into(services, found)
            cleared.extend(tagged)
        return _LoadedFile(path, base_dir, env, depth, services, tuple(cleared))

    def merge_file_into(self, services: dict[str, _Service], loaded: _LoadedFile) -> None:
        """Merge a file's services, `extends` applied, onto those of the files before it, once
        its `!reset`/`!override` values have cleared what those set."""
        resolved = self.resolved_services(loaded)
        _clear(services, loaded.cleared)
        _merge_services_into(services, resolved)

    # -- `!reset` and `!override`

    def _take_tags(self, document: YamlDocument, top: YMap) -> tuple[_KeyPath, ...]:
        """Check a document's application tags, take out the values `!reset` removes and list
        the places `!reset` and `!override` clear in what earlier files set."""
        usable = False
        for tag in document.tags:
            if tag.tag not in (RESET, OVERRIDE):
                self.error(
                    tag.location,
                    f"unknown YAML tag `{tag.tag}`: read as if untagged (Compose knows "
                    f"`{RESET}` and `{OVERRIDE}`)",
                )
            elif tag.role == "key":
                self.error(
                    tag.location,
                    f"`{tag.tag}` on a mapping key means nothing: ignored (it goes before the "
                    f"value: `ports: {tag.tag} []`)",
                )
            elif tag.role == "document":
                self.error(tag.location, f"`{tag.tag}` on a whole document means nothing: ignored")
            elif tag.role == "item" and tag.tag == OVERRIDE:
                self.error(
                    tag.location,
                    f"`{OVERRIDE}` on a list item changes nothing: it replaces a whole value "
                    f"(`ports: {OVERRIDE} [...]`)",
                )
            else:
                usable = True
        if not usable:
            return ()
        version_1 = "services" not in top and not any(
            isinstance(k, str) and k in _TOP_LEVEL_KEYS for k in top
        )
        places: list[_KeyPath] = []
        self._walk_tags(top, ("services",) if version_1 else (), places)
        return tuple(places)

    def _walk_tags(self, value: YMap | YList, path: _KeyPath | None, out: list[_KeyPath]) -> None:
        """`path`: the mapping keys down to `value`, None inside a list (where a tag clears
        nothing that earlier files set)."""
        if isinstance(value, YList):
            if RESET in value.tags.values():
                kept = [i for i in range(len(value)) if value.tags.get(i) != RESET]
                items, places = [value[i] for i in kept], [value.at(i) for i in kept]
                value[:] = items
                value.item_locations[:] = places
            value.tags = {}
            for item in value:
                if isinstance(item, YMap | YList):
                    self._walk_tags(item, None, out)
            return
        tags = value.tags
        for key in list(value):
            child = value[key]
            tag = tags.get(key)
            here = None if path is None else (*path, key)
            if tag == RESET:
                if here is not None:
                    out.append(here)
                del value[key]
                value.key_locations.pop(key, None)
                value.value_locations.pop(key, None)
                continue
            if tag == OVERRIDE:
                if here is not None:
                    out.append(here)
                single = child is not None and not isinstance(child, YMap | YList)
                if single and not _scalar_merges(here):
                    self.error(
                        value.at(key),
                        f"`{OVERRIDE}` on a single value changes nothing: it replaces the "
                        f"earlier value anyway (`{RESET} null` removes it)",
                    )
            if isinstance(child, YMap | YList):
                self._walk_tags(child, here, out)

    def _clear_bind_volumes(self, cleared: Sequence[_KeyPath]) -> None:
        """Forget the bound named volumes that an `-f` file's `!reset`/`!override` clear."""
        for path in cleared:
            if path[:1] == ("volumes",):
                if len(path) == 1:
                    self.bind_volumes.clear()
                elif len(path) == 2:
                    self.bind_volumes.pop(str(path[1]), None)

    def _bind_volumes(self, top: YMap, base_dir: Path) -> None:
        """Top-level volumes of the local driver with `o: bind`: a host folder under a name."""
        volumes = top.get("volumes")
        if not isinstance(volumes, YMap) or "services" not in top:
            return
        for name, definition in volumes.items():
            options = definition.get("driver_opts") if isinstance(definition, YMap) else None
            if not isinstance(options, YMap):
                continue
            device, flags = options.get("device"), options.get("o")
            if not (isinstance(device, str) and device and isinstance(flags, str)):
                continue
            if {"bind", "rbind"} & {flag.strip() for flag in flags.split(",")}:
                path = _absolute(base_dir, device) if _is_relative(device) else device
                self.bind_volumes[str(name)] = path

    def _services_of(self, top: YMap) -> dict[str, _Service]:
        if "services" in top:
            container = top["services"]
            if container is None:
                return {}
            if not isinstance(container, YMap):
                self.error(
                    top.at("services"), f"services must be a mapping, not {_kind(container)}"
                )
                return {}
        elif not any(isinstance(k, str) and k in _TOP_LEVEL_KEYS for k in top):
            container = top  # version 1: the top-level keys are the services
        else:
            return {}
        services: dict[str, _Service] = {}
        for key, value in container.items():
            name = str(key)
            if container is top and name.startswith("x-"):
                continue
            if not isinstance(value, YMap):
                self.error(
                    container.at(key),
                    f"service `{name}` must be a mapping, not {_kind(value)}",
                )
                continue
            services[name] = _Service(name, value, container.key_locations.get(key, top.location))
        return services

    def _include(
        self, top: YMap, file_dir: Path, services: dict[str, _Service], depth: int
    ) -> None:
        entries = top["include"]
        if entries is None:
            return
        if not isinstance(entries, YList):
            self.error(top.at("include"), f"include must be a list, not {_kind(entries)}")
            return
        for index, entry in enumerate(entries):
            at = entries.at(index)
            paths: list[Located[str]] = []
            project: Located[str] | None = None
            env_files: list[Located[str]] | None = None
            if isinstance(entry, str):
                paths.append(Located(entry, at))
            elif isinstance(entry, YMap):
                paths = self._strings(entry, "path", "include")
                if "project_directory" in entry:
                    project = self._string(entry, "project_directory", "include")
                if "env_file" in entry:
                    env_files = self._strings(entry, "env_file", "include")
                if not paths:
                    self.error(at, "include: an entry needs a `path`")
            else:
                self.error(at, f"include: an entry is a path or a mapping, not {_kind(entry)}")
                continue
            if not paths:
                continue
            resolved = [Located(_join(file_dir, p.value), p.location) for p in paths]
            folder = (
                Path(_join(file_dir, project.value))
                if project is not None
                else Path(resolved[0].value).parent
            )
            if env_files is not None:
                env_files = [Located(_join(file_dir, e.value), e.location) for e in env_files]
            env = self.project_environment(folder, env_files)
            included: dict[str, _Service] = {}
            for named in resolved:
                loaded = self.load_file(Path(named.value), folder, env, named.location, depth + 1)
                if loaded is not None:
                    self.merge_file_into(included, loaded)
            for name, service in included.items():
                if name in services:
                    self.error(
                        at,
                        f"include: service `{name}` is defined both here and in "
                        f"{self.display(Path(resolved[0].value))}: the local one is kept",
                    )
                else:
                    services[name] = service

    # -- extends

    def resolved_services(self, loaded: _LoadedFile) -> dict[str, _Service]:
        """A file's services with their `extends` applied."""
        return {name: self._extended(loaded, name, ()) for name in loaded.services}

    def _extended(
        self, loaded: _LoadedFile, name: str, chain: tuple[tuple[str, str], ...]
    ) -> _Service:
        """Service `name` of `loaded` merged onto the service it extends; `chain` holds the
        (file, service) pairs already on the way, to catch a cycle."""
        known = loaded.resolved.get(name)
        if known is not None:
            return known
        service = loaded.services[name]
        result = service
        if "extends" in service.value:
            own = _without(service.value, "extends")
            link = (os.path.normpath(str(loaded.path)), name)
            base = self._extends_base(loaded, service, (*chain, link))
            if base is None:
                result = _Service(name, own, service.anchor)
            else:
                inherited = _cleared_for(name, base.value, loaded.cleared)
                result = _Service(name, _merge_maps(inherited, own, ""), service.anchor)
        loaded.resolved[name] = result
        return result

    def _extends_base(
        self, loaded: _LoadedFile, service: _Service, chain: tuple[tuple[str, str], ...]
    ) -> _Service | None:
        """The service that `service` extends, itself extended; None (with an error where
        needed) when there is none to be had."""
        name = service.name
        where = f"services.{name}.extends"
        extends = service.value.get("extends")
        at = service.value.at("extends")
        base_name: Located[str] | None = None
        base_file: Located[str] | None = None
        if isinstance(extends, str):
            base_name = Located(extends, at)
        elif isinstance(extends, YMap):
            base_name = self._string(extends, "service", where)
            if "file" in extends:
                base_file = self._string(extends, "file", where)
            if base_name is None and "service" not in extends:
                self.error(at, f"{where} needs a `service`")
        else:
            self.error(at, f"{where} must be a string or a mapping, not {_kind(extends)}")
        if base_name is None:
            return None
        if len(chain) > MAX_EXTENDS_CHAIN:
            self.error(
                base_name.location,
                f"{where}: more than {MAX_EXTENDS_CHAIN} services extend one another: refused",
            )
            return None
        target = loaded
        if base_file is not None:
            path = Path(_join(loaded.base_dir, base_file.value))
            found = self.load_file(
                path, path.parent, loaded.env, base_file.location, loaded.depth + 1,
                includes=False,
            )  # fmt: skip
            if found is None:
                return None
            target = found
        ref = base_name.value
        if ref not in target.services:
            if base_file is not None:
                problem = f"no service `{ref}` in {self.display(target.path)}"
            else:
                problem = f"no service `{ref}` in this file" + self._elsewhere(ref, loaded)
            self.error(base_name.location, f"{where}: {problem}")
            return None
        link = (os.path.normpath(str(target.path)), ref)
        if link in chain:
            message = f"{where}: `{ref}` extends itself in a cycle"
            if any(file != link[0] for file, _ in chain):
                steps = [*chain[chain.index(link) :], link]
                message = (
                    f"{where}: `{ref}` in {self.display(target.path)} extends itself in a cycle: "
                    + " -> ".join(f"{s} in {self.display(Path(f))}" for f, s in steps)
                )
            self.error(base_name.location, message)
            return None
        return self._extended(target, ref, chain)

    def _elsewhere(self, ref: str, loaded: _LoadedFile) -> str:
        """A hint when the service an `extends` without `file` names is in another `-f`
        file: there docker compose does not look."""
        for other in self.project_files:
            if other is not loaded and ref in other.services:
                return (
                    f" (it is in {self.display(other.path)}, which `extends` reaches only with "
                    "`file:`)"
                )
        return ""

    # -- typed reads of a mapping's values

    def _string(self, mapping: YMap, key: str, where: str) -> Located[str] | None:
        value = mapping.get(key)
        at = mapping.at(key)
        if value is None:
            return None
        if isinstance(value, str):
            return Located(value, at)
        if isinstance(value, bool):
            return Located("true" if value else "false", at)
        if isinstance(value, int | float):
            return Located(self.raw(value, at), at)
        self.error(at, f"{where}.{key} must be a string, not {_kind(value)}")
        return None

    def _strings(self, mapping: YMap, key: str, where: str) -> list[Located[str]]:
        """A list of strings, or one string where Compose takes either."""
        value = mapping.get(key)
        if isinstance(value, str):
            return [Located(value, mapping.at(key))]
        return self._string_list(mapping, key, where)

    def _list(self, mapping: YMap, key: str, where: str) -> YList | None:
        """The list under `key`; None when absent, or (with an error) when not a list."""
        value = mapping.get(key)
        if value is None:
            return None
        if not isinstance(value, YList):
            self.error(mapping.at(key), f"{where}.{key} must be a list, not {_kind(value)}")
            return None
        return value

    def _string_list(self, mapping: YMap, key: str, where: str) -> list[Located[str]]:
        value = self._list(mapping, key, where)
        if value is None:
            return []
        items: list[Located[str]] = []
        for index, item in enumerate(value):
            at = value.at(index)
            if isinstance(item, str):
                items.append(Located(item, at))
            elif isinstance(item, bool | int | float):
                items.append(Located(self.raw(item, at), at))
            else:
                self.error(at, f"{where}.{key}[{index}] must be a string, not {_kind(item)}")
        return items

    def _bool(self, mapping: YMap, key: str, where: str) -> Located[bool] | None:
        value = mapping.get(key)
        at = mapping.at(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return Located(value, at)
        if isinstance(value, str | int) and str(value).strip().lower() in _TRUE | _FALSE:
            return Located(str(value).strip().lower() in _TRUE, at)
        self.error(at, f"{where}.{key} must be true or false, not {value!r}")
        return None

    # -- projection

    def profiles_of(self, service: _Service) -> tuple[str, ...]:
        """The profiles that gate a service (none: it always starts)."""
        names = self._string_list(service.value, "profiles", f"services.{service.name}")
        return tuple(dict.fromkeys(name.value for name in names))

    def project(
        self, service: _Service, env: Mapping[str, str], profiles: Sequence[str] = ()
    ) -> ContainerSpec:
        """The ContainerSpec of one merged service; `profiles` (those that gate it) are named
        after its name, so that every message says when the service runs."""
        s = service.value
        where = f"services.{service.name}"
        spec: dict[str, Any] = {}
        spec["image"] = self._string(s, "image", where)
        self._build(s, where, spec)
        for field, keys in _STRING_FIELDS:
            for key in keys:
                if key in s:
                    spec[field] = self._string(s, key, where)
                    break
        spec["privileged"] = self._bool(s, "privileged", where)
        spec["read_only_rootfs"] = self._bool(s, "read_only", where)
        spec["cap_add"] = tuple(self._string_list(s, "cap_add", where))
        spec["cap_drop"] = tuple(self._string_list(s, "cap_drop", where))
        self._security_opt(s, where, spec)
        spec["devices"] = tuple(self._devices(s, where))
        spec["mounts"] = (*self._volumes(s, where), *self._tmpfs(s, where))
        spec["sysctls"] = tuple(self._pairs(s, "sysctls", where, env, resolve=False))
        spec["ports"] = tuple(self._ports(s, where))
        spec["env"] = tuple(self._environment(s, where, env))
        self._limits(s, where, spec)
        label = f"service `{service.name}`"
        if profiles:
            plural = "s" if len(profiles) > 1 else ""
            label += f" (profile{plural} " + ", ".join(f"`{p}`" for p in profiles) + ")"
        return ContainerSpec(
            kind=COMPOSE,
            name=label,
            resource=where,
            anchor=service.anchor,
            **{k: v for k, v in spec.items() if v is not None},
        )

    def _build(self, s: YMap, where: str, spec: dict[str, Any]) -> None:
        build = s.get("build")
        if isinstance(build, str):
            spec["build_context"] = Located(build, s.at("build"))
            if "dockerfile" in s:  # version 1 put it beside `build`
                spec["dockerfile"] = self._string(s, "dockerfile", where)
        elif isinstance(build, YMap):
            context = self._string(build, "context", f"{where}.build")
            spec["build_context"] = context or Located(".", s.at("build"))
            spec["dockerfile"] = self._string(build, "dockerfile", f"{where}.build")
        elif build is not None:
            self.error(
                s.at("build"), f"{where}.build must be a path or a mapping, not {_kind(build)}"
            )

    def _security_opt(self, s: YMap, where: str, spec: dict[str, Any]) -> None:
        selinux: list[Located[str]] = []
        for option in self._string_list(s, "security_opt", where):
            text = option.value.strip()
            name, value = _split_option(text)
            lowered = name.lower()
            if lowered == "seccomp":
                spec["seccomp"] = Located(value, option.location)
            elif lowered == "apparmor":
                spec["apparmor"] = Located(value, option.location)
            elif lowered == "label":
                selinux.append(Located(value, option.location))
            elif lowered == "no-new-privileges":
                flag = value.lower() if value else "true"
                if flag in _TRUE | _FALSE:
                    spec["no_new_privileges"] = Located(flag in _TRUE, option.location)
                else:
                    self.error(option.location, f"{where}.security_opt: {text!r} is not valid")
        spec["selinux"] = tuple(selinux)

    def _devices(self, s: YMap, where: str) -> Iterator[Located[str]]:
        value = self._list(s, "devices", where)
        if value is None:
            return
        for index, item in enumerate(value):
            at = value.at(index)
            if isinstance(item, str):
                yield Located(item, at)
            elif isinstance(item, YMap):
                source = self._string(item, "source", f"{where}.devices[{index}]")
                if source is None:
                    self.error(at, f"{where}.devices[{index}] needs a `source`")
                    continue
                target = self._string(item, "target", f"{where}.devices[{index}]")
                permissions = self._string(item, "permissions", f"{where}.devices[{index}]")
                parts = [source.value, target.value if target else source.value]
                if permissions is not None:
                    parts.append(permissions.value)
                yield Located(":".join(parts), at)
            else:
                self.error(at, f"{where}.devices[{index}] must be a string, not {_kind(item)}")

    def _volumes(self, s: YMap, where: str) -> Iterator[Mount]:
        value = self._list(s, "volumes", where)
        if value is None:
            return
        for index, item in enumerate(value):
            at = value.at(index)
            here = f"{where}.volumes[{index}]"
            if isinstance(item, str):
                source, target, mode = _split_volume(item)
                if not target:
                    self.error(at, f"{here}: {item!r} has no target")
                    continue
                options = {o.strip().lower() for o in mode.split(",")}
                if source is None:
                    kind = "volume"
                elif _is_host_path(source):
                    kind = "bind"
                elif source in self.bind_volumes:
                    kind, source = "bind", self.bind_volumes[source]
                else:
                    kind = "volume"
                yield Mount(kind, source, target, "ro" in options, at)
            elif isinstance(item, YMap):
                target_value = self._string(item, "target", here)
                if target_value is None:
                    self.error(at, f"{here} needs a `target`")
                    continue
                source_value = self._string(item, "source", here)
                source = source_value.value if source_value else None
                type_value = self._string(item, "type", here)
                if type_value is not None:
                    kind = type_value.value
                else:
                    kind = "bind" if source and _is_host_path(source) else "volume"
                if kind == "volume" and source in self.bind_volumes:
                    kind, source = "bind", self.bind_volumes[source]
                read_only = self._bool(item, "read_only", here)
                yield Mount(
                    kind,
                    None if kind == "tmpfs" else source,
                    target_value.value,
                    bool(read_only and read_only.value),
                    at,
                )
            else:
                self.error(at, f"{here} must be a string or a mapping, not {_kind(item)}")

    def _tmpfs(self, s: YMap, where: str) -> Iterator[Mount]:
        for entry in self._strings(s, "tmpfs", where):
            target, _, options = entry.value.partition(":")
            read_only = "ro" in {o.strip().lower() for o in options.split(",")}
            yield Mount("tmpfs", None, target.strip(), read_only, entry.location)

    def _pairs(
        self, s: YMap, key: str, where: str, env: Mapping[str, str], *, resolve: bool
    ) -> Iterator[EnvVar]:
        """`A=b` list items or `A: b` entries; a name without a value takes the variable's
        value from `env` when `resolve` (Compose's `environment`), else is skipped."""
        value = s.get(key)
        if value is None:
            return
        if isinstance(value, YList):
            for index, item in enumerate(value):
                at = value.at(index)
                if not isinstance(item, str):
                    self.error(at, f"{where}.{key}[{index}] must be `NAME=value`, not "
                               f"{_kind(item)}")  # fmt: skip
                    continue
                name, sep, text = item.partition("=")
                if sep:
                    yield EnvVar(name, text, at)
                elif resolve and name in env:
                    yield EnvVar(name, env[name], at)
        elif isinstance(value, YMap):
            for name, item in value.items():
                at = value.at(name)
                if item is None:
                    if resolve and str(name) in env:
                        yield EnvVar(str(name), env[str(name)], at)
                elif isinstance(item, YMap | YList):
                    self.error(at, f"{where}.{key}.{name} must be a scalar, not {_kind(item)}")
                elif isinstance(item, bool):
                    yield EnvVar(str(name), "true" if item else "false", at)
                elif isinstance(item, int | float):
                    yield EnvVar(str(name), self.raw(item, at), at)
                else:
                    yield EnvVar(str(name), str(item), at)
        else:
            self.error(s.at(key), f"{where}.{key} must be a list or a mapping, not "
                       f"{_kind(value)}")  # fmt: skip

    def _environment(self, s: YMap, where: str, env: Mapping[str, str]) -> Iterator[EnvVar]:
        variables: dict[str, EnvVar] = {}
        for var in self._env_files(s, where, env):
            variables[var.name] = var
        for var in self._pairs(s, "environment", where, env, resolve=True):
            variables[var.name] = var
        return iter(variables.values())

    def _env_files(self, s: YMap, where: str, env: Mapping[str, str]) -> Iterator[EnvVar]:
        value = s.get("env_file")
        if value is None:
            return
        items: list[tuple[Any, Location]]
        if isinstance(value, str):
            items = [(value, s.at("env_file"))]
        elif isinstance(value, YList):
            items = [(item, value.at(index)) for index, item in enumerate(value)]
        else:
            self.error(s.at("env_file"), f"{where}.env_file must be a path or a list, not "
                       f"{_kind(value)}")  # fmt: skip
            return
        for item, at in items:
            required = True
            if isinstance(item, YMap):
                path = self._string(item, "path", f"{where}.env_file")
                flag = self._bool(item, "required", f"{where}.env_file")
                required = flag is None or flag.value
                if path is None:
                    self.error(at, f"{where}.env_file: an entry needs a `path`")
                    continue
                item, at = path.value, path.location
            if not isinstance(item, str):
                self.error(at, f"{where}.env_file entries are paths, not {_kind(item)}")
                continue
            file = Path(item)
            if not required and not file.exists():
                continue
            text = self.read(file, at, f"{where}.env_file: cannot read")
            if text is not None:
                yield from self.parse_env_file(text, self.display(file), env)

    def _ports(self, s: YMap, where: str) -> Iterator[PortBinding]:
        value = self._list(s, "ports", where)
        if value is None:
            return
        for index, item in enumerate(value):
            at = value.at(index)
            here = f"{where}.ports[{index}]"
            if isinstance(item, str | int) and not isinstance(item, bool):
                text = item if isinstance(item, str) else self.raw(item, at)
                parsed = _parse_port(text)
                if parsed is None:
                    self.error(at, f"{here}: {text!r} is not a port specification")
                    continue
                ip, host, container, protocol = parsed
                yield PortBinding(container, protocol, host, ip, at)
            elif isinstance(item, YMap):
                target = self._string(item, "target", here)
                if target is None:
                    self.error(at, f"{here} needs a `target`")
                    continue
                published = self._string(item, "published", here)
                host_ip = self._string(item, "host_ip", here)
                proto = self._string(item, "protocol", here)
                yield PortBinding(
                    target.value,
                    proto.value.lower() if proto else "tcp",
                    published.value if published and published.value else None,
                    host_ip.value if host_ip and host_ip.value else None,
                    at,
                )
            else:
                self.error(at, f"{here} must be a string or a mapping, not {_kind(item)}")

    def _limits(self, s: YMap, where: str, spec: dict[str, Any]) -> None:
        deploy = s.get("deploy")
        limits: Any = None
        if deploy is not None and not isinstance(deploy, YMap):
            self.error(s.at("deploy"), f"{where}.deploy must be a mapping, not {_kind(deploy)}")
        elif isinstance(deploy, YMap):
            resources = deploy.get("resources")
            if resources is not None and not isinstance(resources, YMap):
                self.error(deploy.at("resources"), f"{where}.deploy.resources must be a "
                           f"mapping, not {_kind(resources)}")  # fmt: skip
            elif isinstance(resources, YMap):
                limits = resources.get("limits")
                if limits is not None and not isinstance(limits, YMap):
                    self.error(resources.at("limits"), f"{where}.deploy.resources.limits must "
                               f"be a mapping, not {_kind(limits)}")  # fmt: skip
                    limits = None
        here = f"{where}.deploy.resources.limits"
        for field, key, legacy in (
            ("memory_limit", "memory", "mem_limit"),
            ("cpu_limit", "cpus", "cpus"),
            ("pids_limit", "pids", "pids_limit"),
        ):
            value = self._string(limits, key, here) if isinstance(limits, YMap) else None
            if value is None and legacy in s:
                value = self._string(s, legacy, where)
            spec[field] = value


_STRING_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("user", ("user",)),
    ("pid", ("pid",)),
    ("ipc", ("ipc",)),
    ("network", ("network_mode", "net")),
    ("uts", ("uts",)),
    ("userns", ("userns_mode",)),
    ("cgroup", ("cgroup",)),
    ("runtime", ("runtime",)),
)


class _TooLarge(Exception):
    pass


class _Chain(Mapping[str, str]):
    """Two mappings looked up in turn: `first` wins."""

    def __init__(self, first: Mapping[str, str], second: Mapping[str, str]) -> None:
        self.first = first
        self.second = second

    def __getitem__(self, key: str) -> str:
        if key in self.first:
            return self.first[key]
        return self.second[key]

    def __iter__(self) -> Iterator[str]:
        return iter({**self.second, **self.first})

    def __len__(self) -> int:
        return len({**self.second, **self.first})


# --- interpolation ----------------------------------------------------------------------------


def _expand(
    text: str, env: Mapping[str, str], problems: list[str], unset: list[str], depth: int
) -> str:
    out: list[str] = []
    position = 0
    length = len(text)
    while True:
        dollar = text.find("$", position)
        if dollar < 0:
            out.append(text[position:])
            break
        out.append(text[position:dollar])
        following = text[dollar + 1] if dollar + 1 < length else ""
        if following == "$":
            out.append("$")
            position = dollar + 2
        elif following == "{":
            end = _closing_brace(text, dollar + 2)
            if end < 0:
                problems.append(f"invalid interpolation: `${{` is not closed in {text!r}")
                out.append(text[dollar:])
                break
            out.append(_braced(text[dollar + 2 : end], env, problems, unset, depth))
            position = end + 1
        else:
            match = _NAME.match(text, dollar + 1)
            if match is None:
                out.append("$")
                position = dollar + 1
            else:
                name = match.group()
                value = env.get(name)
                if value is None:
                    unset.append(name)
                    value = ""
                out.append(value)
                position = match.end()
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char == "$" and text.startswith("$$", index):
            index += 2
            continue
        if char == "$" and text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return -1


def _braced(
    inner: str, env: Mapping[str, str], problems: list[str], unset: list[str], depth: int
) -> str:
    match = _NAME.match(inner)
    if match is None or depth > MAX_INTERPOLATION_DEPTH:
        problems.append(f"invalid interpolation format: ${{{inner}}}")
        return "${" + inner + "}"
    name = match.group()
    rest = inner[match.end() :]
    value = env.get(name)
    if not rest:
        if value is None:
            unset.append(name)
            return ""
        return value
    for operator in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(operator):
            break
    else:
        problems.append(f"invalid interpolation format: ${{{inner}}}")
        return "${" + inner + "}"
    argument = rest[len(operator) :]

    def expanded() -> str:
        return _expand(argument, env, problems, unset, depth + 1)

    missing = value is None if operator in ("-", "?", "+") else not value
    if operator in (":-", "-"):
        return expanded() if missing else value or ""
    if operator in (":+", "+"):
        return "" if missing else expanded()
    if missing:
        message = expanded()
        problems.append(
            f"required variable {name} is missing a value" + (f": {message}" if message else "")
        )
    return value or ""


def _closing_quote(body: str, quote: str) -> int:
    index = 0
    while index < len(body):
        if quote == '"' and body[index] == "\\":
            index += 2
            continue
        if body[index] == quote:
            return index
        index += 1
    return -1


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$$"}


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


# --- merging ----------------------------------------------------------------------------------

_REPLACED = frozenset({"command", "entrypoint", "healthcheck.test"})
_MAPPING_LIKE = frozenset({"environment", "labels", "sysctls", "annotations"})
_LIST_OR_STRING = frozenset({"env_file", "tmpfs", "dns", "dns_search", "cap_add", "cap_drop"})


def _merge_maps(base: YMap, over: YMap, path: str) -> YMap:
    """`over` merged onto `base` as Compose merges files; `path` is the dotted key of the
    mapping inside its service (`""` for the service itself)."""
    merged = YMap(over.location)
    for key, value in base.items():
        merged[key] = value
        merged.key_locations[key] = base.key_locations.get(key, base.location)
        merged.value_locations[key] = base.at(key)
    for key, value in over.items():
        field = f"{path}.{key}" if path else str(key)
        if key in merged:
            if value is None and field not in _REPLACED and path not in _MAPPING_LIKE:
                continue  # Compose keeps the earlier value; `!reset` is what removes it
            merged[key] = _merge_values(merged[key], merged.at(key), value, over.at(key), field)
        else:
            merged[key] = value
        merged.key_locations[key] = over.key_locations.get(key, over.location)
        merged.value_locations[key] = over.at(key)
    return merged


def _merge_values(base: Any, base_at: Location, over: Any, over_at: Location, field: str) -> Any:
    if field in _REPLACED:
        return over
    if field in _MAPPING_LIKE and isinstance(base, YMap | YList) and isinstance(over, YMap | YList):
        return _merge_maps(_as_mapping(base), _as_mapping(over), field)
    if field == "build":
        base = _as_context(base, base_at)
        over = _as_context(over, over_at)
    if field in _LIST_OR_STRING:
        base = _as_list(base, base_at)
        over = _as_list(over, over_at)
    if isinstance(base, YMap) and isinstance(over, YMap):
        return _merge_maps(base, over, field)
    if isinstance(base, YList) and isinstance(over, YList):
        key = _LIST_KEYS.get(field, _scalar_key)
        return _merge_lists(base, over, key)
    return over


def _as_mapping(value: YMap | YList) -> YMap:
    if isinstance(value, YMap):
        return value
    mapping = YMap(value.location)
    for index, item in enumerate(value):
        name, sep, text = str(item).partition("=")
        mapping[name] = text if sep else None
        mapping.key_locations[name] = mapping.value_locations[name] = value.at(index)
    return mapping


def _as_context(value: Any, at: Location) -> Any:
    if isinstance(value, str):
        mapping = YMap(at)
        mapping["context"] = value
        mapping.key_locations["context"] = mapping.value_locations["context"] = at
        return mapping
    return value


def _as_list(value: Any, at: Location) -> Any:
    if isinstance(value, str):
        items = YList(at)
        items.append(value)
        items.item_locations.append(at)
        return items
    return value


def _merge_lists(base: YList, over: YList, key: Callable[[Any], Any]) -> YList:
    merged = YList(over.location)
    positions: dict[Any, int] = {}
    for items in (base, over):
        for index, item in enumerate(items):
            identity = key(item)
            if identity is not None and identity in positions:
                position = positions[identity]
                merged[position] = item
                merged.item_locations[position] = items.at(index)
                continue
            if identity is not None:
                positions[identity] = len(merged)
            merged.append(item)
            merged.item_locations.append(items.at(index))
    return merged


def _scalar_key(item: Any) -> Any:
    return item if isinstance(item, str | int | float | bool) else None


def _volume_key(item: Any) -> Any:
    if isinstance(item, str):
        return _split_volume(item)[1] or None
    if isinstance(item, YMap) and isinstance(item.get("target"), str):
        return item["target"]
    return None


def _device_key(item: Any) -> Any:
    if isinstance(item, str):
        parts = item.split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    if isinstance(item, YMap):
        target = item.get("target", item.get("source"))
        return target if isinstance(target, str) else None
    return None


def _port_key(item: Any) -> Any:
    if isinstance(item, str):
        return _parse_port(item)
    if isinstance(item, YMap):
        return (
            str(item.get("host_ip") or ""),
            str(item.get("published") or ""),
            str(item.get("target")),
            str(item.get("protocol") or "tcp"),
        )
    return _scalar_key(item)


_LIST_KEYS: dict[str, Callable[[Any], Any]] = {
    "volumes": _volume_key,
    "devices": _device_key,
    "ports": _port_key,
}


def _without(mapping: YMap, key: Any) -> YMap:
    copy = YMap(mapping.location)
    for name, value in mapping.items():
        if name != key:
            copy[name] = value
            copy.key_locations[name] = mapping.key_locations.get(name, mapping.location)
            copy.value_locations[name] = mapping.at(name)
    return copy


def _without_path(mapping: YMap, keys: tuple[Any, ...], path: str) -> YMap:
    """A copy of `mapping` without the value the mapping keys `keys` lead to (`mapping` itself
    when there is none); `path` is the dotted key of `mapping` inside its service. An
    `environment`, `labels`, `sysctls` or `annotations` list counts as its mapping."""
    key = keys[0]
    if key not in mapping:
        key = next((k for k in mapping if str(k) == str(key)), None)
        if key is None:
            return mapping
    if len(keys) == 1:
        return _without(mapping, key)
    field = f"{path}.{key}" if path else str(key)
    child = mapping[key]
    if field in _MAPPING_LIKE and isinstance(child, YList):
        child = _as_mapping(child)
    if not isinstance(child, YMap):
        return mapping
    inner = _without_path(child, keys[1:], field)
    if inner is child:
        return mapping
    copy = _without(mapping, None)
    copy[key] = inner
    return copy


def _scalar_merges(path: _KeyPath | None) -> bool:
    """Whether a single value at `path` would merge with an earlier one rather than replace
    it (`build: ./dir` onto a `build` mapping, `env_file: a.env` onto a list), so that
    `!override` changes something there."""
    return (
        path is not None
        and len(path) == 3
        and path[0] == "services"
        and (path[2] == "build" or path[2] in _LIST_OR_STRING)
    )


# --- paths ------------------------------------------------------------------------------------


def _join(folder: Path, path: str) -> str:
    """`path` (as written in a file) taken relative to `folder`, normalised."""
    if path.startswith("~"):
        return os.path.expanduser(path)
    return os.path.normpath(os.path.join(folder, path))


def _is_remote(context: str) -> bool:
    return "://" in context or context.startswith(("git@", "github.com/"))


def _is_host_path(source: str) -> bool:
    return source.startswith(("/", ".", "~")) or bool(_WINDOWS_PATH.match(source))


def _is_relative(source: str) -> bool:
    return not (os.path.isabs(source) or source.startswith("~") or _WINDOWS_PATH.match(source))


def _absolute(base_dir: Path, source: str) -> str:
    return os.path.normpath(os.path.join(os.path.abspath(base_dir), source))


def _rebase(service: YMap, base_dir: Path, file_dir: Path) -> None:
    """Rewrite the relative paths of a service written in a file in `file_dir` whose paths are
    relative to `base_dir`: bind sources become absolute, `env_file` paths openable, build
    contexts relative to `file_dir` (the folder of the file their location names)."""
    build = service.get("build")
    if isinstance(build, str):
        service["build"] = _rebase_context(build, base_dir, file_dir)
    elif isinstance(build, YMap) and isinstance(build.get("context"), str):
        build["context"] = _rebase_context(build["context"], base_dir, file_dir)
    volumes = service.get("volumes")
    if isinstance(volumes, YList):
        for index, item in enumerate(volumes):
            if isinstance(item, str):
                source, _, _ = _split_volume(item)
                if source is not None and source.startswith(".") and _is_host_path(source):
                    volumes[index] = _absolute(base_dir, source) + item[len(source) :]
            elif isinstance(item, YMap):
                source = item.get("source")
                kind = item.get("type")
                is_bind = kind == "bind" or (kind is None and isinstance(source, str)
                                             and _is_host_path(source))  # fmt: skip
                if is_bind and isinstance(source, str) and source and _is_relative(source):
                    item["source"] = _absolute(base_dir, source)
    env_file = service.get("env_file")
    if isinstance(env_file, str):
        service["env_file"] = _join(base_dir, env_file)
    elif isinstance(env_file, YList):
        for index, item in enumerate(env_file):
            if isinstance(item, str):
                env_file[index] = _join(base_dir, item)
            elif isinstance(item, YMap) and isinstance(item.get("path"), str):
                item["path"] = _join(base_dir, item["path"])


def _rebase_context(context: str, base_dir: Path, file_dir: Path) -> str:
    if _is_remote(context) or not _is_relative(context) or base_dir == file_dir:
        return context
    return os.path.relpath(os.path.join(base_dir, context), file_dir)


# --- short syntaxes ---------------------------------------------------------------------------


def _split_volume(spec: str) -> tuple[str | None, str, str]:
    """`[source:]target[:mode]` as (source or None for an anonymous volume, target, mode)."""
    drive = ""
    if _WINDOWS_PATH.match(spec):
        drive, spec = spec[:2], spec[2:]
    parts = spec.split(":")
    if len(parts) == 1:
        return None, drive + parts[0], ""
    return drive + parts[0], parts[1], ":".join(parts[2:])


def _parse_port(text: str) -> tuple[str | None, str | None, str, str] | None:
    """`[ip:][host:]container[/protocol]` as (ip, host port, container port, protocol)."""
    body, _, protocol = text.strip().partition("/")
    parts = body.rsplit(":", 2)
    ip: str | None = None
    host: str | None = None
    if len(parts) == 3:
        ip, host, container = parts
        ip = ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip
    elif len(parts) == 2:
        host, container = parts
    else:
        container = parts[0]
    if not _PORT.match(container) or (host and not _PORT.match(host)):
        return None
    return ip or None, host or None, container, (protocol or "tcp").lower()


def _split_option(text: str) -> tuple[str, str]:
    """`name:value` or `name=value` (the first separator decides), value empty if none."""
    for index, char in enumerate(text):
        if char in ":=":
            return text[:index], text[index + 1 :]
    return text, ""


def _kind(value: Any) -> str:
    if isinstance(value, YMap | dict):
        return "a mapping"
    if isinstance(value, YList | list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "a string"
