"""Pulling images from an OCI registry through the distribution API, over `requests`.

`RegistryClient` resolves a reference (`parse_image_ref`; Docker Hub is served by
`registry-1.docker.io`), fetches its manifest (`GET /v2/<name>/manifests/<tag|digest>` with the
OCI and Docker media types in `Accept`), picks the platform's manifest from an OCI index or a
Docker manifest list, reads the config, and opens layer blobs as bounded streams: a layer is
never held in memory whole. Every manifest and config is checked against its digest; layers are
checked by the caller from the bytes `read_layer` saw.

Authentication: anonymous first; a 401 with `WWW-Authenticate: Bearer realm=...,service=...,
scope=...` gets a token from the realm (with basic credentials when known), a 401 with `Basic`
is answered with the credentials. Credentials come from `auths` of the Docker CLI config
(`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): base64 `auth`, or `username` and
`password`. Credential helpers (`credsStore`, `credHelpers`) are never run: an error says so.

HTTPS by default; plain HTTP only for registries given as insecure, and only on loopback.
Only GET requests are made; redirects are followed by hand, at most MAX_REDIRECTS hops, each
under the same rule, never from HTTPS down to plain HTTP, and the Authorization header goes only
to the registry's own host.

Bounded time: each read has a timeout, and each operation (the client of one reference) has an
overall deadline (`RegistryOptions.deadline`, 120 s by default) for its manifests, configs,
tokens and signatures; a layer download may take that plus its size at `min_throughput` (64 KiB
per second by default). A watchdog timer shuts down the socket in use when the bound passes, so
that a registry sending a byte every few seconds, or accepting and never answering, cannot hold
the operation longer. Every failure is a `RegistryError` whose message says what happened and
what to do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import ipaddress
import json
import os
import platform as host
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from hullguard.image.streams import ChunkStream
from hullguard.imageref import ImageRef, ImageRefError, parse_image_ref

MiB = 1024 * 1024
MAX_MANIFEST_BYTES = 4 * MiB
MAX_TOKEN_BYTES = 1 * MiB
MAX_REDIRECTS = 5
MAX_LISTING_PAGES = 10_000
CHUNK = 1024 * 1024
DOCKER_HUB_HOST = "registry-1.docker.io"
DEFAULT_DEADLINE = 120.0
DEFAULT_MIN_THROUGHPUT = 64 * 1024

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))

_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
_CHALLENGE_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class RegistryError(Exception):
    """The registry cannot give the image; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def matches(self, entry: Mapping[str, Any]) -> bool:
        if entry.get("os") != self.os or entry.get("architecture") != self.architecture:
            return False
        return self.variant is None or entry.get("variant") == self.variant


def parse_platform(text: str) -> Platform:
    """`os/arch[/variant]`; raises ValueError with the reason."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(re.fullmatch(r"[a-z0-9_.-]+", p) for p in parts):
        raise ValueError(f"`{text}` is not a platform: use os/arch[/variant], e.g. linux/arm64")
    return Platform(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def host_platform() -> Platform:
    """linux and this machine's architecture when it is amd64 or arm64, else linux/amd64."""
    return Platform("linux", _ARCHES.get(host.machine().lower(), "amd64"))


@dataclass(frozen=True)
class RegistryOptions:
    platform: Platform | None = None
    insecure_registries: frozenset[str] = frozenset()
    docker_config: Path | None = None
    timeout: float = 30.0
    deadline: float = field(default_factory=lambda: registry_deadline())  # seconds, per operation
    min_throughput: int = DEFAULT_MIN_THROUGHPUT  # bytes per second a layer download may take


@dataclass(frozen=True)
class PulledImage:
    """What the manifest names: the config document and the layers (digest, size), lowest
    first. `note` says how a platform was chosen from an index."""

    manifest_digest: str
    config: Mapping[str, Any]
    layers: tuple[tuple[str, int], ...]
    note: str | None = None


@dataclass
class _Credentials:
    username: str | None = None
    password: str | None = None
    note: str | None = None


class _Watchdog:
    """Ends the request in flight when its deadline passes, by shutting down the socket in use
    from a timer thread: that wakes a read blocked on a registry that sends a byte every few
    seconds, which per-read timeouts never end. `problem` says which bound passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self.problem: str | None = None
        self._armed: tuple[float, str] | None = None

    def arm(self, seconds: float, problem: str) -> None:
        self.disarm()
        with self._lock:
            self.problem = None
        self._armed = (time.monotonic() + seconds, problem)
        timer = threading.Timer(max(seconds, 0.0), self._expire, args=(problem,))
        timer.daemon = True
        self._timer = timer
        timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._armed = None

    def passed(self) -> str | None:
        """The problem when the armed bound has passed (the timer may not have run yet)."""
        if self.problem is not None:
            return self.problem
        if self._armed is not None and time.monotonic() >= self._armed[0]:
            return self._armed[1]
        return None

    def using(self, sock: socket.socket | None) -> None:
        """The connection about to wait for an answer; shut at once when already expired."""
        with self._lock:
            self._socket = sock
            expired = self.problem is not None
        if expired:
            _shut(sock)

    def _expire(self, problem: str) -> None:
        with self._lock:
            self.problem = problem
            sock = self._socket
        _shut(sock)


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections, direct or through a proxy, tell the watchdog which
    socket is in use."""

    def __init__(self, watchdog: _Watchdog) -> None:
        class WatchedHTTP(HTTPConnection):
            def getresponse(self) -> Any:
                watchdog.using(self.sock)
                return super().getresponse()

        class WatchedHTTPS(HTTPSConnection):
            def getresponse(self) -> Any:
                watchdog.using(self.sock)
                return super().getresponse()

        class HTTPPool(HTTPConnectionPool):
            ConnectionCls = WatchedHTTP

        class HTTPSPool(HTTPSConnectionPool):
            ConnectionCls = WatchedHTTPS

        self._pools = {"http": HTTPPool, "https": HTTPSPool}
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = self._pools
        return manager


DEADLINE_VARIABLE = "HULLGUARD_REGISTRY_DEADLINE"


def registry_deadline(text: str | None = None) -> float:
    """The deadline of one registry operation in seconds: `text`, else the
    HULLGUARD_REGISTRY_DEADLINE variable, else 120; ValueError when it is not a positive
    number (a value from the environment that is not one counts as unset)."""
    strict = text is not None
    text = text if text is not None else os.environ.get(DEADLINE_VARIABLE)
    if not text:
        return DEFAULT_DEADLINE
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 86400 * 7:
        if strict:
            raise ValueError(f"`{text}` is not a number of seconds between 0 and a week")
        return DEFAULT_DEADLINE
    return seconds


def is_loopback(hostname: str) -> bool:
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def _split_host(netloc: str) -> str:
    """The host name of `host[:port]` (IPv6 in brackets kept without them)."""
    if netloc.startswith("["):
        return netloc[1:].partition("]")[0]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def _registry_key(text: str) -> str:
    """A config `auths` key or a registry name, as a comparable host[:port]."""
    text = text.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0]
    if text in ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "docker.io"):
        return "docker.io"
    return text


def load_credentials(registry: str, config_path: Path | None = None) -> _Credentials:
    """The credentials for `registry` from the Docker CLI config; never runs a helper."""
    if config_path is None:
        folder = os.environ.get("DOCKER_CONFIG")
        config_path = Path(folder) if folder else Path.home() / ".docker"
        config_path = config_path / "config.json"
    try:
        if config_path.stat().st_size > MAX_MANIFEST_BYTES:
            return _Credentials(note=f"{config_path} is too large; it was not read")
        document = json.loads(config_path.read_bytes())
    except FileNotFoundError:
        return _Credentials()
    except (OSError, ValueError) as exc:
        return _Credentials(note=f"{config_path} is unreadable ({exc}); no credentials used")
    if not isinstance(document, Mapping):
        return _Credentials(note=f"{config_path} is not a JSON object; no credentials used")
    key = _registry_key(registry)
    auths = document.get("auths")
    entry: Any = None
    if isinstance(auths, Mapping):
        entry = next((v for k, v in auths.items() if _registry_key(str(k)) == key), None)
    found = _entry_credentials(entry)
    if found is not None:
        return _Credentials(*found)
    helpers = document.get("credHelpers")
    helper = None
    if isinstance(helpers, Mapping):
        helper = next((v for k, v in helpers.items() if _registry_key(str(k)) == key), None)
    helper = helper or document.get("credsStore")
    if isinstance(helper, str) and helper:
        return _Credentials(
            note=f"{config_path} keeps the credentials in the helper `docker-credential-{helper}`,"
            " which hullguard does not run (not supported): put them in `auths` or pull "
            "anonymously"
        )
    return _Credentials()


def _entry_credentials(entry: Any) -> tuple[str, str] | None:
    if not isinstance(entry, Mapping):
        return None
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            user, sep, password = base64.b64decode(auth, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if sep:
            return user, password
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(secret, str) and name:
        return name, secret
    return None


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="...",service="..."` as ("bearer", {"realm": ..., ...})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _CHALLENGE_PARAM.finditer(rest)
    }
    return scheme.lower(), params


def next_link(header: str | None, current: str) -> str | None:
    """The absolute URL of the `rel="next"` entry of a `Link` header (RFC 8288), resolved
    against `current`; None when there is none."""
    if not header:
        return None
    for link in requests.utils.parse_header_links(header):
        if "next" in link.get("rel", "").lower().split() and link.get("url"):
            return urljoin(current, link["url"])
    return None


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class RegistryClient:
    """One repository of one registry, for one reference."""

    ref: ImageRef
    options: RegistryOptions = field(default_factory=RegistryOptions)
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.host = DOCKER_HUB_HOST if self.ref.is_docker_hub else self.ref.registry
        self.secure = self.host not in self.options.insecure_registries
        if not self.secure and not is_loopback(_split_host(self.host)):
            raise RegistryError(
                f"refusing plain HTTP to {self.host}: insecure registries are allowed only on "
                "loopback (127.0.0.1, ::1, localhost); use HTTPS"
            )
        self.base = f"{'https' if self.secure else 'http'}://{self.host}"
        self.credentials = load_credentials(self.ref.registry, self.options.docker_config)
        self.authorization: str | None = None
        self.session.headers["User-Agent"] = "hullguard"
        self._watchdog = _Watchdog()
        adapter = _WatchedAdapter(self._watchdog)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.deadline_at = time.monotonic() + self.options.deadline

    @classmethod
    def for_ref(cls, text: str, options: RegistryOptions | None = None) -> RegistryClient:
        try:
            ref = parse_image_ref(text)
        except ImageRefError as exc:
            raise RegistryError(f"not an image reference: {exc}") from None
        return cls(ref, options or RegistryOptions())

    @classmethod
    def for_registry(
        cls, registry: str, repository: str = "", options: RegistryOptions | None = None
    ) -> RegistryClient:
        """A client of `registry` (host[:port]) itself, or of one of its repositories, for the
        listings of the distribution API."""
        raw = f"{registry}/{repository}" if repository else registry
        ref = ImageRef(raw=raw, registry=registry, path=repository, tag=None, digest=None)
        return cls(ref, options or RegistryOptions())

    def list_names(self, path: str, key: str, what: str, page_size: int = 1000) -> list[str]:
        """A paginated listing of the distribution API (`/v2/_catalog` under `repositories`,
        `/v2/<name>/tags/list` under `tags`): `n=page_size`, then each `Link: <...>;
        rel="next"` followed, on this registry only, until there is none."""
        names: list[str] = []
        page: str | None = f"{path}?{urlencode({'n': page_size})}"
        seen: set[str] = set()
        while page is not None:
            if page in seen or len(seen) >= MAX_LISTING_PAGES:
                raise RegistryError(
                    f"{self.host}: {what}: the pages do not end (a `Link` loop, or more than "
                    f"{MAX_LISTING_PAGES} pages)"
                )
            seen.add(page)
            with self._get(page, "application/json", what, True) as response:
                body = self._read_body(response, MAX_MANIFEST_BYTES, what)
                link = response.headers.get("Link")
            values = _parse_json(body, f"{self.host} {what}").get(key) or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise RegistryError(f"{self.host}: {what}: `{key}` is not a list of names")
            names.extend(values)
            following = next_link(link, self.base + page)
            page = None
            if following is not None:
                parts = urlsplit(following)
                if f"{parts.scheme}://{parts.netloc}" != self.base:
                    raise RegistryError(
                        f"{self.host}: {what}: the next page {following} is on another host"
                    )
                page = parts.path + (f"?{parts.query}" if parts.query else "")
        return names

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._watchdog.disarm()
        self.session.close()

    # --- requests ---------------------------------------------------------------------------

    def _url_allowed(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme == "https":
            return
        netloc = parts.netloc.rpartition("@")[2]
        insecure = netloc in self.options.insecure_registries
        if parts.scheme == "http" and insecure and is_loopback(_split_host(netloc)):
            return
        raise RegistryError(f"refusing {url}: plain HTTP only to insecure registries on loopback")

    def _send(
        self,
        url: str,
        headers: Mapping[str, str],
        stream: bool,
        *,
        method: str = "GET",
        data: bytes | None = None,
        what: str | None = None,
        until: tuple[float, str] | None = None,
    ) -> requests.Response:
        """A read (GET, or HEAD for the writer) with redirects followed by hand, each hop
        checked; never from HTTPS down to plain HTTP."""
        for _ in range(MAX_REDIRECTS + 1):
            response = self._hop(
                method, url, headers, stream=stream, data=data, what=what, until=until
            )
            if response.status_code in (301, 302, 303, 307, 308) and "Location" in response.headers:
                target = urljoin(url, response.headers["Location"])
                response.close()
                if urlsplit(url).scheme == "https" and urlsplit(target).scheme != "https":
                    raise RegistryError(
                        f"refusing the redirect from {url} to {target}: from HTTPS down to "
                        "plain HTTP"
                    )
                url = target
                continue
            return response
        raise RegistryError(
            f"{self.host}: more than {MAX_REDIRECTS} redirects (a loop?), last to {url}"
        )

    def _arm(self, url: str, until: tuple[float, str] | None) -> tuple[float, str]:
        """Arm the watchdog for one request; the seconds left and the error when they pass,
        or that error at once."""
        at, bound = until or (self.deadline_at, f"the {self.options.deadline:g} s deadline")
        problem = f"{url}: no complete answer within {bound} for one operation"
        left = at - time.monotonic()
        if left <= 0:
            raise RegistryError(problem)
        self._watchdog.arm(left, problem)
        return left, problem

    def _expired(self) -> None:
        """Raise the deadline error when the watchdog cut the request, or its bound passed."""
        problem = self._watchdog.passed()
        if problem is not None:
            raise RegistryError(problem)

    def _read_body(self, response: requests.Response, limit: int, what: str) -> bytes:
        """`_read_bounded`, with a body cut at the deadline reported as such."""
        try:
            body = _read_bounded(response, limit, what)
        except RegistryError:
            self._expired()
            raise
        self._expired()
        self._watchdog.disarm()
        return body

    def _hop(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        stream: bool,
        data: bytes | None = None,
        what: str | None = None,
        until: tuple[float, str] | None = None,
    ) -> requests.Response:
        """One request, redirects not followed; the Authorization header is sent only to the
        registry itself. `what` names the request in errors; `until` is its deadline (monotonic
        time, and the bound in words), the operation's by default."""
        self._url_allowed(url)
        sent = dict(headers)
        if urlsplit(url).netloc != urlsplit(self.base).netloc:
            sent.pop("Authorization", None)
        context = f" ({what})" if what else ""
        left, late = self._arm(url, until)
        read_timeout = min(self.options.timeout, left)
        try:
            return self.session.request(
                method,
                url,
                headers=sent,
                data=data,
                stream=stream,
                allow_redirects=False,
                timeout=(min(10.0, read_timeout), read_timeout),
            )
        except requests.Timeout:
            self._expired()
            if read_timeout < self.options.timeout:  # the deadline's bound, not the read's
                raise RegistryError(late) from None
            raise RegistryError(
                f"{self.host} did not answer within {self.options.timeout:g} s{context}"
            ) from None
        except requests.RequestException as exc:
            self._expired()
            raise RegistryError(f"cannot reach {self.host}{context}: {_short(exc)}") from None

    def _get(
        self,
        path: str,
        accept: str | None,
        what: str,
        stream: bool,
        until: tuple[float, str] | None = None,
    ) -> requests.Response:
        headers = {"Accept": accept} if accept else {"Accept-Encoding": "identity"}
        url = self.base + path
        if self.authorization:
            headers["Authorization"] = self.authorization
        response = self._send(url, headers, stream, what=what, until=until)
        if response.status_code == 401 and not self.authorization:
            challenge = response.headers.get("WWW-Authenticate", "")
            response.close()
            self.authorization = self._authorize(challenge)
            headers["Authorization"] = self.authorization
            response = self._send(url, headers, stream, what=what, until=until)
        if response.status_code != 200:
            response.close()
            raise RegistryError(self._status_problem(response, what))
        return response

    def _status_problem(self, response: requests.Response, what: str) -> str:
        code = response.status_code
        where = f"{self.host}/{self.ref.path}"
        if code == 401:
            text = (
                f"{where}: authentication required (401) for {what}: log in with "
                f"`docker login {self.ref.registry}` so that ~/.docker/config.json holds the "
                "credentials"
            )
            return text + (f" ({self.credentials.note})" if self.credentials.note else "")
        if code == 403:
            return (
                f"{where}: access denied (403) for {what}: the credentials used may not pull "
                "this repository; check the account's permissions"
            )
        if code == 404:
            return f"{where}: no such image or tag (404) for {what}"
        if code == 429:
            after = response.headers.get("Retry-After")
            wait = f"; Retry-After: {after}" if after else "; no Retry-After given"
            return f"{where}: rate limited (429) for {what}{wait}; try again later or log in"
        if 500 <= code < 600:
            return f"{where}: server error {code} for {what}; try again later"
        return f"{where}: unexpected HTTP status {code} for {what}"

    def _authorize(self, challenge: str) -> str:
        scheme, params = parse_challenge(challenge)
        user, password = self.credentials.username, self.credentials.password
        where = f"{self.host}/{self.ref.path}"
        if scheme == "basic":
            if user is None or password is None:
                note = f" ({self.credentials.note})" if self.credentials.note else ""
                raise RegistryError(
                    f"{where}: the registry wants basic authentication and no credentials are "
                    f"known: log in with `docker login {self.ref.registry}`{note}"
                )
            return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if scheme != "bearer":
            raise RegistryError(
                f"{where}: authentication required (401) with an unsupported or missing "
                f"challenge `{challenge or '(no WWW-Authenticate)'}`"
            )
        realm = params.get("realm")
        if not realm:
            raise RegistryError(
                f"{where}: authentication required (401), and its Bearer challenge has no realm "
                "to ask a token from"
            )
        query = {"scope": params.get("scope") or f"repository:{self.ref.path}:pull"}
        if params.get("service"):
            query["service"] = params["service"]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        self._url_allowed(url)
        auth = (user, password) if user is not None and password is not None else None
        left, late = self._arm(realm, None)
        try:
            response = self.session.get(
                url,
                auth=auth,
                timeout=min(self.options.timeout, left),
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            self._expired()
            if isinstance(exc, requests.Timeout) and left < self.options.timeout:
                raise RegistryError(late) from None
            raise RegistryError(f"cannot get a token from {realm}: {_short(exc)}") from None
        with response:
            if response.status_code != 200:
                raise RegistryError(
                    self._status_problem(response, f"a token from {realm}")
                    if response.status_code in (401, 403, 429)
                    else f"{where}: the token service {realm} answered {response.status_code}"
                )
            body = self._read_body(response, MAX_TOKEN_BYTES, f"the token from {realm}")
        document = _parse_json(body, f"the token from {realm}")
        token = document.get("token") or document.get("access_token")
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{where}: the token service {realm} gave no token")
        return f"Bearer {token}"

    # --- documents ---------------------------------------------------------------------------

    def _manifest(self, reference: str, expected: str | None) -> tuple[Mapping[str, Any], str]:
        what = f"manifest {reference}"
        with self._get(f"/v2/{self.ref.path}/manifests/{reference}", ACCEPT, what, True) as r:
            body = self._read_body(r, MAX_MANIFEST_BYTES, what)
            header = r.headers.get("Docker-Content-Digest")
            content_type = r.headers.get("Content-Type", "").split(";")[0].strip()
        digest = sha256_digest(body)
        for claimed in (expected, header if header and header.startswith("sha256:") else None):
            if claimed is not None and claimed != digest:
                raise RegistryError(
                    f"{self.host}/{self.ref.path}: manifest {claimed}: its content does not "
                    f"match its digest ({digest})"
                )
        document = _parse_json(body, f"{self.host}/{self.ref.path} {what}")
        if "mediaType" not in document and content_type:
            document = {**document, "mediaType": content_type}
        return document, digest

    def pull(self) -> PulledImage:
        """The manifest for the reference (the platform's, from an index) and its config."""
        reference = self.ref.digest or self.ref.tag or "latest"
        manifest, digest = self._manifest(reference, self.ref.digest)
        note = None
        wanted = self.options.platform or host_platform()
        if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
            descriptor = self._choose(manifest, wanted)
            child = _descriptor_digest(descriptor, "index entry")
            manifest, digest = self._manifest(child, child)
            note = f"an index of several platforms: {wanted} was read"
        media_type = manifest.get("mediaType")
        if manifest.get("schemaVersion") == 1 or (media_type and media_type not in MANIFEST_TYPES):
            raise RegistryError(
                f"{self.host}/{self.ref.path}: manifest type `{media_type or 'schema 1'}` "
                "is not supported (OCI image manifests and Docker v2 schema 2 are)"
            )
        config_descriptor = manifest.get("config")
        config_digest = _descriptor_digest(config_descriptor, "config")
        config = _parse_json(self._blob_bytes(config_digest), f"config {config_digest}")
        layers = manifest.get("layers")
        if not isinstance(layers, list):
            raise RegistryError(f"{self.host}/{self.ref.path}: the manifest lists no layers")
        pairs = tuple(
            (_descriptor_digest(layer, "layer"), _descriptor_size(layer)) for layer in layers
        )
        return PulledImage(digest, config, pairs, note)

    def _choose(self, index: Mapping[str, Any], wanted: Platform) -> Mapping[str, Any]:
        entries = [m for m in index.get("manifests") or [] if isinstance(m, Mapping)]
        for entry in entries:
            platform = entry.get("platform")
            if isinstance(platform, Mapping) and wanted.matches(platform):
                return entry
        offered = sorted(
            {
                str(Platform(str(p.get("os")), str(p.get("architecture")), p.get("variant")))
                for e in entries
                if isinstance(p := e.get("platform"), Mapping)
            }
        )
        raise RegistryError(
            f"{self.host}/{self.ref.path}: no image for platform {wanted} in the index "
            f"(offered: {', '.join(offered) or 'none'}); choose one with --platform"
        )

    def _blob_bytes(self, digest: str) -> bytes:
        what = f"blob {digest}"
        with self._get(f"/v2/{self.ref.path}/blobs/{digest}", None, what, True) as response:
            body = self._read_body(response, MAX_MANIFEST_BYTES, what)
        actual = sha256_digest(body)
        if actual != digest:
            raise RegistryError(f"blob {digest}: its content does not match its digest ({actual})")
        return body

    @contextmanager
    def open_blob(self, digest: str, size: int) -> Iterator[IO[bytes]]:
        """A layer blob as a stream of at most `size` bytes; the caller checks the digest. Its
        download may take the deadline plus its size at the minimum throughput."""
        what = f"layer {digest}"
        seconds = self.options.deadline + size / max(self.options.min_throughput, 1)
        bound = (
            f"{seconds:.0f} s (the {self.options.deadline:g} s deadline plus {size} bytes at "
            f"{self.options.min_throughput} bytes/s)"
        )
        until = (time.monotonic() + seconds, bound)
        path = f"/v2/{self.ref.path}/blobs/{digest}"
        with self._get(path, None, what, True, until) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) != size:
                raise RegistryError(
                    f"layer {digest}: the registry sends {length} bytes, its descriptor says {size}"
                )
            raw = ChunkStream(self._chunks(response, what), size, f"blob {digest}")
            yield io.BufferedReader(raw, CHUNK)
        if self._watchdog.problem is not None:
            raise RegistryError(self._watchdog.problem)

    def _chunks(self, response: requests.Response, what: str) -> Iterator[bytes]:
        """The body's chunks; a transfer cut (by the deadline or the network) is an OSError."""
        try:
            yield from response.iter_content(CHUNK)
        except requests.RequestException as exc:
            raise OSError(self._watchdog.passed() or f"{what}: {_short(exc)}") from None
        if self._watchdog.problem is not None:
            raise OSError(self._watchdog.problem)
        self._watchdog.disarm()  # read whole: what the reader does next is not the registry's


def _read_bounded(response: requests.Response, limit: int, what: str) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise RegistryError(f"{what}: {length} bytes is larger than the {limit} allowed")
    parts: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(64 * 1024):
            total += len(chunk)
            if total > limit:
                raise RegistryError(f"{what}: larger than the {limit} bytes allowed")
            parts.append(chunk)
    except requests.RequestException as exc:
        raise RegistryError(f"{what}: the transfer failed: {_short(exc)}") from None
    return b"".join(parts)


def _parse_json(body: bytes, what: str) -> Mapping[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{what}: not JSON ({exc})") from None
    if not isinstance(document, Mapping):
        raise RegistryError(f"{what}: not a JSON object")
    return document


def _descriptor_digest(descriptor: Any, what: str) -> str:
    digest = descriptor.get("digest") if isinstance(descriptor, Mapping) else None
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise RegistryError(f"the manifest's {what} has no usable sha256 digest: {descriptor!r}")
    return digest


def _descriptor_size(descriptor: Mapping[str, Any]) -> int:
    size = descriptor.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise RegistryError(f"the manifest's layer {descriptor.get('digest')} has no usable size")
    return size


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:300] + "..."
