"""Configuration: `.hullguard.toml` or `[tool.hullguard]` in `pyproject.toml`, merged with the CLI.

```toml
select = ["HG2", "HG4"]          # rule ids, id prefixes (HG4 = pillar 4) or rule names
ignore = ["HG413"]
fail-on = "high"                  # info|low|medium|high|critical|never
profile = "default"               # default|pss-baseline|pss-restricted|cis-docker
exclude = ["vendor/**", "*.tmpl"]
max-file-size = "5MiB"
build-args = {BASE = "python:3.12-slim"}
compose-profiles = ["debug"]       # judge only the Compose services `--profile debug up` starts

[images]                           # which Dockerfile builds an image that manifests run
"registry.example.com/shop/api" = "api/Dockerfile"   # relative to this file's folder

[severity]                         # per-rule severity overrides
HG444 = "info"

[rules.HG410]                      # per-rule options
trusted_registries = ["docker.io/library", "ghcr.io/acme"]

[sandbox]                          # HG603: workloads that must run under a sandbox runtime
runtimes = ["runsc", "kata", "kata-*", "kata-runtime"]   # the sandbox runtimes (the default)
[sandbox.workloads]                # a container matching any selector must use one of them
images = ["registry.example.com/tenants/*"]   # image patterns (`*`, `?`)
services = ["ci-runner"]           # compose service names (patterns)
namespaces = ["tenants-*"]         # Kubernetes namespaces (patterns; unset counts as `default`)
labels = ["sandbox=required"]      # Kubernetes pod labels, `key=value`

[signatures]                       # HG620-HG623: require signed images pinned by digest
require = true                     # verify before the rules run (the network is used here)
key = "cosign.pub"                 # the public key (PEM), relative to this file's folder
insecure-registries = ["127.0.0.1:5000"]   # plain HTTP, loopback only
trusted-root = "trusted_root.json" # keyless: Sigstore's trusted root (Fulcio CAs, Rekor keys)
certificate-identity = "release@example.com"   # or certificate-identity-regexp = "^https://..."
certificate-oidc-issuer = "https://accounts.google.com"   # who vouched for the identity

[vulnerabilities]                  # the vulnerability database and the matcher
db = "~/.cache/hullguard/vuln.db"  # default: $HULLGUARD_DB, else $XDG_CACHE_HOME/hullguard/vuln.db
max-age-days = 7                   # scans warn when the database is older
osv-url = "https://osv-vulnerabilities.storage.googleapis.com"   # `db update` downloads from here
ecosystems = ["PyPI", "Debian:12"] # what `db update` fetches besides those found in scans
ignore-unfixed = false             # report only vulnerabilities that have a fix
severity = ["high", "critical"]    # report only these severities (default: all)
ignore-file = ".hullguardignore.yaml"   # accepted vulnerabilities, with reason and expiry
```
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullguard.model import Severity

CONFIG_FILE = ".hullguard.toml"
PROFILES = ("default", "pss-baseline", "pss-restricted", "cis-docker")
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
_KNOWN_KEYS = frozenset(
    {"select", "ignore", "fail-on", "profile", "exclude", "max-file-size", "build-args",
     "severity", "rules", "images", "sandbox", "signatures", "vulnerabilities",
     "compose-profiles"}
)  # fmt: skip
SANDBOX_RULE = "HG603"
DEFAULT_SANDBOX_RUNTIMES = ("runsc", "kata", "kata-*", "kata-runtime")
_SANDBOX_SELECTORS = ("images", "services", "namespaces", "labels")
SIGNATURE_RULES = ("HG620", "HG621", "HG622", "HG623")
TRUSTED_REGISTRY_RULES = ("HG410", "HG623")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SignaturePolicy:
    """`[signatures]`: whether images must be signed, the public key that verifies them, the
    Sigstore trusted root and identity keyless signatures must have, and the registries reached
    over plain HTTP while verifying."""

    require: bool = False
    key: str | None = None
    insecure_registries: tuple[str, ...] = ()
    trusted_root: str | None = None
    certificate_identity: str | None = None
    certificate_identity_regexp: str | None = None
    certificate_oidc_issuer: str | None = None


DEFAULT_OSV_URL = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_IGNORE_FILE = ".hullguardignore.yaml"


@dataclass(frozen=True)
class VulnerabilityPolicy:
    """`[vulnerabilities]`: where the database is, how old it may be, where `db update`
    downloads from, and which vulnerability findings to report."""

    db: str | None = None  # None: $HULLGUARD_DB, else $XDG_CACHE_HOME/hullguard/vuln.db
    max_age_days: int = 7
    osv_url: str = DEFAULT_OSV_URL
    ecosystems: tuple[str, ...] = ()
    ignore_unfixed: bool = False
    severities: tuple[Severity, ...] = ()  # empty: every severity
    ignore_file: str | None = None  # None: .hullguardignore.yaml in the working folder


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity | None = Severity.MEDIUM  # None: never fail
    profile: str = "default"
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    build_args: Mapping[str, str] = field(default_factory=dict)
    # Compose profiles enabled, as `docker compose --profile`: only the services that start
    # with them are judged. None: every service, a gated one naming its profiles.
    compose_profiles: tuple[str, ...] | None = None
    images: Mapping[str, str] = field(default_factory=dict)  # image repository -> Dockerfile
    severity: Mapping[str, Severity] = field(default_factory=dict)
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    signatures: SignaturePolicy = field(default_factory=SignaturePolicy)
    vulnerabilities: VulnerabilityPolicy = field(default_factory=VulnerabilityPolicy)
    source: str | None = None  # the file it came from

    def options_for(self, rule_id: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
        """A rule's options: its defaults, the configured ones, and `require_signed` for the
        signature rules when the policy is on."""
        options = {**defaults, **self.rule_options.get(rule_id, {})}
        if self.signatures.require and rule_id in SIGNATURE_RULES:
            options["require_signed"] = True
        return options


def parse_fail_on(text: str) -> Severity | None:
    if text.strip().lower() == "never":
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise ConfigError(f"fail-on: {exc}; or `never`") from None


def parse_size(text: str | int) -> int:
    if isinstance(text, int):
        return text
    match = _SIZE.match(text)
    if not match:
        raise ConfigError(f"max-file-size: cannot read {text!r} as a size (e.g. 5MiB, 800k)")
    number = float(match.group(1))
    unit = (match.group(2) or "b").lower()[:1]
    factor = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]
    return int(number * factor)


def find_config(start: Path) -> Path | None:
    """The nearest `.hullguard.toml`, or `pyproject.toml` with a `[tool.hullguard]` table."""
    directory = start if start.is_dir() else start.parent
    for folder in (directory, *directory.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (folder / ".git").exists():
            break
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "hullguard" in data["tool"]


def load_config(path: Path) -> Config:
    """Read a config file; ConfigError names the file (and the line, for TOML syntax errors)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("hullguard", {})
    return config_from_mapping(data, str(path))


def config_from_mapping(data: Mapping[str, Any], source: str) -> Config:
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}")

    def strings(key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: `{key}` must be a list of strings")
        return tuple(value)

    profile = str(data.get("profile", "default"))
    if profile not in PROFILES:
        raise ConfigError(f"{source}: unknown profile {profile!r} (one of {', '.join(PROFILES)})")
    severity: dict[str, Severity] = {}
    raw_severity = data.get("severity", {})
    if not isinstance(raw_severity, dict):
        raise ConfigError(f"{source}: `severity` must be a table of rule id = severity")
    for rule_id, value in raw_severity.items():
        try:
            severity[rule_id.upper()] = Severity.parse(str(value))
        except ValueError as exc:
            raise ConfigError(f"{source}: severity.{rule_id}: {exc}") from None
    rules = data.get("rules", {})
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        raise ConfigError(f"{source}: `rules` must hold one table per rule, e.g. [rules.HG410]")
    build_args = data.get("build-args", {})
    if not isinstance(build_args, dict):
        raise ConfigError(f"{source}: `build-args` must be a table of NAME = value")
    compose_profiles = strings("compose-profiles") if "compose-profiles" in data else None
    if compose_profiles is not None and not all(p.strip() for p in compose_profiles):
        raise ConfigError(f"{source}: `compose-profiles` must be a list of profile names")
    images = data.get("images", {})
    if not isinstance(images, dict) or not all(isinstance(v, str) for v in images.values()):
        raise ConfigError(f'{source}: `images` must be a table of image = "path/to/Dockerfile"')
    folder = Path(source).parent if source and Path(source).name else Path(".")
    rule_options = {k.upper(): dict(v) for k, v in rules.items()}
    if "sandbox" in data:
        sandbox = parse_sandbox(data["sandbox"], source)
        rule_options[SANDBOX_RULE] = {**rule_options.get(SANDBOX_RULE, {}), **sandbox}
    signatures = (
        parse_signatures(data["signatures"], source, folder)
        if "signatures" in data
        else SignaturePolicy()
    )
    vulnerabilities = (
        parse_vulnerabilities(data["vulnerabilities"], source, folder)
        if "vulnerabilities" in data
        else VulnerabilityPolicy()
    )
    return Config(
        select=strings("select"),
        ignore=strings("ignore"),
        fail_on=parse_fail_on(str(data["fail-on"])) if "fail-on" in data else Severity.MEDIUM,
        profile=profile,
        exclude=strings("exclude"),
        max_file_size=parse_size(data.get("max-file-size", DEFAULT_MAX_FILE_SIZE)),
        build_args={str(k): str(v) for k, v in build_args.items()},
        compose_profiles=compose_profiles,
        images={str(k): str(folder / v) for k, v in images.items()},
        severity=severity,
        rule_options=rule_options,
        signatures=signatures,
        vulnerabilities=vulnerabilities,
        source=source,
    )


_VULNERABILITY_KEYS = frozenset(
    {"db", "max-age-days", "osv-url", "ecosystems", "ignore-unfixed", "severity", "ignore-file"}
)


def parse_vulnerabilities(table: Any, source: str, folder: Path) -> VulnerabilityPolicy:
    """The `[vulnerabilities]` table; paths are relative to the config's folder."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: `vulnerabilities` must be a table")
    unknown = sorted(set(table) - _VULNERABILITY_KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) in `vulnerabilities`: {', '.join(unknown)}")

    def path(key: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{source}: `vulnerabilities.{key}` must be a path")
        return str(folder / Path(value).expanduser())

    max_age = table.get("max-age-days", 7)
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0:
        raise ConfigError(f"{source}: `vulnerabilities.max-age-days` must be a whole number >= 0")
    url = table.get("osv-url", DEFAULT_OSV_URL)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ConfigError(f"{source}: `vulnerabilities.osv-url` must be an http(s) URL")
    ecosystems = table.get("ecosystems", [])
    if not isinstance(ecosystems, list) or not all(isinstance(e, str) and e for e in ecosystems):
        raise ConfigError(f"{source}: `vulnerabilities.ecosystems` must be a list of names")
    unfixed = table.get("ignore-unfixed", False)
    if not isinstance(unfixed, bool):
        raise ConfigError(f"{source}: `vulnerabilities.ignore-unfixed` must be true or false")
    raw = table.get("severity", [])
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: `vulnerabilities.severity` must be a list of severities")
    try:
        severities = tuple(Severity.parse(str(v)) for v in raw)
    except ValueError as exc:
        raise ConfigError(f"{source}: vulnerabilities.severity: {exc}") from None
    return VulnerabilityPolicy(
        db=path("db"),
        max_age_days=max_age,
        osv_url=url.rstrip("/"),
        ecosystems=tuple(ecosystems),
        ignore_unfixed=unfixed,
        severities=severities,
        ignore_file=path("ignore-file"),
    )


def parse_signatures(table: Any, source: str, folder: Path) -> SignaturePolicy:
    """The `[signatures]` table: `require`, `key` and `trusted-root` (relative to the config's
    folder), `certificate-identity` (or `-regexp`) and `certificate-oidc-issuer`, and
    `insecure-registries` (loopback only)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: `signatures` must be a table with `require` and `key`")
    unknown = sorted(set(table) - {"require", "key", "insecure-registries", *_KEYLESS_KEYS})
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) in `signatures`: {', '.join(unknown)}")
    require = table.get("require", False)
    if not isinstance(require, bool):
        raise ConfigError(f"{source}: `signatures.require` must be true or false")
    key = table.get("key")
    if key is not None and (not isinstance(key, str) or not key):
        raise ConfigError(f"{source}: `signatures.key` must be the path of a public key file")
    insecure = table.get("insecure-registries", [])
    if not isinstance(insecure, list) or not all(isinstance(v, str) and v for v in insecure):
        raise ConfigError(
            f"{source}: `signatures.insecure-registries` must be a list of HOST:PORT strings"
        )
    problem = non_loopback(insecure)
    if problem:
        raise ConfigError(f"{source}: signatures.insecure-registries: {problem}")
    keyless = {name: table.get(name) for name in _KEYLESS_KEYS}
    for name, value in keyless.items():
        if value is not None and (not isinstance(value, str) or not value):
            raise ConfigError(f"{source}: `signatures.{name}` must be a non-empty string")
    problem = keyless_problem(*keyless.values())
    if problem:
        raise ConfigError(f"{source}: signatures: {problem}")
    root = keyless["trusted-root"]
    return SignaturePolicy(
        require=require,
        key=str(folder / key) if key else None,
        insecure_registries=tuple(insecure),
        trusted_root=str(folder / root) if root else None,
        certificate_identity=keyless["certificate-identity"],
        certificate_identity_regexp=keyless["certificate-identity-regexp"],
        certificate_oidc_issuer=keyless["certificate-oidc-issuer"],
    )


_KEYLESS_KEYS = (
    "trusted-root",
    "certificate-identity",
    "certificate-identity-regexp",
    "certificate-oidc-issuer",
)


def keyless_problem(
    root: str | None, identity: str | None, regexp: str | None, issuer: str | None
) -> str | None:
    """Why these keyless settings cannot be used together, or None: a trusted root needs the
    OIDC issuer and exactly one of the identity and its regular expression, and those need a
    trusted root."""
    if root is None:
        if identity or regexp or issuer:
            return "a certificate identity or OIDC issuer needs a trusted root (trusted-root)"
        return None
    if not issuer:
        return "a trusted root needs the OIDC issuer (certificate-oidc-issuer)"
    if (identity is None) == (regexp is None):
        return "a trusted root needs one of certificate-identity and certificate-identity-regexp"
    if regexp is not None:
        try:
            re.compile(regexp)
        except re.error as exc:
            return f"certificate-identity-regexp `{regexp}` is not a regular expression: {exc}"
    return None


def non_loopback(registries: list[str] | tuple[str, ...]) -> str | None:
    """Why one of these plain-HTTP registries is refused (it is not on loopback), or None."""
    from hullguard.image.registry import is_loopback

    for insecure in registries:
        host = insecure[1:].partition("]")[0] if insecure.startswith("[") else insecure
        if not is_loopback(host.rsplit(":", 1)[0] if host.count(":") == 1 else host):
            return (
                f"{insecure}: plain HTTP is allowed only to registries on loopback "
                "(127.0.0.1, ::1, localhost)"
            )
    return None


def parse_sandbox(table: Any, source: str) -> dict[str, list[str]]:
    """The `[sandbox]` table as HG603's options: `runtimes` and one list per selector of
    `[sandbox.workloads]` (`images`, `services`, `namespaces`, `labels`)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: `sandbox` must be a table with `runtimes` and `workloads`")
    unknown = sorted(set(table) - {"runtimes", "workloads"})
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) in `sandbox`: {', '.join(unknown)}")

    def strings(mapping: Mapping[str, Any], key: str, where: str) -> list[str]:
        value = mapping.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{source}: `{where}` must be a list of non-empty strings")
        return list(value)

    options: dict[str, list[str]] = {
        "runtimes": strings(table, "runtimes", "sandbox.runtimes")
        if "runtimes" in table
        else list(DEFAULT_SANDBOX_RUNTIMES)
    }
    workloads = table.get("workloads", {})
    if not isinstance(workloads, dict):
        raise ConfigError(f"{source}: `sandbox.workloads` must be a table of selectors")
    unknown = sorted(set(workloads) - set(_SANDBOX_SELECTORS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown selector(s) in `sandbox.workloads`: {', '.join(unknown)} "
            f"(one of {', '.join(_SANDBOX_SELECTORS)})"
        )
    for key in _SANDBOX_SELECTORS:
        options[key] = strings(workloads, key, f"sandbox.workloads.{key}")
    for label in options["labels"]:
        name, equals, _ = label.partition("=")
        if not equals or not name.strip():
            raise ConfigError(f"{source}: sandbox.workloads.labels: {label!r} must be `key=value`")
    return options
