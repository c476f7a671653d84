"""Property tests: whatever the text, parse_dockerfile returns a model and never raises.

Inputs are random text and mutations of realistic Dockerfiles: lines deleted, duplicated or cut,
and the characters that drive the parser (`\\`, `<<`, `[`, `$`, `{`, quotes) or random bytes
(decoded with replacement) inserted anywhere.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullguard.sources.dockerfile import Dockerfile, Instruction, parse_dockerfile
from hullguard.sources.shell import Script
from hullguard.spec import image_spec_from_dockerfile

PYTHON_APP = """\
# syntax=docker/dockerfile:1.7
ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1
WORKDIR /app

FROM base AS build
RUN --mount=type=cache,target=/root/.cache/pip \\
    apt-get update \\
    && apt-get install -y --no-install-recommends build-essential libpq-dev \\
    # keep the lists small
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --prefix=/install -r requirements.txt

FROM base
LABEL org.opencontainers.image.title="api" \\
      org.opencontainers.image.source="https://github.com/example/api"
COPY --from=build /install /usr/local
COPY --chown=app:app . .
RUN useradd --create-home app
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s CMD curl -f http://localhost:8000/health || exit 1
ENTRYPOINT ["gunicorn", "-b", "0.0.0.0:8000", "app:wsgi"]
"""

NODE_APP = """\
FROM node:20-alpine AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:20-alpine AS build
WORKDIR /src
COPY --from=deps /src/node_modules ./node_modules
COPY . .
RUN npm run build && npm prune --production

FROM gcr.io/distroless/nodejs20-debian12
COPY --from=build /src/dist /app
COPY --from=deps /src/node_modules /app/node_modules
USER nonroot
CMD ["/app/server.js"]
"""

GO_HEREDOC = """\
# syntax=docker/dockerfile:1
FROM golang:1.22 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
RUN <<EOF
set -eux
go mod download
CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app
EOF
COPY <<-'CONF' /etc/app/config.yaml
\tlisten: :8080
\tlog: json
\tCONF
RUN cat <<EOF > /etc/motd && chmod 644 /etc/motd
welcome
EOF

FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
"""

DEBIAN_SERVICE = """\
FROM debian:bookworm
MAINTAINER ops <ops@example.com>
ENV DEBIAN_FRONTEND noninteractive
RUN apt-get update && apt-get install -y curl sudo supervisor openssh-server \\
 && curl -fsSL https://example.com/install.sh | bash \\
 && sudo -u www-data sh -c 'echo ok > /tmp/ok' &
ONBUILD COPY . /srv
ONBUILD RUN make -C /srv install
ADD https://example.com/tool.tar.gz /opt/
VOLUME /data
STOPSIGNAL SIGTERM
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN set -o pipefail; find / -perm /4000 | xargs -r chmod u-s
USER 0:0
CMD service ssh start && supervisord -n
"""

WINDOWS = """\
# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
RUN Invoke-WebRequest https://example.com/app.zip -OutFile C:\\app.zip ; `
    Expand-Archive C:\\app.zip -DestinationPath C:\\app
WORKDIR C:\\app
CMD ["app.exe"]
"""

REALISTIC = [PYTHON_APP, NODE_APP, GO_HEREDOC, DEBIAN_SERVICE, WINDOWS]
INTERESTING = ["\\", "`", "<<", "<<-", "<<EOF", "EOF", "[", "]", '"', "'", "$", "${", "{",
               "}", "\n", "\t", " ", "#", "=", "--", "&", "|", "(", ")", ";", "\\\n",
               "\r\n"]  # fmt: skip


def check(text: str) -> Dockerfile:
    dockerfile = parse_dockerfile(text, "Dockerfile")
    line_count = max(1, len(dockerfile.lines))
    for error in dockerfile.errors:
        assert 1 <= error.line <= line_count, error
        assert error.column >= 1, error
    for instruction in dockerfile.instructions:
        check_instruction(instruction, line_count)
    for stage in dockerfile.stages:
        assert stage.from_instruction.keyword == "FROM"
        assert stage.instructions[0] is stage.from_instruction
        if stage.base_stage is not None:
            assert stage.base_stage < stage.index
    if dockerfile.stages:
        assert dockerfile.stages[-1].is_final and dockerfile.stages[-1].in_final_image
    image_spec_from_dockerfile(dockerfile)
    return dockerfile


def check_instruction(instruction: Instruction, line_count: int) -> None:
    location = instruction.location
    assert location.line is not None and location.end_line is not None
    assert 1 <= location.line <= location.end_line <= line_count, instruction
    for pair in instruction.pairs:
        assert pair.location.line is not None
        assert location.line <= pair.location.line <= location.end_line
    for flag in instruction.flags:
        assert flag.location.line is not None
        assert location.line <= flag.location.line <= location.end_line
    if instruction.script is not None:
        check_script(instruction.script, line_count)
    if instruction.trigger is not None:
        check_instruction(instruction.trigger, line_count)


def check_script(script: Script, line_count: int) -> None:
    for command in script.commands:
        assert command.words and command.name is not None
        assert 1 <= command.line <= line_count, command
        assert 1 <= command.end_line <= line_count, command
        for word in command.words:
            assert 1 <= word.line <= line_count, word
            assert word.column >= 1, word
    for error in script.errors:
        assert 1 <= error.line <= line_count, error


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(REALISTIC)).split("\n")
    for _ in range(draw(st.integers(0, 6))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "cut", "insert", "bytes"]))
        line = lines[at]
        if action == "delete":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, line)
        elif action == "cut":
            lines[at] = line[: draw(st.integers(0, len(line)))]
        else:
            if action == "insert":
                piece = draw(st.sampled_from(INTERESTING))
            else:
                piece = draw(st.binary(min_size=1, max_size=8)).decode("utf-8", "replace")
            column = draw(st.integers(0, len(line)))
            lines[at] = line[:column] + piece + line[column:]
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_dockerfiles_never_raise(text: str) -> None:
    check(text)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.sampled_from([*INTERESTING, "FROM ", "RUN ", "COPY ", "ENV ", "ARG ", "ONBUILD ",
                         "AS ", "a", "b=1", "0", ":", "/", ".", "-c", "sh", "sudo"]),
        max_size=80,
    ).map("".join)
)  # fmt: skip
def test_dockerfile_like_noise_never_raises(text: str) -> None:
    check(text)


@settings(max_examples=800, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_raises(text: str) -> None:
    check(text)


def test_realistic_dockerfiles_parse_cleanly() -> None:
    for text in REALISTIC:
        dockerfile = check(text)
        assert dockerfile.errors == (), dockerfile.errors
        for instruction in dockerfile.instructions:
            if instruction.script is not None:
                assert instruction.script.errors == (), instruction
