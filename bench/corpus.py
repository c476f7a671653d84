# ruff: noqa: E501  (the generator holds whole Dockerfile lines, URLs and commands as literals)
"""Deterministic generator of a realistic Dockerfile corpus for the benchmarks.

The corpus imitates what real repositories hold: many language stacks, single- and multi-stage
builds with named stages and ``COPY --from``, long ``RUN`` chains with continuations, BuildKit
heredocs, ``ARG``/``ENV``, exec and shell forms, and a mix of careful and careless habits (root and
non-root users, ``latest`` tags, ``apt-get`` without cleanup, ``curl | sh``, secrets in ``ENV``,
...). Every file is between 5 and 150 lines. The same seed and count always produce the same
bytes, so figures from different runs and machines compare.

Usage::

    python bench/corpus.py                 # 1,000 projects into bench/.corpus/dockerfiles
    python bench/corpus.py --projects 2000 --seed 7 --out /tmp/corpus
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Bump when the generated text changes, so that stale corpora get rebuilt.
GENERATOR_VERSION = 6
DEFAULT_SEED = 20240611
DEFAULT_PROJECTS = 1000
MIN_LINES = 5
MAX_LINES = 150
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_ROOT = BENCH_DIR / ".corpus"
MANIFEST_NAME = "manifest.json"


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

Cmd = list[str]  # one shell command: first segment, then continuation segments


@dataclass
class Style:
    """The habits of one project's authors."""

    careful: float  # probability of the good practice at each decision
    chain: str  # "trailing" (cmd && \), "leading" (\ then && cmd) or "semicolon" (set -eux; \)
    indent: str
    comments: float  # probability of a comment before a block
    lower: bool  # lower-case instruction keywords (rare, but Docker accepts them)
    airy: bool  # a blank line before each multi-line RUN
    verbosity: int  # 0.. ; scales package lists, env blocks and extra steps


class Doc:
    """Accumulates the lines of one Dockerfile."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.lines: list[str] = []

    def kw(self, word: str) -> str:
        return word.lower() if self.style.lower else word

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def comment(self, rng: random.Random, text: str, force: bool = False) -> None:
        if force or rng.random() < self.style.comments + self.style.verbosity * 0.03:
            self.lines.append(f"# {text}")

    def instr(self, keyword: str, rest: str) -> None:
        self.lines.append(f"{self.kw(keyword)} {rest}")

    def run(self, cmds: Sequence[Cmd], flags: str = "") -> None:
        """A RUN of one or more commands chained with &&, spread over continuation lines."""
        head = self.kw("RUN") + (f" {flags}" if flags else "")
        ind = self.style.indent
        if (
            self.style.airy
            and (len(cmds) > 1 or len(cmds[0]) > 1)
            and not (self.lines and self.lines[-1].startswith("#"))
        ):
            self.blank()
        if len(cmds) == 1 and len(cmds[0]) == 1:
            self.lines.append(f"{head} {cmds[0][0]}")
            return
        body: list[str] = []
        chain = self.style.chain
        if chain == "semicolon":
            body.append(f"{head} set -eux; \\")
            for i, cmd in enumerate(cmds):
                last = i == len(cmds) - 1
                for j, seg in enumerate(cmd):
                    seg_last = j == len(cmd) - 1
                    text = f"{ind}{seg}" if j == 0 else f"{ind}{ind}{seg}"
                    if seg_last:
                        body.append(text if last else f"{text}; \\")
                    else:
                        body.append(f"{text} \\")
        elif chain == "leading":
            for i, cmd in enumerate(cmds):
                for j, seg in enumerate(cmd):
                    if i == 0 and j == 0:
                        text = f"{head} {seg}"
                    elif j == 0:
                        text = f"{ind}&& {seg}"
                    else:
                        text = f"{ind}{ind}   {seg}"
                    body.append(text)
            body = [f"{t} \\" for t in body[:-1]] + [body[-1]]
        else:  # trailing
            for i, cmd in enumerate(cmds):
                last = i == len(cmds) - 1
                for j, seg in enumerate(cmd):
                    seg_last = j == len(cmd) - 1
                    if i == 0 and j == 0:
                        text = f"{head} {seg}"
                    elif j == 0:
                        text = f"{ind}{seg}"
                    else:
                        text = f"{ind}{ind}{seg}"
                    if seg_last and not last:
                        body.append(f"{text} && \\")
                    elif seg_last:
                        body.append(text)
                    else:
                        body.append(f"{text} \\")
        self.lines.extend(body)

    def heredoc(self, opener: str, body: Sequence[str], delim: str = "EOF") -> None:
        """An instruction whose opener holds a <<DELIM marker, then the body and the delimiter."""
        self.lines.append(opener)
        self.lines.extend(body)
        self.lines.append(delim)

    def text(self) -> str:
        lines = list(self.lines)
        while lines and lines[-1] == "":
            lines.pop()
        return "\n".join(lines) + "\n"


def c(*segments: str) -> Cmd:
    return list(segments)


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

PROJECT_WORDS = [
    "billing", "auth", "catalog", "orders", "search", "notify", "gateway", "inventory",
    "reports", "media", "chat", "metrics", "ledger", "scheduler", "profile", "checkout",
    "shipping", "recommend", "feeds", "docs", "admin", "analytics", "ingest", "webhooks",
    "pricing", "geo", "identity", "mailer", "thumbs", "exporter", "audit", "payments",
    "tenant", "sync", "crawler", "uploads", "booking", "loyalty", "survey", "kiosk",
]  # fmt: skip
PROJECT_KINDS = [
    "api", "service", "worker", "web", "app", "frontend", "cli", "server", "proxy",
    "daemon", "bot", "jobs", "site", "backend", "portal",
]  # fmt: skip

DEB_TOOLS = [
    "ca-certificates", "curl", "wget", "git", "gnupg", "unzip", "xz-utils", "tzdata",
    "locales", "netcat-openbsd", "procps", "less", "jq", "openssh-client", "dumb-init",
    "tini", "gosu", "iputils-ping", "dnsutils", "vim", "nano", "htop", "rsync", "zip",
    "file", "bash-completion", "lsb-release", "apt-transport-https", "sudo", "cron",
]  # fmt: skip
DEB_BUILD = [
    "build-essential", "gcc", "g++", "make", "pkg-config", "libpq-dev", "libssl-dev",
    "libffi-dev", "zlib1g-dev", "libxml2-dev", "libxslt1-dev", "libjpeg-dev", "libpng-dev",
    "default-libmysqlclient-dev", "libsqlite3-dev", "libyaml-dev", "libcurl4-openssl-dev",
    "cmake", "autoconf", "automake", "libtool", "python3-dev", "libreadline-dev",
]  # fmt: skip
APK_TOOLS = [
    "ca-certificates", "curl", "bash", "tzdata", "git", "openssh-client", "jq", "tini",
    "su-exec", "busybox-extras", "coreutils", "findutils", "gettext", "libc6-compat", "wget",
    "shadow", "procps", "unzip", "openssl", "dumb-init",
]  # fmt: skip
APK_BUILD = [
    "build-base", "gcc", "g++", "make", "musl-dev", "libffi-dev", "openssl-dev",
    "postgresql-dev", "linux-headers", "python3-dev", "zlib-dev", "jpeg-dev", "libxml2-dev",
    "cargo", "pkgconf", "autoconf", "automake", "libtool",
]  # fmt: skip
RPM_TOOLS = [
    "ca-certificates", "curl", "git", "tar", "gzip", "unzip", "shadow-utils", "procps-ng",
    "which", "findutils", "hostname", "jq", "openssl", "tzdata", "less",
]  # fmt: skip
PY_LIBS = [
    "flask", "django", "fastapi", "uvicorn", "gunicorn", "requests", "celery", "redis",
    "psycopg2-binary", "sqlalchemy", "pydantic", "boto3", "numpy", "pandas", "httpx",
    "alembic", "pytest", "black", "awscli", "ansible", "supervisor", "jinja2", "pyyaml",
]  # fmt: skip
NPM_GLOBALS = ["pm2", "nodemon", "typescript", "serve", "http-server", "yarn", "pnpm", "npm"]
GEMS = ["bundler", "rails", "puma", "foreman", "rake", "nokogiri", "sidekiq"]
GO_TOOLS = [
    "github.com/go-delve/delve/cmd/dlv", "github.com/air-verse/air",
    "github.com/swaggo/swag/cmd/swag", "github.com/pressly/goose/v3/cmd/goose",
    "golang.org/x/tools/cmd/goimports", "github.com/golang-migrate/migrate/v4/cmd/migrate",
]  # fmt: skip
PORTS = [80, 443, 3000, 4000, 5000, 8000, 8080, 8081, 8443, 9000, 9090, 3001, 5173, 8888]
SECRET_NAMES = [
    "DB_PASSWORD", "POSTGRES_PASSWORD", "MYSQL_ROOT_PASSWORD", "API_KEY", "SECRET_KEY",
    "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "NPM_TOKEN", "JWT_SECRET", "STRIPE_SECRET_KEY",
    "REDIS_PASSWORD", "SENTRY_AUTH_TOKEN", "DJANGO_SECRET_KEY", "SMTP_PASSWORD",
]  # fmt: skip
TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London"]


# --------------------------------------------------------------------------------------------
# The generator for one file
# --------------------------------------------------------------------------------------------


class Gen:
    """Writes one Dockerfile for one stack; decisions come from rng and the project's Style."""

    def __init__(self, rng: random.Random, style: Style, project: str) -> None:
        self.rng = rng
        self.st = style
        self.df = Doc(style)
        self.project = project
        self.port = rng.choice(PORTS)
        self.uses_buildkit = False
        self.used_curl_pipe = False
        self.heredocs = False
        self.used_tools: list[str] = []

    # ---- small helpers -------------------------------------------------------------------

    def good(self, bias: float = 0.0) -> bool:
        return self.rng.random() < min(1.0, max(0.0, self.st.careful + bias))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, items: Sequence[str]) -> str:
        return self.rng.choice(list(items))

    def sample(self, items: Sequence[str], k: int) -> list[str]:
        k = max(0, min(k, len(items)))
        return self.rng.sample(list(items), k)

    def n_extra(self, base: int, spread: int = 2) -> int:
        return base + self.st.verbosity + self.rng.randint(0, spread)

    def digest(self) -> str:
        return "sha256:" + "".join(self.rng.choice("0123456789abcdef") for _ in range(64))

    def image(self, repo: str, tags: Sequence[str], allow_latest: bool = True) -> str:
        """An image reference with a tag style that follows the authors' habits."""
        tag = self.pick(tags)
        r = self.rng.random()
        if allow_latest and not self.good(0.25):
            if r < 0.5:
                return f"{repo}:latest"
            if r < 0.8:
                return repo
        if self.good(-0.55) and r < 0.6:
            return f"{repo}:{tag}@{self.digest()}"
        return f"{repo}:{tag}"

    def hexstr(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def fake_secret(self, name: str) -> str:
        if name == "AWS_SECRET_ACCESS_KEY":
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"
            return "".join(self.rng.choice(alphabet) for _ in range(40))
        if name == "GITHUB_TOKEN":
            alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            return "ghp_" + "".join(self.rng.choice(alnum) for _ in range(36))
        if name == "STRIPE_SECRET_KEY":
            return "sk_test_" + self.hexstr(24)
        return self.pick(["changeme", "s3cr3t", "admin123", "password", self.hexstr(32)])

    # ---- shared blocks -------------------------------------------------------------------

    def header(self, heredocs: bool) -> None:
        if heredocs or self.chance(0.25):
            self.df.add(
                self.pick(
                    [
                        "# syntax=docker/dockerfile:1",
                        "# syntax=docker/dockerfile:1.7",
                        "# syntax=docker/dockerfile:1.4",
                    ]
                )
            )
            self.uses_buildkit = True
        if self.chance(0.3):
            self.df.add(f"# {self.project}: container image")
            if self.chance(0.4):
                self.df.add(f"# Build: docker build -t {self.project} .")
        self.df.blank()

    def global_args(self, names: dict[str, str]) -> None:
        for k, v in names.items():
            self.df.instr("ARG", f"{k}={v}")
        if names:
            self.df.blank()

    def labels(self) -> None:
        if not self.good(-0.45) and self.chance(0.35):
            self.df.instr("MAINTAINER", f"Platform Team <platform@{self.project}.example.com>")
            return
        if self.chance(0.5):
            return
        pairs = [
            f'org.opencontainers.image.title="{self.project}"',
            f'org.opencontainers.image.source="https://git.example.com/acme/{self.project}"',
            'org.opencontainers.image.vendor="Acme Corp"',
            'org.opencontainers.image.licenses="Apache-2.0"',
            f'maintainer="team-{self.project.split("-")[0]}@example.com"',
            'org.opencontainers.image.version="${VERSION}"',
            f'org.opencontainers.image.revision="{self.hexstr(40)}"',
            'org.opencontainers.image.created="2024-05-02T10:11:12Z"',
        ]
        chosen = pairs[: 1 + min(len(pairs) - 1, self.rng.randint(0, 2) + self.st.verbosity // 2)]
        if len(chosen) == 1 or self.chance(0.3):
            for p in chosen:
                self.df.instr("LABEL", p)
        else:
            ind = self.st.indent
            self.df.add(f"{self.df.kw('LABEL')} {chosen[0]} \\")
            for p in chosen[1:-1]:
                self.df.add(f"{ind}{p} \\")
            self.df.add(f"{ind}{chosen[-1]}")

    def env_block(self, pairs: list[tuple[str, str]]) -> None:
        if not pairs:
            return
        if len(pairs) == 1 or self.chance(0.35):
            for k, v in pairs:
                if self.chance(0.1):
                    self.df.instr("ENV", f"{k} {v}")  # legacy form
                else:
                    self.df.instr("ENV", f"{k}={v}")
        else:
            ind = self.st.indent
            self.df.add(f"{self.df.kw('ENV')} {pairs[0][0]}={pairs[0][1]} \\")
            for k, v in pairs[1:-1]:
                self.df.add(f"{ind}{k}={v} \\")
            self.df.add(f"{ind}{pairs[-1][0]}={pairs[-1][1]}")

    def maybe_secrets(self) -> None:
        """Careless projects bake credentials into ENV or ARG; careful ones use build secrets."""
        if self.good(0.3):
            return
        names = self.sample(SECRET_NAMES, self.rng.randint(1, 2))
        for name in names:
            if self.chance(0.3):
                self.df.instr("ARG", name)
            else:
                self.df.instr("ENV", f"{name}={self.fake_secret(name)}")
        if self.chance(0.15):
            self.df.instr(
                "COPY",
                self.pick(
                    [
                        "id_rsa /root/.ssh/id_rsa",
                        ".env /app/.env",
                        "secrets.json /app/config/secrets.json",
                        ".npmrc /root/.npmrc",
                        "credentials /root/.aws/credentials",
                    ]
                ),
            )

    def tls_bypass(self) -> None:
        """Rare: disabled certificate checks, each as real projects do it."""
        if self.good(0.45) or not self.chance(0.4):
            return
        self.df.instr(
            "ENV",
            self.pick(
                [
                    "NODE_TLS_REJECT_UNAUTHORIZED=0",
                    "PYTHONHTTPSVERIFY=0",
                    "GIT_SSL_NO_VERIFY=true",
                    "PIP_TRUSTED_HOST=pypi.org",
                    "NPM_CONFIG_STRICT_SSL=false",
                ]
            ),
        )

    def healthcheck(self, tool: str = "curl", path: str = "/health") -> None:
        if not self.good(-0.2):
            return
        port = self.port
        opts = self.pick(
            [
                "",
                "--interval=30s --timeout=3s ",
                "--interval=30s --timeout=5s --start-period=10s --retries=3 ",
            ]
        )
        if tool == "curl":
            self.df.instr(
                "HEALTHCHECK", f"{opts}CMD curl -fsS http://localhost:{port}{path} || exit 1"
            )
        elif tool == "wget":
            self.df.instr(
                "HEALTHCHECK", f"{opts}CMD wget -qO- http://127.0.0.1:{port}{path} || exit 1"
            )
        else:
            self.df.instr("HEALTHCHECK", f'{opts}CMD ["{tool}", "healthcheck"]')

    def expose(self) -> None:
        ports = [str(self.port)]
        if not self.good(0.1) and self.chance(0.2):
            ports.append("22")
        if self.chance(0.12):
            ports.append(self.pick(["9100", "9464", "5005", "8125/udp", "443"]))
        if not self.good(0.3) and self.chance(0.05):
            ports.append(self.pick(["70000", "8080-8090"]))
        self.df.instr("EXPOSE", " ".join(ports))

    def final_cmd(
        self, exec_argv: list[str], shell: str | None = None, entry: list[str] | None = None
    ) -> None:
        """CMD/ENTRYPOINT in exec form usually, shell form for the careless; sometimes duplicated."""
        if entry is not None:
            self.df.instr("ENTRYPOINT", json.dumps(entry))
        if (not self.good(0.1)) and self.chance(0.25):
            if self.chance(0.3):
                self.df.instr("CMD", json.dumps(exec_argv))  # leftover from an earlier edit
            self.df.instr("CMD", shell or " ".join(exec_argv))
        else:
            self.df.instr("CMD", json.dumps(exec_argv))

    # ---- users ---------------------------------------------------------------------------

    def create_user_cmd(self, family: str, name: str = "app", uid: int | None = None) -> Cmd:
        uid = uid if uid is not None else self.rng.choice([1000, 1001, 10001, 999, 65532, 100000])
        if family == "alpine":
            return c(
                self.pick(
                    [
                        f"addgroup -S {name} && adduser -S -G {name} -u {uid} {name}",
                        f"addgroup -g {uid} {name} && adduser -D -u {uid} -G {name} {name}",
                        f"adduser -D -H -u {uid} {name}",
                    ]
                )
            )
        if family == "rpm":
            return c(
                f"groupadd -r -g {uid} {name} && useradd -r -u {uid} -g {name} -d /app -s /sbin/nologin {name}"
            )
        return c(
            self.pick(
                [
                    f"groupadd --system --gid {uid} {name} && useradd --system --uid {uid} --gid {name} --no-create-home {name}",
                    f"useradd -m -u {uid} {name}",
                    f"useradd -l -r -u {uid} -g root {name}",
                    f"groupadd -g {uid} {name} && useradd -u {uid} -g {name} -m -s /bin/bash {name}",
                    f"adduser --disabled-password --gecos '' --uid {uid} {name}",
                ]
            )
        )

    def user_line(self, name: str = "app") -> None:
        """The final USER, or none, or root, following the authors' habits."""
        if self.good(0.05):
            self.df.instr(
                "USER", self.pick([name, f"{name}:{name}", "10001", "1000:1000", f"{name}"])
            )
        elif self.chance(0.35):
            self.df.instr("USER", self.pick(["root", "0", "root:root"]))

    # ---- package managers ---------------------------------------------------------------

    def apt(self, pkgs: list[str], *, pin: bool | None = None) -> list[Cmd]:
        """apt-get update + install [+ cleanup], with the authors' habits."""
        cmds: list[Cmd] = []
        tool = "apt-get" if self.good(0.35) else "apt"
        cmds.append(c(f"{tool} update"))
        if not self.good(0.2) and self.chance(0.3):
            cmds.append(c(f"{tool} upgrade -y" if self.chance(0.7) else f"{tool} dist-upgrade -y"))
        flags = []
        if self.good(0.15) or self.chance(0.2):
            flags.append("-y")
        elif self.chance(0.5):
            flags.append("-qq")
        else:
            flags.append("--yes")
        if self.good(-0.1):
            flags.append("--no-install-recommends")
        if not self.good(0.4) and self.chance(0.08):
            flags.append(self.pick(["--allow-unauthenticated", "--force-yes"]))
        pin = self.good(-0.55) if pin is None else pin
        names = [
            f"{p}={self.rng.randint(1, 9)}.{self.rng.randint(0, 20)}*"
            if pin and self.chance(0.7)
            else p
            for p in pkgs
        ]
        head = f"{tool} install {' '.join(flags)}"
        if len(names) <= 3 and self.chance(0.6):
            cmds.append(c(f"{head} {' '.join(names)}"))
        else:
            cmds.append(c(head, *names))
        if self.good(-0.1):
            if self.chance(0.3):
                cmds.append(c(f"{tool} clean"))
            cmds.append(c("rm -rf /var/lib/apt/lists/*"))
        elif self.chance(0.3):
            cmds.append(c("apt-get clean"))
        return cmds

    def apk(self, pkgs: list[str], virtual: str | None = None) -> list[Cmd]:
        flags = "--no-cache" if self.good(0.1) else self.pick(["", "--update"])
        if not self.good(0.45) and self.chance(0.05):
            flags += " --allow-untrusted"
        if virtual:
            flags += f" --virtual {virtual}"
        flags = flags.strip()
        head = f"apk add {flags}".strip()
        names = [
            f"{p}~={self.rng.randint(1, 9)}.{self.rng.randint(0, 9)}" if self.good(-0.6) else p
            for p in pkgs
        ]
        cmds: list[Cmd] = []
        if "--no-cache" not in flags and self.chance(0.5):
            cmds.append(c("apk update"))
        if len(names) <= 4 and self.chance(0.6):
            cmds.append(c(f"{head} {' '.join(names)}"))
        else:
            cmds.append(c(head, *names))
        if "--no-cache" not in flags and self.good():
            cmds.append(c("rm -rf /var/cache/apk/*"))
        return cmds

    def rpm(self, tool: str, pkgs: list[str]) -> list[Cmd]:
        yes = "-y " if self.good(0.2) else ""
        extra = ""
        if tool in ("dnf", "yum", "microdnf") and self.good(-0.3):
            extra = "--setopt=install_weak_deps=0 " if tool == "dnf" else ""
        if not self.good(0.45) and self.chance(0.08):
            extra += "--nogpgcheck "
        cmds: list[Cmd] = []
        if tool == "zypper":
            cmds.append(c("zypper --non-interactive refresh" if self.good() else "zypper refresh"))
            cmds.append(
                c(
                    f"zypper {'--non-interactive ' if yes else ''}install {'-y ' if yes else ''}--no-recommends {' '.join(pkgs)}"
                )
            )
            if self.good():
                cmds.append(c("zypper clean --all"))
            return cmds
        if not self.good(0.3) and self.chance(0.3):
            cmds.append(c(f"{tool} update {yes}".strip()))
        if len(pkgs) <= 4:
            cmds.append(c(f"{tool} install {yes}{extra}{' '.join(pkgs)}".replace("  ", " ")))
        else:
            cmds.append(c(f"{tool} install {yes}{extra}".strip(), *pkgs))
        if self.good(-0.1):
            cmds.append(c(f"{tool} clean all"))
            if tool != "microdnf" and self.chance(0.5):
                cmds.append(c(f"rm -rf /var/cache/{'yum' if tool == 'yum' else 'dnf'}"))
        return cmds

    def pip(self, args: str, *, upgrade_pip: bool = True) -> list[Cmd]:
        cache = "--no-cache-dir " if self.good(-0.1) else ""
        cmds: list[Cmd] = []
        if upgrade_pip and self.chance(0.4):
            cmds.append(
                c(
                    f"pip install {cache}--upgrade pip{' setuptools wheel' if self.chance(0.5) else ''}"
                )
            )
        trusted = (
            "--trusted-host pypi.org --trusted-host files.pythonhosted.org "
            if not self.good(0.45) and self.chance(0.06)
            else ""
        )
        cmds.append(c(f"pip install {cache}{trusted}{args}"))
        return cmds

    def pip_libs(self, k: int) -> str:
        libs = self.sample(PY_LIBS, k)
        if self.good(-0.3):
            return " ".join(
                f"{lib}=={self.rng.randint(0, 5)}.{self.rng.randint(0, 30)}.{self.rng.randint(0, 9)}"
                for lib in libs
            )
        return " ".join(libs)

    # ---- risky downloads --------------------------------------------------------------

    def curl_pipe(self) -> Cmd:
        self.used_curl_pipe = True
        return c(
            self.pick(
                [
                    "curl -fsSL https://deb.nodesource.com/setup_20.x | bash -",
                    "curl -sSL https://install.python-poetry.org | python3 -",
                    "curl -fsSL https://get.docker.com | sh",
                    "curl -sL https://sentry.io/get-cli/ | bash",
                    "wget -qO- https://raw.githubusercontent.com/nvm-sh/nvm/v0.39.7/install.sh | bash",
                    "curl -fsSL https://sh.rustup.rs | sh -s -- -y",
                    "curl -s https://packagecloud.io/install/repositories/acme/tools/script.deb.sh | bash",
                    "curl -k https://artifacts.internal.example.com/setup.sh | sh",
                ]
            )
        )

    def download_tool(self) -> list[Cmd]:
        """A pinned binary download, with or without a checksum; sometimes TLS checks off."""
        choices = [
            ("kubectl", "https://dl.k8s.io/release/v1.29.3/bin/linux/amd64/kubectl"),
            ("helm.tar.gz", "https://get.helm.sh/helm-v3.14.3-linux-amd64.tar.gz"),
            ("tini", "https://github.com/krallin/tini/releases/download/v0.19.0/tini"),
            ("yq", "https://github.com/mikefarah/yq/releases/download/v4.43.1/yq_linux_amd64"),
            (
                "dockerize.tar.gz",
                "https://github.com/jwilder/dockerize/releases/download/v0.7.0/dockerize-linux-amd64-v0.7.0.tar.gz",
            ),
            (
                "grpc_health_probe",
                "https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/v0.4.25/grpc_health_probe-linux-amd64",
            ),
            ("gosu", "https://github.com/tianon/gosu/releases/download/1.17/gosu-amd64"),
            ("jq", "https://github.com/jqlang/jq/releases/download/jq-1.7.1/jq-linux-amd64"),
        ]
        fresh = [t for t in choices if t[0] not in self.used_tools] or choices
        name, url = self.rng.choice(fresh)
        self.used_tools.append(name)
        insecure = not self.good(0.45) and self.chance(0.1)
        if self.chance(0.5):
            get = f"curl -fsSL{'k' if insecure else ''} -o /tmp/{name} {url}"
        else:
            get = f"wget {'--no-check-certificate ' if insecure else ''}{'-q ' if self.chance(0.5) else ''}-O /tmp/{name} {url}"
        cmds = [c(get)]
        if self.good(-0.2):
            cmds.append(c(f'echo "{self.hexstr(64)}  /tmp/{name}" | sha256sum -c -'))
        if name.endswith(".tar.gz"):
            cmds.append(c(f"tar -xzf /tmp/{name} -C /usr/local/bin --strip-components=1"))
            cmds.append(c(f"rm /tmp/{name}"))
        else:
            cmds.append(c(f"install -m 0755 /tmp/{name} /usr/local/bin/{name}"))
            if self.chance(0.5):
                cmds.append(c(f"rm -f /tmp/{name}"))
        return cmds

    def misc_bad_runs(self, family: str) -> None:
        """Assorted careless RUN lines seen in the wild."""
        if self.good(0.2):
            return
        r = self.rng.random()
        if r < 0.2:
            self.df.instr(
                "RUN",
                "cd /app && "
                + self.pick(
                    [
                        "make install",
                        "./configure && make",
                        "npm run build",
                        "python setup.py install",
                    ]
                ),
            )
        elif r < 0.35:
            self.df.instr(
                "RUN", f"chmod -R 777 {self.pick(['/app', '/var/www', '/opt/app', '/data'])}"
            )
        elif r < 0.45:
            self.df.instr(
                "RUN",
                "sudo "
                + self.pick(
                    ["chown -R app:app /app", "apt-get install -y make", "mkdir -p /opt/data"]
                ),
            )
        elif r < 0.55:
            self.df.instr(
                "RUN",
                self.pick(
                    ["service nginx start", "service cron start", "mount -a", "ps aux", "top -bn1"]
                ),
            )
        elif r < 0.65:
            self.df.instr("RUN", "ln -sf /bin/bash /bin/sh")
        elif r < 0.75 and family == "deb":
            self.df.instr("RUN", "echo 'root:root' | chpasswd")
        elif r < 0.85:
            self.df.instr(
                "RUN", "curl -sSL https://example.com/config.tar.gz | tar -xz -C /etc/app"
            )
        else:
            self.df.instr(
                "RUN",
                self.pick(["apt-get update", "apk update", "yum update -y"])
                if family != "none"
                else "true",
            )

    def extra_tools(self, family: str) -> None:
        """Optional tooling steps, more of them in more verbose projects, each kind at most once."""
        kinds = ["download", "download", "curlpipe", "dirs", "clone", "config", "buildinfo", "envs"]
        if family == "deb":
            kinds += ["locale", "aptrepo"]
        if self.heredocs:
            kinds += ["hd_script", "hd_cat"]
        count = min(len(kinds), self.st.verbosity // 3 + (1 if self.chance(0.2) else 0))
        for kind in self.rng.sample(kinds, count):
            self.df.blank()
            if kind == "download":
                self.df.comment(
                    self.rng,
                    self.pick(
                        ["Install helper binaries", "Tooling", "CLI used by the migration job"]
                    ),
                )
                self.df.run(self.download_tool())
            elif kind == "locale":
                self.df.comment(self.rng, "Locale and timezone")
                tz = self.pick(TIMEZONES)
                self.df.run(
                    [
                        c(f"ln -snf /usr/share/zoneinfo/{tz} /etc/localtime"),
                        c(f"echo {tz} > /etc/timezone"),
                        c("sed -i -e 's/# en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen"),
                        c("locale-gen"),
                    ]
                )
            elif kind == "buildinfo":
                self.df.comment(self.rng, "Build metadata, passed by CI")
                for a in ["VERSION=0.0.0-dev", "GIT_COMMIT", "BUILD_DATE"][
                    : self.rng.randint(2, 3)
                ]:
                    self.df.instr("ARG", a)
                self.df.instr(
                    "LABEL",
                    'org.opencontainers.image.version="${VERSION}" org.opencontainers.image.revision="${GIT_COMMIT}"',
                )
                self.df.instr("ENV", "APP_VERSION=${VERSION}")
            elif kind == "envs":
                self.df.comment(self.rng, "Runtime defaults; override at deploy time")
                pool = [
                    ("HTTP_TIMEOUT", "30s"),
                    ("MAX_UPLOAD_MB", "50"),
                    ("DB_POOL_SIZE", "10"),
                    ("REDIS_URL", "redis://redis:6379/0"),
                    ("OTEL_SERVICE_NAME", self.project),
                    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector:4317"),
                    ("METRICS_PORT", "9464"),
                    ("SHUTDOWN_GRACE", "15s"),
                    ("QUEUE_NAME", "default"),
                    ("RATE_LIMIT", "100"),
                ]
                self.env_block(self.sample(pool, 3 + self.st.verbosity // 3))
            elif kind == "hd_script":
                self.heredoc_file("/usr/local/bin/docker-entrypoint.sh", "script")
            elif kind == "hd_cat":
                self.heredoc_cat("/etc/default/app")
            elif kind == "curlpipe":
                if not self.used_curl_pipe:
                    self.df.run([self.curl_pipe()])
            elif kind == "dirs":
                self.df.run(
                    [
                        c("mkdir -p /app/logs /app/tmp /app/data"),
                        c("touch /app/logs/app.log"),
                        c(
                            f"chown -R {self.pick(['app:app', '1000:1000', 'www-data:www-data'])} /app"
                        ),
                    ]
                )
            elif kind == "clone":
                self.df.run(
                    [
                        c("git config --global advice.detachedHead false"),
                        c(
                            f"git clone --depth 1 --branch v{self.rng.randint(1, 4)}.{self.rng.randint(0, 12)}.0 https://github.com/acme/{self.pick(PROJECT_WORDS)}-assets.git /opt/assets"
                        ),
                        c("rm -rf /opt/assets/.git"),
                    ]
                )
            elif kind == "config":
                self.df.run(
                    [
                        c("mkdir -p /etc/app"),
                        c(f"echo 'listen: 0.0.0.0:{self.port}' > /etc/app/config.yaml"),
                        c("echo 'log_format: json' >> /etc/app/config.yaml"),
                        c(f"echo 'workers: {self.rng.randint(2, 16)}' >> /etc/app/config.yaml"),
                    ]
                )
            else:  # aptrepo
                self.df.comment(self.rng, "PostgreSQL client from the PGDG repository")
                ver = self.pick(["15", "16"])
                cmds = [
                    c("install -d /usr/share/postgresql-common/pgdg"),
                    c(
                        "curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc"
                    ),
                    c(
                        'echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list'
                    ),
                ]
                cmds += self.apt([f"postgresql-client-{ver}"])
                self.df.run(cmds)

    def distro_packages(self, family: str, build: bool = False) -> list[str]:
        if family == "alpine":
            pool = APK_BUILD if build else APK_TOOLS
        elif family == "rpm":
            pool = RPM_TOOLS
        else:
            pool = DEB_BUILD if build else DEB_TOOLS
        k = min(14 + self.st.verbosity // 2, self.n_extra(1, 2))
        pkgs = self.sample(pool, k)
        if self.chance(0.6):
            pkgs.sort()
        if not build and "ca-certificates" not in pkgs and self.chance(0.7):
            pkgs.insert(0, "ca-certificates")
        return pkgs

    def install_packages(self, family: str, build: bool = False) -> None:
        pkgs = self.distro_packages(family, build)
        if family == "alpine":
            self.df.run(self.apk(pkgs))
        elif family == "rpm":
            self.df.run(self.rpm(self.pick(["dnf", "yum", "microdnf"]), pkgs))
        else:
            if not self.good(0.1) and self.chance(0.2):
                self.df.instr("RUN", "apt-get update")  # update alone in its own layer
                self.df.run(self.apt(pkgs)[1:])
            else:
                self.df.run(self.apt(pkgs))

    def heredoc_install(self, family: str) -> None:
        """The BuildKit heredoc form of a package install: RUN <<EOF ... EOF."""
        pkgs = self.distro_packages(family)
        delim = self.pick(["EOF", "EOT", "SCRIPT"])
        opener = self.pick([f"RUN <<{delim}", f"RUN <<{delim} bash", f"RUN <<'{delim}'"])
        opener = opener.replace("RUN", self.df.kw("RUN"), 1)
        if family == "alpine":
            body = ["set -eux", f"apk add --no-cache {' '.join(pkgs)}"]
        else:
            body = [
                "set -eux",
                "apt-get update",
                f"apt-get install -y --no-install-recommends {' '.join(pkgs)}",
            ]
            if self.good(-0.1):
                body.append("rm -rf /var/lib/apt/lists/*")
        if self.chance(0.4):
            body.append("mkdir -p /app/data /app/logs")
        self.df.heredoc(opener, body, delim)

    def heredoc_file(self, path: str, kind: str) -> None:
        """COPY <<EOF PATH: a small config or script written inline."""
        delim = self.pick(["EOF", "EOT", "CONF"]) if kind != "script" else self.pick(["EOF", "SH"])
        chmod = "--chmod=755 " if kind == "script" else ""
        opener = f"{self.df.kw('COPY')} {chmod}<<{delim} {path}"
        if kind == "nginx":
            body = [
                "server {",
                f"    listen {self.port};",
                "    server_name _;",
                "    root /usr/share/nginx/html;",
                "    location / {",
                "        try_files $uri $uri/ /index.html;",
                "    }",
                "    location /healthz {",
                "        return 200 'ok';",
                "    }",
                "}",
            ]
        elif kind == "script":
            body = [
                "#!/bin/sh",
                "set -e",
                'if [ "${1#-}" != "$1" ]; then',
                f'    set -- {self.project} "$@"',
                "fi",
                'if [ -n "$WAIT_FOR" ]; then',
                "    until nc -z $WAIT_FOR; do sleep 1; done",
                "fi",
                'exec "$@"',
            ]
        elif kind == "ini":
            body = [
                "[app]",
                f"name = {self.project}",
                f"port = {self.port}",
                "log_level = info",
                "",
                "[cache]",
                "ttl = 300",
            ]
        else:
            body = [
                "server:",
                f"  port: {self.port}",
                "  shutdown_timeout: 10s",
                "logging:",
                "  level: info",
                "  format: json",
            ]
        self.df.heredoc(opener, body, delim)

    def heredoc_python(self) -> None:
        self.df.heredoc(
            f"{self.df.kw('RUN')} python3 <<EOF",
            [
                "import compileall, sys",
                "ok = compileall.compile_dir('/app', quiet=1)",
                "sys.exit(0 if ok else 1)",
            ],
            "EOF",
        )

    def heredoc_multi(self) -> None:
        self.df.add(
            f"{self.df.kw('COPY')} <<robots.txt <<humans.txt /usr/share/nginx/html/",
            "User-agent: *",
            "Disallow: /admin",
            "robots.txt",
            f"/* TEAM */ {self.project} maintainers",
            "humans.txt",
        )

    def heredoc_cat(self, path: str) -> None:
        self.df.heredoc(
            f"{self.df.kw('RUN')} cat <<EOF > {path}",
            [f"APP_NAME={self.project}", f"APP_PORT={self.port}", "LOG_FORMAT=json"],
            "EOF",
        )

    def workdir(self, path: str) -> None:
        if not self.good(0.35) and self.chance(0.25):
            self.df.instr("WORKDIR", path.lstrip("/").split("/")[-1] or "app")
        else:
            self.df.instr("WORKDIR", path)

    def copy_src(self, dst: str = ".", chown: str | None = None, what: str = ". .") -> None:
        flag = f"--chown={chown} " if chown and self.good(-0.1) else ""
        if not self.good(0.25) and self.chance(0.3):
            self.df.instr("ADD", f"{what}")
        else:
            self.df.instr("COPY", f"{flag}{what}")

    # ---- stacks -------------------------------------------------------------------------

    def python(self, heredocs: bool) -> None:
        df, rng = self.df, self.rng
        alpine = self.chance(0.2)
        tags = (
            ["3.12-alpine", "3.11-alpine3.19", "3.10-alpine"]
            if alpine
            else [
                "3.12-slim",
                "3.12-slim-bookworm",
                "3.11-slim",
                "3.11",
                "3.10-slim-bullseye",
                "3.9-slim-buster",
                "3.13-slim",
            ]
        )
        fam = "alpine" if alpine else "deb"
        framework = self.pick(["django", "flask", "fastapi", "celery", "script"])
        app_cmd = {
            "django": [
                "gunicorn",
                f"{self.project.replace('-', '_')}.wsgi:application",
                "--bind",
                f"0.0.0.0:{self.port}",
                "--workers",
                "3",
            ],
            "flask": ["gunicorn", "-b", f"0.0.0.0:{self.port}", "app:app"],
            "fastapi": ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", str(self.port)],
            "celery": ["celery", "-A", "tasks", "worker", "--loglevel=info"],
            "script": ["python", "main.py"],
        }[framework]
        multi = self.chance(0.45)
        use_arg = self.chance(0.35)
        base = self.image("python", tags)
        if use_arg:
            ver = self.pick(["3.12", "3.11", "3.10"])
            self.global_args({"PYTHON_VERSION": ver})
            base = f"python:${{PYTHON_VERSION}}-{'alpine' if alpine else 'slim'}"
        deps = self.pick(["requirements", "poetry", "pipenv", "uv"])
        if multi:
            df.instr("FROM", f"{base} AS builder")
            df.blank()
            self.env_block(
                [("PIP_NO_CACHE_DIR", "1"), ("PIP_DISABLE_PIP_VERSION_CHECK", "1")][
                    : rng.randint(0, 2)
                ]
            )
            df.comment(rng, "Build dependencies for wheels")
            if alpine:
                df.run(self.apk(self.distro_packages("alpine", build=True)))
            else:
                self.install_packages("deb", build=True)
            self.workdir("/build")
            if deps == "poetry":
                df.run(
                    [
                        c(
                            f"pip install --no-cache-dir poetry=={rng.choice(['1.7.1', '1.8.2', '1.8.3'])}"
                        )
                    ]
                    if self.good()
                    else [self.curl_pipe()]
                )
                df.instr("COPY", "pyproject.toml poetry.lock ./")
                df.run(
                    [
                        c(
                            "poetry export -f requirements.txt --output requirements.txt --without-hashes"
                        )
                    ]
                )
            elif deps == "uv":
                df.instr("COPY", "--from=ghcr.io/astral-sh/uv:0.4.20 /uv /usr/local/bin/uv")
                df.instr("COPY", "pyproject.toml uv.lock ./")
                df.run(
                    [c("uv export --frozen --no-dev -o requirements.txt")],
                    flags="--mount=type=cache,target=/root/.cache/uv",
                )
                self.uses_buildkit = True
            else:
                df.instr("COPY", "requirements.txt .")
            df.run([c("pip wheel --no-deps --wheel-dir /wheels -r requirements.txt")])
            df.blank()
            df.comment(rng, "Runtime image", force=self.chance(0.5))
            final_base = base
            if self.chance(0.2):
                final_base = self.pick(
                    [
                        "gcr.io/distroless/python3-debian12",
                        "gcr.io/distroless/python3-debian12:nonroot",
                    ]
                )
            df.instr("FROM", final_base)
            distroless = "distroless" in final_base
            self.labels()
            self.env_block(
                [
                    ("PYTHONDONTWRITEBYTECODE", "1"),
                    ("PYTHONUNBUFFERED", "1"),
                    *self.app_env(framework),
                ]
            )
            self.maybe_secrets()
            self.tls_bypass()
            self.workdir("/app")
            if distroless:
                df.instr(
                    "COPY",
                    "--from=builder /usr/local/lib/python3*/site-packages /usr/lib/python3/dist-packages",
                )
                df.instr("COPY", ". .")
                df.instr("USER", "nonroot")
                df.instr("ENTRYPOINT", json.dumps(["python3", "main.py"]))
                return
            if not alpine and self.chance(0.5):
                df.run(
                    self.apt(
                        self.sample(
                            ["libpq5", "libxml2", "libjpeg62-turbo", "curl", "tini"],
                            2 + self.st.verbosity // 4,
                        )
                    )
                )
            if self.good():
                df.run([self.create_user_cmd(fam)])
            df.instr("COPY", "--from=builder /wheels /wheels")
            df.run([*self.pip("/wheels/*", upgrade_pip=False), c("rm -rf /wheels")])
            self.copy_src(chown="app:app")
        else:
            df.instr("FROM", base)
            df.blank()
            self.labels()
            self.env_block(
                [
                    ("PYTHONDONTWRITEBYTECODE", "1"),
                    ("PYTHONUNBUFFERED", "1"),
                    ("PIP_NO_CACHE_DIR", "off"),
                ][: rng.randint(0, 3)]
                + self.app_env(framework)
            )
            self.maybe_secrets()
            self.tls_bypass()
            if heredocs and self.chance(0.6):
                self.heredoc_install(fam)
            else:
                df.comment(rng, "System dependencies")
                self.install_packages(fam, build=self.chance(0.5))
            if self.chance(0.15):
                df.run([self.curl_pipe()])
            self.extra_tools(fam)
            self.workdir("/app")
            if deps == "pipenv":
                df.run(self.pip("pipenv", upgrade_pip=False))
                df.instr("COPY", "Pipfile Pipfile.lock ./")
                df.run([c("pipenv install --system --deploy --ignore-pipfile")])
            elif deps == "poetry":
                df.run(self.pip(f"poetry{'==1.8.3' if self.good() else ''}"))
                df.instr("COPY", "pyproject.toml poetry.lock* ./")
                df.run(
                    [
                        c("poetry config virtualenvs.create false"),
                        c(
                            "poetry install --no-interaction --no-ansi --no-root"
                            + (" --only main" if self.chance(0.6) else "")
                        ),
                    ]
                )
            else:
                df.instr("COPY", "requirements.txt .")
                df.run(self.pip("-r requirements.txt"))
                if self.chance(0.3):
                    df.run(self.pip(self.pip_libs(rng.randint(1, 3)), upgrade_pip=False))
            self.copy_src(chown="app:app")
            if heredocs and self.chance(0.3):
                self.heredoc_python()
            if framework == "django" and self.chance(0.6):
                df.run([c("python manage.py collectstatic --noinput")])
            if self.good():
                df.run([self.create_user_cmd(fam), c("chown -R app:app /app")])
        self.misc_bad_runs(fam)
        df.blank()
        self.user_line()
        if framework != "celery" and framework != "script":
            self.expose()
            self.healthcheck("curl" if not alpine else "wget")
        entry = ["tini", "--"] if self.chance(0.15) else None
        self.final_cmd(app_cmd, entry=entry)

    def app_env(self, framework: str) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        pool = [
            ("APP_ENV", "production"),
            ("PORT", str(self.port)),
            ("LOG_LEVEL", "info"),
            ("TZ", self.pick(TIMEZONES)),
            ("LANG", "C.UTF-8"),
            ("APP_HOME", "/app"),
            ("PATH", "/app/bin:$PATH"),
            ("WORKERS", str(self.rng.randint(2, 8))),
            ("CACHE_TTL", str(self.rng.choice([60, 300, 3600]))),
            ("FEATURE_FLAGS", "search,export"),
        ]
        if framework == "django":
            pool.append(
                ("DJANGO_SETTINGS_MODULE", f"{self.project.replace('-', '_')}.settings.prod")
            )
        k = self.rng.randint(0, 2) + self.st.verbosity // 2
        pairs.extend(self.sample(pool, k))
        return pairs

    def node(self, heredocs: bool) -> None:
        df, rng = self.df, self.rng
        tags = [
            "20-alpine",
            "20-bookworm-slim",
            "18-alpine",
            "18",
            "22-slim",
            "lts-alpine",
            "21-alpine3.19",
            "16-buster",
            "20.11.1-alpine3.19",
        ]
        tag = self.pick(tags)
        alpine = "alpine" in tag
        fam = "alpine" if alpine else "deb"
        pm = self.pick(["npm", "npm", "yarn", "pnpm"])
        kind = self.pick(["spa", "server", "server", "next"])
        install = {
            "npm": "npm ci" if self.good(0.1) else "npm install",
            "yarn": "yarn install --frozen-lockfile" if self.good() else "yarn install",
            "pnpm": "pnpm install --frozen-lockfile",
        }[pm]
        lock = {
            "npm": "package.json package-lock.json ./",
            "yarn": "package.json yarn.lock ./",
            "pnpm": "package.json pnpm-lock.yaml ./",
        }[pm]
        base = self.image("node", [tag])
        multi = kind in ("spa", "next") or self.chance(0.3)
        if multi:
            stage = self.pick(["build", "builder", "deps", "base"])
            plat = "--platform=$BUILDPLATFORM " if self.chance(0.08) else ""
            df.instr("FROM", f"{plat}{base} AS {stage}")
            self.workdir("/usr/src/app")
            if alpine and self.chance(0.4):
                df.run(
                    self.apk(
                        [
                            "libc6-compat",
                            *self.sample(["python3", "make", "g++", "git"], self.n_extra(0, 2)),
                        ]
                    )
                )
            if pm == "pnpm":
                df.run(
                    [
                        c("corepack enable"),
                        c(f"corepack prepare pnpm@{rng.choice(['8.15.4', '9.1.0'])} --activate"),
                    ]
                )
            df.instr("COPY", lock)
            if self.uses_buildkit or self.chance(0.2):
                df.run([c(install)], flags="--mount=type=cache,target=/root/.npm")
                self.uses_buildkit = True
            else:
                df.run(
                    [c(install)] + ([c("yarn cache clean")] if pm == "yarn" and self.good() else [])
                )
            df.instr("COPY", ". .")
            if self.chance(0.3):
                self.env_block(
                    [("NODE_ENV", "production"), ("NEXT_TELEMETRY_DISABLED", "1")][
                        : 1 if kind != "next" else 2
                    ]
                )
            df.run([c(f"{pm} run build")])
            if kind == "spa":
                df.blank()
                ng = self.image("nginx", ["1.25-alpine", "1.27-alpine", "stable-alpine", "1.24"])
                if self.chance(0.25):
                    ng = "nginxinc/nginx-unprivileged:1.25-alpine"
                df.instr("FROM", ng)
                self.labels()
                if heredocs and self.chance(0.6):
                    self.heredoc_file("/etc/nginx/conf.d/default.conf", "nginx")
                else:
                    df.instr("COPY", "nginx.conf /etc/nginx/conf.d/default.conf")
                out = self.pick(["dist", "build"])
                df.instr("COPY", f"--from={stage} /usr/src/app/{out} /usr/share/nginx/html")
                if heredocs and self.chance(0.2):
                    self.heredoc_multi()
                self.port = 8080 if "unprivileged" in ng else 80
                df.instr("EXPOSE", str(self.port))
                self.healthcheck("wget", "/")
                df.instr("CMD", json.dumps(["nginx", "-g", "daemon off;"]))
                return
            df.blank()
            runtime = self.image("node", [tag])
            if self.chance(0.2):
                runtime = self.pick(
                    ["gcr.io/distroless/nodejs20-debian12", "cgr.dev/chainguard/node:latest"]
                )
            df.instr("FROM", f"{runtime} AS runtime" if self.chance(0.4) else runtime)
            self.labels()
            self.workdir("/usr/src/app")
            self.env_block([("NODE_ENV", "production"), *self.app_env("node")])
            self.maybe_secrets()
            self.tls_bypass()
            chown = "--chown=node:node " if "node:" in runtime and self.good() else ""
            if kind == "next":
                df.instr("COPY", f"{chown}--from={stage} /usr/src/app/.next/standalone ./")
                df.instr("COPY", f"{chown}--from={stage} /usr/src/app/.next/static ./.next/static")
                df.instr("COPY", f"{chown}--from={stage} /usr/src/app/public ./public")
                cmd = ["node", "server.js"]
            else:
                df.instr("COPY", f"{chown}--from={stage} /usr/src/app/node_modules ./node_modules")
                df.instr("COPY", f"{chown}--from={stage} /usr/src/app/dist ./dist")
                df.instr("COPY", f"{chown}package.json ./")
                cmd = ["node", "dist/main.js"]
            if "distroless" in runtime or "chainguard" in runtime:
                df.instr("EXPOSE", str(self.port))
                df.instr("CMD", json.dumps(cmd[1:] if "distroless" in runtime else cmd))
                return
            if self.good():
                df.instr("USER", "node")
            else:
                self.misc_bad_runs(fam)
            self.expose()
            self.healthcheck("wget" if alpine else "curl")
            self.final_cmd(cmd, shell=f"{pm} start")
            return
        # single stage server
        df.instr("FROM", base)
        df.blank()
        self.labels()
        self.env_block(
            [("NODE_ENV", "production"), ("NPM_CONFIG_LOGLEVEL", "warn")][: rng.randint(1, 2)]
            + self.app_env("node")
        )
        self.maybe_secrets()
        self.tls_bypass()
        if heredocs and self.chance(0.5):
            self.heredoc_install(fam)
        elif self.chance(0.6):
            self.install_packages(fam, build=self.chance(0.3))
        if self.chance(0.25):
            globals_ = self.sample(NPM_GLOBALS, rng.randint(1, 2))
            if self.good(-0.3):
                globals_ = [
                    f"{g}@{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
                    for g in globals_
                ]
            df.run([c(f"npm install -g {' '.join(globals_)}")])
        if not self.good(0.3) and self.chance(0.1):
            df.run([c("npm config set strict-ssl false"), c(install)])
        self.extra_tools(fam)
        self.workdir("/usr/src/app" if self.chance(0.5) else "/app")
        df.instr("COPY", lock if self.good(-0.2) else "package*.json ./")
        df.run(
            [
                c(
                    install
                    + (
                        " --only=production"
                        if pm == "npm" and "ci" not in install and self.chance(0.4)
                        else ""
                    )
                )
            ]
            + ([c("npm cache clean --force")] if pm == "npm" and self.chance(0.3) else [])
            + ([c("yarn cache clean")] if pm == "yarn" and self.good() else [])
        )
        self.copy_src(chown="node:node")
        if heredocs and self.chance(0.3):
            self.heredoc_cat("/usr/src/app/.env.defaults")
        self.misc_bad_runs(fam)
        df.blank()
        if self.good():
            df.instr("USER", "node")
        else:
            self.user_line("node")
        self.expose()
        self.healthcheck("wget" if alpine else "curl", "/healthz")
        self.final_cmd(
            ["node", self.pick(["server.js", "index.js", "src/index.js", "app.js"])],
            shell=f"{pm} start",
        )

    def go(self, heredocs: bool) -> None:
        df, rng = self.df, self.rng
        bin_name = self.project.split("-")[0]
        gotag = self.pick(
            ["1.22-alpine", "1.22", "1.21-bookworm", "1.23-alpine3.20", "1.20", "1.22.2-alpine3.19"]
        )
        if self.chance(0.3):
            self.global_args({"GO_VERSION": gotag.split("-")[0]})
            gobase = f"golang:${{GO_VERSION}}{'-alpine' if 'alpine' in gotag else ''}"
        else:
            gobase = self.image("golang", [gotag])
        stage = self.pick(["build", "builder", "build-env", "compile"])
        single = self.chance(0.12)
        if single:
            df.instr("FROM", gobase)
            self.workdir("/go/src/app")
            df.instr("COPY", ". .")
            df.run([c("go get -d -v ./..."), c("go install -v ./...")])
            if self.chance(0.4):
                df.run(
                    [c(f"go install {self.pick(GO_TOOLS)}{'@latest' if self.chance(0.5) else ''}")]
                )
            self.misc_bad_runs("alpine" if "alpine" in gotag else "deb")
            self.expose()
            self.user_line()
            self.final_cmd(["app"])
            return
        plat = "--platform=$BUILDPLATFORM " if self.chance(0.2) else ""
        df.instr("FROM", f"{plat}{gobase} AS {stage}")
        if plat:
            df.instr("ARG", "TARGETOS")
            df.instr("ARG", "TARGETARCH")
        if "alpine" in gotag and self.chance(0.5):
            df.run(
                self.apk(
                    [
                        "git",
                        "ca-certificates",
                        *self.sample(
                            ["make", "gcc", "musl-dev", "tzdata"],
                            rng.randint(0, 2 + self.st.verbosity // 3),
                        ),
                    ]
                )
            )
        elif "alpine" not in gotag and self.chance(0.25):
            df.run(
                self.apt(
                    self.sample(
                        ["git", "make", "gcc", "libc6-dev", "ca-certificates"],
                        2 + rng.randint(0, 2),
                    )
                )
            )
        self.workdir(self.pick(["/src", "/app", "/build", f"/go/src/github.com/acme/{bin_name}"]))
        df.instr("COPY", "go.mod go.sum ./")
        if self.chance(0.4):
            df.run([c("go mod download")], flags="--mount=type=cache,target=/go/pkg/mod")
            self.uses_buildkit = True
        else:
            df.run(
                [c("go mod download"), c("go mod verify")]
                if self.chance(0.4)
                else [c("go mod download")]
            )
        df.instr("COPY", ". .")
        if self.chance(0.3):
            df.run(
                [
                    c(
                        f"go install {self.pick(GO_TOOLS)}{'@v1.' + str(rng.randint(1, 30)) + '.0' if self.good() else ''}"
                    )
                ]
            )
        envs = (
            "CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH}"
            if plat
            else "CGO_ENABLED=0 GOOS=linux"
        )
        ldflags = (
            '-ldflags="-s -w -X main.version=${VERSION}"'
            if self.chance(0.6)
            else "-ldflags '-s -w'"
        )
        build = f"{envs} go build -trimpath {ldflags} -o /out/{bin_name} ./cmd/{bin_name}"
        if self.chance(0.4):
            df.run([c(build)], flags="--mount=type=cache,target=/root/.cache/go-build")
            self.uses_buildkit = True
        elif self.chance(0.3):
            df.run([c("go test ./..."), c(build)])
        else:
            df.run([c(build)])
        df.blank()
        final = rng.random()
        if final < 0.3:
            img = self.pick(
                [
                    "gcr.io/distroless/static-debian12:nonroot",
                    "gcr.io/distroless/static-debian12",
                    "gcr.io/distroless/static:nonroot",
                    "gcr.io/distroless/base-debian12",
                ]
            )
            df.instr("FROM", img)
            df.instr("COPY", f"--from={stage} /out/{bin_name} /{bin_name}")
            if "nonroot" not in img and self.good():
                df.instr("USER", "nonroot:nonroot")
            df.instr("EXPOSE", str(self.port))
            df.instr("ENTRYPOINT", json.dumps([f"/{bin_name}"]))
        elif final < 0.5:
            df.instr("FROM", "scratch")
            df.instr("COPY", f"--from={stage} /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/")
            if self.chance(0.5):
                df.instr("COPY", f"--from={stage} /usr/share/zoneinfo /usr/share/zoneinfo")
            df.instr("COPY", f"--from={stage} /out/{bin_name} /{bin_name}")
            if self.good():
                df.instr("USER", self.pick(["65534:65534", "10001"]))
            df.instr("EXPOSE", str(self.port))
            df.instr("ENTRYPOINT", json.dumps([f"/{bin_name}"]))
        elif final < 0.65:
            df.instr(
                "FROM", self.pick(["cgr.dev/chainguard/static:latest", "cgr.dev/chainguard/static"])
            )
            df.instr("COPY", f"--from={stage} /out/{bin_name} /usr/bin/{bin_name}")
            df.instr("ENTRYPOINT", json.dumps([f"/usr/bin/{bin_name}"]))
        else:
            alp = self.image("alpine", ["3.19", "3.20", "3.18"])
            df.instr("FROM", alp)
            self.labels()
            df.run(
                self.apk(
                    ["ca-certificates", "tzdata", *self.sample(APK_TOOLS, self.st.verbosity // 3)]
                )
            )
            if heredocs and self.chance(0.7):
                self.heredoc_file(f"/etc/{bin_name}/config.yaml", "yaml")
            self.extra_tools("alpine")
            if self.good():
                df.run([self.create_user_cmd("alpine")])
            self.maybe_secrets()
            df.instr("COPY", f"--from={stage} /out/{bin_name} /usr/local/bin/{bin_name}")
            self.misc_bad_runs("alpine")
            self.user_line()
            self.expose()
            self.healthcheck("wget")
            self.final_cmd(
                [bin_name, "serve"], entry=None if self.chance(0.6) else ["/sbin/tini", "--"]
            )

    def java(self, heredocs: bool) -> None:
        df, rng = self.df, self.rng
        tool = self.pick(["maven", "gradle"])
        jdk = self.pick(["17", "21", "11"])
        if tool == "maven":
            builder = self.image(
                "maven",
                [
                    f"3.9-eclipse-temurin-{jdk}",
                    f"3.9.6-eclipse-temurin-{jdk}",
                    f"3.8-openjdk-{jdk}",
                ],
            )
        else:
            builder = self.image("gradle", [f"8.7-jdk{jdk}", f"8-jdk{jdk}-alpine", f"7.6-jdk{jdk}"])
        stage = self.pick(["build", "builder", "package"])
        single = self.chance(0.25)
        runtime_tags = {
            "eclipse-temurin": [f"{jdk}-jre-alpine", f"{jdk}-jre", f"{jdk}-jre-jammy"],
            "amazoncorretto": [jdk, f"{jdk}-alpine"],
            "openjdk": [f"{jdk}-jdk-slim", f"{jdk}-jre-slim"],
            "ibm-semeru-runtimes": [f"open-{jdk}-jre"],
        }
        if single:
            repo = self.pick(list(runtime_tags))
            df.instr("FROM", self.image(repo, runtime_tags[repo]))
            self.labels()
            if self.chance(0.3):
                df.instr("VOLUME", "/tmp")
            self.env_block([("JAVA_OPTS", '"-Xms256m -Xmx512m"'), *self.app_env("java")])
            self.maybe_secrets()
            self.workdir("/app")
            if self.chance(0.3):
                df.instr(
                    "ADD",
                    f"https://repo.example.com/releases/{self.project}-{rng.randint(1, 3)}.{rng.randint(0, 9)}.0.jar app.jar",
                )
            else:
                df.instr("ARG", "JAR_FILE=target/*.jar")
                df.instr("COPY", "${JAR_FILE} app.jar")
            self.misc_bad_runs("deb")
            self.user_line()
            self.expose()
            df.instr(
                "ENTRYPOINT",
                self.pick(
                    [
                        json.dumps(["java", "-jar", "/app/app.jar"]),
                        "java $JAVA_OPTS -jar /app/app.jar",
                        json.dumps(["sh", "-c", "java $JAVA_OPTS -jar /app/app.jar"]),
                    ]
                ),
            )
            return
        df.instr("FROM", f"{builder} AS {stage}")
        self.workdir("/build")
        if tool == "maven":
            df.instr("COPY", "pom.xml .")
            if self.chance(0.5):
                df.run(
                    [c("mvn -B -q dependency:go-offline")],
                    flags="--mount=type=cache,target=/root/.m2" if self.chance(0.5) else "",
                )
            df.instr("COPY", "src ./src")
            df.run(
                [
                    c(f"mvn -B package {'-DskipTests' if self.chance(0.7) else ''}".strip()),
                    c("cp target/*.jar /build/app.jar"),
                ]
            )
        else:
            df.instr(
                "COPY",
                "build.gradle.kts settings.gradle.kts gradle.properties ./"
                if self.chance(0.5)
                else "build.gradle settings.gradle ./",
            )
            df.instr("COPY", "src ./src")
            df.run(
                [c("gradle bootJar --no-daemon -x test"), c("cp build/libs/*.jar /build/app.jar")]
            )
        if self.chance(0.3):
            df.run([c("java -Djarmode=layertools -jar app.jar extract")])
        df.blank()
        if self.chance(0.2):
            img = self.pick(
                [
                    f"gcr.io/distroless/java{jdk}-debian12",
                    f"gcr.io/distroless/java{jdk}-debian12:nonroot",
                    "cgr.dev/chainguard/jre:latest",
                ]
            )
            df.instr("FROM", img)
            df.instr("COPY", f"--from={stage} /build/app.jar /app/app.jar")
            df.instr("WORKDIR", "/app")
            df.instr("EXPOSE", str(self.port))
            df.instr(
                "CMD",
                json.dumps(["app.jar"]) if "distroless" in img else json.dumps(["-jar", "app.jar"]),
            )
            return
        repo = self.pick(list(runtime_tags))
        runtime = self.image(repo, runtime_tags[repo])
        df.instr("FROM", runtime)
        self.labels()
        alpine = "alpine" in runtime
        self.env_block(
            [
                ("JAVA_OPTS", '"-XX:MaxRAMPercentage=75 -XX:+UseG1GC"'),
                ("SPRING_PROFILES_ACTIVE", "prod"),
            ][: rng.randint(0, 2)]
            + self.app_env("java")
        )
        self.maybe_secrets()
        self.tls_bypass()
        if self.chance(0.4):
            fam = "alpine" if alpine else ("rpm" if repo == "amazoncorretto" else "deb")
            if fam == "rpm":
                df.run(self.rpm("yum", self.sample(RPM_TOOLS, 2 + self.st.verbosity // 3)))
            else:
                self.install_packages(fam)
        self.extra_tools("deb" if not alpine else "alpine")
        self.workdir("/app")
        if heredocs and self.chance(0.6):
            self.heredoc_file("/app/entrypoint.sh", "script")
        if self.good():
            df.run([self.create_user_cmd("alpine" if alpine else "deb", "spring")])
            df.instr("COPY", f"--from={stage} --chown=spring:spring /build/app.jar app.jar")
            df.instr("USER", "spring")
        else:
            df.instr("COPY", f"--from={stage} /build/app.jar app.jar")
            self.misc_bad_runs("deb")
            self.user_line()
        self.expose()
        self.healthcheck("wget" if alpine else "curl", "/actuator/health")
        if self.chance(0.5):
            df.instr("ENTRYPOINT", json.dumps(["java", "-jar", "/app/app.jar"]))
        else:
            df.instr(
                "ENTRYPOINT",
                self.pick(
                    ['["sh", "-c", "java $JAVA_OPTS -jar app.jar"]', "java $JAVA_OPTS -jar app.jar"]
                ),
            )

    def ruby(self, heredocs: bool) -> None:
        df, rng = self.df, self.rng
        tag = self.pick(
            ["3.3-slim", "3.2-alpine", "3.1", "3.3.0-bookworm", "3.2-slim-bullseye", "2.7"]
        )
        alpine = "alpine" in tag
        fam = "alpine" if alpine else "deb"
        base = self.image("ruby", [tag])
        multi = self.chance(0.4)
        if multi:
            df.instr("FROM", f"{base} AS base")
            self.workdir("/rails")
            self.env_block(
                [
                    ("RAILS_ENV", '"production"'),
                    ("BUNDLE_DEPLOYMENT", '"1"'),
                    ("BUNDLE_PATH", '"/usr/local/bundle"'),
                    ("BUNDLE_WITHOUT", '"development"'),
                ]
            )
            df.blank()
            df.instr("FROM", "base AS build")
            if alpine:
                df.run(self.apk(self.distro_packages("alpine", build=True)))
            else:
                df.run(
                    self.apt(
                        [
                            "build-essential",
                            "git",
                            "libpq-dev",
                            "pkg-config",
                            *self.sample(DEB_BUILD, self.st.verbosity // 2),
                        ]
                    )
                )
            df.instr("COPY", "Gemfile Gemfile.lock ./")
            df.run(
                [
                    c("bundle install"),
                    c('rm -rf ~/.bundle/ "${BUNDLE_PATH}"/ruby/*/cache'),
                    c("bundle exec bootsnap precompile --gemfile"),
                ]
            )
            df.instr("COPY", ". .")
            df.run([c("SECRET_KEY_BASE_DUMMY=1 ./bin/rails assets:precompile")])
            df.blank()
            df.instr("FROM", "base")
            if not alpine:
                df.run(
                    self.apt(
                        [
                            "curl",
                            "libvips",
                            "postgresql-client",
                            *self.sample(DEB_TOOLS, self.st.verbosity // 3),
                        ]
                    )
                )
            self.maybe_secrets()
            df.instr("COPY", '--from=build "${BUNDLE_PATH}" "${BUNDLE_PATH}"')
            df.instr("COPY", "--from=build /rails /rails")
            if self.good():
                df.run(
                    [
                        c("groupadd --system --gid 1000 rails"),
                        c("useradd rails --uid 1000 --gid 1000 --create-home --shell /bin/bash"),
                        c("chown -R rails:rails db log storage tmp"),
                    ]
                )
                df.instr("USER", "1000:1000")
            df.instr("ENTRYPOINT", json.dumps(["/rails/bin/docker-entrypoint"]))
            df.instr("EXPOSE", "3000")
            df.instr("CMD", json.dumps(["./bin/rails", "server"]))
            return
        df.instr("FROM", base)
        self.labels()
        self.env_block(
            [("RAILS_ENV", "production"), ("RACK_ENV", "production"), ("BUNDLE_JOBS", "4")][
                : rng.randint(1, 3)
            ]
            + self.app_env("ruby")
        )
        self.maybe_secrets()
        if heredocs and self.chance(0.5):
            self.heredoc_install(fam)
        elif alpine:
            df.run(
                self.apk(
                    [
                        "build-base",
                        "postgresql-dev",
                        "nodejs",
                        "yarn",
                        "tzdata",
                        *self.sample(APK_TOOLS, self.st.verbosity // 2),
                    ]
                )
            )
        else:
            if self.chance(0.3):
                df.run([self.curl_pipe(), *self.apt(["nodejs"])[1:]])
            df.run(
                self.apt(
                    [
                        "build-essential",
                        "libpq-dev",
                        "nodejs",
                        *self.sample(DEB_TOOLS, self.st.verbosity // 2),
                    ]
                )
            )
        self.extra_tools(fam)
        self.workdir("/app")
        if self.chance(0.4):
            gem = self.pick(GEMS)
            df.run(
                [
                    c(
                        f"gem install {gem}"
                        + (
                            f":{rng.randint(1, 7)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
                            if self.good(-0.3)
                            else ""
                        )
                    )
                ]
            )
        df.instr("COPY", "Gemfile Gemfile.lock ./")
        df.run(
            [
                c("bundle config set --local without 'development test'"),
                c("bundle install --jobs 4 --retry 3"),
            ]
        )
        self.copy_src()
        if self.chance(0.5):
            df.run([c("bundle exec rake assets:precompile")])
        self.misc_bad_runs(fam)
        if self.good():
            df.run([self.create_user_cmd(fam)])
            df.instr("USER", "app")
        else:
            self.user_line()
        self.port = 3000
        self.expose()
        self.final_cmd(
            ["bundle", "exec", "puma", "-C", "config/puma.rb"],
            shell="bundle exec rails server -b 0.0.0.0",
        )

    def php(self, heredocs: bool) -> None:
        df = self.df
        variant = self.pick(["fpm-alpine", "apache", "fpm", "cli", "fpm-bookworm"])
        tag = f"{self.pick(['8.3', '8.2', '8.1', '7.4'])}-{variant}"
        alpine = "alpine" in tag
        fam = "alpine" if alpine else "deb"
        multi = self.chance(0.35)
        assets = False
        if multi:
            df.instr("FROM", f"{self.image('composer', ['2', '2.7'])} AS vendor")
            df.instr("WORKDIR", "/app")
            df.instr("COPY", "composer.json composer.lock ./")
            df.run(
                [
                    c(
                        "composer install --no-dev --no-scripts --no-autoloader --prefer-dist --ignore-platform-reqs"
                    )
                ]
            )
            df.instr("COPY", ". .")
            df.run([c("composer dump-autoload --optimize --classmap-authoritative")])
            df.blank()
            if self.chance(0.4):
                assets = True
                df.instr("FROM", f"{self.image('node', ['20-alpine'])} AS assets")
                df.instr("WORKDIR", "/app")
                df.instr("COPY", "package.json package-lock.json vite.config.js ./")
                df.run([c("npm ci")])
                df.instr("COPY", "resources ./resources")
                df.run([c("npm run build")])
                df.blank()
        df.instr("FROM", self.image("php", [tag]))
        self.labels()
        self.maybe_secrets()
        exts = self.sample(
            [
                "pdo_mysql",
                "pdo_pgsql",
                "zip",
                "intl",
                "gd",
                "bcmath",
                "opcache",
                "exif",
                "pcntl",
                "sockets",
                "mysqli",
            ],
            2 + self.st.verbosity // 2,
        )
        if alpine:
            libs = self.sample(
                [
                    "libzip-dev",
                    "icu-dev",
                    "libpng-dev",
                    "postgresql-dev",
                    "oniguruma-dev",
                    "freetype-dev",
                ],
                2 + self.st.verbosity // 3,
            )
            cmds = self.apk(libs, virtual=".build-deps" if self.chance(0.4) else None)
        else:
            libs = self.sample(
                [
                    "libzip-dev",
                    "libicu-dev",
                    "libpng-dev",
                    "libpq-dev",
                    "libonig-dev",
                    "libfreetype6-dev",
                    "unzip",
                    "git",
                ],
                2 + self.st.verbosity // 3,
            )
            cmds = self.apt(libs)
        cmds.append(c(f"docker-php-ext-install -j$(nproc) {' '.join(exts)}"))
        if self.chance(0.4):
            cmds.append(c("pecl install redis" + ("-6.0.2" if self.good() else "")))
            cmds.append(c("docker-php-ext-enable redis"))
        if alpine and any(".build-deps" in s for cmd in cmds for s in cmd):
            cmds.append(c("apk del .build-deps"))
        if heredocs and self.chance(0.4):
            body = ["set -eux"] + [" ".join(cmd).replace(" \\", "") for cmd in cmds]
            df.heredoc(f"{df.kw('RUN')} <<EOF", body, "EOF")
        else:
            df.run(cmds)
        if "apache" in tag:
            df.run(
                [
                    c("a2enmod rewrite headers"),
                    c(
                        "sed -ri -e 's!/var/www/html!/var/www/html/public!g' /etc/apache2/sites-available/*.conf"
                    ),
                ]
            )
        if heredocs and self.chance(0.4):
            self.heredoc_file("/usr/local/etc/php/conf.d/app.ini", "ini")
        else:
            df.instr("COPY", "docker/php.ini /usr/local/etc/php/conf.d/app.ini")
        self.extra_tools(fam)
        self.workdir("/var/www/html")
        if multi:
            df.instr("COPY", "--from=vendor /app/vendor ./vendor")
            if assets:
                df.instr("COPY", "--from=assets /app/public/build ./public/build")
            self.copy_src(chown="www-data:www-data")
        else:
            df.instr("COPY", "--from=composer:2 /usr/bin/composer /usr/bin/composer")
            self.copy_src(chown="www-data:www-data")
            df.run([c("composer install --no-dev --optimize-autoloader --no-interaction")])
        df.run(
            [c("chown -R www-data:www-data storage bootstrap/cache")]
            if self.chance(0.5)
            else [c("chmod -R 777 storage bootstrap/cache")]
        )
        self.misc_bad_runs(fam)
        if self.good(-0.1):
            df.instr("USER", "www-data")
        self.port = 80 if "apache" in tag else 9000
        self.expose()
        if "apache" in tag:
            df.instr("CMD", json.dumps(["apache2-foreground"]))
        elif "cli" in tag:
            self.final_cmd(["php", "artisan", "queue:work", "--tries=3"])
        else:
            df.instr("CMD", json.dumps(["php-fpm"]))

    def rust(self, heredocs: bool) -> None:
        df, rng = self.df, self.rng
        bin_name = self.project.split("-")[0]
        rtag = self.pick(["1.77", "1.76-slim-bookworm", "1-alpine", "1.78-bookworm", "1.75"])
        if self.chance(0.3):
            chef = self.image(
                "lukemathwalker/cargo-chef", ["latest-rust-1", "0.1.66-rust-1.77-bookworm"]
            )
            df.instr("FROM", f"{chef} AS chef")
            df.instr("WORKDIR", "/app")
            df.blank()
            df.instr("FROM", "chef AS planner")
            df.instr("COPY", ". .")
            df.run([c("cargo chef prepare --recipe-path recipe.json")])
            df.blank()
            df.instr("FROM", "chef AS builder")
            df.instr("COPY", "--from=planner /app/recipe.json recipe.json")
            df.run([c("cargo chef cook --release --recipe-path recipe.json")])
            df.instr("COPY", ". .")
            df.run([c(f"cargo build --release --bin {bin_name}")])
            stage, out = "builder", f"/app/target/release/{bin_name}"
        else:
            df.instr("FROM", f"{self.image('rust', [rtag])} AS build")
            if "alpine" in rtag:
                df.run(
                    self.apk(
                        [
                            "musl-dev",
                            "pkgconfig",
                            "openssl-dev",
                            *self.sample(APK_BUILD, self.st.verbosity // 3),
                        ]
                    )
                )
            elif self.chance(0.5):
                df.run(
                    self.apt(
                        [
                            "pkg-config",
                            "libssl-dev",
                            *self.sample(DEB_BUILD, self.st.verbosity // 3),
                        ]
                    )
                )
            df.instr("WORKDIR", "/usr/src/app")
            if self.chance(0.5):
                df.instr("COPY", "Cargo.toml Cargo.lock ./")
                df.run(
                    [
                        c("mkdir src"),
                        c('echo "fn main() {}" > src/main.rs'),
                        c("cargo build --release"),
                        c("rm -rf src"),
                    ]
                )
            df.instr("COPY", ". .")
            if self.chance(0.4):
                df.run(
                    [c("cargo build --release --locked")],
                    flags="--mount=type=cache,target=/usr/local/cargo/registry --mount=type=cache,target=/usr/src/app/target",
                )
                self.uses_buildkit = True
            else:
                df.run([c("cargo build --release --locked")])
            stage, out = "build", f"/usr/src/app/target/release/{bin_name}"
        df.blank()
        r = rng.random()
        if r < 0.4:
            df.instr("FROM", self.image("debian", ["bookworm-slim", "12-slim", "bullseye-slim"]))
            self.labels()
            if heredocs and self.chance(0.6):
                self.heredoc_install("deb")
            else:
                df.run(
                    self.apt(
                        [
                            "ca-certificates",
                            "libssl3",
                            *self.sample(DEB_TOOLS, self.st.verbosity // 3),
                        ]
                    )
                )
            self.extra_tools("deb")
            if self.good():
                df.run([self.create_user_cmd("deb")])
                df.instr("USER", "app")
            df.instr("COPY", f"--from={stage} {out} /usr/local/bin/{bin_name}")
        elif r < 0.7:
            df.instr(
                "FROM",
                self.pick(
                    [
                        "gcr.io/distroless/cc-debian12",
                        "gcr.io/distroless/cc-debian12:nonroot",
                        "gcr.io/distroless/cc",
                    ]
                ),
            )
            df.instr("COPY", f"--from={stage} {out} /usr/local/bin/{bin_name}")
        else:
            df.instr("FROM", self.image("alpine", ["3.19", "3.20"]))
            df.run(self.apk(["ca-certificates", "libgcc"]))
            df.instr("COPY", f"--from={stage} {out} /usr/local/bin/{bin_name}")
            self.user_line()
        self.maybe_secrets()
        self.expose()
        df.instr("ENTRYPOINT", json.dumps([f"/usr/local/bin/{bin_name}"]))

    def dotnet(self, heredocs: bool) -> None:
        df, rng = self.df, self.rng
        ver = self.pick(["8.0", "8.0", "7.0", "6.0"])
        proj = "".join(w.capitalize() for w in self.project.split("-")[1:3]) or "App"
        if self.chance(0.05):
            # Windows containers: escape directive and PowerShell
            self.df.lines.insert(0, "# escape=`")
            df.instr("FROM", "mcr.microsoft.com/dotnet/framework/sdk:4.8 AS build")
            df.instr("WORKDIR", "C:\\src")
            df.instr("COPY", "*.sln .")
            df.instr("COPY", f"{proj}/*.csproj ./{proj}/")
            df.run([c("nuget restore")])
            df.instr("COPY", ". .")
            df.add(
                f"{df.kw('RUN')} msbuild /p:Configuration=Release `", "    /p:OutputPath=C:\\out"
            )
            df.blank()
            df.instr(
                "FROM", "mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022"
            )
            df.instr("SHELL", '["powershell", "-Command", "$ErrorActionPreference = \'Stop\';"]')
            df.add(
                f"{df.kw('RUN')} Remove-Website -Name 'Default Web Site'; `",
                "    New-Website -Name 'app' -Port 80 -PhysicalPath 'C:\\inetpub\\wwwroot'",
            )
            df.instr("COPY", "--from=build C:\\out\\_PublishedWebsites\\app C:\\inetpub\\wwwroot")
            df.instr("EXPOSE", "80")
            return
        df.instr(
            "FROM",
            f"{self.image('mcr.microsoft.com/dotnet/sdk', [ver, f'{ver}-alpine', f'{ver}-jammy'])} AS build",
        )
        if self.chance(0.3):
            df.instr("ARG", "BUILD_CONFIGURATION=Release")
        df.instr("WORKDIR", "/src")
        df.instr(
            "COPY",
            f'["{proj}/{proj}.csproj", "{proj}/"]'
            if self.chance(0.4)
            else f"{proj}/{proj}.csproj {proj}/",
        )
        df.run([c(f'dotnet restore "{proj}/{proj}.csproj"')])
        df.instr("COPY", ". .")
        df.instr("WORKDIR", f"/src/{proj}")
        published = self.chance(0.5)
        if published:
            df.run([c(f'dotnet build "{proj}.csproj" -c Release -o /app/build')])
            df.blank()
            df.instr("FROM", "build AS publish")
        df.run(
            [c(f'dotnet publish "{proj}.csproj" -c Release -o /app/publish /p:UseAppHost=false')]
        )
        df.blank()
        rt = self.pick(["aspnet", "aspnet", "runtime", "runtime-deps"])
        rtags = [ver, f"{ver}-alpine", f"{ver}-jammy-chiseled", f"{ver}-bookworm-slim"]
        rt_image = self.image(f"mcr.microsoft.com/dotnet/{rt}", rtags)
        df.instr("FROM", f"{rt_image} AS final")
        self.labels()
        df.instr("WORKDIR", "/app")
        self.env_block(
            [("ASPNETCORE_URLS", f"http://+:{self.port}"), ("DOTNET_RUNNING_IN_CONTAINER", "true")][
                : rng.randint(1, 2)
            ]
            + self.app_env("dotnet")
        )
        self.maybe_secrets()
        if "chiseled" not in rt_image and heredocs and self.chance(0.6):
            self.heredoc_install("alpine" if "alpine" in rt_image else "deb")
        elif "chiseled" not in rt_image and self.chance(0.3):
            self.install_packages("alpine" if "alpine" in rt_image else "deb")
        if "chiseled" not in rt_image:
            self.extra_tools("alpine" if "alpine" in rt_image else "deb")
        stage = "publish" if published else "build"
        df.instr("COPY", f"--from={stage} /app/publish .")
        if self.good():
            df.instr("USER", self.pick(["$APP_UID", "app", "1000"]))
        else:
            self.user_line()
        self.expose()
        self.healthcheck("curl", "/health")
        df.instr(
            "ENTRYPOINT",
            json.dumps(["dotnet", f"{proj}.dll"]) if self.good(0.2) else f"dotnet {proj}.dll",
        )

    def nginx(self, heredocs: bool) -> None:
        df = self.df
        repo = "nginxinc/nginx-unprivileged" if self.chance(0.2) else "nginx"
        df.instr(
            "FROM",
            self.image(
                repo, ["1.25-alpine", "1.27", "stable-alpine", "1.24-alpine", "mainline", "1.25.4"]
            ),
        )
        self.labels()
        if self.chance(0.3):
            df.run(
                self.apk(
                    self.sample(["curl", "bash", "gettext", "openssl"], 1 + self.st.verbosity // 3)
                )
                if "alpine" in df.lines[-1] or repo != "nginx"
                else self.apt(
                    self.sample(["curl", "gettext-base", "openssl"], 1 + self.st.verbosity // 3)
                )
            )
        if self.chance(0.3):
            df.run([c("rm /etc/nginx/conf.d/default.conf")])
        if heredocs and self.chance(0.7):
            self.heredoc_file("/etc/nginx/conf.d/default.conf", "nginx")
            if self.chance(0.3):
                self.heredoc_multi()
        else:
            df.instr(
                "COPY",
                self.pick(
                    [
                        "nginx.conf /etc/nginx/nginx.conf",
                        "default.conf /etc/nginx/conf.d/default.conf",
                        "conf.d/ /etc/nginx/conf.d/",
                        "templates /etc/nginx/templates",
                    ]
                ),
            )
        if self.chance(0.4):
            df.instr("COPY", "certs/ /etc/nginx/certs/")
        self.copy_src(
            what=self.pick(
                [
                    "public /usr/share/nginx/html",
                    "dist/ /usr/share/nginx/html/",
                    "static /var/www/static",
                ]
            )
        )
        if self.st.verbosity > 2:
            for i in range(self.st.verbosity // 2):
                df.instr(
                    "COPY",
                    f"{self.pick(['errors', 'assets', 'fonts', 'img', 'locales', 'docs'])}{i} /usr/share/nginx/html/{self.pick(['errors', 'assets', 'static'])}{i}",
                )
        self.misc_bad_runs("alpine")
        self.port = 8080 if repo != "nginx" else 80
        self.expose()
        self.healthcheck("curl", "/")
        if self.chance(0.3):
            df.instr("STOPSIGNAL", "SIGQUIT")
        if self.chance(0.6):
            df.instr("CMD", json.dumps(["nginx", "-g", "daemon off;"]))

    def os_base(self, heredocs: bool, distro: str) -> None:
        """Tooling, cron, CI-runner and legacy-service images on a bare OS base."""
        df = self.df
        if distro == "alpine":
            df.instr("FROM", self.image("alpine", ["3.19", "3.20", "3.18", "3.17", "edge"]))
            fam = "alpine"
        elif distro == "debian":
            df.instr(
                "FROM",
                self.image(
                    self.pick(["debian", "debian", "buildpack-deps"]),
                    ["bookworm-slim", "12", "bullseye", "bookworm", "11-slim"],
                ),
            )
            fam = "deb"
        else:
            df.instr(
                "FROM", self.image("ubuntu", ["22.04", "24.04", "20.04", "jammy", "focal", "noble"])
            )
            fam = "deb"
        self.labels()
        if fam == "deb" and self.chance(0.6):
            if self.chance(0.5):
                df.instr("ARG", "DEBIAN_FRONTEND=noninteractive")
            else:
                df.instr("ENV", "DEBIAN_FRONTEND=noninteractive")
        self.env_block(self.app_env("os"))
        self.maybe_secrets()
        self.tls_bypass()
        if fam == "deb" and self.chance(0.25):
            df.instr("SHELL", json.dumps(["/bin/bash", "-o", "pipefail", "-c"]))
        purpose = self.pick(["tools", "cron", "runner", "service", "supervisor"])
        if heredocs and self.chance(0.6):
            self.heredoc_install(fam)
        else:
            self.install_packages(fam)
        if purpose == "tools":
            for _ in range(1 + self.st.verbosity // 3):
                df.run(self.download_tool())
            if fam == "deb" and self.chance(0.5):
                df.run(
                    [
                        c(
                            "curl -fsSL https://download.docker.com/linux/debian/gpg | gpg --dearmor -o /usr/share/keyrings/docker.gpg"
                        ),
                        c(
                            'echo "deb [signed-by=/usr/share/keyrings/docker.gpg] https://download.docker.com/linux/debian bookworm stable" > /etc/apt/sources.list.d/docker.list'
                        ),
                        c("apt-get update"),
                        c("apt-get install -y --no-install-recommends docker-ce-cli"),
                        c("rm -rf /var/lib/apt/lists/*"),
                    ]
                )
        elif purpose == "cron":
            if heredocs and self.chance(0.5):
                df.heredoc(
                    f"{df.kw('COPY')} <<EOF /etc/crontabs/root"
                    if fam == "alpine"
                    else f"{df.kw('COPY')} <<EOF /etc/cron.d/app",
                    [
                        f"*/5 * * * * {'' if fam == 'alpine' else 'root '}/usr/local/bin/sync.sh >> /var/log/cron.log 2>&1",
                        f"0 3 * * * {'' if fam == 'alpine' else 'root '}/usr/local/bin/cleanup.sh",
                    ],
                    "EOF",
                )
            else:
                df.instr("COPY", "crontab /etc/cron.d/app")
                df.run([c("chmod 0644 /etc/cron.d/app"), c("crontab /etc/cron.d/app")])
            df.instr("COPY", "scripts/ /usr/local/bin/")
            df.instr(
                "CMD", json.dumps(["crond", "-f", "-l", "2"]) if fam == "alpine" else "cron -f"
            )
            return
        elif purpose == "runner":
            df.run([self.curl_pipe()])
            if fam == "deb":
                df.run(
                    [
                        c("useradd -m -s /bin/bash runner"),
                        c("echo 'runner ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers"),
                    ]
                )
            df.instr("WORKDIR", "/home/runner")
            if heredocs and self.chance(0.6):
                self.heredoc_file("/usr/local/bin/entrypoint.sh", "script")
            else:
                df.instr("COPY", "entrypoint.sh /usr/local/bin/entrypoint.sh")
                df.run([c("chmod +x /usr/local/bin/entrypoint.sh")])
            self.user_line("runner")
            df.instr("ENTRYPOINT", json.dumps(["/usr/local/bin/entrypoint.sh"]))
            return
        elif purpose == "supervisor" and fam == "deb":
            df.run(self.apt(["supervisor", "nginx", "openssh-server"]))
            df.run(
                [
                    c("mkdir -p /var/run/sshd /var/log/supervisor"),
                    c(
                        "sed -i 's/#PermitRootLogin prohibit-password/PermitRootLogin yes/' /etc/ssh/sshd_config"
                    ),
                ]
            )
            df.instr("COPY", "supervisord.conf /etc/supervisor/conf.d/supervisord.conf")
            df.instr("EXPOSE", "22 80")
            df.instr("CMD", json.dumps(["/usr/bin/supervisord", "-n"]))
            return
        self.extra_tools(fam)
        self.misc_bad_runs(fam)
        self.workdir("/opt/app")
        df.instr(
            "COPY",
            self.pick(
                ["bin/ /opt/app/bin/", "app /opt/app", "target/release/app /opt/app/app", ". ."]
            ),
        )
        if heredocs and self.chance(0.5):
            self.heredoc_file("/usr/local/bin/docker-entrypoint.sh", "script")
            ep = ["/usr/local/bin/docker-entrypoint.sh"]
        elif self.chance(0.5):
            df.instr("COPY", "docker-entrypoint.sh /usr/local/bin/")
            ep = ["docker-entrypoint.sh"]
        else:
            ep = None
        if self.good():
            df.run([self.create_user_cmd(fam)])
        self.user_line()
        if self.chance(0.3):
            df.instr(
                "VOLUME", json.dumps(["/opt/app/data"]) if self.chance(0.5) else "/opt/app/data"
            )
        self.expose()
        self.final_cmd(["/opt/app/bin/app", "--config", "/etc/app/config.yaml"], entry=ep)

    def rhel(self, heredocs: bool) -> None:
        df, rng = self.df, self.rng
        base, tool = self.rng.choice(
            [
                ("registry.access.redhat.com/ubi9/ubi-minimal", "microdnf"),
                ("registry.access.redhat.com/ubi9/ubi", "dnf"),
                ("registry.access.redhat.com/ubi8/ubi", "yum"),
                ("rockylinux", "dnf"),
                ("amazonlinux", "yum"),
                ("fedora", "dnf"),
                ("centos", "yum"),
                ("opensuse/leap", "zypper"),
                ("almalinux", "dnf"),
            ]
        )
        tags = {
            "rockylinux": ["9", "9.3", "8"],
            "amazonlinux": ["2023", "2"],
            "fedora": ["40", "39"],
            "centos": ["7", "centos7"],
            "opensuse/leap": ["15.5", "15.6"],
            "almalinux": ["9", "8"],
        }.get(base, ["9.3", "9.4", "latest", "8.9"])
        df.instr("FROM", self.image(base, tags))
        self.labels()
        self.env_block(self.app_env("rhel"))
        self.maybe_secrets()
        pkgs = self.sample(RPM_TOOLS, self.n_extra(1, 2))
        if tool != "zypper":
            pkgs += self.sample(
                ["python3", "python3-pip", "java-17-openjdk-headless", "nodejs", "gcc", "make"],
                rng.randint(0, 2),
            )
        df.run(self.rpm(tool, pkgs))
        if tool in ("dnf", "yum") and not self.good(0.45) and self.chance(0.1):
            df.run(
                [c(f"{tool} config-manager --save --setopt=sslverify=false")]
                if tool == "dnf"
                else [c("echo 'sslverify=0' >> /etc/yum.conf")]
            )
        if not self.good(0.4) and self.chance(0.1):
            df.run(
                [
                    c(
                        "rpm -ivh --nosignature https://repo.example.com/el9/acme-agent-2.1.0-1.x86_64.rpm"
                    )
                ]
            )
        if "python3-pip" in pkgs:
            df.run(self.pip(self.pip_libs(rng.randint(1, 3)), upgrade_pip=False))
        self.extra_tools("rpm")
        self.workdir("/opt/app")
        self.copy_src(
            chown="1001:0", what=self.pick([". .", "build/ /opt/app/", "app.jar /opt/app/app.jar"])
        )
        if self.good():
            df.run(
                [
                    self.create_user_cmd("rpm", "app", 1001)
                    if tool != "microdnf"
                    else c("chown -R 1001:0 /opt/app && chmod -R g=u /opt/app")
                ]
            )
            df.instr("USER", "1001")
        else:
            self.misc_bad_runs("rpm")
            self.user_line()
        self.expose()
        self.final_cmd(["/opt/app/run.sh"], shell="/opt/app/run.sh")

    def chainguard(self, heredocs: bool) -> None:
        df = self.df
        lang = self.pick(["python", "node", "go", "wolfi"])
        if lang == "python":
            df.instr("FROM", "cgr.dev/chainguard/python:latest-dev AS dev")
            df.instr("WORKDIR", "/app")
            df.run([c("python -m venv venv")])
            df.instr("ENV", 'PATH="/app/venv/bin:$PATH"')
            df.instr("COPY", "requirements.txt requirements.txt")
            df.run([c("pip install --no-cache-dir -r requirements.txt")])
            df.blank()
            df.instr("FROM", "cgr.dev/chainguard/python:latest")
            df.instr("WORKDIR", "/app")
            df.instr("COPY", "--from=dev /app/venv /app/venv")
            df.instr("COPY", "main.py ./")
            df.instr("ENV", 'PATH="/app/venv/bin:$PATH"')
            df.instr("ENTRYPOINT", json.dumps(["python", "main.py"]))
        elif lang == "node":
            df.instr("FROM", "cgr.dev/chainguard/node:latest-dev AS build")
            df.instr("WORKDIR", "/app")
            df.instr("COPY", "--chown=node:node package.json package-lock.json ./")
            df.run([c("npm ci --omit=dev")])
            df.instr("COPY", "--chown=node:node . .")
            df.blank()
            df.instr("FROM", "cgr.dev/chainguard/node:latest")
            df.instr("WORKDIR", "/app")
            df.instr("COPY", "--from=build --chown=node:node /app /app")
            df.instr("ENV", "NODE_ENV=production")
            df.instr("CMD", json.dumps(["server.js"]))
        elif lang == "go":
            df.instr("FROM", "cgr.dev/chainguard/go:latest AS builder")
            df.instr("WORKDIR", "/work")
            df.instr("COPY", ". .")
            df.run([c("CGO_ENABLED=0 go build -o hello .")])
            df.blank()
            df.instr("FROM", "cgr.dev/chainguard/static:latest")
            df.instr("COPY", "--from=builder /work/hello /hello")
            df.instr("ENTRYPOINT", json.dumps(["/hello"]))
        else:
            df.instr("FROM", "cgr.dev/chainguard/wolfi-base:latest")
            self.labels()
            df.run(
                [
                    c(
                        f"apk add --no-cache {' '.join(self.sample(['python-3.12', 'bash', 'curl', 'jq', 'git', 'openssl', 'ca-certificates-bundle'], 2 + self.st.verbosity // 2))}"
                    )
                ]
            )
            if heredocs and self.chance(0.5):
                self.heredoc_file("/usr/local/bin/entrypoint.sh", "script")
            else:
                df.instr("COPY", "entrypoint.sh /usr/local/bin/entrypoint.sh")
            df.instr("USER", "nonroot" if self.good(0.2) else "root")
            df.instr("ENTRYPOINT", json.dumps(["/usr/local/bin/entrypoint.sh"]))
        for _ in range(self.st.verbosity // 3):
            df.instr(
                "LABEL",
                f'com.example.{self.pick(["team", "tier", "owner", "cost-center"])}="{self.pick(PROJECT_WORDS)}"',
            )

    def distroless(self, heredocs: bool) -> None:
        """A language build whose final stage is a distroless image, written by hand."""
        df = self.df
        lang = self.pick(["java", "python", "node", "static"])
        if lang == "java":
            df.instr(
                "FROM", f"{self.image('eclipse-temurin', ['21-jdk', '17-jdk-jammy'])} AS build"
            )
            df.instr("WORKDIR", "/src")
            df.instr("COPY", ". .")
            df.run([c("./mvnw -B -DskipTests package"), c("mv target/*.jar /app.jar")])
            df.blank()
            df.instr(
                "FROM",
                self.pick(
                    [
                        "gcr.io/distroless/java21-debian12:nonroot",
                        "gcr.io/distroless/java17-debian12",
                    ]
                ),
            )
            df.instr("COPY", "--from=build /app.jar /app.jar")
            df.instr("CMD", json.dumps(["/app.jar"]))
        elif lang == "python":
            df.instr("FROM", f"{self.image('python', ['3.11-slim-bookworm'])} AS build")
            df.run(
                [
                    c("python -m venv /venv"),
                    c("/venv/bin/pip install --upgrade pip setuptools wheel"),
                ]
            )
            df.instr("COPY", "requirements.txt /requirements.txt")
            df.run([c("/venv/bin/pip install --disable-pip-version-check -r /requirements.txt")])
            df.blank()
            df.instr("FROM", "gcr.io/distroless/python3-debian12")
            df.instr("COPY", "--from=build /venv /venv")
            df.instr("COPY", ". /app")
            df.instr("WORKDIR", "/app")
            df.instr("ENTRYPOINT", json.dumps(["/venv/bin/python3", "main.py"]))
        elif lang == "node":
            df.instr("FROM", f"{self.image('node', ['20-bookworm', '20'])} AS build")
            df.instr("WORKDIR", "/app")
            df.instr("COPY", "package*.json ./")
            df.run([c("npm ci --omit=dev")])
            df.instr("COPY", ". .")
            df.blank()
            df.instr("FROM", "gcr.io/distroless/nodejs20-debian12")
            df.instr("COPY", "--from=build /app /app")
            df.instr("WORKDIR", "/app")
            df.instr("EXPOSE", str(self.port))
            df.instr("CMD", json.dumps(["index.js"]))
        else:
            df.instr("FROM", f"{self.image('golang', ['1.22', '1.21'])} AS build")
            df.instr("WORKDIR", "/go/src/app")
            df.instr("COPY", ". .")
            df.run(
                [
                    c("go mod download"),
                    c("go vet -v"),
                    c("go test -v"),
                    c("CGO_ENABLED=0 go build -o /go/bin/app"),
                ]
            )
            df.blank()
            df.instr("FROM", "gcr.io/distroless/static-debian12")
            df.instr("COPY", "--from=build /go/bin/app /")
            df.instr("CMD", json.dumps(["/app"]))
        for _ in range(self.st.verbosity // 3):
            df.instr(
                "LABEL",
                f'org.opencontainers.image.{self.pick(["description", "documentation", "url"])}="{self.project}"',
            )


STACKS: list[tuple[str, int]] = [
    ("python", 16),
    ("node", 16),
    ("go", 10),
    ("java", 9),
    ("ruby", 5),
    ("php", 6),
    ("rust", 4),
    ("dotnet", 5),
    ("nginx", 5),
    ("alpine", 5),
    ("debian", 4),
    ("ubuntu", 6),
    ("distroless", 3),
    ("chainguard", 3),
    ("rhel", 3),
]


def render(stack: str, rng_seed: int, style: Style, project: str, heredocs: bool) -> str:
    rng = random.Random(rng_seed)
    g = Gen(rng, style, project)
    g.heredocs = heredocs
    g.header(heredocs)
    method: Callable[..., None]
    if stack in ("alpine", "debian", "ubuntu"):
        g.os_base(heredocs, stack)
    else:
        method = getattr(g, stack)
        method(heredocs)
    return g.df.text()


def make_style(rng: random.Random) -> Style:
    profile = rng.random()
    careful = (
        rng.uniform(0.15, 0.45)
        if profile < 0.3
        else rng.uniform(0.45, 0.75)
        if profile < 0.75
        else rng.uniform(0.75, 0.97)
    )
    return Style(
        careful=careful,
        chain=rng.choices(["trailing", "leading", "semicolon"], weights=[6, 3, 1])[0],
        indent=rng.choices(["    ", "  ", "\t", "   "], weights=[6, 3, 1, 1])[0],
        comments=rng.choice([0.0, 0.1, 0.3, 0.6]),
        lower=rng.random() < 0.01,
        airy=rng.random() < 0.4,
        verbosity=0,
    )


def target_lines(rng: random.Random) -> int:
    """Sizes like real repositories': most are 15-40 lines, a long tail reaches 150."""
    t = int(math.exp(rng.gauss(math.log(24), 0.75)))
    return max(MIN_LINES, min(MAX_LINES, t))


def make_file(seed: int, stack: str, project: str, heredocs: bool) -> str:
    """Choose the verbosity whose output comes closest to a drawn target size."""
    rng = random.Random(seed)
    style = make_style(rng)
    target = target_lines(rng)
    best: tuple[int, str] | None = None
    for verbosity in range(0, 40):
        style.verbosity = verbosity
        text = render(stack, seed * 7919 + 1, style, project, heredocs)
        n = text.count("\n")
        if MIN_LINES <= n <= MAX_LINES:
            gap = abs(n - target)
            if best is None or gap < best[0]:
                best = (gap, text)
        if n >= target:
            break
    if best is None:  # fell outside the bounds: pad a short file, or take the smallest one
        style.verbosity = 0
        text = render(stack, seed * 7919 + 1, style, project, heredocs)
        while text.count("\n") < MIN_LINES:
            text += f'LABEL com.example.component="{project}"\n'
        return text
    return best[1]


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


def plan(seed: int, projects: int) -> list[tuple[str, str, int, bool]]:
    """(relative path, stack, file seed, heredocs) for every file, in a stable order."""
    rng = random.Random(seed)
    stacks = [s for s, _ in STACKS]
    weights = [w for _, w in STACKS]
    out: list[tuple[str, str, int, bool]] = []
    for i in range(projects):
        project = f"{rng.choice(PROJECT_WORDS)}-{rng.choice(PROJECT_KINDS)}"
        pdir = f"{i + 1:04d}-{project}"
        stack = rng.choices(stacks, weights=weights)[0]
        heredocs = rng.random() < 0.3
        r = rng.random()
        main_name = "Containerfile" if r < 0.04 else "Dockerfile"
        if rng.random() < 0.05:  # monorepo: several services, each with its own Dockerfile
            for svc in rng.sample(
                ["api", "worker", "web", "migrator", "scheduler"], rng.randint(2, 3)
            ):
                svc_stack = rng.choices(stacks, weights=weights)[0]
                out.append(
                    (
                        f"{pdir}/services/{svc}/Dockerfile",
                        svc_stack,
                        rng.getrandbits(48),
                        rng.random() < 0.3,
                    )
                )
            continue
        out.append((f"{pdir}/{main_name}", stack, rng.getrandbits(48), heredocs))
        extra = rng.random()
        if extra < 0.08:
            out.append((f"{pdir}/Dockerfile.prod", stack, rng.getrandbits(48), heredocs))
        elif extra < 0.14:
            out.append(
                (
                    f"{pdir}/{rng.choice(['dev', 'worker', 'test', 'ci', 'debug'])}.Dockerfile",
                    stack,
                    rng.getrandbits(48),
                    heredocs,
                )
            )
        elif extra < 0.17:
            out.append(
                (
                    f"{pdir}/Dockerfile.{rng.choice(['dev', 'test', 'build'])}",
                    stack,
                    rng.getrandbits(48),
                    heredocs,
                )
            )
    return out


def build(
    root: Path, seed: int = DEFAULT_SEED, projects: int = DEFAULT_PROJECTS, quiet: bool = False
) -> dict[str, object]:
    """Write the corpus under root/dockerfiles and a manifest beside it; return the manifest."""
    files_dir = root / "dockerfiles"
    if files_dir.exists():
        shutil.rmtree(files_dir)
    files_dir.mkdir(parents=True)
    stacks: Counter[str] = Counter()
    names: Counter[str] = Counter()
    total_lines = total_bytes = heredoc_files = multi_stage = 0
    sizes: list[int] = []
    for rel, stack, fseed, heredocs in plan(seed, projects):
        project = rel.split("/")[0].split("-", 1)[1]
        text = make_file(fseed, stack, project, heredocs)
        path = files_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        n = text.count("\n")
        sizes.append(n)
        total_lines += n
        total_bytes += len(text.encode())
        stacks[stack] += 1
        base = rel.rsplit("/", 1)[-1]
        names[
            "Containerfile"
            if base == "Containerfile"
            else "*.Dockerfile"
            if base.endswith(".Dockerfile")
            else "Dockerfile.*"
            if base.startswith("Dockerfile.")
            else "Dockerfile"
        ] += 1
        heredoc_files += "<<" in text
        multi_stage += sum(1 for ln in text.splitlines() if ln[:5].upper() == "FROM ") > 1
    sizes.sort()
    manifest: dict[str, object] = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "projects": projects,
        "files": len(sizes),
        "lines": total_lines,
        "bytes": total_bytes,
        "min_lines": sizes[0],
        "median_lines": sizes[len(sizes) // 2],
        "max_lines": sizes[-1],
        "multi_stage_files": multi_stage,
        "heredoc_files": heredoc_files,
        "stacks": dict(sorted(stacks.items())),
        "file_names": dict(sorted(names.items())),
    }
    (root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(
            f"wrote {len(sizes)} files ({total_lines} lines, {total_bytes / 1024:.0f} KiB) to {files_dir}"
        )
        print(
            f"  lines per file: min {sizes[0]}, median {sizes[len(sizes) // 2]}, max {sizes[-1]}; "
            f"multi-stage {multi_stage}, with heredocs {heredoc_files}"
        )
        print("  stacks: " + ", ".join(f"{k} {v}" for k, v in sorted(stacks.items())))
        print("  names: " + ", ".join(f"{k} {v}" for k, v in sorted(names.items())))
    return manifest


def list_files(root: Path) -> list[Path]:
    """Every generated file under root/dockerfiles, in a stable order."""
    files_dir = root / "dockerfiles"
    return sorted(p for p in files_dir.rglob("*") if p.is_file())


def is_current(root: Path, seed: int = DEFAULT_SEED, projects: int = DEFAULT_PROJECTS) -> bool:
    """Whether root holds a complete corpus made by this generator with these settings."""
    try:
        m = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        m.get("generator_version") == GENERATOR_VERSION
        and m.get("seed") == seed
        and m.get("projects") == projects
        and len(list_files(root)) == m.get("files")
    )


def ensure(
    root: Path = DEFAULT_ROOT, seed: int = DEFAULT_SEED, projects: int = DEFAULT_PROJECTS
) -> Path:
    """Build the corpus unless an identical one is already there; return its dockerfiles dir."""
    if not is_current(root, seed, projects):
        build(root, seed, projects)
    return root / "dockerfiles"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out", type=Path, default=DEFAULT_ROOT, help="corpus root (default: bench/.corpus)"
    )
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument(
        "--projects", type=int, default=DEFAULT_PROJECTS, help="number of projects (default: 1000)"
    )
    ap.add_argument(
        "--force", action="store_true", help="rebuild even if an identical corpus exists"
    )
    args = ap.parse_args(argv)
    if args.projects < 1:
        ap.error("--projects must be at least 1")
    if not args.force and is_current(args.out, args.seed, args.projects):
        print(f"corpus up to date: {args.out / 'dockerfiles'} ({len(list_files(args.out))} files)")
        return 0
    build(args.out, args.seed, args.projects)
    return 0


if __name__ == "__main__":
    sys.exit(main())
