"""Differential test: our Dockerfile parser against BuildKit's own (the `dockerfile` package).

Both must agree on every instruction's keyword, line range, flags, heredoc bodies and arguments,
over every Dockerfile the repository holds (rule fixtures, examples) and the benchmark corpus
when it has been generated.
"""

from __future__ import annotations

import importlib.util
import shlex
import sys
from collections.abc import Callable

import pytest

from hullguard.sources.dockerfile import Instruction, parse_dockerfile
from tests.conftest import REPO

buildkit = pytest.importorskip(
    "dockerfile", reason="the `dockerfile` wheel (BuildKit's parser) is published for x86_64 only"
)


def _corpus() -> list[tuple[str, Callable[[], str]]]:
    """(name, text) of the repository's Dockerfiles and 400 of the benchmark corpus's, made
    in memory by its deterministic generator."""
    files = sorted((REPO / "tests" / "rules" / "fixtures").glob("HG*/*.Dockerfile"))
    files += sorted(p for p in (REPO / "examples").rglob("*") if p.name.endswith("Dockerfile"))
    cases: list[tuple[str, Callable[[], str]]] = [
        (str(p.relative_to(REPO)), lambda p=p: p.read_text(encoding="utf-8")) for p in files
    ]
    spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = corpus  # its dataclasses look their module up there
    spec.loader.exec_module(corpus)
    for rel, stack, seed, heredocs in corpus.plan(corpus.DEFAULT_SEED, 400):
        project = rel.split("/")[0].split("-", 1)[1]
        cases.append(
            (f"corpus/{rel}", lambda a=(seed, stack, project, heredocs): corpus.make_file(*a))
        )
    return cases


def _unquote(value: str) -> str:
    try:
        return " ".join(shlex.split(value, posix=True))
    except ValueError:
        return value


def _norm(text: str) -> str:
    return " ".join(text.split())


def _ours(instr: Instruction) -> tuple[object, ...]:
    flags = tuple(f"--{f.name}" + ("" if f.value is None else f"={f.value}") for f in instr.flags)
    heredocs = tuple(h.content for h in instr.heredocs)
    return (instr.keyword, instr.location.line, instr.location.end_line, flags, heredocs)


def _theirs(command: object) -> tuple[object, ...]:
    heredocs = tuple(h.content for h in command.heredocs)  # type: ignore[attr-defined]
    return (
        command.cmd.upper(),
        command.start_line,
        command.end_line,
        tuple(command.flags),
        heredocs,
    )  # type: ignore[attr-defined]


CORPUS = _corpus()


@pytest.mark.parametrize("name, read", CORPUS, ids=[name for name, _ in CORPUS])
def test_same_instructions_as_buildkit(name: str, read: Callable[[], str]) -> None:
    text = read()
    try:
        expected = buildkit.parse_string(text)
    except buildkit.GoParseError:
        pytest.skip("BuildKit rejects this file")
    ours = parse_dockerfile(text, name)
    top = list(ours.instructions)
    assert [_ours(i) for i in top] == [_theirs(c) for c in expected]
    for instr, command in zip(top, expected, strict=True):
        if command.sub_cmd:  # ONBUILD: compare its trigger
            assert instr.trigger is not None and instr.trigger.keyword == command.sub_cmd.upper()
            instr = instr.trigger
        if command.json:
            assert instr.exec_form == tuple(command.value), instr
        elif instr.keyword in ("ENV", "LABEL"):
            # BuildKit keeps quotes in the raw values and removes them when it dispatches.
            theirs = tuple(command.value)
            assert [p.key for p in instr.pairs] == list(theirs[0::2]), instr
            for pair, raw in zip(instr.pairs, theirs[1::2], strict=True):
                if "$" not in raw:  # our values are expanded; BuildKit's are raw
                    assert (pair.value or "") == _unquote(raw), instr
        elif not command.heredocs:
            assert _norm(instr.value) == _norm(" ".join(command.value)), instr
