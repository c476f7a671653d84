"""`docker run` command lines: container settings written as flags in scripts, Makefiles and CI.

Every `docker`, `podman` or `nerdctl` `run`/`create` (also `container run|create`) found by the
shell parser becomes a `ContainerSpec`. The flags are read as the CLIs' flag library reads them:
`--flag value`, `--flag=value`, clustered short flags (`-it`, `-dp 80:80`, `-p80:80`), booleans
only take a value after `=` (`--privileged=false`), and `--` ends the flags. Which flags take a
value is the table `RUN_FLAGS` (Docker's and Podman's `run` flags); an unknown flag is assumed
to take no value unless written with `=`, so the image is never mistaken for its value by a flag
we know. Values keep the text as written: `-v $PWD:/src` mounts `$PWD`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from hullguard.model import ErrorEntry, Located, Location
from hullguard.sources import _shell_parser
from hullguard.sources.shell import Command, Script, Word, parse_script
from hullguard.spec import DOCKER_CLI, ContainerSpec, EnvVar, Mount, PortBinding

TOOLS = frozenset({"docker", "podman", "podman-remote", "nerdctl"})
_VERBS = frozenset({"run", "create"})

# Options of the CLI itself, before the subcommand, that take a value (docker, podman, nerdctl).
_GLOBAL_WITH_VALUE = frozenset(
    {
        "-H", "--host", "-c", "--context", "--config", "-l", "--log-level", "--tlscacert",
        "--tlscert", "--tlskey", "--url", "--connection", "--root", "--runroot",
        "--storage-driver", "--storage-opt", "--identity", "--cgroup-manager",
        "--events-backend", "--hooks-dir", "--module", "--network-cmd-path",
        "--network-config-dir", "--ssh", "--tmpdir", "--volumepath", "--imagestore", "--conmon",
        "--runtime", "--runtime-flag", "--namespace", "-n", "--address", "-a", "--snapshotter",
        "--cni-path", "--cni-netconfpath", "--data-root", "--hosts-dir", "--host-gateway-ip",
    }
)  # fmt: skip

# Every `run`/`create` flag: long name -> whether it takes a value. Booleans take one only
# after `=`. Aliases are folded into one name by `_ALIASES`.
_VALUE_FLAGS = (
    # Docker
    "--add-host", "--annotation", "--attach", "--blkio-weight", "--blkio-weight-device",
    "--cap-add", "--cap-drop", "--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-count",
    "--cpu-percent", "--cpu-period", "--cpu-quota", "--cpu-rt-period", "--cpu-rt-runtime",
    "--cpu-shares", "--cpus", "--cpuset-cpus", "--cpuset-mems", "--detach-keys", "--device",
    "--device-cgroup-rule", "--device-read-bps", "--device-read-iops", "--device-write-bps",
    "--device-write-iops", "--dns", "--dns-option", "--dns-search", "--domainname",
    "--entrypoint", "--env", "--env-file", "--expose", "--gpus", "--group-add", "--health-cmd",
    "--health-interval", "--health-retries", "--health-start-interval", "--health-start-period",
    "--health-timeout", "--hostname", "--io-maxbandwidth", "--io-maxiops", "--ip", "--ip6",
    "--ipc", "--isolation", "--kernel-memory", "--label", "--label-file", "--link",
    "--link-local-ip", "--log-driver", "--log-opt", "--mac-address", "--memory",
    "--memory-reservation", "--memory-swap", "--memory-swappiness", "--mount", "--name",
    "--network", "--network-alias", "--oom-score-adj", "--pid", "--pids-limit", "--platform",
    "--publish", "--pull", "--restart", "--runtime", "--security-opt", "--shm-size",
    "--stop-signal", "--stop-timeout", "--storage-opt", "--sysctl", "--tmpfs", "--ulimit",
    "--user", "--userns", "--uts", "--volume", "--volume-driver", "--volumes-from", "--workdir",
    # Podman (and nerdctl) additions
    "--arch", "--authfile", "--cert-dir", "--cgroup-conf", "--cgroups", "--chrootdirs",
    "--conmon-pidfile", "--creds", "--decryption-key", "--env-merge", "--gidmap",
    "--group-entry", "--health-on-failure", "--health-startup-cmd",
    "--health-startup-interval", "--health-startup-retries", "--health-startup-success",
    "--health-startup-timeout", "--hostuser", "--hosts-file", "--image-volume", "--init-path",
    "--mask", "--os", "--passwd-entry", "--personality", "--pidfile", "--pod", "--pod-id-file",
    "--preserve-fd", "--preserve-fds", "--rdt-class", "--requires", "--retry", "--retry-delay",
    "--sdnotify", "--seccomp-policy", "--secret", "--shm-size-systemd", "--subgidname",
    "--subuidname", "--systemd", "--timeout", "--tz", "--uidmap", "--umask", "--unmask",
    "--unsetenv", "--variant", "--cosign-key", "--verify",
)  # fmt: skip
_BOOL_FLAGS = (
    "--detach", "--disable-content-trust", "--help", "--init", "--interactive",
    "--no-healthcheck", "--oom-kill-disable", "--privileged", "--publish-all", "--quiet",
    "--read-only", "--rm", "--sig-proxy", "--tty", "--use-api-socket",
    # Podman
    "--env-host", "--http-proxy", "--no-hosts", "--passwd", "--read-only-tmpfs", "--replace",
    "--rmi", "--rootfs", "--tls-verify",
)  # fmt: skip
RUN_FLAGS: dict[str, bool] = {
    **dict.fromkeys(_VALUE_FLAGS, True),
    **dict.fromkeys(_BOOL_FLAGS, False),
}
_ALIASES = {
    "--net": "--network",
    "--net-alias": "--network-alias",
    "--dns-opt": "--dns-option",
    "--cgroup-ns": "--cgroupns",
}
SHORT_FLAGS: dict[str, str] = {
    "a": "--attach",
    "c": "--cpu-shares",
    "d": "--detach",
    "e": "--env",
    "h": "--hostname",
    "i": "--interactive",
    "l": "--label",
    "m": "--memory",
    "p": "--publish",
    "P": "--publish-all",
    "q": "--quiet",
    "t": "--tty",
    "u": "--user",
    "v": "--volume",
    "w": "--workdir",
}

_VOLUME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:[\\/]")
_TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


@dataclass(frozen=True, slots=True)
class RunOption:
    """One flag as given: `flag` is its long name (`-v` becomes `--volume`), `value` None for a
    boolean written without `=`. `location` is the word that holds the value."""

    flag: str
    value: str | None
    location: Location


@dataclass(frozen=True)
class DockerRun:
    """One `run`/`create` command line, read: its flags, image and the container's command."""

    tool: str  # docker, podman, nerdctl
    verb: str  # run or create
    anchor: Location
    options: tuple[RunOption, ...]
    image: Located[str] | None
    command: tuple[Located[str], ...]
    env_files: tuple[Located[str], ...]
    spec: ContainerSpec | None


@dataclass(frozen=True)
class ScriptResult:
    containers: tuple[ContainerSpec, ...]
    errors: tuple[ErrorEntry, ...]
    runs: tuple[DockerRun, ...] = ()


def word_location(word: Word, display: str) -> Location:
    lines = word.raw.split("\n")
    end_line = word.line + len(lines) - 1
    end_column = (word.column if len(lines) == 1 else 1) + len(lines[-1])
    return Location(display, word.line, word.column, end_line, end_column)


def parse_options(
    words: Sequence[Word], display: str, *, stop_at_image: bool = True
) -> tuple[list[RunOption], int, list[ErrorEntry]]:
    """Read flags from `words`; return them, the index of the first argument that is not a flag
    (the image) or len(words), and errors (a flag missing its value)."""
    options: list[RunOption] = []
    errors: list[ErrorEntry] = []
    i = 0
    while i < len(words):
        word = words[i]
        text = word.text
        here = word_location(word, display)
        if text == "--":
            return options, i + 1, errors
        if text.startswith("--") and len(text) > 2:
            name, eq, value = text.partition("=")
            name = _ALIASES.get(name, name)
            if eq:
                options.append(RunOption(name, value, here))
            elif RUN_FLAGS.get(name, False):
                if i + 1 >= len(words):
                    errors.append(_error(here, f"`{name}` needs a value"))
                    return options, len(words), errors
                i += 1
                options.append(RunOption(name, words[i].text, word_location(words[i], display)))
            else:
                options.append(RunOption(name, None, here))
        elif text.startswith("-") and len(text) > 1:
            k = 1
            while k < len(text):
                flag = SHORT_FLAGS.get(text[k], f"-{text[k]}")
                if not RUN_FLAGS.get(flag, False):
                    rest = text[k + 1 :]
                    if rest.startswith("="):  # `-d=false`
                        options.append(RunOption(flag, rest[1:], here))
                        break
                    options.append(RunOption(flag, None, here))
                    k += 1
                    continue
                rest = text[k + 1 :]
                if rest:
                    options.append(RunOption(flag, rest.removeprefix("="), here))
                elif i + 1 < len(words):
                    i += 1
                    value_word = words[i]
                    options.append(
                        RunOption(flag, value_word.text, word_location(value_word, display))
                    )
                else:
                    errors.append(_error(here, f"`-{text[k]}` needs a value"))
                break
        elif stop_at_image:
            return options, i, errors
        i += 1
    return options, len(words), errors


def _error(location: Location, message: str) -> ErrorEntry:
    return ErrorEntry(location.path, message, line=location.line, column=location.column)


@dataclass
class RunSettings:
    """Container settings gathered from flags (and, in CI, from mapping keys) before they
    become a ContainerSpec. Later settings win for single values, as with the CLI."""

    display: str
    user: Located[str] | None = None
    privileged: Located[bool] | None = None
    cap_add: list[Located[str]] = field(default_factory=list)
    cap_drop: list[Located[str]] = field(default_factory=list)
    namespaces: dict[str, Located[str]] = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    devices: list[Located[str]] = field(default_factory=list)
    seccomp: Located[str] | None = None
    apparmor: Located[str] | None = None
    selinux: list[Located[str]] = field(default_factory=list)
    no_new_privileges: Located[bool] | None = None
    read_only_rootfs: Located[bool] | None = None
    runtime: Located[str] | None = None
    memory_limit: Located[str] | None = None
    cpu_limit: Located[str] | None = None
    pids_limit: Located[str] | None = None
    env: dict[str, EnvVar] = field(default_factory=dict)
    ports: list[PortBinding] = field(default_factory=list)
    sysctls: dict[str, EnvVar] = field(default_factory=dict)
    env_files: list[Located[str]] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)

    def apply(self, option: RunOption) -> None:
        """Take one flag into account; flags that do not matter to security are ignored."""
        value, at = option.value, option.location
        match option.flag:
            case "--privileged":
                self.privileged = self._bool(option)
            case "--read-only":
                self.read_only_rootfs = self._bool(option)
            case _ if value is None:
                return
            case "--volume":
                self.volume(value, at)
            case "--mount":
                self.mount(value, at)
            case "--tmpfs":
                target, _, mode = value.partition(":")
                read_only = "ro" in mode.split(",")
                self.mounts.append(Mount("tmpfs", None, target, read_only, at))
            case "--cap-add":
                self.cap_add.extend(Located(c, at) for c in value.split(",") if c)
            case "--cap-drop":
                self.cap_drop.extend(Located(c, at) for c in value.split(",") if c)
            case "--pid" | "--ipc" | "--uts" | "--userns" | "--cgroupns":
                self.namespaces[option.flag] = Located(value, at)
            case "--network":
                if "--network" not in self.namespaces or value == "host":
                    self.namespaces["--network"] = Located(value, at)
            case "--security-opt":
                self.security_opt(value, at)
            case "--user":
                self.user = Located(value, at)
            case "--device":
                self.devices.append(Located(value, at))
            case "--runtime":
                self.runtime = Located(value, at)
            case "--env":
                name, eq, env_value = value.partition("=")
                self.add_env(name, env_value if eq else f"${name}", at)
            case "--env-file":
                self.env_files.append(Located(value, at))
            case "--publish":
                self.port(value, at)
            case "--sysctl":
                name, _, sysctl_value = value.partition("=")
                self.sysctls[name] = EnvVar(name, sysctl_value, at)
            case "--memory":
                self.memory_limit = Located(value, at)
            case "--cpus":
                self.cpu_limit = Located(value, at)
            case "--pids-limit":
                self.pids_limit = Located(value, at)

    def _bool(self, option: RunOption) -> Located[bool] | None:
        if option.value is None or option.value in _TRUE:
            return Located(True, option.location)
        if option.value in _FALSE:
            return Located(False, option.location)
        self.errors.append(
            _error(option.location, f"`{option.flag}={option.value}`: not a boolean")
        )
        return None

    def add_env(self, name: str, value: str, at: Location) -> None:
        if name:
            self.env[name] = EnvVar(name, value, at)

    def volume(self, text: str, at: Location) -> None:
        """`-v [source:]target[:options]`: a source that is a valid volume name is a named
        volume, any other source (a path, `$PWD`, `~/x`) is a bind mount."""
        drive = 2 if _WINDOWS_DRIVE.match(text) else 0
        parts = text[drive:].split(":")
        parts[0] = text[:drive] + parts[0]
        if len(parts) == 1:
            self.mounts.append(Mount("volume", None, parts[0], False, at))
            return
        source, target = parts[0], parts[1]
        if len(parts) > 2 and _WINDOWS_DRIVE.match(f"{target}:{parts[2][:1]}"):
            target, parts = f"{target}:{parts[2]}", [source, target, *parts[3:]]
        modes = ",".join(parts[2:]).split(",")
        kind = "volume" if _VOLUME_NAME.fullmatch(source) else "bind"
        self.mounts.append(Mount(kind, source, target, "ro" in modes or "readonly" in modes, at))

    def mount(self, text: str, at: Location) -> None:
        """`--mount type=bind,source=/x,target=/y,readonly` (CSV, keys as Docker reads them)."""
        try:
            fields = next(csv.reader([text]), [])
        except csv.Error:
            fields = text.split(",")
        kind, source, target, read_only = "volume", None, None, False
        for item in fields:
            key, eq, value = item.partition("=")
            key = key.strip().lower()
            if key == "type":
                kind = value
            elif key in ("source", "src"):
                source = value
            elif key in ("target", "destination", "dst"):
                target = value
            elif key in ("readonly", "ro"):
                read_only = not eq or value.lower() in ("1", "true")
        if target is None:
            self.errors.append(_error(at, f"`--mount {text}`: no target"))
            return
        self.mounts.append(Mount(kind, source if kind != "tmpfs" else None, target, read_only, at))

    def security_opt(self, text: str, at: Location) -> None:
        key, sep, value = _split_security_opt(text)
        match key:
            case "seccomp":
                self.seccomp = Located(value, at)
            case "apparmor":
                self.apparmor = Located(value, at)
            case "label":
                self.selinux.append(Located(f"label={value}", at))
            case "no-new-privileges":
                enabled = not sep or value.lower() in ("true", "1")
                self.no_new_privileges = Located(enabled, at)

    def port(self, text: str, at: Location) -> None:
        """`-p [ip:][host_port:]container_port[/protocol]`, IPv6 addresses in brackets."""
        spec, slash, protocol = text.rpartition("/")
        if not slash or ":" in protocol or "]" in protocol:
            spec, protocol = text, "tcp"
        host_ip: str | None = None
        if spec.startswith("["):
            address, bracket, rest = spec[1:].partition("]")
            if bracket:
                host_ip, spec = address, rest.removeprefix(":")
        parts = spec.split(":")
        container = parts[-1]
        host_port = parts[-2] if len(parts) >= 2 else None
        if len(parts) >= 3:
            host_ip = ":".join(parts[:-2])
        self.ports.append(
            PortBinding(container, protocol or "tcp", host_port or None, host_ip or None, at)
        )

    def spec(
        self,
        *,
        kind: str,
        name: str,
        resource: str,
        anchor: Location,
        image: Located[str] | None,
        env: Iterable[EnvVar] = (),
    ) -> ContainerSpec:
        environment = dict(self.env)
        for variable in env:
            environment.setdefault(variable.name, variable)
        ns = self.namespaces
        return ContainerSpec(
            kind=kind,
            name=name,
            resource=resource,
            anchor=anchor,
            image=image,
            user=self.user,
            privileged=self.privileged,
            cap_add=tuple(self.cap_add),
            cap_drop=tuple(self.cap_drop),
            pid=ns.get("--pid"),
            ipc=ns.get("--ipc"),
            network=ns.get("--network"),
            uts=ns.get("--uts"),
            userns=ns.get("--userns"),
            cgroup=ns.get("--cgroupns"),
            mounts=tuple(self.mounts),
            devices=tuple(self.devices),
            seccomp=self.seccomp,
            apparmor=self.apparmor,
            selinux=tuple(self.selinux),
            no_new_privileges=self.no_new_privileges,
            read_only_rootfs=self.read_only_rootfs,
            runtime=self.runtime,
            memory_limit=self.memory_limit,
            cpu_limit=self.cpu_limit,
            pids_limit=self.pids_limit,
            env=tuple(environment.values()),
            ports=tuple(self.ports),
            sysctls=tuple(self.sysctls.values()),
        )


def _split_security_opt(text: str) -> tuple[str, str, str]:
    """`key=value`, or the legacy `key:value` Docker still accepts."""
    equals, colon = text.find("="), text.find(":")
    if colon != -1 and (equals == -1 or colon < equals):
        return text[:colon], ":", text[colon + 1 :]
    return text.partition("=")


def subcommand_index(command: Command) -> tuple[str, int] | None:
    """For `docker [global flags] [container] run|create ...`: the verb and the index of the
    first word after it; None for any other command."""
    if command.name not in TOOLS:
        return None
    words = command.words
    i = 1
    while i < len(words):
        text = words[i].text
        if not text.startswith("-") or text == "-":
            break
        if text == "--":
            i += 1
            break
        if "=" not in text and text in _GLOBAL_WITH_VALUE:
            i += 1
        i += 1
    if i < len(words) and words[i].text == "container":
        i += 1
    if i < len(words) and words[i].text in _VERBS:
        return words[i].text, i + 1
    return None


def _global_runtime(command: Command, end: int, display: str) -> RunOption | None:
    """`podman --runtime runsc run ...`: the OCI runtime chosen for every container."""
    words = command.words
    for i in range(1, end):
        text = words[i].text
        if text.startswith("--runtime="):
            return RunOption("--runtime", text.partition("=")[2], word_location(words[i], display))
        if text == "--runtime" and i + 1 < end:
            return RunOption("--runtime", words[i + 1].text, word_location(words[i + 1], display))
    return None


def read_run(command: Command, display: str, *, kind: str = DOCKER_CLI) -> tuple[
    DockerRun | None, list[ErrorEntry]
]:  # fmt: skip
    """The `DockerRun` of a command, or None when it is not a `run`/`create`."""
    found = subcommand_index(command)
    if found is None:
        return None, []
    verb, start = found
    anchor = Location(display, command.line, command.column, command.end_line, command.end_column)
    options, image_index, errors = parse_options(command.words[start:], display)
    image_index += start
    settings = RunSettings(display)
    runtime = _global_runtime(command, start, display) if command.name != "docker" else None
    for option in ([runtime] if runtime else []) + options:
        settings.apply(option)
    errors.extend(settings.errors)
    image: Located[str] | None = None
    args: tuple[Located[str], ...] = ()
    spec: ContainerSpec | None = None
    if image_index < len(command.words):
        word = command.words[image_index]
        image = Located(word.text, word_location(word, display))
        args = tuple(Located(w.text, word_location(w, display)) for w in command.words[1:])[
            image_index:
        ]
        spec = settings.spec(
            kind=kind,
            name=f"`{command.name} {verb} {word.text}` at {display}:{command.line}",
            resource=f"{display}:{command.line}",
            anchor=anchor,
            image=image,
        )
    elif not any(o.flag == "--help" for o in options):
        errors.append(_error(anchor, f"`{command.name} {verb}` without an image: not analysed"))
    run = DockerRun(
        tool=command.name,
        verb=verb,
        anchor=anchor,
        options=tuple(options),
        image=image,
        command=args,
        env_files=tuple(settings.env_files),
        spec=spec,
    )
    return run, errors


def runs_from_script(
    script: Script, display: str
) -> tuple[tuple[DockerRun, ...], tuple[ErrorEntry, ...]]:
    runs: list[DockerRun] = []
    errors: list[ErrorEntry] = []
    for command in script.commands:
        run, run_errors = read_run(command, display)
        errors.extend(run_errors)
        if run is not None:
            runs.append(run)
    return tuple(runs), tuple(errors)


def containers_from_script(
    script: Script, display: str
) -> tuple[tuple[ContainerSpec, ...], tuple[ErrorEntry, ...]]:
    """Every `docker|podman|nerdctl [container] run|create` of a parsed script."""
    runs, errors = runs_from_script(script, display)
    return tuple(r.spec for r in runs if r.spec is not None), errors


def shell_errors(script: Script, display: str) -> list[ErrorEntry]:
    return [
        ErrorEntry(display, f"shell: {e.message}", line=e.line, column=e.column)
        for e in script.errors
    ]


def _result(scripts: Iterable[Script], display: str) -> ScriptResult:
    runs: list[DockerRun] = []
    errors: list[ErrorEntry] = []
    for script in scripts:
        found, run_errors = runs_from_script(script, display)
        runs.extend(found)
        errors.extend(shell_errors(script, display))
        errors.extend(run_errors)
    return ScriptResult(
        containers=tuple(r.spec for r in runs if r.spec is not None),
        errors=tuple(errors),
        runs=tuple(runs),
    )


def load_script(text: str, display: str) -> ScriptResult:
    """A shell script file: every container it runs."""
    return _result([parse_script(text)], display)


def load_makefile(text: str, display: str) -> ScriptResult:
    """A Makefile: each recipe line (tab-led, with its `\\` continuations) is parsed as the
    shell sees it once make is done: `@`, `-` and `+` prefixes dropped, `$$` turned into `$`,
    make variables such as `$(IMAGE)` kept as written. Positions are the file's."""
    return _result(
        (_shell_parser.parse(line, line_map=entries) for line, entries in recipe_lines(text)),
        display,
    )


_DEFINE = re.compile(r"^\s*(?:override\s+|export\s+)*define\b")
_ENDEF = re.compile(r"^\s*endef\b")


def recipe_lines(text: str) -> list[tuple[str, list[tuple[int, int, int]]]]:
    """Each recipe line as the shell receives it, with its line map (offset, line, column)."""
    lines = text.split("\n")
    result: list[tuple[str, list[tuple[int, int, int]]]] = []
    in_define = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("\t"):
            if _DEFINE.match(line):
                in_define += 1
            elif in_define and _ENDEF.match(line):
                in_define -= 1
            i += 1
            continue
        if in_define:
            i += 1
            continue
        pieces: list[tuple[int, int, str]] = [(i + 1, 2, line[1:])]
        while _continued(lines[i]) and i + 1 < len(lines):
            i += 1
            follow = lines[i]
            tab = follow.startswith("\t")
            pieces.append((i + 1, 2 if tab else 1, follow[1:] if tab else follow))
        i += 1
        result.append(_recipe_text(pieces))
    return result


def _continued(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _recipe_text(pieces: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, int]]]:
    """Join a recipe line's pieces (line, column of the first character, text) as the shell
    receives them, with the line map of the result."""
    out: list[str] = []
    entries: list[tuple[int, int, int]] = []
    offset = 0
    for n, (line, column, piece) in enumerate(pieces):
        start = 0
        if n == 0:
            while start < len(piece) and piece[start] in "@-+ \t":
                start += 1
        entries.append((offset, line, column + start))
        k = start
        while k < len(piece):
            at = piece.find("$$", k)
            if at == -1:
                out.append(piece[k:])
                offset += len(piece) - k
                break
            out.append(piece[k:at] + "$")
            offset += at - k + 1
            k = at + 2
            entries.append((offset, line, column + k))
        if n + 1 < len(pieces):
            out.append("\n")
            offset += 1
    return "".join(out), entries
