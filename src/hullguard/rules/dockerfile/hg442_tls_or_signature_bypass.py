"""HG442: TLS certificate checks or package signature checks turned off."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._packages import Manager, classify
from hullguard.sources.dockerfile import Dockerfile, Instruction
from hullguard.sources.shell import Command

_OFF = r"(0|false|no|off)"
_ON = r"(1|true|yes|on)"

# Variables that turn verification off, with the values that do it (None: any value).
_ENV: dict[str, tuple[re.Pattern[str] | None, str]] = {
    "NODE_TLS_REJECT_UNAUTHORIZED": (re.compile(r"^0$"), "TLS certificate checks for Node.js"),
    "PYTHONHTTPSVERIFY": (re.compile(r"^0$"), "TLS certificate checks for Python's urllib"),
    "GIT_SSL_NO_VERIFY": (None, "TLS certificate checks for git"),
    "NPM_CONFIG_STRICT_SSL": (re.compile(rf"^{_OFF}$", re.I), "TLS certificate checks for npm"),
    "YARN_ENABLE_STRICT_SSL": (re.compile(rf"^{_OFF}$", re.I), "TLS certificate checks for yarn"),
    "PIP_TRUSTED_HOST": (None, "TLS certificate checks for pip on those hosts"),
    "GOINSECURE": (None, "TLS and checksum checks for those Go modules"),
    "GOSUMDB": (re.compile(r"^off$"), "the Go checksum database"),
    "GOFLAGS": (re.compile(r"(^|\s)-insecure\b"), "TLS checks for go get"),
}

# Options that turn verification off, per command name.
_FLAGS: dict[str, dict[str, str]] = {
    "curl": {"--insecure": "TLS certificate checks", "--proxy-insecure": "TLS checks of the proxy"},
    "wget": {"--no-check-certificate": "TLS certificate checks"},
    "apk": {"--allow-untrusted": "package signature checks"},
    "rpm": {
        "--nosignature": "package signature checks",
        "--nodigest": "package digest checks",
        "--nofiledigest": "file digest checks",
        "--noverify": "package signature and digest checks",
    },
    "zypper": {
        "--no-gpg-checks": "package signature checks",
        "--no-gpgcheck": "signature checks of the repository",
    },
}
_RPM_FRONT_ENDS = ("yum", "dnf", "dnf5", "tdnf", "microdnf", "yum-config-manager")
for _name in _RPM_FRONT_ENDS:
    _FLAGS[_name] = {"--nogpgcheck": "package signature checks"}
for _name in ("apt-get", "apt", "aptitude"):
    _FLAGS[_name] = {
        "--allow-unauthenticated": "package signature checks",
        "--allow-insecure-repositories": "repository signature checks",
        "--force-yes": "package signature checks (and more)",
    }

# curl's short options that take a value: a `k` after one of them is part of the value.
_CURL_VALUE_LETTERS = set("ABbCcDdEeFHhKmoPQrTtUuwXxYyz")

_APT_SETTING = re.compile(
    rf"^(acquire::https?(::[^=]+)?::verify-(peer|host)\s*=\s*\"?{_OFF}\"?"
    rf"|apt::get::allowunauthenticated\s*=\s*\"?{_ON}\"?"
    rf"|acquire::allow(downgradetoinsecure|insecure)repositories\s*=\s*\"?{_ON}\"?)$",
    re.I,
)
_RPM_SETTING = re.compile(rf"(^|[.=])(gpgcheck|repo_gpgcheck|sslverify)\s*=\s*{_OFF}$", re.I)
_GIT_SETTING = re.compile(r"^http\.([^=]+\.)?sslverify(=|$)", re.I)

# Configuration text written by echo, printf, sed or a heredoc.
_WRITTEN: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\[[^\]]*\btrusted=yes\b", re.I),
        "an APT source marked [trusted=yes] (no signature check)",
    ),
    (
        re.compile(rf"^\s*(repo_)?gpgcheck\s*=\s*{_OFF}\b", re.I | re.M),
        "gpgcheck=0 (no package signature check)",
    ),
    (
        re.compile(rf"^\s*sslverify\s*=\s*{_OFF}\b", re.I | re.M),
        "sslverify=0 (no TLS certificate check)",
    ),
    (
        re.compile(rf"verify-(peer|host)\s+\"?{_OFF}\"?", re.I),
        "Verify-Peer false for APT (no TLS certificate check)",
    ),
    (
        re.compile(rf"allowunauthenticated\s+\"?{_ON}\"?", re.I),
        "AllowUnauthenticated for APT (no signature check)",
    ),
    (re.compile(rf"check_certificate\s*=\s*{_OFF}\b", re.I), "check_certificate = off for wget"),
    (re.compile(rf"strict-ssl\s*=\s*{_OFF}\b", re.I), "strict-ssl=false for npm"),
)


@rule(
    id="HG442",
    name="tls-or-signature-bypass",
    pillar=4,
    severity=Severity.HIGH,
    targets=(DOCKERFILE,),
    references=(
        "checkov:CKV2_DOCKER_2",
        "checkov:CKV2_DOCKER_3",
        "checkov:CKV2_DOCKER_4",
        "checkov:CKV2_DOCKER_5",
        "checkov:CKV2_DOCKER_6",
        "checkov:CKV2_DOCKER_7",
        "checkov:CKV2_DOCKER_8",
        "checkov:CKV2_DOCKER_9",
        "checkov:CKV2_DOCKER_10",
        "checkov:CKV2_DOCKER_11",
        "checkov:CKV2_DOCKER_12",
        "checkov:CKV2_DOCKER_13",
        "checkov:CKV2_DOCKER_14",
        "checkov:CKV2_DOCKER_15",
        "checkov:CKV2_DOCKER_16",
        "cis-docker:4.11",
        "cwe:295",
        "cwe:347",
    ),
    fix="remove the option or setting; trust a private CA by installing its certificate instead",
)
def tls_or_signature_bypass(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags anything that turns off TLS certificate checks or package signature checks during the
    build or in the image: `curl -k`/`--insecure`, `wget --no-check-certificate`,
    `pip --trusted-host`, `apt-get --allow-unauthenticated`/`--allow-insecure-repositories`/
    `--force-yes`/`-o Acquire::https::Verify-Peer=false`, an APT source written with
    `[trusted=yes]`, `yum`/`dnf --nogpgcheck`, `gpgcheck=0` or `sslverify=0` (options or repo
    files), `rpm --nosignature`/`--nodigest`, `zypper --no-gpg-checks`, `apk --allow-untrusted`,
    `npm`/`yarn config set strict-ssl false`, `git config http.sslVerify false`, and the
    variables `GIT_SSL_NO_VERIFY`, `NODE_TLS_REJECT_UNAUTHORIZED=0`, `PYTHONHTTPSVERIFY=0`,
    `NPM_CONFIG_STRICT_SSL=false`, `PIP_TRUSTED_HOST`, `GOINSECURE`, `GOSUMDB=off` set by ENV,
    ARG or inline.

    ## Why is this bad?
    TLS checks and package signatures are what stop a machine in the middle (a hostile Wi-Fi,
    a compromised proxy or mirror, a poisoned DNS answer) from handing the build its own code.
    With them off, whatever comes back is installed and run as root, and nothing in the build
    log shows it. Set with ENV, the bypass ships too: the application itself then accepts any
    certificate at run time.

    ## Example
    ```dockerfile
    RUN curl -k https://internal.example.com/tool -o /usr/local/bin/tool
    RUN pip install --trusted-host pypi.internal.example -r requirements.txt
    ENV NODE_TLS_REJECT_UNAUTHORIZED=0
    ```
    Use instead:
    ```dockerfile
    COPY internal-ca.crt /usr/local/share/ca-certificates/internal-ca.crt
    RUN update-ca-certificates
    RUN curl -fsSL https://internal.example.com/tool -o /usr/local/bin/tool
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    ## How to fix
    Remove the option or variable. When a server uses a private certificate authority, install
    that CA's certificate in the image (or point the tool at it: `pip --cert`,
    `NODE_EXTRA_CA_CERTS`, `git config http.sslCAInfo`). For an unsigned package repository, add
    its signing key instead of turning checks off.

    ## Notes
    Every stage is checked: a bypass in a builder stage lets an attacker into what it builds.
    `export VAR=...` inside a RUN is reported only when the shell source represents it as a
    command.
    """
    for instruction in dockerfile.instructions:
        if instruction.keyword in ("ENV", "ARG"):
            for pair in instruction.pairs:
                what = _env_bypass(pair.key, pair.value)
                if what:
                    yield ctx.finding(
                        at=pair.location,
                        message=f"{instruction.keyword} {pair.key}={pair.value} turns off {what}",
                    )
        for heredoc in instruction.heredocs:
            for match_start, what in _written_bypasses(heredoc.content):
                line = heredoc.location.line or instruction.line
                line += heredoc.content[:match_start].count("\n")
                yield ctx.finding(
                    at=Location(path=ctx.path, line=line), message=f"heredoc writes {what}"
                )
        if instruction.keyword == "RUN" and instruction.script is not None:
            yield from _run_bypasses(instruction, ctx)


def _run_bypasses(instruction: Instruction, ctx: Context) -> Iterator[Finding]:
    assert instruction.script is not None
    seen: set[tuple[int, int, str]] = set()
    for command in instruction.script.commands:
        for message in _command_bypasses(command):
            key = (command.line, command.column, message)
            if key in seen:
                continue
            seen.add(key)
            yield ctx.finding(
                at=Location(path=ctx.path, line=command.line, column=command.column),
                message=message,
            )


def _env_bypass(name: str, value: str | None) -> str | None:
    entry = _ENV.get(name.upper())
    if entry is None or value is None:
        return None
    pattern, what = entry
    if pattern is None or pattern.search(value.strip()):
        return what
    return None


def _command_bypasses(command: Command) -> Iterator[str]:
    name = command.name
    args = command.args
    for assignment in command.assignments:
        key, _, value = assignment.partition("=")
        what = _env_bypass(key, value.strip("\"'"))
        if what:
            yield f"`{key}={value}` before `{name}` turns off {what}"
    if name in ("export", "declare", "typeset", "readonly", "env"):
        for arg in args:
            key, eq, value = arg.partition("=")
            what = _env_bypass(key, value) if eq else None
            if what:
                yield f"`{name} {arg}` turns off {what}"
    for option, what in _FLAGS.get(name, {}).items():
        if any(a == option or a.startswith(option + "=") for a in args):
            yield f"`{name} {option}` turns off {what}"
    if name == "curl" and any(_curl_short_insecure(a) for a in args):
        yield "`curl -k` turns off TLS certificate checks"
    if name == "zypper" and args[:1] and args[0] in ("ar", "addrepo") and "-G" in args:
        yield "`zypper addrepo -G` turns off signature checks of the repository"
    yield from _settings(command)
    if name in ("echo", "printf"):
        for _, what in _written_bypasses(" ".join(args)):
            yield f"`{name}` writes {what}"
    if name == "sed":
        for arg in args:
            replacement = _sed_replacement(arg)
            if replacement is not None:
                for _, what in _written_bypasses(replacement):
                    yield f"`sed` writes {what}"


def _settings(command: Command) -> Iterator[str]:
    """Bypasses given as settings: `-o Acquire::...`, `--setopt=...`, `git -c`, `npm config`."""
    name = command.name
    args = command.args
    pc = classify(command)
    if pc is not None and pc.manager is Manager.APT:
        for value in pc.option_values("-o", "--option"):
            if _APT_SETTING.match(value.strip()):
                yield f"`{name} -o {value}` turns off package or TLS verification"
    if pc is not None and pc.manager is Manager.PIP:
        if pc.has_option("--trusted-host"):
            yield f"`{pc.text} --trusted-host` turns off TLS certificate checks for that host"
        if pc.subcommand == "config" and any(a.lower().endswith(".trusted-host") for a in args):
            yield "`pip config set ...trusted-host` turns off TLS certificate checks"
    if name in _RPM_FRONT_ENDS:
        for setopt in _setopt_values(args):
            if _RPM_SETTING.search(setopt):
                yield f"`{name} --setopt={setopt}` turns off package or TLS verification"
    if name == "git":
        yield from _git_settings(args)
    if name in ("npm", "yarn", "pnpm") and _npm_strict_ssl_off(args):
        yield f"`{name} config set strict-ssl false` turns off TLS certificate checks"
    if name == "conda" and _conda_ssl_off(args):
        yield "`conda config --set ssl_verify false` turns off TLS certificate checks"
    if name == "go" and "-insecure" in args:
        yield "`go get -insecure` turns off TLS and checksum checks"


def _setopt_values(args: tuple[str, ...]) -> Iterator[str]:
    for index, arg in enumerate(args):
        if arg.startswith("--setopt="):
            yield arg.split("=", 1)[1]
        elif arg == "--setopt" and index + 1 < len(args):
            yield args[index + 1]


def _git_settings(args: tuple[str, ...]) -> Iterator[str]:
    for index, arg in enumerate(args):
        if arg == "-c" and index + 1 < len(args):
            setting = args[index + 1]
            key, _, value = setting.partition("=")
            if _GIT_SETTING.match(key) and re.fullmatch(_OFF, value.strip(), re.I):
                yield f"`git -c {setting}` turns off TLS certificate checks"
        if _GIT_SETTING.match(arg) and index + 1 < len(args):
            value = args[index + 1]
            if args[:1] == ("config",) and re.fullmatch(_OFF, value.strip(), re.I):
                yield f"`git config {arg} {value}` turns off TLS certificate checks"


def _npm_strict_ssl_off(args: tuple[str, ...]) -> bool:
    words = [a.lower() for a in args]
    for index, word in enumerate(words):
        key, eq, value = word.partition("=")
        if key.lstrip("-") in ("strict-ssl", "enablestrictssl"):
            if not eq and index + 1 < len(words):
                value = words[index + 1]
            if re.fullmatch(_OFF, value.strip("\"'")):
                return True
    return False


def _conda_ssl_off(args: tuple[str, ...]) -> bool:
    words = [a.lower() for a in args]
    for index, word in enumerate(words[:-1]):
        if word == "ssl_verify" and re.fullmatch(_OFF, words[index + 1]):
            return True
    return False


def _curl_short_insecure(arg: str) -> bool:
    """True for `-k` alone or inside a cluster of short flags (`-fsSLk`), not inside a value."""
    if not arg.startswith("-") or arg.startswith("--"):
        return False
    for letter in arg[1:]:
        if letter == "k":
            return True
        if letter in _CURL_VALUE_LETTERS:
            return False
    return False


def _sed_replacement(arg: str) -> str | None:
    """The replacement of a `s/pattern/replacement/` expression, or None."""
    if len(arg) < 4 or arg[0] != "s" or arg[1].isalnum():
        return None
    parts = arg[2:].split(arg[1])
    return parts[1] if len(parts) >= 2 else None


def _written_bypasses(text: str) -> Iterator[tuple[int, str]]:
    for pattern, what in _WRITTEN:
        match = pattern.search(text)
        if match:
            yield match.start(), what
