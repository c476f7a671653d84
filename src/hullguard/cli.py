"""The command line. Thin: parse options, call the engine, render, return the exit code.

Heavy modules (the engine, rules, rich) are imported inside the commands so that
`hullguard --version` stays fast.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from hullguard import __version__, progress
from hullguard.cli_options import QUIET_OPTION, format_option
from hullguard.completion import SHELLS, complete_rule, complete_rule_list

if TYPE_CHECKING:
    from hullguard.config import Config, SignaturePolicy
    from hullguard.image.registry import RegistryOptions
    from hullguard.model import Report
    from hullguard.registry import Rule

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="hullguard",
                      message="%(prog)s %(version)s")  # fmt: skip
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress bars and no notes on standard error, for every command; the report and "
    "errors are unchanged. Each command also takes it after its name.",
)
@click.pass_context
def cli(ctx: click.Context, quiet: bool) -> None:
    """Audit containers against six pillars of container security.

    \b
    1 Docker socket   2 Privileges   3 Host mounts
    4 Dockerfile and image hygiene   5 Host   6 Pipeline

    Colour: NO_COLOR set and not empty turns it off (https://no-color.org), FORCE_COLOR turns
    it on; `--color/--no-color` wins over both.
    """
    progress.set_quiet(quiet)
    progress.set_color(None)
    if os.environ.get("NO_COLOR"):
        ctx.color = False
    elif os.environ.get("FORCE_COLOR"):
        ctx.color = True


def _color_given(ctx: click.Context, param: click.Parameter, value: bool | None) -> bool | None:
    """`--color/--no-color`: wins over NO_COLOR, for the report, the bars and click's messages."""
    progress.set_color(value)
    if value is not None:
        ctx.color = value
    return value


def _split(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


_F = TypeVar("_F", bound=Callable[..., Any])

_REPORT_FORMATS = ("text", "json", "sarif", "html", "markdown", "junit", "gitlab")
_SBOM_FORMATS = ("cyclonedx", "spdx-json")


_REPORT_OPTIONS = (
    format_option(_REPORT_FORMATS),
    click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, writable=True),
        help="Write the report to FILE instead of standard output.",
    ),
    click.option(
        "--fail-on",
        metavar="SEVERITY",
        help="Exit 1 when a finding is at or above SEVERITY (info..critical, or never). "
        "Default: medium.",
    ),
    click.option(
        "--profile",
        type=click.Choice(["default", "pss-baseline", "pss-restricted", "cis-docker"]),
        help="Select rules by purpose.",
    ),
    click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Configuration file (default: nearest .hullguard.toml or pyproject.toml).",
    ),
    click.option(
        "--select",
        multiple=True,
        metavar="RULES",
        shell_complete=complete_rule_list,
        help="Only these rules: ids, id prefixes (HG4) or names; repeatable, comma lists.",
    ),
    click.option(
        "--ignore",
        multiple=True,
        metavar="RULES",
        shell_complete=complete_rule_list,
        help="Skip these rules.",
    ),
    click.option(
        "--baseline",
        type=click.Path(dir_okay=False),
        help="Report only findings not in this earlier JSON report.",
    ),
    click.option(
        "--color/--no-color",
        default=None,
        callback=_color_given,
        help="Colour the text report (default: on a terminal, unless NO_COLOR is set).",
    ),
    QUIET_OPTION,
)


def _apply(options: Sequence[Callable[[_F], _F]], command: _F) -> _F:
    """Decorate `command` with `options`, the first listed shown first in --help."""
    for option in reversed(options):
        command = option(command)
    return command


def _keyless_options(command: _F) -> _F:
    """`--trusted-root` and the signer's identity and issuer, for `verify`."""
    return _apply(_KEYLESS_OPTIONS, command)


def _report_options(command: _F) -> _F:
    """The options every command that makes a report takes: format, output, threshold, rule
    selection, configuration and baseline."""
    return _apply(_REPORT_OPTIONS, command)


_INSECURE_OPTION = click.option(
    "--insecure-registry",
    "insecure_registries",
    metavar="HOST:PORT",
    multiple=True,
    help="A registry reached over plain HTTP instead of HTTPS; allowed on loopback only. "
    "Repeatable.",
)

_KEYLESS_OPTIONS = (
    click.option(
        "--trusted-root",
        type=click.Path(dir_okay=False),
        help="Sigstore's trusted root JSON (Fulcio CAs, Rekor and CT log keys): verify keyless "
        "signatures offline; needs --certificate-identity[-regexp] and --certificate-oidc-issuer "
        "(on scan and host each replaces its `[signatures]` key).",
    ),
    click.option(
        "--certificate-identity",
        metavar="ID",
        help="The email or URI keyless signers must have.",
    ),
    click.option(
        "--certificate-identity-regexp",
        metavar="REGEX",
        help="A pattern the keyless signer's email or URI must match (searched, as cosign does).",
    ),
    click.option(
        "--certificate-oidc-issuer",
        metavar="URL",
        help="The OIDC issuer that must have vouched for keyless signers.",
    ),
)

_SIGNATURE_OPTIONS = (
    click.option(
        "--require-signed",
        is_flag=True,
        default=None,
        help="Require every image containers run to be pinned by digest and signed "
        "(HG620-HG623); the registries are asked before the rules run.",
    ),
    click.option(
        "--key",
        "key_path",
        type=click.Path(dir_okay=False),
        help="The public key (PEM) signatures must verify with (as `[signatures] key`).",
    ),
    click.option(
        "--trusted-registries",
        multiple=True,
        metavar="LIST",
        help="Trusted registries or namespaces, comma lists (HG410, HG623); replaces the "
        "default list.",
    ),
    click.option(
        "--insecure-registry",
        "insecure_registries",
        metavar="HOST:PORT",
        multiple=True,
        help="A registry asked over plain HTTP while verifying signatures; loopback only. "
        "Repeatable (adds to `[signatures] insecure-registries`).",
    ),
    *_KEYLESS_OPTIONS,
)


@dataclass(frozen=True)
class SigningArgs:
    """The signature options of one command line; None or empty where not given."""

    require_signed: bool | None = None
    key_path: str | None = None
    trusted_registries: tuple[str, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    trusted_root: str | None = None
    certificate_identity: str | None = None
    certificate_identity_regexp: str | None = None
    certificate_oidc_issuer: str | None = None


@dataclass(frozen=True)
class VulnerabilityArgs:
    """The vulnerability matcher's options of one command line; None or empty where not given."""

    db_path: str | None = None
    ignore_unfixed: bool | None = None
    vuln_severities: tuple[str, ...] = ()
    ignore_file: str | None = None


def _collected(
    options: Sequence[Callable[[_F], _F]], group: type[Any], name: str, command: _F
) -> _F:
    """Decorate `command` with `options`, and hand it their values as one `group` object in
    the keyword argument `name`, so that commands sharing a group do not repeat its fields."""
    fields = [f.name for f in dataclasses.fields(group)]

    @functools.wraps(command)
    def with_group(**kwargs: Any) -> Any:
        kwargs[name] = group(**{f: kwargs.pop(f) for f in fields})
        return command(**kwargs)

    return _apply(options, cast(_F, with_group))


def _signature_options(command: _F) -> _F:
    """The signature policy's options, for the commands that judge containers: the command
    receives them as `signing: SigningArgs`."""
    return _collected(_SIGNATURE_OPTIONS, SigningArgs, "signing", command)


_VULNERABILITY_OPTIONS = (
    click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        help="The vulnerability database (default: [vulnerabilities] db, $HULLGUARD_DB, else "
        "$XDG_CACHE_HOME/hullguard/vuln.db).",
    ),
    click.option(
        "--ignore-unfixed",
        is_flag=True,
        default=None,
        help="Report only vulnerabilities that have a fixed version.",
    ),
    click.option(
        "--severity",
        "vuln_severities",
        multiple=True,
        metavar="LIST",
        help="Report only vulnerabilities of these severities (comma lists: high,critical); "
        "other findings are not filtered.",
    ),
    click.option(
        "--ignore-file",
        type=click.Path(dir_okay=False),
        help="Accepted vulnerabilities with a reason and an expiry (default: "
        ".hullguardignore.yaml in the working folder, when present).",
    ),
)


def _vulnerability_options(command: _F) -> _F:
    """The vulnerability matcher's options, for the commands that match packages: the command
    receives them as `vulns: VulnerabilityArgs`."""
    return _collected(_VULNERABILITY_OPTIONS, VulnerabilityArgs, "vulns", command)


def _image_report_options(command: _F) -> _F:
    """The report options, with the SBOM formats added to `--format`."""
    image_format = format_option(
        _REPORT_FORMATS + _SBOM_FORMATS,
        help="Report format, or an SBOM of the image's packages: cyclonedx (CycloneDX 1.6 "
        "JSON) or spdx-json (SPDX 2.3 JSON).",
    )
    return _apply((image_format, *_REPORT_OPTIONS[1:]), command)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@_report_options
@click.option(
    "-f",
    "--file",
    "compose_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A Compose file; several are merged as `docker compose -f a -f b` merges them.",
)
@click.option(
    "--compose-profile",
    "compose_profiles",
    multiple=True,
    metavar="NAME",
    help="Judge only the Compose services `docker compose --profile NAME up` starts (repeatable, "
    "or comma-separated; `*` is every profile). Default: every service, those a profile gates "
    "naming it.",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB.")
@click.option(
    "--build-arg",
    "build_args",
    multiple=True,
    metavar="NAME=VALUE",
    help="Value for a Dockerfile ARG, as `docker build --build-arg`.",
)
@click.option("--max-file-size", metavar="SIZE", help="Skip larger files (default 5MiB).")
@_signature_options
@_vulnerability_options
def scan(
    paths: tuple[str, ...],
    fmt: str,
    compose_files: tuple[str, ...],
    compose_profiles: tuple[str, ...],
    output: str | None,
    fail_on: str | None,
    profile: str | None,
    config_path: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    baseline: str | None,
    build_args: tuple[str, ...],
    max_file_size: str | None,
    color: bool | None,
    signing: SigningArgs,
    vulns: VulnerabilityArgs,
) -> None:
    """Scan source trees: Dockerfiles, Compose files, Kubernetes manifests, CI workflows and
    the `docker run` lines of shell scripts and Makefiles."""
    from hullguard.config import parse_size
    from hullguard.engine import ScanRequest
    from hullguard.engine import scan as run_scan
    from hullguard.render import render

    targets = paths or (() if compose_files else (".",))

    def scan_overrides(config: Config) -> dict[str, Any]:
        overrides: dict[str, Any] = {}
        if exclude:
            overrides["exclude"] = config.exclude + _split(exclude)
        if max_file_size:
            overrides["max_file_size"] = parse_size(max_file_size)
        if compose_profiles:
            overrides["compose_profiles"] = _split(compose_profiles)
        if build_args:
            overrides["build_args"] = {**config.build_args, **_parse_build_args(build_args)}
        return overrides

    config = _run_config(
        config_path,
        Path((targets or compose_files)[0]).resolve(),
        fail_on=fail_on,
        profile=profile,
        select=select,
        ignore=ignore,
        more=scan_overrides,
        signing=signing,
    )
    config = _with_vulnerability_options(config, vulns)
    prints = _baseline(baseline)
    report = run_scan(
        ScanRequest(
            paths=tuple(targets),
            config=config,
            baseline=prints,
            compose_files=compose_files,
        )
    )
    report = _with_origin(report, "scan")
    _emit(
        render(report, fmt, color=_use_color(color, output), rules_run=_rules_run(config)), output
    )
    sys.exit(report.exit_code())


@cli.command()
@click.option(
    "--docker-host",
    metavar="URL",
    help="The daemon to audit (unix:///path, tcp://host:2376). Default: DOCKER_HOST, else the "
    "default socket, else a rootless or Podman socket.",
)
@click.option(
    "--root",
    default="/",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The root filesystem whose files are audited (a mounted disk image, a /host mount).",
)
@click.option("--running-only", is_flag=True, help="Audit running containers only.")
@click.option(
    "--no-daemon",
    is_flag=True,
    help="Audit the host's files and packages only: do not ask the Docker daemon (for nodes "
    "whose socket is not mounted); the daemon is reported as skipped, not unreadable.",
)
@_report_options
@_signature_options
@_vulnerability_options
def host(
    docker_host: str | None,
    root: str,
    running_only: bool,
    no_daemon: bool,
    fmt: str,
    output: str | None,
    fail_on: str | None,
    profile: str | None,
    config_path: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    baseline: str | None,
    color: bool | None,
    signing: SigningArgs,
    vulns: VulnerabilityArgs,
) -> None:
    """Audit this host: the Docker daemon and its settings, the socket, the docker group, the
    daemon's files, engine and kernel versions, and every container on the daemon. Only reads."""
    from hullguard.host import HostRequest, NoSuchRoot, audit_host
    from hullguard.render import render

    config = _run_config(
        config_path,
        Path.cwd(),
        fail_on=fail_on,
        profile=profile,
        select=select,
        ignore=ignore,
        signing=signing,
    )
    config = _with_vulnerability_options(config, vulns)
    request = HostRequest(
        docker_host=docker_host,
        root=Path(root),
        running_only=running_only,
        config=config,
        baseline=_baseline(baseline),
        daemon=not no_daemon,
    )
    if no_daemon and docker_host:
        raise click.UsageError("--no-daemon and --docker-host contradict each other")
    try:
        report = _with_origin(audit_host(request), "host", root)
    except NoSuchRoot as exc:
        raise click.UsageError(str(exc)) from None
    _emit(
        render(report, fmt, color=_use_color(color, output), rules_run=_rules_run(config)), output
    )
    sys.exit(report.exit_code())


@cli.command()
@click.argument("ref", required=False)
@click.option(
    "--docker-host",
    metavar="URL",
    help="The daemon that holds images named without a prefix. Default: DOCKER_HOST, else "
    "the default socket.",
)
@click.option(
    "--platform",
    "platform_text",
    metavar="OS/ARCH[/VARIANT]",
    help="The image to read from a multi-platform index in a registry. Default: linux and "
    "this machine's architecture (amd64 or arm64), else linux/amd64.",
)
@_INSECURE_OPTION
@click.option(
    "--catalog",
    metavar="REGISTRY",
    help="Instead of REF, audit the images of this registry (host[:port]): every tag of "
    "every repository its catalogue lists.",
)
@click.option(
    "--shard",
    "shard_text",
    metavar="I/N",
    help="With --catalog: audit only shard I of N (0 <= I < N), the references whose SHA-256 "
    "modulo N is I. Default: 0/1, all of them.",
)
@click.option(
    "--repository",
    "repository_globs",
    metavar="GLOB",
    multiple=True,
    help="With --catalog: only repositories matching GLOB (e.g. 'team-a/*'). Repeatable.",
)
@_image_report_options
@_vulnerability_options
def image(
    ref: str | None,
    docker_host: str | None,
    platform_text: str | None,
    insecure_registries: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on: str | None,
    profile: str | None,
    config_path: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    baseline: str | None,
    color: bool | None,
    catalog: str | None,
    shard_text: str | None,
    repository_globs: tuple[str, ...],
    vulns: VulnerabilityArgs,
) -> None:
    """Audit a built image: its config and its files.

    \b
    REF is one of:
      NAME[:TAG] or ID         an image the local daemon holds
      docker-archive:FILE      `docker save` output
      oci:DIR[:TAG]            an OCI image layout
      dir:PATH                 an unpacked root filesystem
      rootfs:FILE.tar          a packed root filesystem
      registry:NAME[:TAG]      pulled from an OCI registry (so is a NAME the daemon does
                               not know); credentials from ~/.docker/config.json

    With `--format cyclonedx` or `--format spdx-json` it writes an SBOM of the image's packages
    instead of a report, and exits 0 (2 when the image cannot be read).

    With `--catalog REGISTRY` (and no REF) it audits the registry's images, or one shard of
    them with `--shard I/N`: one report with a target per image."""
    from hullguard.image.registry import parse_platform
    from hullguard.image.run import ImageRequest, image_sbom, inspect_image
    from hullguard.render import render

    config = _run_config(
        config_path,
        Path.cwd(),
        fail_on=fail_on,
        profile=profile,
        select=select,
        ignore=ignore,
    )
    config = _with_vulnerability_options(config, vulns)
    try:
        platform = parse_platform(platform_text) if platform_text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--platform") from None
    options = replace(_registry_options(insecure_registries), platform=platform)
    if catalog is not None or ref is None or shard_text is not None or repository_globs:
        report = _catalog_report(
            ref, catalog, shard_text, repository_globs, fmt, config, _baseline(baseline), options
        )
        _emit(
            render(report, fmt, color=_use_color(color, output), rules_run=_rules_run(config)),
            output,
        )
        sys.exit(report.exit_code())
    request = ImageRequest(
        ref=ref,
        docker_host=docker_host,
        config=config,
        baseline=_baseline(baseline),
        registry=options,
    )
    if fmt in _SBOM_FORMATS:
        sbom = image_sbom(request, fmt)
        for error in sbom.errors:
            where = f"{error.path}: " if error.path else ""
            click.echo(f"hullguard: {where}{error.message}", err=True)
        if sbom.text is None:
            sys.exit(EXIT_USAGE)
        _emit(sbom.text, output)
        sys.exit(EXIT_OK)
    report = _with_origin(inspect_image(request), "image")
    _emit(
        render(report, fmt, color=_use_color(color, output), rules_run=_rules_run(config)), output
    )
    sys.exit(report.exit_code())


def _catalog_report(
    ref: str | None,
    catalog: str | None,
    shard_text: str | None,
    repositories: tuple[str, ...],
    fmt: str,
    config: Config,
    baseline: frozenset[str],
    options: RegistryOptions,
) -> Report:
    """`image --catalog`: the options checked (usage errors), then the shard audited."""
    from hullguard.image.catalog import CatalogRequest, audit_catalog, check_registry, parse_shard

    if catalog is None:
        if ref is None:
            raise click.UsageError("missing REF, or --catalog REGISTRY to audit a registry")
        raise click.UsageError("--shard and --repository go with --catalog REGISTRY, not REF")
    if ref is not None:
        raise click.UsageError(f"give REF or --catalog, not both (REF: {ref})")
    if fmt in _SBOM_FORMATS:
        raise click.BadParameter(
            "an SBOM is of one image, not of a catalogue", param_hint="--format"
        )
    try:
        shard = parse_shard(shard_text or "0/1")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from None
    try:
        registry = check_registry(catalog)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--catalog") from None
    request = CatalogRequest(registry, shard, repositories, config, baseline, options)
    return _with_origin(audit_catalog(request), "image")


def _with_origin(report: Report, command: str, root: str | None = None) -> Report:
    """The report with its `origin`: the command, and the host it describes."""
    from hullguard.merge import origin

    return replace(report, origin=origin(command, root))


def _render_formats() -> list[str]:
    from hullguard.render import FORMATS

    return list(FORMATS)


@cli.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(allow_dash=True))
@format_option(_render_formats())
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the fleet report to FILE instead of standard output.",
)
@click.option(
    "--fail-on",
    metavar="SEVERITY",
    help="Exit 1 when a merged finding is at or above SEVERITY (info..critical, or never). "
    "Default: medium.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False),
    help="Report only merged findings not in this earlier (merged) JSON report.",
)
@click.option(
    "--color/--no-color",
    default=None,
    callback=_color_given,
    help="Colour the text report (default: on a terminal, unless NO_COLOR is set).",
)
@QUIET_OPTION
def merge(
    reports: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on: str | None,
    baseline: str | None,
    color: bool | None,
) -> None:
    """Combine JSON reports (`--format json` of host, image, scan, catalogue shards or earlier
    merges; `-` reads one from standard input) into one fleet report: findings deduplicated
    (same fingerprint, same target; a host audit's findings are scoped to its host), targets and
    errors unioned, and a summary by report, host, image and pillar. A file that cannot be read
    is an error entry (exit 2)."""
    from hullguard.config import ConfigError, parse_fail_on
    from hullguard.merge import merge_files
    from hullguard.model import Severity
    from hullguard.render import render

    try:
        threshold = parse_fail_on(fail_on) if fail_on is not None else Severity.MEDIUM
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--fail-on") from None
    report = merge_files(reports, threshold, _baseline(baseline))
    _emit(render(report, fmt, color=_use_color(color, output)), output)
    sys.exit(report.exit_code())


def _registry_options(insecure_registries: tuple[str, ...]) -> RegistryOptions:
    """Options for `--insecure-registry` values, each on loopback, else a usage error (and a
    HULLGUARD_REGISTRY_DEADLINE that is not a number of seconds is one too)."""
    from hullguard.config import non_loopback
    from hullguard.image.registry import DEADLINE_VARIABLE, RegistryOptions, registry_deadline

    try:
        registry_deadline(os.environ.get(DEADLINE_VARIABLE) or None)
    except ValueError as exc:
        raise click.UsageError(f"{DEADLINE_VARIABLE}: {exc}") from None
    problem = non_loopback(insecure_registries)
    if problem:
        raise click.BadParameter(problem, param_hint="--insecure-registry")
    return RegistryOptions(insecure_registries=frozenset(insecure_registries))


def _password(confirm: bool) -> str:
    password = os.environ.get("COSIGN_PASSWORD")
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise click.UsageError("no password: set COSIGN_PASSWORD or run from a terminal")
    text: str = click.prompt(
        "Enter password for private key", hide_input=True, confirmation_prompt=confirm
    )
    return text


def _read_key(path: str) -> bytes:
    try:
        return Path(path).read_bytes()[: 1024 * 1024]
    except OSError as exc:
        raise click.UsageError(f"--key {path}: {exc.strerror}") from None


@cli.command()
@click.option(
    "--output-key-prefix",
    default="cosign",
    show_default=True,
    help="Write PREFIX.key (encrypted private key) and PREFIX.pub (public key).",
)
@QUIET_OPTION
def keygen(output_key_prefix: str) -> None:
    """Write an ECDSA P-256 key pair in cosign's format (password: prompt or COSIGN_PASSWORD)."""
    from hullguard.signing.keys import generate_keypair

    private_path = Path(output_key_prefix + ".key")
    public_path = Path(output_key_prefix + ".pub")
    for existing in (private_path, public_path):
        if existing.exists():
            raise click.UsageError(f"{existing} exists; it is not overwritten")
    private_pem, public_pem = generate_keypair(_password(confirm=True))
    try:
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private_pem)
        public_path.write_bytes(public_pem)
    except OSError as exc:
        raise click.UsageError(f"cannot write the key pair: {exc}") from None
    click.echo(f"Private key written to {private_path}")
    click.echo(f"Public key written to {public_path}")


@cli.command()
@click.argument("ref")
@click.option("--key", "key_path", required=True, help="The cosign private key file.")
@_INSECURE_OPTION
@QUIET_OPTION
def sign(ref: str, key_path: str, insecure_registries: tuple[str, ...]) -> None:
    """Sign an image in a registry as cosign does (the sha256-<digest>.sig tag)."""
    from hullguard.image.registry import RegistryError
    from hullguard.signing.keys import KeyProblem, load_private_key
    from hullguard.signing.sign import sign_image

    options = _registry_options(insecure_registries)
    pem = _read_key(key_path)
    try:
        key = load_private_key(pem, _password(confirm=False), what=key_path)
    except KeyProblem as exc:
        raise click.UsageError(str(exc)) from None
    try:
        result = sign_image(ref, key, options)
    except RegistryError as exc:
        click.echo(f"hullguard: signing failed: {exc}", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"Signed {ref} ({result.digest}): {result.signature_ref}")
    sys.exit(EXIT_OK)


@cli.command()
@click.argument("ref")
@click.option("--key", "key_path", help="The public key file (PEM) for key-signed signatures.")
@_keyless_options
@_INSECURE_OPTION
@QUIET_OPTION
def verify(
    ref: str,
    key_path: str | None,
    trusted_root: str | None,
    certificate_identity: str | None,
    certificate_identity_regexp: str | None,
    certificate_oidc_issuer: str | None,
    insecure_registries: tuple[str, ...],
) -> None:
    """Verify an image's signatures with a public key, or keyless ones against a trusted root.
    Exit 0 when one verifies, else 1."""
    from hullguard.config import SignaturePolicy, keyless_problem
    from hullguard.signing.keys import KeyProblem, load_public_key
    from hullguard.signing.policy import keyless_policy
    from hullguard.signing.trustroot import TrustRootProblem
    from hullguard.signing.verify import verify_image

    options = _registry_options(insecure_registries)
    problem = keyless_problem(
        trusted_root, certificate_identity, certificate_identity_regexp, certificate_oidc_issuer
    )
    if problem or (key_path is None and trusted_root is None):
        raise click.UsageError(problem or "give --key, or --trusted-root for keyless signatures")
    try:
        key = load_public_key(_read_key(key_path), what=key_path) if key_path else None
        keyless = keyless_policy(
            SignaturePolicy(
                trusted_root=trusted_root,
                certificate_identity=certificate_identity,
                certificate_identity_regexp=certificate_identity_regexp,
                certificate_oidc_issuer=certificate_oidc_issuer,
            )
        )
    except (KeyProblem, TrustRootProblem) as exc:
        raise click.UsageError(str(exc)) from None
    result = verify_image(ref, key, options, keyless)
    if result.digest:
        click.echo(f"{ref}: {result.digest}")
    for found in result.signatures:
        state = "valid" if found.valid else "INVALID"
        click.echo(f"  {state}: {found.where} {found.digest}: {found.reason}")
    for problem in result.problems:
        click.echo(f"  problem: {problem}")
    click.echo("verified" if result.verified else "not verified: no signature verifies")
    sys.exit(EXIT_OK if result.verified else EXIT_FINDINGS)


def _run_config(
    config_path: str | None,
    search_from: Path,
    *,
    fail_on: str | None,
    profile: str | None,
    select: Sequence[str],
    ignore: Sequence[str],
    more: Callable[[Config], dict[str, Any]] | None = None,
    signing: SigningArgs = SigningArgs(),
) -> Config:
    """The configuration file (given, or the nearest one above `search_from`) with the common
    command-line options applied; `more` adds a command's own. Bad values are usage errors."""
    from hullguard.config import Config, ConfigError, find_config, load_config, parse_fail_on
    from hullguard.engine import unknown_rule_tokens

    try:
        found = Path(config_path) if config_path else find_config(search_from)
        config = load_config(found) if found else Config()
        overrides: dict[str, Any] = {}
        if fail_on is not None:
            overrides["fail_on"] = parse_fail_on(fail_on)
        if profile:
            overrides["profile"] = profile
        if select:
            overrides["select"] = _split(select)
        if ignore:
            overrides["ignore"] = config.ignore + _split(ignore)
        if more is not None:
            overrides.update(more(config))
        config = _with_signature_options(replace(config, **overrides), signing)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    unknown = unknown_rule_tokens(config.select + config.ignore + tuple(config.severity))
    if unknown:
        raise click.UsageError(f"unknown rule(s): {', '.join(unknown)} (see `hullguard rules`)")
    return config


def _with_keyless_options(policy: SignaturePolicy, args: SigningArgs) -> SignaturePolicy:
    """The keyless options over `[signatures]`: each given one replaces the configured value (an
    identity or its pattern replaces both), and the result must hold together as the
    configuration must (`keyless_problem`), else a usage error."""
    from hullguard.config import keyless_problem

    root, identity, regexp, issuer = keyless = (
        args.trusted_root,
        args.certificate_identity,
        args.certificate_identity_regexp,
        args.certificate_oidc_issuer,
    )
    if root is not None:
        policy = replace(policy, trusted_root=root)
    if identity is not None or regexp is not None:
        policy = replace(policy, certificate_identity=identity, certificate_identity_regexp=regexp)
    if issuer is not None:
        policy = replace(policy, certificate_oidc_issuer=issuer)
    if any(value is not None for value in keyless):
        problem = keyless_problem(
            policy.trusted_root,
            policy.certificate_identity,
            policy.certificate_identity_regexp,
            policy.certificate_oidc_issuer,
        )
        if problem:
            raise click.UsageError(f"signatures: {problem}")
    return policy


def _with_signature_options(config: Config, args: SigningArgs) -> Config:
    """`--require-signed`, `--key`, the keyless options, `--trusted-registries` and
    `--insecure-registry` over the configuration; a key that cannot be read or is not a public
    key, keyless options that do not hold together, a trusted root that cannot be used and a
    plain-HTTP registry off loopback are usage errors."""
    from hullguard.config import TRUSTED_REGISTRY_RULES
    from hullguard.signing.keys import KeyProblem, load_public_key
    from hullguard.signing.policy import keyless_policy
    from hullguard.signing.trustroot import TrustRootProblem

    require, key_path = args.require_signed, args.key_path
    trusted, insecure = args.trusted_registries, args.insecure_registries
    policy = config.signatures
    if require is not None:
        policy = replace(policy, require=require)
    if key_path is not None:
        policy = replace(policy, key=key_path)
    policy = _with_keyless_options(policy, args)
    if insecure:
        added = sorted(_registry_options(tuple(insecure)).insecure_registries)
        merged = tuple(dict.fromkeys((*policy.insecure_registries, *added)))
        policy = replace(policy, insecure_registries=merged)
    if policy.require and policy.key:
        try:
            load_public_key(_read_key(policy.key), what=policy.key)
        except KeyProblem as exc:
            raise click.UsageError(str(exc)) from None
    if policy.require and policy.trusted_root:
        try:
            keyless_policy(policy)
        except (TrustRootProblem, ValueError) as exc:
            raise click.UsageError(f"signatures: {exc}") from None
    rule_options = dict(config.rule_options)
    if trusted:
        for rule_id in TRUSTED_REGISTRY_RULES:
            options = {**rule_options.get(rule_id, {}), "trusted_registries": list(_split(trusted))}
            rule_options[rule_id] = options
    return replace(config, signatures=policy, rule_options=rule_options)


def _with_vulnerability_options(config: Config, args: VulnerabilityArgs) -> Config:
    """`--db`, `--ignore-unfixed`, `--severity` and `--ignore-file` over `[vulnerabilities]`;
    an unknown severity is a usage error."""
    from hullguard.model import Severity

    db_path, ignore_unfixed, severities, ignore_file = (
        args.db_path,
        args.ignore_unfixed,
        args.vuln_severities,
        args.ignore_file,
    )
    policy = config.vulnerabilities
    if db_path is not None:
        policy = replace(policy, db=db_path)
    if ignore_unfixed is not None:
        policy = replace(policy, ignore_unfixed=ignore_unfixed)
    if severities:
        if any(s.lower() == "unknown" for s in _split(severities)):
            raise click.BadParameter(
                "`unknown` is not a level here: a vulnerability with no CVSS vector or rating "
                "is reported as medium, so `medium` selects it",
                param_hint="--severity",
            )
        try:
            chosen = tuple(Severity.parse(s) for s in _split(severities))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--severity") from None
        policy = replace(policy, severities=chosen)
    if ignore_file is not None:
        policy = replace(policy, ignore_file=ignore_file)
    return replace(config, vulnerabilities=policy)


def _baseline(baseline: str | None) -> frozenset[str]:
    """The fingerprints of the `--baseline` report; none without one."""
    from hullguard.engine import load_baseline

    if not baseline:
        return frozenset()
    try:
        return load_baseline(json.loads(Path(baseline).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"--baseline {baseline}: {exc}") from None


def _parse_build_args(values: Sequence[str]) -> dict[str, str]:
    result = {}
    for value in values:
        name, sep, arg = value.partition("=")
        if not sep:
            arg = os.environ.get(name, "")
        if not name.strip():
            raise click.UsageError(f"--build-arg {value!r}: expected NAME=VALUE")
        result[name.strip()] = arg
    return result


def _rules_run(config: Config) -> list[Rule]:
    """The rules a run with `config` selects (the junit format's passing test cases)."""
    from hullguard.engine import select_rules

    return select_rules(config)


def _use_color(flag: bool | None, output: str | None) -> bool:
    """`--color/--no-color`, else not into a file or under NO_COLOR, else on a terminal (or
    FORCE_COLOR)."""
    return progress.color_wanted(None if output else sys.stdout, flag)


def _emit(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise click.UsageError(f"--output {output}: {exc.strerror}") from None
    else:
        click.echo(text, nl=not text.endswith("\n"))


@cli.command("rules")
@format_option(["text", "json", "markdown"], "Listing format.", short=True)
@click.option("--pillar", type=click.IntRange(1, 6), help="Only this pillar's rules.")
def rules_command(fmt: str, pillar: int | None) -> None:
    """List every rule with its metadata."""
    from hullguard.docs import rules_index_markdown, rules_json, rules_text
    from hullguard.registry import all_rules

    rules = [r for r in all_rules() if pillar is None or r.pillar == pillar]
    if fmt == "json":
        click.echo(json.dumps(rules_json(rules), indent=2))
    elif fmt == "markdown":
        click.echo(rules_index_markdown(rules), nl=False)
    else:
        click.echo(rules_text(rules), nl=False)


@cli.command()
@click.argument("rule_id", shell_complete=complete_rule)
def explain(rule_id: str) -> None:
    """Show one rule's documentation page (by id or name)."""
    from hullguard.docs import rule_page
    from hullguard.registry import rules_matching

    matches = [r for r in rules_matching(rule_id) if r.id == rule_id.upper() or r.name == rule_id]
    if not matches:
        raise click.UsageError(f"no rule {rule_id!r} (see `hullguard rules`)")
    click.echo(rule_page(matches[0]), nl=False)


@cli.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish (installing it: see the README).

    \b
    bash:  eval "$(hullguard completion bash)"          in ~/.bashrc
    zsh:   eval "$(hullguard completion zsh)"           in ~/.zshrc
    fish:  hullguard completion fish > ~/.config/fish/completions/hullguard.fish
    """
    from hullguard.completion import completion_script

    script = completion_script(cli, shell)
    click.echo(script, nl=not script.endswith("\n"))


from hullguard.cli_db import db as _db_group  # noqa: E402  (its heavy imports are inside)

cli.add_command(_db_group)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` and return the exit code instead of exiting."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="hullguard",
                 standalone_mode=False)  # fmt: skip
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USAGE
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int | None) else EXIT_USAGE
    return EXIT_OK


def entry() -> None:
    sys.exit(main())
