from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hullguard.sources import _shell_parser
from hullguard.sources._shell_parser import parse
from hullguard.sources.shell import Command, Script, ShellError, parse_script


def summary(command: Command) -> tuple[object, ...]:
    return (
        command.name,
        command.argv,
        command.line,
        command.column,
        command.pipeline,
        command.pipe_position,
        command.background,
        command.wrapped_by,
        command.nested,
    )


def test_simple_command_words_and_positions() -> None:
    script = parse_script("apt-get install -y curl", line=7, column=5)
    (command,) = script.commands
    assert command.name == "apt-get"
    assert command.argv == ("apt-get", "install", "-y", "curl")
    assert command.args == ("install", "-y", "curl")
    assert [(w.line, w.column) for w in command.words] == [(7, 5), (7, 13), (7, 21), (7, 24)]
    assert (command.line, command.column, command.end_line, command.end_column) == (7, 5, 7, 28)
    assert script.errors == ()


def test_quotes_removed_expansions_kept() -> None:
    script = parse_script("""echo "a b" 'c $d' x"y"'z' $HOME "${V:-1}" $(id -u) "\\"q\\"" a\\ b""")
    command = script.commands[0]
    assert command.argv == (
        "echo",
        "a b",
        "c $d",
        "xyz",
        "$HOME",
        "${V:-1}",
        "$(id -u)",
        '"q"',
        "a b",
    )
    assert command.words[1].raw == '"a b"'
    assert command.words[3].raw == "x\"y\"'z'"


def test_basename_of_command_path() -> None:
    assert parse_script("/usr/bin/apt-get update").commands[0].name == "apt-get"


def test_assignments_and_redirections() -> None:
    script = parse_script("DEBIAN_FRONTEND=noninteractive A=1 apt-get update > /dev/null 2>&1")
    (command,) = script.commands
    assert command.assignments == ("DEBIAN_FRONTEND=noninteractive", "A=1")
    assert command.argv == ("apt-get", "update")
    assert command.column == 1


def test_commands_inside_redirections_are_kept() -> None:
    script = parse_script("echo hi > $(mktemp)")
    assert [summary(c) for c in script.commands] == [
        ("echo", ("echo", "hi"), 1, 1, 0, 0, False, None, False),
        ("mktemp", ("mktemp",), 1, 13, 1, 0, False, None, True),
    ]


def test_lists_and_pipelines() -> None:
    script = parse_script("a && b | c | d; e || f")
    assert [summary(c) for c in script.commands] == [
        ("a", ("a",), 1, 1, 0, 0, False, None, False),
        ("b", ("b",), 1, 6, 1, 0, False, None, False),
        ("c", ("c",), 1, 10, 1, 1, False, None, False),
        ("d", ("d",), 1, 14, 1, 2, False, None, False),
        ("e", ("e",), 1, 17, 2, 0, False, None, False),
        ("f", ("f",), 1, 22, 3, 0, False, None, False),
    ]
    assert [[c.name for c in group] for group in script.pipelines()] == [["b", "c", "d"]]


def test_background() -> None:
    script = parse_script("sshd -D & nginx\nworker &")
    assert [(c.name, c.background) for c in script.commands] == [
        ("sshd", True),
        ("nginx", False),
        ("worker", True),
    ]


def test_compound_statements() -> None:
    text = (
        "if [ -f x ]; then a; else b; fi\n"
        "for i in 1 2; do c $i; done\n"
        "while true; do d; done\n"
        "case $x in y) e ;; esac\n"
        "f() { g; }\n"
        "( h ) && { k; }\n"
        "! m\n"
    )
    names = [(c.name, c.line) for c in parse_script(text).commands]
    assert names == [
        ("a", 1),
        ("b", 1),
        ("c", 2),
        ("true", 3),
        ("d", 3),
        ("e", 4),
        ("g", 5),
        ("h", 6),
        ("k", 6),
        ("m", 7),
    ]


def test_command_substitution_is_nested() -> None:
    script = parse_script('VERSION="$(curl -s https://x/v)" make `uname -m`')
    assert [(c.name, c.nested, c.column) for c in script.commands] == [
        ("make", False, 1),
        ("curl", True, 12),
        ("uname", True, 40),
    ]


def test_sh_dash_c_is_parsed_with_positions() -> None:
    script = parse_script("bash -euo pipefail -c 'apt-get update && rm -rf /x'", line=3, column=5)
    assert [summary(c) for c in script.commands] == [
        ("bash", ("bash", "-euo", "pipefail", "-c", "apt-get update && rm -rf /x"), 3, 5,
         0, 0, False, None, False),
        ("apt-get", ("apt-get", "update"), 3, 28, 1, 0, False, None, True),
        ("rm", ("rm", "-rf", "/x"), 3, 46, 2, 0, False, None, True),
    ]  # fmt: skip


def test_sh_dash_c_string_over_several_lines() -> None:
    script = parse_script('sh -c "echo a\necho \\"b\\"\n  echo c"')
    assert [(c.name, c.argv, c.line, c.column) for c in script.commands[1:]] == [
        ("echo", ("echo", "a"), 1, 8),
        ("echo", ("echo", "b"), 2, 1),
        ("echo", ("echo", "c"), 3, 3),
    ]


def test_other_shells_and_su() -> None:
    text = "ash -c 'a1'; dash -c a2; zsh -c 'a3'; su -c 'a4' app; su app -c a5; su --command=a6"
    nested = [c.name for c in parse_script(text).commands if c.nested]
    assert nested == ["a1", "a2", "a3", "a4", "a5", "a6"]


def test_sh_without_dash_c_parses_nothing_more() -> None:
    assert [c.name for c in parse_script("sh script.sh -c x").commands] == ["sh"]


def test_shell_reading_heredoc_is_parsed() -> None:
    script = parse_script("bash <<'EOF'\napt-get update\nEOF\ncat <<EOF\nnot a command\nEOF\n")
    assert [(c.name, c.line, c.nested) for c in script.commands] == [
        ("bash", 1, False),
        ("apt-get", 2, True),
        ("cat", 4, False),
    ]


def test_heredoc_followed_by_pipe() -> None:
    script = parse_script("cat <<EOF | sh\necho hi\nEOF\n")
    assert [(c.name, c.pipeline, c.pipe_position) for c in script.commands] == [
        ("cat", 0, 0),
        ("sh", 0, 1),
    ]


def test_wrappers() -> None:
    cases = {
        "sudo -u app -E apt-get install x": ("apt-get", "sudo"),
        "sudo --user=app apt-get install x": ("apt-get", "sudo"),
        "env -i PATH=/bin A=1 apt-get install x": ("apt-get", "env"),
        "nice -n 10 make": ("make", "nice"),
        "nohup server": ("server", "nohup"),
        "time -p make": ("make", "time"),
        "exec -a name gunicorn app": ("gunicorn", "exec"),
        "xargs -I{} -n 1 rm -f": ("rm", "xargs"),
        "xargs -n 1 -P 4 rm -f": ("rm", "xargs"),
        "timeout -s KILL 10s curl x": ("curl", "timeout"),
        "stdbuf -oL -e 0 app": ("app", "stdbuf"),
        "command -p ls": ("ls", "command"),
        "chroot /mnt bash": ("bash", "chroot"),
        "gosu app server": ("server", "gosu"),
        "su-exec app:app server": ("server", "su-exec"),
        "tini -- server": ("server", "tini"),
        "tini -s -g -- server": ("server", "tini"),
        "dumb-init --single-child server": ("server", "dumb-init"),
        "busybox wget -q x": ("wget", "busybox"),
    }
    for text, (inner, wrapper) in cases.items():
        commands = parse_script(text).commands
        assert [(c.name, c.wrapped_by) for c in commands] == [
            (wrapper, None),
            (inner, wrapper),
        ], text
        assert commands[1].argv[0] == inner
        assert commands[1].pipeline == commands[0].pipeline


def test_wrapper_position_and_chain() -> None:
    script = parse_script("sudo env FOO=1 nice apt-get -y install curl")
    assert [(c.name, c.wrapped_by, c.column) for c in script.commands] == [
        ("sudo", None, 1),
        ("env", "sudo", 6),
        ("nice", "env", 16),
        ("apt-get", "nice", 21),
    ]
    assert script.commands[3].argv == ("apt-get", "-y", "install", "curl")
    assert script.pipelines() == []


def test_wrapper_without_command() -> None:
    assert [c.name for c in parse_script("command -v curl; env; timeout 5").commands] == [
        "command",
        "env",
        "timeout",
    ]


def test_sudo_sh_c() -> None:
    script = parse_script("sudo sh -c 'echo x > /etc/y'")
    assert [(c.name, c.wrapped_by, c.nested) for c in script.commands] == [
        ("sudo", None, False),
        ("sh", "sudo", False),
        ("echo", None, True),
    ]


def test_syntax_errors_keep_commands() -> None:
    script = parse_script("apt-get update && (\necho ok")
    assert [c.name for c in script.commands] == ["apt-get", "echo"]
    assert script.errors
    assert all(isinstance(e, ShellError) for e in script.errors)
    assert {(e.line, e.column) for e in script.errors} <= {(1, 19), (2, 1), (2, 8)}


def test_error_position_on_unclosed_quote() -> None:
    script = parse_script("echo ok\nfoo 'bar", line=10)
    assert script.commands[0].argv == ("echo", "ok")
    assert script.errors[0].line in (11, 10)


def test_line_map_for_joined_lines() -> None:
    # "apt-get update && " came from line 10 col 5, "apt-get install" from line 12 col 5
    text = "apt-get update && apt-get install x"
    script = parse(text, line_map=[(0, 10, 5), (18, 12, 5)])
    assert [(c.name, c.line, c.column, c.end_line, c.end_column) for c in script.commands] == [
        ("apt-get", 10, 5, 10, 19),
        ("apt-get", 12, 5, 12, 22),
    ]
    assert [(w.line, w.column) for w in script.commands[1].words] == [(12, 5), (12, 13), (12, 21)]


def test_non_ascii_columns() -> None:
    script = parse_script("echo 'héllo wörld' && ls ✓")
    assert [(c.name, c.column) for c in script.commands] == [("echo", 1), ("ls", 23)]
    assert script.commands[0].argv == ("echo", "héllo wörld")
    assert script.commands[1].words[1].column == 26


def test_empty_and_comment_only() -> None:
    assert parse_script("").commands == ()
    assert parse_script("# nothing\n").commands == ()


def test_declaration_commands_are_walked() -> None:
    script = parse_script("export A=$(cat /x) B=1")
    assert [(c.name, c.nested) for c in script.commands] == [("export", False), ("cat", True)]


def test_declarations_are_commands_with_unquoted_assignments() -> None:
    script = parse_script(
        "export A=\"x y\" B && declare -x TLS=0; readonly C=$(curl -k x)\nlocal 'D'=1"
    )
    assert [(c.name, c.argv, c.line, c.column, c.nested) for c in script.commands] == [
        ("export", ("export", "A=x y", "B"), 1, 1, False),
        ("declare", ("declare", "-x", "TLS=0"), 1, 21, False),
        ("readonly", ("readonly", "C=$(curl -k x)"), 1, 39, False),
        ("curl", ("curl", "-k", "x"), 1, 52, True),
        ("local", ("local", "D=1"), 2, 1, False),
    ]


SHELL_PIECES = ["a", "b c", " ", "\n", "\\\n", "'", '"', "$", "$(", "`", ")", "(", "{", "}", "|",
                "&&", "&", ";", "<<EOF", "EOF", "<<-X", "X", "sh -c ", "sudo ", "env A=1 ",
                "xargs ", "if ", "then ", "fi", "é", "✓", "\t", "#", "=", "--", "-c"]  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(SHELL_PIECES), max_size=60).map("".join), st.integers(1, 50))
def test_shell_noise_never_raises(text: str, first_line: int) -> None:
    script = parse_script(text, line=first_line, column=3)
    last_line = first_line + text.count("\n")
    for command in script.commands:
        assert command.words
        assert first_line <= command.line <= command.end_line <= last_line, command
        for word in command.words:
            assert first_line <= word.line <= last_line and word.column >= 1, word
    for error in script.errors:
        assert first_line <= error.line <= last_line, error


BIG_SCRIPT_PIECES = [
    "apt-get update && apt-get install -y curl \\\n  git && rm -rf /var/lib/apt/lists/*\n",
    "if [ -f /etc/x ]; then\n  echo yes | tee -a /log\nelse\n  sudo rm -f /x; fi\n",
    'for f in a b; do\n  cp "$f" /dst/; echo "$(date); done" ; done\n',
    "cat <<EOF > /etc/conf\nkey=value; other && thing\nEOF\n",
    "cat <<-'X' | sh\n\techo nested; ls\n\tX\n",
    'case "$1" in\n  start) exec server ;;\n  *) echo usage; exit 1;;\nesac\n',
    "( cd /tmp && make ) || { echo failed; exit 1; }\n",
    'f() {\n  local a=$1\n  echo "$a" | grep -q x && return 0\n}\n',
    "x=`uname -m`; echo 'single; quoted && stuff' \"dq $(echo a; echo b)\"\n",
    'while read -r line; do echo "$line"; done < /etc/passwd &\n',
    "# a comment; with && separators\n",
    "curl -fsSL https://x | bash -s -- --flag\n",
]


def test_long_scripts_are_parsed_in_chunks_with_the_same_result(monkeypatch: Any) -> None:
    text = "".join(BIG_SCRIPT_PIECES[(i * 7) % len(BIG_SCRIPT_PIECES)] for i in range(600))
    assert len(text) > _shell_parser._CHUNK_ABOVE

    def seen(script: Script) -> list[tuple[object, ...]]:
        return [(*summary(c)[:4], *summary(c)[5:]) for c in script.commands]

    chunked = parse(text)
    monkeypatch.setattr(_shell_parser, "_CHUNK_ABOVE", len(text) + 1)
    whole = parse(text)
    assert chunked.errors == whole.errors == ()
    assert seen(chunked) == seen(whole)
    assert len(whole.commands) == 1650


def test_script_boundaries_only_between_statements() -> None:
    text = (
        "a && b | c; if x; then d; fi; e \"f; $(g; h)\" 'i; j' & { k; l; }\n"
        "cat <<EOF; m\nbody; n\nEOF\nfor v in 1; do o; done; f() { p; }; q 2>&1 r"
    )
    cuts = [(0, 0), *((offset, blank) for offset, blank, _ in _shell_parser._boundaries(text))]
    pieces = [" " * blank + text[start + blank : end] for (start, blank), (end, _) in
              zip(cuts, [*cuts[1:], (len(text), 0)], strict=True)]  # fmt: skip
    assert pieces == [
        "a ",
        "   b ",
        "  c;",
        " if x; then d; fi;",
        " e \"f; $(g; h)\" 'i; j' &",
        " { k; l; }\n",
        "cat <<EOF; m\nbody; n\nEOF\n",
        "for v in 1; do o; done;",
        " f() { p; };",
        " q 2>&1 r",
    ]


def test_statement_chunks_prefer_cuts_between_pipelines() -> None:
    text = "aa | bb && cc | dd | ee"
    chunks = list(_shell_parser._statement_chunks(text, 12))
    assert chunks == [(0, 8, 0), (8, 19, 2), (19, 23, 1)]
    text = "x" * 25
    assert list(_shell_parser._statement_chunks(text, 10)) == [(0, 10, 0), (10, 20, 0), (20, 25, 0)]


def test_huge_broken_pipeline_stays_bounded() -> None:
    script = parse_script("echo " + "a | " * 20_000)
    assert len(script.commands) == 20_000
    assert len(script.errors) == 1


def test_errors_are_capped() -> None:
    script = parse_script("a=( " * 5_000)
    assert len(script.errors) == _shell_parser.MAX_ERRORS


def test_commands_are_capped(monkeypatch: Any) -> None:
    monkeypatch.setattr(_shell_parser, "MAX_COMMANDS", 1000)
    script = parse_script("a; " * 20_000)
    assert 1000 <= len(script.commands) < 1000 + _shell_parser._CHUNK_SIZE
    (error,) = script.errors
    assert error.message == "script too long: the rest is not analysed"
    assert error.line == 1
