"""Lock files of a source tree: the exact versions a project installs, each with its line.

- `requirements*.txt` (pip): only pinned lines, `name==version` (extras and environment
  markers allowed). A line without an exact pin (`flask>=2`, `flask`, `flask==2.*`) says
  nothing about the version installed and is not matched; `-r`, `-c`, `-e` and other option
  lines, URLs and local paths are skipped.
- `poetry.lock` (TOML `[[package]]` tables with `name` and `version`).
- `package-lock.json`, lockfileVersion 1 (nested `dependencies`), 2 and 3 (`packages`, keyed
  by their `node_modules/...` path; the root entry and links are skipped).
- `go.sum` (every module with its downloaded source; the highest version of a module, the one
  the build selects) or, where there is no go.sum beside it, `go.mod` (`require` lines, with
  `replace` directives applied).

A file that cannot be read as its format gives an error entry with the file and line, and what
could be read from it is kept.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field

from hullguard.model import ErrorEntry, ErrorKind
from hullguard.vuln.model import PackageRef, normalise_name

REQUIREMENTS = "requirements"
POETRY = "poetry.lock"
NPM = "package-lock.json"
GO_SUM = "go.sum"
GO_MOD = "go.mod"

_REQUIREMENTS_NAME = re.compile(r"^requirements[\w.-]*\.txt$", re.IGNORECASE)


def lock_file_kind(name: str) -> str | None:
    """The kind of lock file a file name says, or None."""
    if _REQUIREMENTS_NAME.match(name):
        return REQUIREMENTS
    if name in (POETRY, NPM, GO_SUM, GO_MOD):
        return name
    return None


def preferred(paths: list[str]) -> list[str]:
    """The lock files to read: a go.mod with a go.sum beside it is left out."""
    sums = {posixpath.dirname(p) for p in paths if posixpath.basename(p) == GO_SUM}
    return [
        p for p in paths if not (posixpath.basename(p) == GO_MOD and posixpath.dirname(p) in sums)
    ]


@dataclass
class LockFile:
    """The packages one lock file pins and the problems met reading it."""

    path: str
    kind: str
    packages: list[PackageRef] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)
    unpinned: int = 0  # requirements lines with no exact version: not matched

    def add(self, ecosystem: str, name: str, version: str, line: int | None) -> None:
        self.packages.append(
            PackageRef(
                ecosystem=ecosystem,
                name=normalise_name(ecosystem, name),
                version=version,
                display_name=name,
                display_version=version,
                path=self.path,
                purl=_purl(ecosystem, name, version),
                line=line,
            )
        )

    def error(self, message: str, line: int | None = None) -> None:
        self.errors.append(ErrorEntry(self.path, message, line=line, kind=ErrorKind.PARSE))


def _purl(ecosystem: str, name: str, version: str) -> str:
    from packageurl import PackageURL

    kind = {"PyPI": "pypi", "npm": "npm", "Go": "golang"}[ecosystem]
    if kind == "pypi":
        name = normalise_name("PyPI", name)
    namespace, _, bare = name.rpartition("/") if kind in ("npm", "golang") else ("", "", name)
    return str(
        PackageURL(type=kind, namespace=namespace or None, name=bare, version=version).to_string()
    )


def read_lock_file(text: str, path: str) -> LockFile:
    """Parse the lock file `path` (its display path) whose contents are `text`."""
    kind = lock_file_kind(posixpath.basename(path))
    if kind is None:
        raise ValueError(f"{path}: not a lock file by its name")
    result = LockFile(path, kind)
    reader = {
        REQUIREMENTS: _requirements,
        POETRY: _poetry,
        NPM: _package_lock,
        GO_SUM: _go_sum,
        GO_MOD: _go_mod,
    }[kind]
    reader(text, result)
    return result


# --- requirements.txt ---------------------------------------------------------------------------


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each logical line: `\\` continuations joined, comments
    (` #` and whole-line `#`) removed."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = "" if raw.lstrip().startswith("#") else re.sub(r"\s+#.*$", "", raw)
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = " ".join(part.strip() for part in pending).strip()
        pending = []
        if joined:
            yield start, joined
    if pending:
        joined = " ".join(part.strip() for part in pending).strip()
        if joined:
            yield start, joined


def _requirements(text: str, result: LockFile) -> None:
    from packaging.requirements import InvalidRequirement, Requirement

    for number, line in _logical_lines(text):
        if line.startswith("-") or "://" in line or line.startswith((".", "/")):
            continue  # options (-r, -c, -e, --hash alone), URLs, local paths
        requirement_text = re.split(r"\s+--", line, maxsplit=1)[0].strip()  # per-line options
        try:
            requirement = Requirement(requirement_text)
        except InvalidRequirement as exc:
            result.error(f"not a requirement: {str(exc).splitlines()[0]}", number)
            continue
        if requirement.url:
            continue
        specifiers = list(requirement.specifier)
        pinned = (
            len(specifiers) == 1
            and specifiers[0].operator in ("==", "===")
            and not specifiers[0].version.endswith(".*")
        )
        if not pinned:
            result.unpinned += 1
            continue
        result.add("PyPI", requirement.name, specifiers[0].version, number)


# --- poetry.lock ---------------------------------------------------------------------------------

_TOML_LINE = re.compile(r"at line (\d+)")
_PACKAGE_TABLE = re.compile(r"^\s*\[\[\s*package\s*\]\]\s*(#.*)?$")


def _poetry(text: str, result: LockFile) -> None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        result.error(f"invalid TOML: {exc}", int(found.group(1)) if found else None)
        return
    packages = data.get("package", [])
    if not isinstance(packages, list):
        result.error("`package` is not an array of tables", 1)
        return
    lines = [n for n, raw in enumerate(text.splitlines(), 1) if _PACKAGE_TABLE.match(raw)]
    for index, package in enumerate(packages):
        line = lines[index] if index < len(lines) else None
        name = package.get("name") if isinstance(package, dict) else None
        version = package.get("version") if isinstance(package, dict) else None
        if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
            result.error("a [[package]] without a `name` and a `version`", line)
            continue
        result.add("PyPI", name, version, line)


# --- package-lock.json ---------------------------------------------------------------------------


class _KeyLines:
    """Line numbers of object keys, found by searching forward through the text in the order
    the document was parsed (a pre-order walk visits keys in text order)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._position = 0

    def line_of(self, key: str) -> int | None:
        pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:\s*\{")
        found = pattern.search(self._text, self._position)
        if found is None:
            return None
        self._position = found.end()
        return self._text.count("\n", 0, found.start()) + 1


def _package_lock(text: str, result: LockFile) -> None:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        result.error(f"not valid JSON: {exc.msg}", exc.lineno)
        return
    if not isinstance(document, dict):
        result.error("not a JSON object", 1)
        return
    lines = _KeyLines(text)
    packages = document.get("packages")
    if isinstance(packages, dict):
        _lock_packages(packages, lines, result)
        return
    dependencies = document.get("dependencies")
    if isinstance(dependencies, dict):
        _lock_dependencies(dependencies, lines, result)
    elif "lockfileVersion" not in document:
        result.error("neither `packages` nor `dependencies`: not a package-lock.json", 1)


def _lock_packages(packages: dict[str, object], lines: _KeyLines, result: LockFile) -> None:
    """lockfileVersion 2 and 3: `packages` keyed by install path."""
    for key, entry in packages.items():
        line = lines.line_of(key)
        if not key or not isinstance(entry, dict):
            continue  # "" is the project itself
        if entry.get("link") or "node_modules/" not in key:
            continue  # a link to a workspace folder, or a workspace folder itself
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            name = key.rsplit("node_modules/", 1)[1]
        version = entry.get("version")
        if not isinstance(version, str) or not version:
            result.error(f"{key}: no version", line)
            continue
        result.add("npm", name, version, line)


def _lock_dependencies(
    dependencies: dict[str, object], lines: _KeyLines, result: LockFile, depth: int = 0
) -> None:
    """lockfileVersion 1: nested `dependencies`."""
    if depth > 64:
        result.error("dependencies nested more than 64 levels deep; the rest is not read")
        return
    for name, entry in dependencies.items():
        line = lines.line_of(name)
        if not isinstance(entry, dict):
            result.error(f"{name}: not an object", line)
            continue
        version = entry.get("version")
        if isinstance(version, str) and version and not _is_url(version):
            result.add("npm", name, version, line)
        elif not isinstance(version, str) or not version:
            result.error(f"{name}: no version", line)
        nested = entry.get("dependencies")
        if isinstance(nested, dict):
            _lock_dependencies(nested, lines, result, depth + 1)


def _is_url(version: str) -> bool:
    return ":" in version or "/" in version  # git+https://..., file:..., github:user/repo


# --- Go ------------------------------------------------------------------------------------------


def _go_sum(text: str, result: LockFile) -> None:
    from hullguard.versions.ecosystems import InvalidVersion, sort_key

    key = sort_key("Go")
    chosen: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 3 or not fields[1].startswith("v"):
            result.error(f"not a `module version hash` line: {line[:80]!r}", number)
            continue
        module, version, _ = fields
        if version.endswith("/go.mod"):
            continue  # only the module's go.mod was needed: its code is not built
        previous = chosen.get(module)
        if previous is None:
            chosen[module] = (version, number)
            continue
        try:
            if key(version) > key(previous[0]):
                chosen[module] = (version, number)
        except InvalidVersion as exc:
            result.error(f"{module}: {exc}", number)
    for module, (version, number) in chosen.items():
        result.add("Go", module, version, number)


_GO_MOD_LINE = re.compile(r"^(\S+)\s+(v\S+)$")


def _go_mod(text: str, result: LockFile) -> None:
    required: dict[str, tuple[str, int]] = {}
    replaced: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block is not None:
            if line == ")":
                block = None
                continue
            _go_directive(block, line, number, required, replaced, result)
            continue
        verb, _, rest = line.partition(" ")
        rest = rest.strip()
        if rest == "(":
            block = verb
            continue
        _go_directive(verb, rest, number, required, replaced, result)
    if block is not None:
        result.error(f"a `{block} (` block is not closed")
    for module, (version, number) in required.items():
        target = replaced.get((module, version)) or replaced.get((module, None))
        if target is not None:
            new_module, new_version = target
            if new_version is None:
                continue  # replaced by a local folder: no published version
            module, version = new_module, new_version
        result.add("Go", module, version, number)


def _go_directive(
    verb: str,
    rest: str,
    number: int,
    required: dict[str, tuple[str, int]],
    replaced: dict[tuple[str, str | None], tuple[str, str | None]],
    result: LockFile,
) -> None:
    if verb == "require":
        found = _GO_MOD_LINE.match(rest)
        if found is None:
            result.error(f"not a `module version` requirement: {rest[:80]!r}", number)
            return
        required[found.group(1)] = (found.group(2), number)
    elif verb == "replace":
        old, arrow, new = rest.partition("=>")
        if not arrow:
            result.error(f"a replace without `=>`: {rest[:80]!r}", number)
            return
        old_fields, new_fields = old.split(), new.split()
        if not old_fields or not new_fields:
            result.error(f"an incomplete replace: {rest[:80]!r}", number)
            return
        old_version = old_fields[1] if len(old_fields) > 1 else None
        new_version = new_fields[1] if len(new_fields) > 1 else None
        replaced[(old_fields[0], old_version)] = (new_fields[0], new_version)
