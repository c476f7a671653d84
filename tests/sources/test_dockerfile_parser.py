from __future__ import annotations

from textwrap import dedent

from hullguard.model import Location
from hullguard.sources.dockerfile import Dockerfile, Instruction, ParseError, parse_dockerfile


def parse(text: str, **build_args: str) -> Dockerfile:
    return parse_dockerfile(dedent(text).lstrip("\n"), "Dockerfile", build_args or None)


def only(dockerfile: Dockerfile, keyword: str) -> Instruction:
    (found,) = [i for i in dockerfile.instructions if i.keyword == keyword]
    return found


def loc(line: int, column: int, end_line: int, end_column: int) -> Location:
    return Location(
        path="Dockerfile", line=line, column=column, end_line=end_line, end_column=end_column
    )


# -- lines, keywords, continuations ----------------------------------------------------------


def test_basic_file() -> None:
    df = parse(
        """
        FROM python:3.12-slim
        WORKDIR /app
        CMD ["python", "app.py"]
        """
    )
    assert df.errors == ()
    assert df.lines == ("FROM python:3.12-slim", "WORKDIR /app", 'CMD ["python", "app.py"]')
    assert [(i.keyword, i.value, i.line, i.stage) for i in df.instructions] == [
        ("FROM", "python:3.12-slim", 1, 0),
        ("WORKDIR", "/app", 2, 0),
        ("CMD", '["python", "app.py"]', 3, 0),
    ]
    assert df.instructions[1].location == loc(2, 1, 2, 13)


def test_keywords_case_insensitive_and_indented() -> None:
    df = parse("from alpine\n  run echo hi\n")
    assert [(i.keyword, i.location.column) for i in df.instructions] == [("FROM", 1), ("RUN", 3)]


def test_crlf_and_bom() -> None:
    df = parse_dockerfile("\ufeffFROM alpine\r\nRUN echo a \\\r\n  b\r\n", "Dockerfile")
    assert df.errors == ()
    assert df.lines == ("FROM alpine", "RUN echo a \\", "  b")
    assert only(df, "RUN").value == "echo a   b"


def test_continuation_drops_comments_and_blank_lines() -> None:
    df = parse(
        """
        FROM alpine
        RUN apk add \\
        # a comment inside the continuation
              curl \\

            git
        USER app
        """
    )
    run = only(df, "RUN")
    assert run.value == "apk add       curl     git"
    assert run.location == loc(2, 1, 6, 8)
    assert only(df, "USER").line == 7


def test_continuation_with_trailing_whitespace_after_escape() -> None:
    df = parse("FROM alpine\nRUN echo a \\   \n  b\n")
    assert only(df, "RUN").value == "echo a   b"
    assert only(df, "RUN").location.end_line == 3


def test_backtick_escape_directive() -> None:
    df = parse(
        """
        # escape=`
        FROM mcr.microsoft.com/windows/servercore:ltsc2022
        RUN New-Item C:\\app `
            -ItemType Directory
        """
    )
    assert df.directives == {"escape": "`"}
    run = only(df, "RUN")
    assert run.value == "New-Item C:\\app     -ItemType Directory"
    assert run.location.end_line == 4


def test_directives() -> None:
    df = parse(
        """
        # Syntax = docker/dockerfile:1.7
        #check=skip=JSONArgsRecommended
        FROM alpine
        """
    )
    assert df.directives == {"syntax": "docker/dockerfile:1.7", "check": "skip=JSONArgsRecommended"}


def test_directives_only_at_the_very_top() -> None:
    for text in (
        "# a comment\n# syntax=x\nFROM alpine\n",
        "\n# syntax=x\nFROM alpine\n",
        "FROM alpine\n# syntax=x\n",
        "# unknown=1\n# syntax=x\nFROM alpine\n",
    ):
        assert parse_dockerfile(text, "Dockerfile").directives == {}, text


def test_bad_directives() -> None:
    df = parse("# escape=x\n# syntax=a\n# syntax=b\nFROM alpine\n")
    assert df.directives == {"syntax": "a"}
    assert df.errors == (
        ParseError("invalid escape character 'x': must be ` or \\", 1),
        ParseError("only one `syntax` parser directive may be used", 3),
    )


# -- errors ----------------------------------------------------------------------------------


def test_empty_file() -> None:
    for text in ("", "\n\n", "# just a comment\n\n# another\n"):
        df = parse_dockerfile(text, "Dockerfile")
        assert df.errors == (ParseError("empty Dockerfile: no instructions", 1),)
        assert df.stages == ()


def test_no_from() -> None:
    df = parse("ARG A=1\n")
    assert df.errors == (ParseError("no FROM instruction: a Dockerfile needs a base image", 1),)


def test_instruction_before_from() -> None:
    df = parse("ARG V=1\nRUN echo\nFROM alpine\n")
    assert df.errors == (ParseError("RUN before the first FROM: only ARG may come before FROM", 2),)
    assert [i.stage for i in df.instructions] == [-1, -1, 0]


def test_unknown_instruction_is_kept() -> None:
    df = parse("FROM alpine\nRUNN echo\n")
    assert df.errors == (ParseError("unknown instruction: RUNN", 2),)
    assert df.instructions[1].keyword == "RUNN"
    assert df.instructions[1].value == "echo"


def test_from_errors() -> None:
    df = parse("FROM alpine AS\nFROM alpine AS b extra\nFROM alpine junk\nFROM Bad_Ref:x:y\n")
    assert df.errors == (
        ParseError("FROM ... AS needs a stage name", 1),
        ParseError("FROM: unexpected 'extra' after the stage name", 2),
        ParseError("FROM: unexpected 'junk' after the image", 3),
        ParseError(
            "invalid base image reference: invalid repository name component 'Bad_Ref:x' "
            "in 'Bad_Ref:x:y'",
            4,
        ),
    )
    assert df.stages[3].base_ref is None


def test_missing_arguments() -> None:
    df = parse("FROM\nRUN\nUSER   \nCOPY\n")
    assert [(e.message, e.line) for e in df.errors] == [
        ("FROM requires at least one argument", 1),
        ("RUN requires at least one argument", 2),
        ("USER requires at least one argument", 3),
        ("COPY requires at least one argument", 4),
    ]


def test_copy_from_unknown_stage() -> None:
    df = parse(
        """
        FROM golang:1.22 AS build
        FROM alpine
        COPY --from=build /a /a
        COPY --from=0 /a /a
        COPY --from=buidl /a /a
        COPY --from=5 /a /a
        COPY --from=nginx:1.25 /etc/nginx /etc/nginx
        COPY --from=ghcr.io/org/tool /tool /tool
        COPY --from=$UNKNOWN /x /x
        """
    )
    assert df.errors == (
        ParseError("COPY --from=buidl: no stage named 'buidl' before this one", 5, 6),
        ParseError("COPY --from=5: no stage named '5' before this one", 6, 6),
    )


def test_copy_from_a_later_stage_is_an_error() -> None:
    df = parse("FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\n")
    assert df.errors == (ParseError("COPY --from=b: no stage named 'b' before this one", 2, 6),)


def test_duplicate_stage_name() -> None:
    df = parse("FROM alpine AS x\nFROM alpine AS X\n")
    assert df.errors == (ParseError("duplicate stage name 'x'", 2),)


def test_env_without_equals_in_pair_list() -> None:
    df = parse("FROM alpine\nENV A=1 B\n")
    assert df.errors == (ParseError("ENV: can't find `=` in 'B'; use ENV NAME=value", 2, 9),)
    assert [(p.key, p.value) for p in only(df, "ENV").pairs] == [("A", "1")]


def test_env_legacy_needs_a_value() -> None:
    df = parse("FROM alpine\nENV ONLYKEY\n")
    assert df.errors == (ParseError("ENV ONLYKEY needs a value: ENV NAME=value", 2, 5),)


def test_onbuild_forbidden_triggers() -> None:
    df = parse("FROM alpine\nONBUILD ONBUILD RUN x\nONBUILD FROM alpine\n")
    assert df.errors == (
        ParseError("ONBUILD is not allowed as an ONBUILD trigger", 2, 9),
        ParseError("FROM is not allowed as an ONBUILD trigger", 3, 9),
    )


# -- flags, forms, pairs ---------------------------------------------------------------------


def test_flags() -> None:
    df = parse(
        """
        FROM --platform=$BUILDPLATFORM golang AS build
        FROM alpine
        COPY --from=build --chown=app:app --chmod=0755 --link /out /usr/bin/
        RUN --mount=type=cache,target=/root/.cache --network=none -- make --jobs=4
        """
    )
    copy = only(df, "COPY")
    assert [(f.name, f.value) for f in copy.flags] == [
        ("from", "build"),
        ("chown", "app:app"),
        ("chmod", "0755"),
        ("link", None),
    ]
    assert copy.flag("link") is not None
    assert copy.flag("chown") == copy.flags[1]
    assert copy.flags[1].location == loc(3, 19, 3, 34)
    assert copy.value == "/out /usr/bin/"
    run = only(df, "RUN")
    assert run.flag_values("mount") == ["type=cache,target=/root/.cache"]
    assert run.flag_values("network") == ["none"]
    assert run.value == "make --jobs=4"
    assert df.stages[0].platform == "$BUILDPLATFORM"
    assert df.stages[1].platform is None


def test_quoted_flag_value() -> None:
    df = parse('FROM alpine\nRUN --mount="type=secret,id=npm" npm ci\n')
    assert only(df, "RUN").flag_values("mount") == ["type=secret,id=npm"]


def test_exec_form() -> None:
    df = parse(
        """
        FROM alpine
        ENTRYPOINT ["/entrypoint.sh", "--serve"]
        CMD [ "a b", "c\\"d" ]
        VOLUME ["/data"]
        SHELL ["/bin/bash", "-o", "pipefail", "-c"]
        """
    )
    assert only(df, "ENTRYPOINT").exec_form == ("/entrypoint.sh", "--serve")
    assert only(df, "CMD").exec_form == ("a b", 'c"d')
    assert only(df, "CMD").arguments == ("a b", 'c"d')
    assert only(df, "VOLUME").exec_form == ("/data",)
    assert only(df, "SHELL").exec_form == ("/bin/bash", "-o", "pipefail", "-c")


def test_invalid_json_falls_back_to_shell_form() -> None:
    df = parse(
        """
        FROM alpine
        CMD [python app.py]
        ENTRYPOINT ["a", 1]
        RUN [ -f /x ] && echo yes
        """
    )
    assert only(df, "CMD").exec_form is None
    assert only(df, "CMD").arguments == ("[python", "app.py]")
    assert only(df, "ENTRYPOINT").exec_form is None
    run = only(df, "RUN")
    assert run.exec_form is None
    assert run.script is not None
    assert [c.name for c in run.script.commands] == ["echo"]  # `[ ... ]` is a test, not a command


def test_exec_form_only_for_its_keywords() -> None:
    df = parse('FROM alpine\nLABEL ["a"]=b\nUSER ["root"]\n')
    assert only(df, "USER").exec_form is None


def test_env_pairs_and_legacy_form() -> None:
    df = parse(
        """
        FROM alpine
        ENV A=1 B="two words" C='$A' D=x\\ y E="say \\"hi\\""
        ENV LEGACY some value  "with quotes"
        """
    )
    env = df.instructions[1]
    assert [(p.key, p.value) for p in env.pairs] == [
        ("A", "1"),
        ("B", "two words"),
        ("C", "$A"),
        ("D", "x y"),
        ("E", 'say "hi"'),
    ]
    assert [p.location.column for p in env.pairs] == [5, 9, 23, 30, 37]
    assert env.pairs[1].location == loc(2, 9, 2, 22)
    legacy = df.instructions[2]
    assert [(p.key, p.value) for p in legacy.pairs] == [("LEGACY", "some value  with quotes")]
    assert legacy.pairs[0].location.column == 5


def test_env_pairs_over_continuation_lines() -> None:
    df = parse(
        """
        FROM alpine
        ENV A=1 \\
            B=2 \\
            C=3
        """
    )
    assert [(p.key, p.location.line, p.location.column) for p in only(df, "ENV").pairs] == [
        ("A", 2, 5),
        ("B", 3, 5),
        ("C", 4, 5),
    ]


def test_label_pairs() -> None:
    df = parse(
        """
        FROM alpine
        LABEL "com.example.vendor"="ACME Inc" version=1.0 description='a "b"'
        """
    )
    assert [(p.key, p.value) for p in only(df, "LABEL").pairs] == [
        ("com.example.vendor", "ACME Inc"),
        ("version", "1.0"),
        ("description", 'a "b"'),
    ]


def test_arg_pairs() -> None:
    df = parse('ARG A B=2 C="x y"\nFROM alpine\n')
    arg = df.instructions[0]
    assert [(p.key, p.value, p.location.column) for p in arg.pairs] == [
        ("A", None, 5),
        ("B", "2", 7),
        ("C", "x y", 11),
    ]
    assert df.global_args == [arg]


# -- expansion -------------------------------------------------------------------------------


def test_expansion_forms() -> None:
    df = parse(
        """
        FROM alpine
        ARG SET=yes
        ARG EMPTY=
        ARG DECLARED
        WORKDIR $SET/${SET}/${SET:-d}/${SET-d}/${SET:+alt}/${SET+alt}
        WORKDIR ${EMPTY:-d}/${EMPTY-d}/${EMPTY:+alt}/${EMPTY+alt}/[$EMPTY]
        WORKDIR ${DECLARED:-d}/${DECLARED-d}/${DECLARED:+alt}/${DECLARED+alt}/$DECLARED
        WORKDIR $UNKNOWN/${UNKNOWN}/${UNKNOWN:-d}/${UNKNOWN:+a}/${SET%s}/$1/$
        WORKDIR \\$SET/'$SET'/"$SET"/${SET:-${UNKNOWN}}/${UNKNOWN:-${SET}}
        RUN echo $UNKNOWN ${UNKNOWN:-d} $SET
        """
    )
    expanded = [i.expanded for i in df.instructions if i.keyword == "WORKDIR"]
    assert expanded == [
        "yes/yes/yes/yes/alt/alt",
        "d///alt/[]",
        "d/d///$DECLARED",
        # On a base image, an undeclared variable may come from the image's own ENV.
        "$UNKNOWN/${UNKNOWN}/${UNKNOWN:-d}/${UNKNOWN:+a}/${SET%s}/$1/$",
        "\\$SET/'$SET'/\"yes\"/yes/${UNKNOWN:-${SET}}",
    ]
    # RUN is expanded by the shell at run time, where an unknown variable may be set.
    assert only(df, "RUN").expanded == "echo $UNKNOWN ${UNKNOWN:-d} yes"
    assert df.instructions[4].value == "$SET/${SET}/${SET:-d}/${SET-d}/${SET:+alt}/${SET+alt}"


def test_expansion_from_scratch_treats_undeclared_variables_as_unset() -> None:
    df = parse(
        "ARG GLOBAL=g\n"
        "FROM scratch AS base\nARG X=1\nARG LATER\nENV E=$X\n"
        "FROM base\n"
        "USER ${UID}:${GID:-100}\n"
        "ENV A=${GLOBAL}x B=${MISSING:+alt} C=${X} D=$E F=$LATER\n"
        "RUN echo $MISSING\n"
    )
    assert only(df, "USER").expanded == ":100"
    assert [(p.key, p.value) for p in df.instructions[-2].pairs] == [
        ("A", "x"),  # a global ARG is not in a stage's scope unless declared there
        ("B", ""),
        ("C", "1"),  # a stage built FROM another starts with its ARGs and ENVs
        ("D", "1"),
        ("F", "$LATER"),  # declared without a value: given at build time, unknown here
    ]
    assert only(df, "RUN").expanded == "echo $MISSING"


def test_expansion_with_backtick_escape() -> None:
    df = parse("# escape=`\nFROM alpine\nARG V=1\nWORKDIR `$V/$V\n")
    assert only(df, "WORKDIR").expanded == "`$V/1"


def test_global_args_for_from_and_redeclared_in_stage() -> None:
    df = parse(
        """
        ARG BASE=python
        ARG TAG=3.12
        ARG NOTREDECLARED=x
        FROM ${BASE}:${TAG}-slim AS app
        ARG TAG
        RUN echo $TAG $NOTREDECLARED $BASE
        """
    )
    stage = df.stages[0]
    assert stage.base == "python:3.12-slim"
    assert stage.base_ref is not None and stage.base_ref.tag == "3.12-slim"
    assert only(df, "RUN").expanded == "echo 3.12 $NOTREDECLARED $BASE"
    assert only(df, "RUN").value == "echo $TAG $NOTREDECLARED $BASE"


def test_from_defaults_apply_to_unset_args() -> None:
    df = parse("ARG TAG\nFROM alpine:${TAG:-3.20}\nFROM debian:${NOARG:-12}\n")
    assert [s.base for s in df.stages] == ["alpine:3.20", "debian:12"]


def test_build_args_override_defaults() -> None:
    df = parse(
        """
        ARG TAG=3.19
        FROM alpine:$TAG
        ARG MODE=dev
        ARG NODEFAULT
        ARG UNDECLARED_IN_FILE_ONLY
        RUN echo $MODE $NODEFAULT $OTHER
        """,
        TAG="3.20",
        MODE="prod",
        NODEFAULT="given",
        OTHER="ignored",
    )
    assert df.stages[0].base == "alpine:3.20"
    assert only(df, "RUN").expanded == "echo prod given $OTHER"
    tag = df.instructions[0].pairs[0]
    assert (tag.key, tag.value) == ("TAG", "3.19")  # the pair keeps what the file says


def test_env_overrides_arg_and_scopes_are_per_stage() -> None:
    df = parse(
        """
        FROM alpine AS one
        ENV V=env
        ARG V=arg
        ENV P=/bin PATH=$P:/usr/bin
        RUN echo $V $P $PATH
        FROM alpine
        RUN echo $V
        """
    )
    runs = [i for i in df.instructions if i.keyword == "RUN"]
    assert runs[0].expanded == "echo env /bin $P:/usr/bin"
    assert runs[1].expanded == "echo $V"


def test_env_value_expanded_in_pairs() -> None:
    df = parse("FROM alpine\nARG VERSION=1.2\nENV APP_VERSION=v${VERSION} HOME=$HOME\n")
    assert [(p.key, p.value) for p in only(df, "ENV").pairs] == [
        ("APP_VERSION", "v1.2"),
        ("HOME", "$HOME"),
    ]


def test_unresolved_base() -> None:
    df = parse("ARG IMAGE\nFROM $IMAGE\nFROM ${REGISTRY}/app:1\n")
    assert [(s.base, s.base_unresolved, s.base_ref) for s in df.stages] == [
        ("$IMAGE", True, None),
        ("${REGISTRY}/app:1", True, None),
    ]
    assert df.errors == ()


# -- stages ----------------------------------------------------------------------------------


def test_stages_and_final_image() -> None:
    df = parse(
        """
        FROM golang:1.22 AS Build
        RUN go build -o /out/app
        FROM scratch AS base
        FROM node:20 AS unused
        FROM base AS runtime
        FROM runtime
        COPY --from=build /out/app /app
        """
    )
    assert [
        (s.index, s.name, s.base, s.base_stage, s.is_final, s.in_final_image) for s in df.stages
    ] == [
        (0, "build", "golang:1.22", None, False, False),
        (1, "base", "scratch", None, False, True),
        (2, "unused", "node:20", None, False, False),
        (3, "runtime", "base", 1, False, True),
        (4, None, "runtime", 3, True, True),
    ]
    assert df.stages[0].base_ref is not None
    assert df.stages[0].base_ref.familiar == "golang"
    assert df.stages[1].base_ref is None
    assert df.stages[3].base_ref is None
    assert df.stages[0].from_instruction is df.stages[0].instructions[0]
    assert [i.keyword for i in df.stages[0].instructions] == ["FROM", "RUN"]
    assert [i.stage for i in df.instructions] == [0, 0, 1, 2, 3, 4, 4]
    assert df.stage_named("BUILD") is df.stages[0]
    assert df.final_stage is df.stages[4]
    assert [i.keyword for i in df.shipped_instructions()] == ["FROM", "FROM", "FROM", "COPY"]
    assert df.stages[0].label == "stage `build`"
    assert df.stages[4].label == "stage 4"


def test_stage_named_by_index_is_not_a_base() -> None:
    df = parse("FROM alpine\nFROM 0\n")
    assert df.stages[1].base_stage is None
    assert df.stages[1].base_ref is not None


# -- heredocs --------------------------------------------------------------------------------


def test_run_heredoc_is_the_script() -> None:
    df = parse(
        """
        FROM alpine
        RUN <<EOF
        set -e
        apk add curl
        EOF
        USER app
        """
    )
    run = only(df, "RUN")
    (heredoc,) = run.heredocs
    assert (heredoc.delimiter, heredoc.content, heredoc.strip_tabs, heredoc.quoted) == (
        "EOF",
        "set -e\napk add curl\n",
        False,
        False,
    )
    assert heredoc.location == loc(3, 1, 5, 4)
    assert run.location == loc(2, 1, 5, 4)
    assert run.value == "<<EOF"
    assert run.script is not None
    assert [(c.argv, c.line, c.column) for c in run.script.commands] == [
        (("set", "-e"), 3, 1),
        (("apk", "add", "curl"), 4, 1),
    ]
    assert only(df, "USER").line == 6


def test_heredoc_variants() -> None:
    df = parse(
        "FROM alpine\n"
        "RUN <<-EOT bash\n"
        "\tapt-get update\n"
        "\tEOT\n"
        "COPY <<\"A\" <<'B' /dest/\n"
        "a $x\n"
        "A\n"
        "b\n"
        "B\n"
    )
    run = df.instructions[1]
    assert [(h.delimiter, h.content, h.strip_tabs, h.quoted) for h in run.heredocs] == [
        ("EOT", "apt-get update\n", True, False)
    ]
    assert run.script is not None
    assert [(c.name, c.line, c.column, c.nested) for c in run.script.commands] == [
        ("bash", 2, 12, False),
        ("apt-get", 3, 2, True),
    ]
    copy = df.instructions[2]
    assert [(h.delimiter, h.content, h.quoted, h.location.line) for h in copy.heredocs] == [
        ("A", "a $x\n", True, 6),
        ("B", "b\n", True, 8),
    ]
    assert copy.script is None
    assert copy.location == loc(5, 1, 9, 2)


def test_heredoc_feeding_a_command() -> None:
    df = parse(
        """
        FROM alpine
        RUN cat <<EOF > /etc/app.conf && chmod 600 /etc/app.conf
        key=$(not a command)
        EOF
        RUN python3 <<EOF
        import os
        EOF
        """
    )
    first, second = (i for i in df.instructions if i.keyword == "RUN")
    assert first.script is not None and second.script is not None
    assert [(c.name, c.line, c.column) for c in first.script.commands] == [
        ("cat", 2, 5),
        ("chmod", 2, 34),
    ]
    assert [c.name for c in second.script.commands] == ["python3"]
    assert first.script.errors == ()


def test_heredoc_with_non_shell_shebang_has_no_script() -> None:
    df = parse(
        """
        FROM python:3.12
        RUN <<EOF
        #!/usr/bin/env python3
        print("hi")
        EOF
        RUN <<EOF
        #!/bin/bash
        echo hi
        EOF
        """
    )
    first, second = (i for i in df.instructions if i.keyword == "RUN")
    assert first.script is None
    assert first.heredocs[0].content == '#!/usr/bin/env python3\nprint("hi")\n'
    assert second.script is not None
    assert [(c.name, c.line) for c in second.script.commands] == [("echo", 8)]


def test_several_heredoc_scripts() -> None:
    df = parse("FROM alpine\nRUN <<A <<B\none\nA\ntwo\nB\n")
    run = only(df, "RUN")
    assert run.script is not None
    assert [(c.name, c.line, c.pipeline) for c in run.script.commands] == [
        ("one", 3, 0),
        ("two", 5, 1),
    ]


def test_unterminated_heredoc() -> None:
    df = parse("FROM alpine\nRUN <<EOF\necho one\necho two\n")
    assert df.errors == (ParseError("unterminated heredoc `EOF`", 2, 5),)
    run = only(df, "RUN")
    assert run.heredocs[0].content == "echo one\necho two\n"
    assert run.location == loc(2, 1, 4, 9)
    assert run.script is not None
    assert [c.line for c in run.script.commands] == [3, 4]


def test_heredoc_marker_not_in_other_instructions() -> None:
    df = parse("FROM alpine\nLABEL a=<<EOF\nUSER app\n")
    assert [i.keyword for i in df.instructions] == ["FROM", "LABEL", "USER"]
    assert df.instructions[1].heredocs == ()


def test_herestring_is_not_a_heredoc() -> None:
    df = parse("FROM alpine\nRUN cat <<<hello\nUSER app\n")
    assert only(df, "RUN").heredocs == ()
    assert only(df, "USER").line == 3


# -- RUN scripts and line numbers ------------------------------------------------------------


def test_run_line_numbers_across_continuations_and_comments() -> None:
    df = parse(
        """
        FROM debian:12
        # line 2
        # line 3
        # line 4
        # line 5
        # line 6
        # line 7
        # line 8
        # line 9
        RUN apt-get update \\
            && apt-get install -y \\
        # dropped comment
               curl \\
            && rm -rf /var/lib/apt/lists/*
        """
    )
    run = only(df, "RUN")
    assert run.script is not None
    assert [(c.name, c.line, c.column, c.end_line, c.end_column) for c in run.script.commands] == [
        ("apt-get", 10, 5, 10, 19),
        ("apt-get", 11, 8, 13, 12),
        ("rm", 14, 8, 14, 35),
    ]
    assert [(w.text, w.line, w.column) for w in run.script.commands[1].words] == [
        ("apt-get", 11, 8),
        ("install", 11, 16),
        ("-y", 11, 24),
        ("curl", 13, 8),
    ]


def test_run_line_numbers_with_backtick_escape() -> None:
    df = parse(
        """
        # escape=`
        FROM alpine
        RUN echo one `
        # comment
            && echo two `

            && echo three
        """
    )
    run = only(df, "RUN")
    assert run.script is not None
    assert [(c.argv, c.line, c.column) for c in run.script.commands] == [
        (("echo", "one"), 3, 5),
        (("echo", "two"), 5, 8),
        (("echo", "three"), 7, 8),
    ]


def test_run_script_features_through_the_dockerfile() -> None:
    df = parse(
        """
        FROM alpine
        RUN sudo -u app sh -c "curl -fsSL https://x/install.sh | bash" &
        """
    )
    run = only(df, "RUN")
    assert run.script is not None
    assert [(c.name, c.wrapped_by, c.nested, c.column) for c in run.script.commands] == [
        ("sudo", None, False, 5),
        ("sh", "sudo", False, 17),
        ("curl", None, True, 24),
        ("bash", None, True, 58),
    ]
    assert [[c.name for c in p] for p in run.script.pipelines()] == [["curl", "bash"]]


def test_exec_form_run_script() -> None:
    df = parse(
        """
        FROM alpine
        RUN ["apk", "add", "--no-cache", "curl"]
        RUN ["/bin/sh", "-c", "apk update && apk add git"]
        """
    )
    first, second = (i for i in df.instructions if i.keyword == "RUN")
    assert first.script is not None and second.script is not None
    (command,) = first.script.commands
    assert (command.name, command.argv, command.line, command.column, command.end_column) == (
        "apk",
        ("apk", "add", "--no-cache", "curl"),
        2,
        6,
        41,
    )
    assert [(w.text, w.column) for w in command.words] == [
        ("apk", 6),
        ("add", 13),
        ("--no-cache", 20),
        ("curl", 34),
    ]
    assert [(c.name, c.argv, c.nested, c.column) for c in second.script.commands] == [
        ("sh", ("/bin/sh", "-c", "apk update && apk add git"), False, 6),
        ("apk", ("apk", "update"), True, 24),
        ("apk", ("apk", "add", "git"), True, 38),
    ]


def test_run_under_a_non_posix_shell_has_no_script() -> None:
    df = parse(
        """
        FROM mcr.microsoft.com/windows/servercore:ltsc2022
        SHELL ["powershell", "-Command"]
        RUN Get-ChildItem
        SHELL ["cmd", "/S", "/C"]
        RUN dir
        SHELL ["/bin/bash", "-c"]
        RUN ls
        """
    )
    runs = [i for i in df.instructions if i.keyword == "RUN"]
    assert [r.script is None for r in runs] == [True, True, False]


def test_onbuild_trigger() -> None:
    df = parse("FROM alpine\nONBUILD RUN apk add --no-cache git\nONBUILD COPY . /src\n")
    first, second = df.instructions[1], df.instructions[2]
    assert first.keyword == "ONBUILD"
    assert first.value == "RUN apk add --no-cache git"
    trigger = first.trigger
    assert trigger is not None
    assert (trigger.keyword, trigger.value, trigger.line, trigger.location.column) == (
        "RUN",
        "apk add --no-cache git",
        2,
        9,
    )
    assert trigger.script is not None
    assert [(c.argv, c.column) for c in trigger.script.commands] == [
        (("apk", "add", "--no-cache", "git"), 13)
    ]
    assert second.trigger is not None and second.trigger.keyword == "COPY"


def test_onbuild_env_does_not_change_the_scope() -> None:
    df = parse("FROM alpine\nONBUILD ENV A=1\nRUN echo $A\n")
    assert only(df, "RUN").expanded == "echo $A"
    assert df.instructions[1].trigger is not None
    assert [(p.key, p.value) for p in df.instructions[1].trigger.pairs] == [("A", "1")]


def test_maintainer_is_known() -> None:
    df = parse("FROM alpine\nMAINTAINER someone <a@b.c>\n")
    assert df.errors == ()
    assert only(df, "MAINTAINER").value == "someone <a@b.c>"


def test_healthcheck_and_arguments() -> None:
    df = parse("FROM alpine\nHEALTHCHECK --interval=30s CMD curl -f http://localhost/\n")
    health = only(df, "HEALTHCHECK")
    assert health.flag_values("interval") == ["30s"]
    assert health.arguments == ("CMD", "curl", "-f", "http://localhost/")


def test_deeply_nested_expansion_stays_as_written() -> None:
    nested = "${A:-" * 100_000
    df = parse(f"FROM alpine\nARG A\nWORKDIR /{nested}\n")
    assert only(df, "WORKDIR").expanded == f"/{nested}"


def test_backslash_quoted_heredoc_delimiter() -> None:
    df = parse("FROM alpine\nRUN <<\\EOF\necho $HOME\nEOF\nUSER app\n")
    (heredoc,) = only(df, "RUN").heredocs
    assert (heredoc.delimiter, heredoc.quoted, heredoc.content) == ("EOF", True, "echo $HOME\n")
    assert only(df, "USER").line == 5


def test_errors_are_capped() -> None:
    df = parse("FROM alpine\n" + "BOGUS x\n" * 1500)
    assert len(df.errors) == 1001
    assert df.errors[-1] == ParseError("too many errors: the rest are not reported", 1002)


def test_onbuild_run_heredoc() -> None:
    df = parse("FROM alpine\nONBUILD RUN <<EOF\napk add git\nEOF\nUSER app\n")
    onbuild = df.instructions[1]
    assert onbuild.location == loc(2, 1, 4, 4)
    assert onbuild.heredocs == ()
    trigger = onbuild.trigger
    assert trigger is not None and trigger.script is not None
    assert [h.content for h in trigger.heredocs] == ["apk add git\n"]
    assert [(c.argv, c.line) for c in trigger.script.commands] == [(("apk", "add", "git"), 3)]
    assert only(df, "USER").line == 5
