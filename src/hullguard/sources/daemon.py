"""Daemon source: a Docker (or Podman) engine read through its API, and every container on it.

`read_daemon` connects to one endpoint: `--docker-host`, else `DOCKER_HOST`, else the first
socket that exists among the default `/var/run/docker.sock`, the rootless
`$XDG_RUNTIME_DIR/docker.sock` and the Podman service sockets. A `tcp://` endpoint uses TLS
client certificates when they are given, or when `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH` ask for
them. It reads the engine's version, info and default bridge network into a `DaemonState`,
lists the containers and inspects each one (in a thread pool: the API answers one object per
request), and projects each into a `ContainerSpec` whose every field is located by a logical
path such as `container/web:HostConfig.Privileged`.

Read-only: the client refuses to send anything but GET, so nothing is ever created, started,
stopped, pulled or removed.

Nothing raises: an unreachable daemon, a permission denied on its socket, a daemon that dies
half-way and a container or image removed while it is being read become error entries and
target statuses, and whatever was gathered before stays in the result.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker  # type: ignore[import-untyped, unused-ignore]
import docker.errors  # type: ignore[import-untyped, unused-ignore]
import docker.tls  # type: ignore[import-untyped, unused-ignore]
import requests

from hullguard.model import ErrorEntry, ErrorKind, Located, Location, Target, TargetStatus
from hullguard.predicates import is_root_user
from hullguard.progress import progress
from hullguard.spec import LIVE, ContainerSpec, EnvVar, Mount, PortBinding

DEFAULT_SOCKET = "/var/run/docker.sock"
PODMAN_ROOT_SOCKET = "/run/podman/podman.sock"
MAX_WORKERS = 16
MANY_CONTAINERS = 50  # from this many, `hullguard host` on a terminal shows a bar
DAEMON = "daemon"  # Target.kind and logical location of the engine itself
CONTAINER = "container"  # Target.kind of a container

_RUNTIME_SOCKETS = ("docker.sock", "podman/podman.sock")
_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class TLSSettings:
    """Client certificates for a `tcp://` endpoint; `verify` checks the daemon's certificate
    against `ca_cert`."""

    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    verify: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TLSSettings | None:
        """`DOCKER_CERT_PATH` (ca.pem, cert.pem, key.pem) and `DOCKER_TLS_VERIFY`, as the
        docker CLI reads them; None when neither is set."""
        verify = env.get("DOCKER_TLS_VERIFY", "").strip().lower() in _TRUE
        cert_path = env.get("DOCKER_CERT_PATH", "").strip()
        if not verify and not cert_path:
            return None
        folder = Path(cert_path) if cert_path else Path.home() / ".docker"

        def present(name: str) -> str | None:
            path = folder / name
            return str(path) if path.is_file() else None

        return cls(present("ca.pem"), present("cert.pem"), present("key.pem"), verify)


@dataclass(frozen=True)
class DaemonState:
    """What the engine says about itself. `components` maps a component's name (Engine,
    containerd, runc, docker-init) to its version; `icc` comes from the default bridge
    network's options (None without one); None elsewhere means the engine did not say."""

    endpoint: str
    version: str | None
    api_version: str | None
    os: str | None
    kernel_version: str | None
    components: Mapping[str, str]
    security_options: tuple[str, ...]
    rootless: bool
    userns: bool
    runtimes: tuple[str, ...]
    default_runtime: str | None
    live_restore: bool | None
    icc: bool | None
    insecure_registries: tuple[str, ...]
    authorization_plugins: tuple[str, ...]
    logging_driver: str | None
    experimental: bool | None
    cgroup_version: str | None
    location: Location = field(default_factory=lambda: Location(logical=DAEMON))


@dataclass(frozen=True)
class DaemonResult:
    state: DaemonState | None
    containers: tuple[ContainerSpec, ...]
    targets: tuple[Target, ...]
    errors: tuple[ErrorEntry, ...]


# --- connecting --------------------------------------------------------------------------------


def candidate_endpoints(docker_host: str | None, env: Mapping[str, str]) -> tuple[str, ...]:
    """The endpoints to try, in order: the one asked for, else the well-known sockets."""
    if docker_host:
        return (docker_host,)
    if env.get("DOCKER_HOST", "").strip():
        return (env["DOCKER_HOST"].strip(),)
    sockets = [DEFAULT_SOCKET]
    runtime_dir = env.get("XDG_RUNTIME_DIR", "").strip()
    if runtime_dir:
        sockets.extend(str(Path(runtime_dir) / name) for name in _RUNTIME_SOCKETS)
    sockets.append(PODMAN_ROOT_SOCKET)
    return tuple(f"unix://{s}" for s in sockets)


def choose_endpoint(docker_host: str | None, env: Mapping[str, str]) -> str:
    """The endpoint to use: the one asked for, or the first well-known socket that exists
    (the default socket when none does, so that the error names it)."""
    candidates = candidate_endpoints(docker_host, env)
    if len(candidates) == 1:
        return candidates[0]
    for endpoint in candidates:
        if Path(_socket_path(endpoint) or "").exists():
            return endpoint
    return candidates[0]


def _socket_path(endpoint: str) -> str | None:
    if endpoint.startswith("unix://"):
        return endpoint[len("unix://") :]
    if endpoint.startswith("/"):
        return endpoint
    return None


class _ReadOnlyClient(docker.APIClient):  # type: ignore[misc, unused-ignore]
    """The SDK's API client, refusing every request that is not a GET. With TLS, the CA given
    for the daemon is used even when REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE is set (requests
    would otherwise let the environment replace it, before the first request is answered)."""

    def __init__(self, *args: Any, own_ca: bool = False, **kwargs: Any) -> None:
        self._own_ca = own_ca
        super().__init__(*args, **kwargs)

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self._own_ca:
            settings["verify"] = self.verify
        return settings

    def send(self, request: Any, **kwargs: Any) -> Any:
        if request.method not in ("GET", "HEAD"):
            raise PermissionError(f"refused {request.method} {request.path_url}: audits only read")
        return super().send(request, **kwargs)


def _tls_config(endpoint: str, tls: TLSSettings | None, env: Mapping[str, str]) -> Any:
    if not endpoint.startswith(("tcp://", "https://")):
        return False
    settings = tls if tls is not None else TLSSettings.from_env(env)
    if settings is None:
        return False
    cert = None
    if settings.client_cert and settings.client_key:
        cert = (settings.client_cert, settings.client_key)
    return docker.tls.TLSConfig(
        client_cert=cert,
        ca_cert=settings.ca_cert if settings.verify else None,
        verify=settings.verify,
    )


def _connection_problem(exc: BaseException, endpoint: str, timeout: float) -> str:
    """What went wrong reaching `endpoint`, and what to do about it."""
    socket = _socket_path(endpoint)
    where = socket or endpoint
    cause = _root_cause(exc)
    if isinstance(cause, PermissionError):
        return (
            f"permission denied on {where}: run as root or as a member of the docker group, "
            "or pass --docker-host"
        )
    if isinstance(cause, FileNotFoundError):
        return (
            f"no Docker socket at {where}: start the daemon, or pass --docker-host "
            "(or set DOCKER_HOST) to reach another one"
        )
    if isinstance(cause, ConnectionRefusedError):
        return (
            f"connection refused on {where}: the daemon is not running there; start it, or "
            "pass --docker-host"
        )
    if isinstance(cause, TimeoutError) or isinstance(exc, requests.Timeout):
        return f"no answer from {where} within {timeout:g}s: the daemon is hung or unreachable"
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            f"TLS with {where} failed: check the client certificates (DOCKER_CERT_PATH, "
            f"DOCKER_TLS_VERIFY): {cause}"
        )
    return f"cannot reach the Docker daemon at {where}: {cause}"


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost OSError in an exception's causes and arguments, else the exception."""
    seen: set[int] = set()
    queue: list[BaseException] = [exc]
    deepest: BaseException | None = None
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and not isinstance(current, requests.RequestException):
            deepest = current
        queue.extend(a for a in current.args if isinstance(a, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                queue.append(linked)
    return deepest or exc


def _is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, docker.errors.NotFound)


def _is_connection_lost(exc: BaseException) -> bool:
    """True for a failure to talk to the daemon, false for an answer it gave (an API error,
    which is also an OSError by way of requests.HTTPError)."""
    if isinstance(exc, docker.errors.APIError):
        return False
    return isinstance(exc, OSError | docker.errors.DockerException)


# --- reading -----------------------------------------------------------------------------------


@dataclass
class _Gathered:
    containers: list[ContainerSpec] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)


def read_daemon(
    docker_host: str | None,
    *,
    running_only: bool = False,
    tls: TLSSettings | None = None,
    timeout: float = 10,
    env: Mapping[str, str] | None = None,
) -> DaemonResult:
    """Read the engine and its containers; never raises, never writes."""
    environ = os.environ if env is None else env
    endpoint = choose_endpoint(docker_host, environ)
    gathered = _Gathered()
    try:
        tls_config = _tls_config(endpoint, tls, environ)
        client = _ReadOnlyClient(
            base_url=endpoint,
            version="auto",
            timeout=timeout,
            tls=tls_config,
            max_pool_size=MAX_WORKERS,
            own_ca=bool(tls_config),
        )
    except Exception as exc:  # the SDK wraps every failure to connect differently
        return _unreachable(endpoint, _connection_problem(exc, endpoint, timeout))
    try:
        state = _read_state(client, endpoint)
    except Exception as exc:
        client.close()
        return _unreachable(endpoint, _connection_problem(exc, endpoint, timeout))
    gathered.targets.append(Target(DAEMON, endpoint))
    try:
        _read_containers(client, state, running_only, timeout, gathered)
    finally:
        client.close()
    return DaemonResult(
        state, tuple(gathered.containers), tuple(gathered.targets), tuple(gathered.errors)
    )


def _unreachable(endpoint: str, message: str) -> DaemonResult:
    return DaemonResult(
        None,
        (),
        (Target(DAEMON, endpoint, TargetStatus.ERROR, message),),
        (ErrorEntry(endpoint, message, kind=ErrorKind.READ),),
    )


def _read_state(client: Any, endpoint: str) -> DaemonState:
    version = client.version()
    info = client.info()
    try:
        bridge = client.inspect_network("bridge")
    except docker.errors.APIError:  # no default bridge (`--bridge=none`, Podman)
        bridge = None
    return daemon_state_from_api(endpoint, version, info, bridge)


def _read_containers(
    client: Any, state: DaemonState, running_only: bool, timeout: float, gathered: _Gathered
) -> None:
    endpoint = state.endpoint
    cgroupns_default = {"1": "host", "2": "private"}.get(state.cgroup_version or "")
    try:
        listed = client.containers(all=not running_only)
    except Exception as exc:
        problem = _connection_problem(exc, endpoint, timeout)
        gathered.errors.append(
            ErrorEntry(endpoint, f"cannot list containers: {problem}", kind=ErrorKind.READ)
        )
        return
    entries = sorted((_listed_name(c), str(c.get("Id", ""))) for c in listed)
    with (
        ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool,
        progress("Inspecting containers", total=len(entries), minimum=MANY_CONTAINERS) as bar,
    ):
        inspected = []
        for result in pool.map(lambda e: _try(client.inspect_container, e[1]), entries):
            inspected.append(result)
            bar.advance()
        image_ids = sorted(
            {str(data.get("Image", "")) for data, _ in inspected if isinstance(data, dict)} - {""}
        )
        images = dict(
            zip(
                image_ids, pool.map(lambda i: _try(client.inspect_image, i), image_ids), strict=True
            )
        )
    lost: list[str] = []
    for (name, container_id), (data, failure) in zip(entries, inspected, strict=True):
        display = f"container/{name}"
        if failure is not None:
            if _is_connection_lost(failure):
                lost.append(name)
            gathered.targets.append(_unread(display, container_id, failure, endpoint, timeout))
            if not _is_not_found(failure) and not _is_connection_lost(failure):
                note = gathered.targets[-1].note or ""
                gathered.errors.append(ErrorEntry(display, note, kind=ErrorKind.READ))
            continue
        image, image_failure = images.get(str(data.get("Image", "")), (None, None))
        image_note = None
        if image_failure is not None:
            why = "was removed" if _is_not_found(image_failure) else "could not be read"
            image_note = f"its image {why}: the user it runs as is taken from the container alone"
        spec = container_spec_from_inspect(data, image, cgroupns_default=cgroupns_default)
        gathered.containers.append(spec)
        gathered.targets.append(Target(CONTAINER, display, TargetStatus.OK, image_note))
    if lost:
        shown = ", ".join(lost[:5]) + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
        gathered.errors.append(
            ErrorEntry(
                endpoint,
                f"the daemon stopped answering during the audit: {len(lost)} container(s) not "
                f"read ({shown}); what was read before is reported",
                kind=ErrorKind.READ,
            )
        )


def _unread(
    display: str, container_id: str, failure: BaseException, endpoint: str, timeout: float
) -> Target:
    """The target of a container that could not be inspected, saying why."""
    if _is_not_found(failure):
        return Target(CONTAINER, display, TargetStatus.SKIPPED, "removed during the audit: skipped")
    if _is_connection_lost(failure):
        note = f"not read: {_connection_problem(failure, endpoint, timeout)}"
    else:
        note = f"cannot inspect {container_id[:12]}: {failure}"
    return Target(CONTAINER, display, TargetStatus.ERROR, note)


def _try(call: Any, argument: str) -> tuple[Any, BaseException | None]:
    try:
        return call(argument), None
    except Exception as exc:
        return None, exc


def _listed_name(listed: Mapping[str, Any]) -> str:
    names = listed.get("Names") or []
    if names:
        return str(names[0]).lstrip("/")
    return str(listed.get("Id", ""))[:12]


# --- projections -------------------------------------------------------------------------------


def daemon_state_from_api(
    endpoint: str,
    version: Mapping[str, Any],
    info: Mapping[str, Any],
    bridge: Mapping[str, Any] | None,
) -> DaemonState:
    """The engine's `/version`, `/info` and default bridge network as a DaemonState."""
    components = {
        str(c["Name"]): str(c["Version"])
        for c in version.get("Components") or ()
        if isinstance(c, Mapping) and c.get("Name") and c.get("Version")
    }
    if "Engine" not in components and version.get("Version"):
        components["Engine"] = str(version["Version"])
    security = tuple(str(s) for s in info.get("SecurityOptions") or ())
    security_names = {_security_name(s) for s in security}
    registry = info.get("RegistryConfig") or {}
    insecure = [str(c) for c in registry.get("InsecureRegistryCIDRs") or ()]
    for name, index in sorted((registry.get("IndexConfigs") or {}).items()):
        if isinstance(index, Mapping) and index.get("Secure") is False:
            insecure.append(str(name))
    plugins = info.get("Plugins") or {}
    icc = None
    if bridge is not None:
        option = (bridge.get("Options") or {}).get("com.docker.network.bridge.enable_icc")
        icc = None if option is None else str(option).lower() == "true"
    return DaemonState(
        endpoint=endpoint,
        version=_text(version.get("Version") or info.get("ServerVersion")),
        api_version=_text(version.get("ApiVersion")),
        os=_text(info.get("OperatingSystem") or version.get("Os")),
        kernel_version=_text(info.get("KernelVersion") or version.get("KernelVersion")),
        components=components,
        security_options=security,
        rootless="rootless" in security_names,
        userns="userns" in security_names,
        runtimes=tuple(sorted(info.get("Runtimes") or {})),
        default_runtime=_text(info.get("DefaultRuntime")),
        live_restore=_flag(info.get("LiveRestoreEnabled")),
        icc=icc,
        insecure_registries=tuple(dict.fromkeys(insecure)),
        authorization_plugins=tuple(str(p) for p in plugins.get("Authorization") or ()),
        logging_driver=_text(info.get("LoggingDriver")),
        experimental=_flag(info.get("ExperimentalBuild", version.get("Experimental"))),
        cgroup_version=_text(info.get("CgroupVersion")),
    )


def _security_name(option: str) -> str:
    """`name=seccomp,profile=default` -> `seccomp` (older engines list bare names)."""
    for part in option.split(","):
        key, sep, value = part.partition("=")
        if sep and key == "name":
            return value
    return option


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def container_spec_from_inspect(
    data: Mapping[str, Any],
    image: Mapping[str, Any] | None,
    *,
    cgroupns_default: str | None = None,
) -> ContainerSpec:
    """A container's inspect data (and its image's, when it could be read) as a ContainerSpec.

    What the engine filled in by default is left out, so that the same rules judge a container
    as they judge the file that started it: the cgroup namespace mode when it is the engine's
    default (`host` under cgroup v1, `cgroupns_default`), and the `label=disable` that docker
    adds by itself to a privileged container or one in the host's PID or IPC namespace (HG201
    and HG209 report those)."""
    name = str(data.get("Name") or data.get("Id", "")[:12]).lstrip("/")
    resource = f"container/{name}"
    config: Mapping[str, Any] = data.get("Config") or {}
    host: Mapping[str, Any] = data.get("HostConfig") or {}

    def at(path: str) -> Location:
        return Location(logical=f"{resource}:{path}")

    def text(section: Mapping[str, Any], key: str, prefix: str) -> Located[str] | None:
        value = section.get(key)
        if value in (None, ""):
            return None
        return Located(str(value), at(f"{prefix}.{key}"))

    def flag(key: str) -> Located[bool]:
        return Located(bool(host.get(key)), at(f"HostConfig.{key}"))

    security = _security_options(host.get("SecurityOpt") or (), at)
    if host.get("Privileged") or "host" in (host.get("PidMode"), host.get("IpcMode")):
        security.selinux = [o for o in security.selinux if o.value != "label=disable"]
    cgroup = text(host, "CgroupnsMode", "HostConfig")
    if cgroup is not None and cgroup.value == cgroupns_default:
        cgroup = None
    image_name = text(config, "Image", "Config") or (
        Located(str(data["Image"]), at("Image")) if data.get("Image") else None
    )
    user, effective, chain = _users(resource, config, image, image_name, at)
    return ContainerSpec(
        kind=LIVE,
        name=f"container `{name}`",
        resource=resource,
        anchor=Location(logical=resource),
        image=image_name,
        user=user,
        privileged=flag("Privileged"),
        cap_add=_each(host.get("CapAdd"), "HostConfig.CapAdd", at),
        cap_drop=_each(host.get("CapDrop"), "HostConfig.CapDrop", at),
        pid=text(host, "PidMode", "HostConfig"),
        ipc=text(host, "IpcMode", "HostConfig"),
        network=text(host, "NetworkMode", "HostConfig"),
        uts=text(host, "UTSMode", "HostConfig"),
        userns=text(host, "UsernsMode", "HostConfig"),
        cgroup=cgroup,
        mounts=_mounts(data.get("Mounts") or (), host.get("Tmpfs") or {}, at),
        devices=tuple(
            Located(_device(d), at(f"HostConfig.Devices[{i}]"))
            for i, d in enumerate(host.get("Devices") or ())
            if isinstance(d, Mapping)
        ),
        seccomp=security.seccomp,
        apparmor=security.apparmor,
        selinux=tuple(security.selinux),
        no_new_privileges=security.no_new_privileges,
        read_only_rootfs=flag("ReadonlyRootfs"),
        runtime=text(host, "Runtime", "HostConfig"),
        memory_limit=Located(str(host.get("Memory") or 0), at("HostConfig.Memory")),
        cpu_limit=Located(_cpus(host.get("NanoCpus")), at("HostConfig.NanoCpus")),
        pids_limit=Located(str(host.get("PidsLimit") or 0), at("HostConfig.PidsLimit")),
        env=tuple(_env(config.get("Env") or (), at)),
        ports=tuple(_ports(host.get("PortBindings") or {}, at)),
        sysctls=tuple(
            EnvVar(str(k), str(v), at(f"HostConfig.Sysctls.{k}"))
            for k, v in (host.get("Sysctls") or {}).items()
        ),
        effective_user=effective,
        user_chain=chain,
    )


def _users(
    resource: str,
    config: Mapping[str, Any],
    image: Mapping[str, Any] | None,
    image_name: Located[str] | None,
    at: Any,
) -> tuple[Located[str] | None, Located[str], tuple[str, ...]]:
    """The user set at run time (None when it is the image's), the effective user, its chain.

    The engine copies the image's USER into the container's `Config.User` when none was given,
    so an empty `Config.User` means root whatever the image; a value equal to the image's came
    from the image."""
    value = str(config.get("User") or "")
    image_config: Mapping[str, Any] = (image or {}).get("Config") or {}
    image_user = str(image_config.get("User") or "") if image is not None else None
    verdict = _user_verdict(value)
    if image_user is not None and value == image_user:
        shown = image_name.value if image_name is not None else str((image or {}).get("Id"))
        chain: tuple[str, ...] = (
            resource,
            f"image {shown}",
            f'Config.User "{image_user}"',
            verdict,
        )
        location = Location(logical=f"image/{shown}:Config.User")
        return None, Located(value, location), chain
    written = Located(value, at("Config.User"))
    chain = (resource, f'Config.User "{value}"', verdict)
    return (written if value else None), written, chain


def _user_verdict(value: str) -> str:
    return "root" if is_root_user(value) else f"user {value}"


@dataclass
class _SecurityOptions:
    seccomp: Located[str] | None = None
    apparmor: Located[str] | None = None
    selinux: list[Located[str]] = field(default_factory=list)
    no_new_privileges: Located[bool] | None = None


def _security_options(options: Iterable[Any], at: Any) -> _SecurityOptions:
    """`HostConfig.SecurityOpt` as written: `seccomp=unconfined` (a custom profile is stored as
    its JSON text), `apparmor=x`, `label=disable`, `no-new-privileges[=true]`."""
    found = _SecurityOptions()
    for index, option in enumerate(options):
        text = str(option)
        where = at(f"HostConfig.SecurityOpt[{index}]")
        key, sep, value = text.partition("=")
        if not sep:
            key, sep, value = text.partition(":")
        key = key.strip().lower()
        match key:
            case "seccomp":
                shown = "custom profile" if value.lstrip().startswith("{") else value
                found.seccomp = Located(shown, where)
            case "apparmor":
                found.apparmor = Located(value, where)
            case "label":
                found.selinux.append(Located(f"label={value}", where))
            case "no-new-privileges":
                enabled = not sep or value.strip().lower() in _TRUE
                found.no_new_privileges = Located(enabled, where)
    return found


def _each(values: Sequence[Any] | None, path: str, at: Any) -> tuple[Located[str], ...]:
    return tuple(Located(str(v), at(f"{path}[{i}]")) for i, v in enumerate(values or ()))


def _mounts(mounts: Iterable[Any], tmpfs: Mapping[str, Any], at: Any) -> tuple[Mount, ...]:
    result = []
    for index, mount in enumerate(mounts):
        if not isinstance(mount, Mapping):
            continue
        kind = str(mount.get("Type") or "bind")
        source = mount.get("Name") if kind == "volume" else mount.get("Source")
        result.append(
            Mount(
                kind,
                str(source) if source and kind != "tmpfs" else None,
                str(mount.get("Destination") or ""),
                not mount.get("RW", True),
                at(f"Mounts[{index}]"),
            )
        )
    for target, options in tmpfs.items():
        read_only = "ro" in str(options or "").split(",")
        result.append(
            Mount("tmpfs", None, str(target), read_only, at(f"HostConfig.Tmpfs.{target}"))
        )
    return tuple(result)


def _device(device: Mapping[str, Any]) -> str:
    host = str(device.get("PathOnHost") or "")
    inside = str(device.get("PathInContainer") or host)
    permissions = str(device.get("CgroupPermissions") or "")
    return ":".join(p for p in (host, inside, permissions) if p)


def _cpus(nano: Any) -> str:
    return f"{nano / 1e9:g}" if isinstance(nano, int) and nano > 0 else "0"


def _env(entries: Iterable[Any], at: Any) -> list[EnvVar]:
    result = []
    for index, entry in enumerate(entries):
        key, _, value = str(entry).partition("=")
        result.append(EnvVar(key, value, at(f"Config.Env[{index}]")))
    return result


def _ports(bindings: Mapping[str, Any], at: Any) -> list[PortBinding]:
    result = []
    for spec, hosts in bindings.items():
        port, _, protocol = str(spec).partition("/")
        for index, binding in enumerate(hosts or ()):
            if not isinstance(binding, Mapping):
                continue
            result.append(
                PortBinding(
                    port,
                    protocol or "tcp",
                    str(binding.get("HostPort") or "") or None,
                    str(binding.get("HostIp") or "") or None,
                    at(f"HostConfig.PortBindings.{spec}[{index}]"),
                )
            )
    return result
