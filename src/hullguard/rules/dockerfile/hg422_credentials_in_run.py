"""HG422: credentials written into a RUN command line."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from hullguard.model import Finding, Location, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.secrets import find_secrets, is_literal_secret, is_secret_name, redact
from hullguard.sources.dockerfile import Dockerfile, Instruction
from hullguard.sources.shell import Command, Script, Word

_NAME_VALUE = re.compile(r"^(?:--?)?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)=(?P<value>.*)$", re.DOTALL)
_LOGIN_TOOLS = frozenset({"docker", "podman", "nerdctl", "buildah", "skopeo", "helm", "oras", "az"})
# `TOOL SUBCOMMAND... KEY VALUE`: a secret-named KEY is given a literal VALUE.
_CONFIG_SET = {
    "npm": ("config", "set"),
    "yarn": ("config", "set"),
    "pnpm": ("config", "set"),
    "aws": ("configure", "set"),
}
# MySQL clients take a password only glued to `-p` (`-pSECRET`); `-p` alone prompts.
_MYSQL_TOOLS = frozenset({"mysql", "mariadb", "mysqladmin", "mysqldump", "mariadb-dump"})
_ECHO = frozenset({"echo", "printf"})
# curl's short options that take a value, so that `-sSu user:pass` is read right.
_CURL_SHORT_WITH_VALUE = frozenset("AbcCdDeEFHKmoPQrtTuUwxXyYz")
_WGET_PASSWORD = ("--password", "--http-password", "--ftp-password", "--proxy-password")
_MIN_LITERAL = 4


@dataclass(frozen=True, slots=True)
class _Credential:
    secret: str
    what: str  # "password for `curl --user`", "GitHub token"
    line: int
    column: int
    known_format: bool = False


@rule(
    id="HG422",
    name="credentials-in-run",
    pillar=4,
    severity=Severity.HIGH,
    targets=(DOCKERFILE,),
    references=(
        "trivy:DS-0031",
        "cis-docker:4.10",
        "checkov:CKV_SECRET_4",
        "checkov:CKV2_DOCKER_17",
        "kics:a88baa34-e2ad-44ea-ad6f-8cac87bc7c71",
        "cwe:798",
        "cwe:214",
    ),
    fix="mount the credential for that RUN with `--mount=type=secret` and read it from the "
    "file or variable there, never write it on the command line",
)
def credentials_in_run(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags literal credentials in a `RUN` command: `curl -u user:pass` (`--user`,
    `--proxy-user`), `wget --password=...` (`--http-password`, `--ftp-password`), passwords
    and tokens in URLs (`https://user:pass@host`, `https://TOKEN@github.com`,
    `?access_token=`/`private_token=`), `docker login -p` (also podman, nerdctl, buildah,
    skopeo, helm, oras, `az login`), `npm config set //registry/:_authToken TOKEN` (and
    `aws configure set aws_secret_access_key ...`), `git config
    url.https://TOKEN@github.com/.insteadOf`, `mysql -pPASSWORD`, `htpasswd -b FILE USER
    PASSWORD`, passwords piped into `chpasswd` or `login --password-stdin`, secret-named
    assignments (`export API_TOKEN=...`, `PGPASSWORD=... psql`), an `Authorization` header
    with a literal credential, and any value in a recognisable credential format anywhere in
    the command.

    ## Why is this bad?
    The command line of every `RUN` is kept verbatim in the image history, which anyone who
    can pull the image reads with `docker history --no-trunc`; it is also in the Dockerfile,
    in version control and in build logs. A credential written there is published to all of
    them, and removing the file it configured in a later step does not take it back.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN curl -fsSL -u deploy:Tr0ub4dor-3 https://artifacts.example.com/app.tgz | tar xz
    ```
    Use instead:
    ```dockerfile
    FROM alpine:3.20
    RUN --mount=type=secret,id=netrc,target=/root/.netrc \\
        curl -fsSL --netrc https://artifacts.example.com/app.tgz | tar xz
    ```

    ## How to fix
    Give the credential to the build as a BuildKit secret (`docker build --secret
    id=netrc,src=...`) and mount it only for the `RUN` that needs it, as a file
    (`--mount=type=secret,id=...,target=...`) or a variable (`env=`); tools then read it from
    there (`curl --netrc`, `docker login --password-stdin < /run/secrets/...`). Rotate any
    credential that was ever written into a Dockerfile.

    ## Notes
    Every stage is checked: a literal credential is in the Dockerfile and the build logs even
    when its stage does not ship. Values held in variables (`-u "$USER:$PASS"`) are not
    literals and are left to HG420, which judges how the variable got there. A value in a
    recognisable credential format is reported as critical. Values are never printed:
    messages show a few characters and a hash.
    """
    for instruction in dockerfile.instructions:
        if instruction.keyword != "RUN":
            continue
        seen: set[tuple[int, str]] = set()
        for credential in _credentials(instruction, dockerfile.lines):
            key = (credential.line, credential.secret)
            if key in seen:
                continue
            seen.add(key)
            yield ctx.finding(
                at=Location(path=ctx.path, line=credential.line, column=credential.column),
                message="RUN writes a credential on its command line: "
                f"{credential.what} `{redact(credential.secret)}`",
                severity=Severity.CRITICAL if credential.known_format else None,
            )


def _credentials(instruction: Instruction, lines: tuple[str, ...]) -> Iterator[_Credential]:
    if instruction.script is not None:
        yield from _in_script(instruction.script)
    # The source lines too (heredoc bodies included), for what the shell model leaves out,
    # such as `export NAME=value`; findings are de-duplicated by line and value.
    first = instruction.line
    last = instruction.location.end_line or first
    for number in range(first, min(last, len(lines)) + 1):
        text = lines[number - 1]
        if not text.lstrip().startswith("#"):
            yield from _in_text(text, number, 1)


def _in_text(text: str, line: int, column: int) -> Iterator[_Credential]:
    for match in find_secrets(text):
        yield _Credential(match.secret, match.kind, line, column + match.start, match.known_format)


def _in_script(script: Script) -> Iterator[_Credential]:
    # Credential formats, URLs and random values are found in the source lines (see
    # `_credentials`); words add what needs the shell's view: short literals for secret names.
    for command in script.commands:
        for word in command.words[1:]:
            yield from _assignment(word.text, word.line, word.column)
        for assignment in command.assignments:
            yield from _assignment(assignment, command.line, command.column)
        yield from _tool_options(command)
    for pipeline in script.pipelines():
        yield from _piped(pipeline)


def _assignment(text: str, line: int, column: int) -> Iterator[_Credential]:
    """`NAME=value`, `--name=value`: a literal for a secret's name is a credential."""
    match = _NAME_VALUE.match(text)
    if not match:
        return
    name, value = match.group("name"), match.group("value").strip("'\"")
    if "://" in value or not is_secret_name(name):
        return
    if is_literal_secret(value) and len(value) >= _MIN_LITERAL:
        yield _Credential(value, f"value of `{name}`", line, column)


def _tool_options(command: Command) -> Iterator[_Credential]:
    words = command.words[1:]
    args = [w.text for w in words]
    if command.name == "curl":
        for word, value in _option_values(words, ("--user", "--proxy-user"), "uU", curl=True):
            user, colon, password = value.partition(":")
            if colon and _literal(password):
                yield _at(word, password, f"password for `curl --user {user}`")
    elif command.name == "wget":
        for word, value in _option_values(words, _WGET_PASSWORD, ""):
            if _literal(value):
                yield _at(word, value, "password for `wget`")
    elif command.name in _LOGIN_TOOLS and "login" in args:
        for word, value in _option_values(words, ("--password",), "p"):
            if _literal(value):
                yield _at(word, value, f"password for `{command.name} login`")
    elif command.name in _MYSQL_TOOLS:
        for word in words:
            text = word.text
            value = text[len("--password=") :] if text.startswith("--password=") else ""
            if not value and text.startswith("-p") and len(text) > 2:
                value = text[2:]
            if _literal(value):
                yield _at(word, value, f"password for `{command.name} -p`")
    elif command.name == "htpasswd" and any(_short_flag(a, "b") for a in args) and len(args) >= 3:
        if _literal(args[-1]):  # `htpasswd -b[c] FILE USER PASSWORD`
            yield _at(words[-1], args[-1], f"password for `htpasswd` user `{args[-2]}`")
    elif tuple(args[:2]) == _CONFIG_SET.get(command.name) and len(args) >= 4:
        key = re.split(r"[:/]", args[2])[-1]
        if is_secret_name(key) and _literal(args[3]):
            yield _at(words[3], args[3], f"`{key}` for `{command.name} {args[0]}`")


def _short_flag(arg: str, letter: str) -> bool:
    return arg.startswith("-") and not arg.startswith("--") and letter in arg[1:]


def _option_values(
    words: tuple[Word, ...], long_names: tuple[str, ...], short_letters: str, *, curl: bool = False
) -> Iterator[tuple[Word, str]]:
    """The values given to an option, in `--opt value`, `--opt=value`, `-o value`, `-ovalue`
    (and, for curl, `-sSo value`) forms, with the word that holds each value."""
    index = 0
    while index < len(words):
        word = words[index]
        text = word.text
        index += 1
        if text == "--":
            return
        if text.startswith("--"):
            name, eq, value = text.partition("=")
            if name in long_names:
                if eq:
                    yield word, value
                elif index < len(words):
                    yield words[index], words[index].text
                    index += 1
            continue
        if not text.startswith("-") or len(text) < 2:
            continue
        for position, letter in enumerate(text[1:], start=1):
            takes_value = letter in short_letters or (curl and letter in _CURL_SHORT_WITH_VALUE)
            if not takes_value:
                if curl:
                    continue
                break
            value = text[position + 1 :]
            if value:
                if letter in short_letters:
                    yield word, value
            elif index < len(words):
                if letter in short_letters:
                    yield words[index], words[index].text
                index += 1
            break


def _piped(pipeline: tuple[Command, ...]) -> Iterator[_Credential]:
    """`echo 'root:pass' | chpasswd`, `echo pass | docker login --password-stdin`."""
    for producer, consumer in itertools.pairwise(pipeline):
        if producer.name not in _ECHO:
            continue
        values = [w for w in producer.words[1:] if not w.text.startswith("-")]
        if consumer.name == "chpasswd" and "-e" not in consumer.args:
            for word in values:
                user, colon, password = word.text.strip().partition(":")
                if colon and _literal(password):
                    yield _at(word, password, f"password for `{user}` piped to `chpasswd`")
        elif "--password-stdin" in consumer.args:
            for word in values:
                if _literal(word.text.strip()):
                    yield _at(word, word.text.strip(), f"password piped to `{consumer.name} login`")


def _literal(value: str) -> bool:
    return is_literal_secret(value) and len(value.strip("'\"")) >= _MIN_LITERAL


def _at(word: Word, secret: str, what: str) -> _Credential:
    return _Credential(secret.strip("'\""), what, word.line, word.column)
