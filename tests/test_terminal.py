"""Terminal manners: progress bars on a real pseudo-terminal only, `--quiet`, NO_COLOR and
`--color`, and shell completion scripts that bash, zsh and fish accept and that complete.

The CLI runs in a subprocess whose standard error (or output) is the slave side of
`pty.openpty()`, so it sees a terminal exactly as it would in a shell; the test reads the
master side until the child has exited."""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import http.server
import io
import json
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import termios
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from hullguard.cli import _color_given, cli
from hullguard.progress import Bar, counted, progress, reading
from hullguard.registry import all_rules

SGR = re.compile(rb"\x1b\[[0-9;]*m")  # a colour or text attribute escape
ESC = b"\x1b["
READ_GUARD_S = 120  # no answer from the child for this long: it is stopped (not an assertion)
BIN = Path(sys.executable).parent


@dataclass
class Ran:
    code: int
    stdout: bytes
    stderr: bytes
    terminal: bytes  # everything written to the pseudo-terminal


def terminal_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS", "LINES")
        and not k.startswith("_HULLGUARD")
    }
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def _read_terminal(master: int, proc: subprocess.Popen[bytes]) -> bytes:
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], READ_GUARD_S)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def run_cli(
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    tty_stderr: bool = False,
    tty_stdout: bool = False,
) -> Ran:
    """`python -m hullguard ARGS` with standard error and/or output on a pseudo-terminal; the
    streams not on it go to files."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hullguard", *args],
            cwd=cwd,
            env=terminal_env() if env is None else env,
            stdin=subprocess.DEVNULL,
            stdout=slave if tty_stdout else out,
            stderr=slave if tty_stderr else err,
        )
        os.close(slave)
        try:
            terminal = _read_terminal(master, proc)
            code = proc.wait(timeout=READ_GUARD_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
        out.seek(0)
        err.seek(0)
        return Ran(code, out.read(), err.read(), terminal)


def _write_tree(root: Path, files: int) -> Path:
    for index in range(files):
        folder = root / f"svc{index:04d}"
        folder.mkdir(parents=True)
        (folder / "Dockerfile").write_text(
            f"FROM alpine:3.19\nRUN adduser -D app{index}\nUSER app{index}\n", encoding="utf-8"
        )
    return root


@pytest.fixture(scope="module")
def large_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_tree(tmp_path_factory.mktemp("large"), 400)


# --- progress bars -----------------------------------------------------------------------------


def test_a_large_tree_draws_a_bar_on_a_terminal_and_the_report_is_the_same(
    large_tree: Path, tmp_path: Path
) -> None:
    args = ["scan", str(large_tree), "--format", "json", "--fail-on", "never"]
    on_terminal = run_cli(args, cwd=tmp_path, tty_stderr=True)
    piped = run_cli(args, cwd=tmp_path)
    assert on_terminal.code == piped.code == 0
    assert b"Reading files" in on_terminal.terminal
    assert re.search(rb"\d+/400", on_terminal.terminal)
    assert SGR.search(on_terminal.terminal)  # coloured: the NO_COLOR test below can fail
    assert piped.stderr == b""
    report = json.loads(on_terminal.stdout)
    assert len(report["targets"]) == 400
    assert report == json.loads(piped.stdout)


@pytest.mark.parametrize(
    ("before", "after", "extra_env"),
    [
        (["-q"], [], {}),
        ([], ["-q"], {}),
        ([], ["--quiet"], {}),
        ([], [], {"TERM": "dumb"}),
    ],
    ids=["hullguard -q scan", "scan -q", "scan --quiet", "TERM=dumb"],
)
def test_no_bar_under_quiet_or_a_dumb_terminal(
    large_tree: Path, tmp_path: Path, before: list[str], after: list[str], extra_env: dict[str, str]
) -> None:
    args = [*before, "scan", str(large_tree), "--format", "json", "--fail-on", "never", *after]
    ran = run_cli(args, cwd=tmp_path, env=terminal_env(**extra_env), tty_stderr=True)
    assert ran.code == 0
    assert ran.terminal == b""
    assert len(json.loads(ran.stdout)["targets"]) == 400


def test_a_small_tree_gets_no_bar(tmp_path: Path) -> None:
    root = _write_tree(tmp_path / "small", 20)
    ran = run_cli(["scan", str(root), "--fail-on", "never"], cwd=tmp_path, tty_stderr=True)
    assert ran.code == 0
    assert ran.terminal == b""


def test_no_color_draws_the_bar_without_colour(large_tree: Path, tmp_path: Path) -> None:
    args = ["scan", str(large_tree), "--format", "json", "--fail-on", "never"]
    ran = run_cli(args, cwd=tmp_path, env=terminal_env(NO_COLOR="1"), tty_stderr=True)
    assert b"Reading files" in ran.terminal
    assert SGR.search(ran.terminal) is None
    forced = run_cli(
        [*args, "--color"], cwd=tmp_path, env=terminal_env(NO_COLOR="1"), tty_stderr=True
    )
    assert b"Reading files" in forced.terminal
    assert SGR.search(forced.terminal)


class _Recording:
    def __init__(self) -> None:
        self.done = 0.0

    def advance(self, amount: float = 1) -> None:
        self.done += amount

    def update(self, *, total: float | None = None, description: str | None = None) -> None:
        pass


def test_reading_and_counted_advance_a_bar_by_the_bytes_that_pass() -> None:
    data = bytes(range(256)) * 5000
    bar = _Recording()
    assert reading(io.BytesIO(data), bar).read() == data
    assert bar.done == len(data)
    chunks = [data[:1000], data[1000:70000], data[70000:]]
    bar = _Recording()
    assert list(counted(iter(chunks), bar)) == chunks
    assert bar.done == len(data)


def test_off_a_terminal_the_bar_is_silent_and_the_stream_is_not_wrapped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stream = io.BytesIO(b"layer")
    chunks = iter([b"a", b"b"])
    bar: Bar
    with progress("Pulling", total=5, unit="bytes") as bar:
        assert reading(stream, bar) is stream
        assert counted(chunks, bar) is chunks
        bar.advance(5)
    assert capsys.readouterr().err == ""


def test_a_bar_inside_another_is_not_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """One live display at a time: work started inside a bar's work gets a silent bar instead
    of an error, and the outer bar goes on."""
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "w") as terminal:
            monkeypatch.setattr(sys, "stderr", terminal)
            monkeypatch.setenv("TERM", "xterm-256color")
            stream = io.BytesIO(b"layer")
            with progress("Outer", total=2) as outer:
                assert reading(stream, outer) is not stream
                with progress("Inner", total=5, unit="bytes") as inner:
                    assert reading(stream, inner) is stream
                    inner.advance(5)
                outer.advance(2)
            with progress("After", total=1) as after:
                assert reading(stream, after) is not stream
        drawn = _read_available(master)
    finally:
        os.close(master)
    assert b"Outer" in drawn
    assert b"After" in drawn
    assert b"Inner" not in drawn


def _read_available(master: int) -> bytes:
    chunks = []
    while select.select([master], [], [], 0)[0]:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


# --- a registry pull ---------------------------------------------------------------------------


def _layer() -> tuple[bytes, str]:
    """A gzipped layer with an os-release and 3 MiB of data, and its diff id."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, body in (
            ("etc/os-release", b'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux"\n'),
            ("opt/data.bin", os.urandom(3 * 1024 * 1024)),  # incompressible: megabytes
        ):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    raw = buffer.getvalue()
    return gzip.compress(raw, compresslevel=1), "sha256:" + hashlib.sha256(raw).hexdigest()


@pytest.fixture
def registry() -> Iterator[str]:
    """A minimal read-only OCI registry on 127.0.0.1 serving `demo:1`."""
    layer, diff_id = _layer()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"User": "1000"},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    ).encode()

    def digest(body: bytes) -> str:
        return "sha256:" + hashlib.sha256(body).hexdigest()

    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest(layer),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    paths = {
        "/v2/": (b"{}", "application/json"),
        "/v2/demo/manifests/1": (manifest, "application/vnd.oci.image.manifest.v1+json"),
        f"/v2/demo/blobs/{digest(config)}": (config, "application/octet-stream"),
        f"/v2/demo/blobs/{digest(layer)}": (layer, "application/octet-stream"),
    }

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = paths.get(self.path, (b"", ""))
            self.send_response(200 if kind else 404)
            self.send_header("Content-Length", str(len(body)))
            if kind:
                self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_a_registry_pull_draws_a_byte_bar_and_quiet_hides_it(registry: str, tmp_path: Path) -> None:
    env = terminal_env(HOME=str(tmp_path), DOCKER_CONFIG=str(tmp_path / "docker"))
    args = [
        "image",
        f"registry:{registry}/demo:1",
        "--insecure-registry",
        registry,
        "--format",
        "json",
        "--fail-on",
        "never",
    ]
    shown = run_cli(args, cwd=tmp_path, env=env, tty_stderr=True)
    assert shown.code == 0, shown.terminal
    assert f"Pulling {registry}/demo:1".encode() in shown.terminal
    assert re.search(rb"3\.1/3\.1 MB", shown.terminal)  # the layer's size from its descriptor
    report = json.loads(shown.stdout)
    assert [t["status"] for t in report["targets"]] == ["ok"]
    assert not [e for e in report["errors"] if "layer" in e["message"]]
    quiet = run_cli(["-q", *args], cwd=tmp_path, env=env, tty_stderr=True)
    assert quiet.code == 0
    assert quiet.terminal == b""
    assert json.loads(quiet.stdout) == report


# --- colour ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finding_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("finding")
    (root / "Dockerfile").write_text("FROM ubuntu:latest\nRUN apt-get update\n", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("extra_env", "flags", "tty", "coloured"),
    [
        ({}, [], True, True),
        ({"NO_COLOR": "1"}, [], True, False),
        ({"NO_COLOR": ""}, [], True, True),  # present but empty: no effect (no-color.org)
        ({"NO_COLOR": "1"}, ["--color"], True, True),
        ({}, ["--no-color"], True, False),
        ({}, [], False, False),
        ({}, ["--color"], False, True),
        ({"FORCE_COLOR": "1"}, [], False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False, False),
    ],
    ids=[
        "terminal",
        "NO_COLOR",
        "empty NO_COLOR",
        "NO_COLOR --color",
        "--no-color",
        "piped",
        "piped --color",
        "piped FORCE_COLOR",
        "FORCE_COLOR and NO_COLOR",
    ],
)
def test_text_report_colour(
    finding_tree: Path,
    tmp_path: Path,
    extra_env: dict[str, str],
    flags: list[str],
    tty: bool,
    coloured: bool,
) -> None:
    args = ["scan", str(finding_tree), "--fail-on", "never", *flags]
    ran = run_cli(args, cwd=tmp_path, env=terminal_env(**extra_env), tty_stdout=tty)
    report = ran.terminal if tty else ran.stdout
    assert ran.code == 0
    assert b"Dockerfile" in report
    assert (ESC in report) is coloured


def test_no_color_makes_click_strip_styles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under NO_COLOR the root group turns click's colour off, so a styled message written
    through click (to a terminal or not) comes out plain; `--color` turns it back on."""
    seen: list[str] = []

    @cli.command("styled-probe", hidden=True)
    @click.option("--color/--no-color", default=None, callback=_color_given)
    def probe(color: bool | None) -> None:
        seen.append(repr(click.get_current_context().color))

    try:
        monkeypatch.setenv("NO_COLOR", "1")
        cli.main(["styled-probe"], prog_name="hullguard", standalone_mode=False)
        cli.main(["styled-probe", "--color"], prog_name="hullguard", standalone_mode=False)
        monkeypatch.delenv("NO_COLOR")
        cli.main(["styled-probe"], prog_name="hullguard", standalone_mode=False)
    finally:
        del cli.commands["styled-probe"]
    assert seen == ["False", "True", "None"]


# --- shell completion --------------------------------------------------------------------------


def _script(shell: str, tmp_path: Path) -> Path:
    ran = run_cli(["completion", shell], cwd=tmp_path)
    assert ran.code == 0
    assert b"_HULLGUARD_COMPLETE" in ran.stdout
    path = tmp_path / f"hullguard.{shell}"
    path.write_bytes(ran.stdout)
    return path


def _bash_complete(script: Path, words: list[str], cword: int, tmp_path: Path) -> list[str]:
    """COMPREPLY after the sourced script's completion function ran on these words."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    if not (BIN / "hullguard").exists():
        pytest.skip(f"no hullguard entry point in {BIN} (the package is not installed)")
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({quoted})\nCOMP_CWORD={cword}\n"
        "_hullguard_completion hullguard\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = terminal_env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=READ_GUARD_S,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_rule_ids_for_explain(tmp_path: Path) -> None:
    script = _script("bash", tmp_path)
    got = _bash_complete(script, ["hullguard", "explain", "HG10"], 2, tmp_path)
    expected = [r.id for r in all_rules() if r.id.startswith("HG10")]
    assert expected
    assert got == expected


def test_bash_completes_subcommands_options_and_formats(tmp_path: Path) -> None:
    script = _script("bash", tmp_path)
    assert _bash_complete(script, ["hullguard", "expl"], 1, tmp_path) == ["explain"]
    assert "completion" in _bash_complete(script, ["hullguard", ""], 1, tmp_path)
    assert _bash_complete(script, ["hullguard", "scan", "--for"], 2, tmp_path) == ["--format"]
    scan = cli.commands["scan"]
    formats = next(p for p in scan.params if p.name == "fmt")
    assert isinstance(formats.type, click.Choice)
    got = _bash_complete(script, ["hullguard", "scan", "--format", ""], 3, tmp_path)
    assert got == list(formats.type.choices)
    assert "--quiet" in _bash_complete(script, ["hullguard", "scan", "--q"], 2, tmp_path)


def _complete(words: str, cword: int, tmp_path: Path) -> list[str]:
    """click's answer to the bash script's request, from the real entry point."""
    env = terminal_env(_HULLGUARD_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=str(cword))
    ran = run_cli([], cwd=tmp_path, env=env)
    assert ran.code == 0, ran.stderr
    return ran.stdout.decode().splitlines()


def test_rule_lists_complete_their_last_item(tmp_path: Path) -> None:
    got = _complete("hullguard scan --select HG101,HG20", 3, tmp_path)
    expected = [f"plain,HG101,{r.id}" for r in all_rules() if r.id.startswith("HG20")]
    assert expected
    assert got == expected
    ignore = _complete("hullguard host --ignore hg5", 3, tmp_path)
    assert ignore == [f"plain,{r.id}" for r in all_rules() if r.id.startswith("HG5")]


def test_rule_names_and_paths_complete(tmp_path: Path) -> None:
    got = _complete("hullguard explain docker-socket-m", 2, tmp_path)
    assert got == ["plain,docker-socket-mounted"]
    assert _complete("hullguard scan --output re", 3, tmp_path) == ["file,re"]
    assert _complete("hullguard scan ", 2, tmp_path) == ["file,"]


def test_zsh_accepts_its_script(tmp_path: Path) -> None:
    script = _script("zsh", tmp_path)
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed (scripts/system-packages.txt lists it)")
    subprocess.run(["zsh", "-n", str(script)], check=True, timeout=READ_GUARD_S)


def test_fish_accepts_its_script(tmp_path: Path) -> None:
    script = _script("fish", tmp_path)
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed (scripts/system-packages.txt lists it)")
    subprocess.run(
        ["fish", "--no-execute", str(script)],
        check=True,
        timeout=READ_GUARD_S,
        env=terminal_env(HOME=str(tmp_path)),
    )


def test_zsh_and_fish_get_rule_ids_with_their_names(tmp_path: Path) -> None:
    env = terminal_env(_HULLGUARD_COMPLETE="zsh_complete", COMP_WORDS="hullguard explain HG101")
    env["COMP_CWORD"] = "2"
    zsh = run_cli([], cwd=tmp_path, env=env).stdout.decode().splitlines()
    assert zsh == ["plain", "HG101", "docker-socket-mounted"]
    env = terminal_env(
        _HULLGUARD_COMPLETE="fish_complete",
        COMP_WORDS="hullguard explain HG101",
        COMP_CWORD="HG101",
    )
    fish = run_cli([], cwd=tmp_path, env=env).stdout.decode().splitlines()
    assert fish == ["plain,HG101\tdocker-socket-mounted"]


def test_an_unknown_shell_is_a_usage_error(tmp_path: Path) -> None:
    ran = run_cli(["completion", "tcsh"], cwd=tmp_path)
    assert ran.code == 2
    assert b"tcsh" in ran.stderr


@pytest.mark.parametrize(
    "name", ["scan", "host", "image", "merge", "sign", "verify", "keygen", "db"]
)
def test_quiet_is_taken_before_and_after_the_command_name(name: str) -> None:
    def takes_quiet(command: click.Command) -> bool:
        return any("--quiet" in p.opts and "-q" in p.opts for p in command.params)

    assert takes_quiet(cli)
    command = cli.commands[name]
    if isinstance(command, click.Group):  # `hullguard -q db update`: the root option only
        return
    assert takes_quiet(command)
