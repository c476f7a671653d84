"""Random and mutated Dockerfiles through the whole pipeline: parse, project, every rule.

No exception may escape, and no rule may crash (a crash would be reported as data by the engine,
but it is still a bug in the rule).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullguard.config import Config
from hullguard.engine import ScanRequest, scan
from hullguard.model import ErrorKind

SEEDS = [
    "FROM python:3.12-slim AS build\nARG TOKEN\nRUN pip install --no-cache-dir -r req.txt\n"
    "FROM gcr.io/distroless/python3:nonroot\nCOPY --from=build /app /app\nUSER 1000\n"
    'ENTRYPOINT ["python", "/app/main.py"]\n',
    "# syntax=docker/dockerfile:1\n# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
    "RUN powershell -Command `\n    Invoke-WebRequest https://x -OutFile y\n",
    'ARG BASE=ubuntu:22.04\nFROM ${BASE}\nENV A=1 B="two words" \\\n    C=${A:-x}\n'
    "RUN apt-get update && apt-get install -y curl \\\n && curl -k https://x | sh\n"
    "RUN <<EOF bash\nset -e\nchmod 4755 /bin/x\nEOF\nCOPY <<EOF /etc/app.conf\nkey=value\nEOF\n"
    "HEALTHCHECK --interval=5s CMD curl -f http://localhost/ || exit 1\nEXPOSE 22 8080/tcp\n"
    "ONBUILD RUN echo hi\nCMD nginx -g 'daemon off;' &\n",
]
ALPHABET = st.sampled_from(
    list("FROMRUNCOPYADDUSERENV:=$@{}[]\"'\\`<>-# \n\t|&;()*/.0123456789abc")
)


def _scan_text(tmp_path_factory, text: str) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("fuzz")
    (root / "Dockerfile").write_text(text, encoding="utf-8", errors="surrogateescape")
    report = scan(ScanRequest(paths=(str(root),), config=Config()))
    crashes = [e.message for e in report.errors if e.kind is ErrorKind.RULE_CRASH]
    assert not crashes, crashes
    for error in report.errors:
        if error.line is not None:
            assert 1 <= error.line <= text.count("\n") + 1, error


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=ALPHABET, max_size=400))
def test_random_text(tmp_path_factory, text: str) -> None:  # type: ignore[no-untyped-def]
    _scan_text(tmp_path_factory, text)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.sampled_from(SEEDS),
    cuts=st.lists(
        st.tuples(st.integers(0, 2000), st.integers(0, 40), st.text(ALPHABET, max_size=6)),
        max_size=6,
    ),
)
def test_mutated_dockerfiles(tmp_path_factory, seed: str, cuts: list[tuple[int, int, str]]) -> None:  # type: ignore[no-untyped-def]
    text = seed
    for start, length, insert in cuts:
        start %= len(text) + 1
        text = text[:start] + insert + text[start + length :]
    _scan_text(tmp_path_factory, text)
