# hullguard's own image: a builder stage makes a wheel of this checkout and installs it with its
# dependencies into a virtual environment; the final stage is the same slim Python base with that
# environment copied in, run by an unprivileged user.
#
#   docker build -t hullguard .
#   docker run --rm -v "$PWD:/work:ro" hullguard scan .
#
# Both stages start from PYTHON_IMAGE, so the interpreter the environment links to
# (/usr/local/bin/python3 in the official image) is at the same path in the final stage. Another
# Python 3.11+ base can be given with `--build-arg PYTHON_IMAGE=...`.
# Offline builds: put wheels of hullguard's dependencies (and of setuptools, to build hullguard)
# in a `wheels/` folder of the build context and pass `--build-arg PIP_NO_INDEX=1
# --build-arg PIP_FIND_LINKS=/src/wheels`; pip reads both from the environment.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b

FROM ${PYTHON_IMAGE} AS builder
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY . /src/
RUN python3 -m venv /opt/hullguard \
 && /opt/hullguard/bin/pip wheel --no-deps --wheel-dir /dist /src \
 && /opt/hullguard/bin/pip install /dist/hullguard-*.whl \
 && /opt/hullguard/bin/pip uninstall --yes pip \
 && /opt/hullguard/bin/hullguard --version

FROM ${PYTHON_IMAGE}
ARG PYTHON_IMAGE
LABEL org.opencontainers.image.title="hullguard" \
      org.opencontainers.image.description="Audit containers against six pillars of container security, from the source tree to the running host" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"
RUN groupadd --gid 10001 hullguard \
 && useradd --uid 10001 --gid 10001 --home-dir /home/hullguard --create-home \
      --shell /usr/sbin/nologin hullguard
COPY --from=builder /opt/hullguard /opt/hullguard
ENV PATH=/opt/hullguard/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /work
HEALTHCHECK --interval=5m --timeout=30s CMD ["hullguard", "--version"]
ENTRYPOINT ["hullguard"]
CMD ["--help"]
