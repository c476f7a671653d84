"""File modes set while building an image: `chmod`, `install -m`, `mkdir -m` and `--chmod`.

Parsed once, for the rules on setuid/setgid bits and world-writable files. Octal modes
(`4755`, `0777`) and symbolic ones (`u+s`, `a+w,o-w`, `+s`) are read the way GNU coreutils
reads them: a symbolic clause without `u`/`g`/`o`/`a` applies to everyone but leaves alone the
bits the umask masks, so `chmod +w` does not make a file world-writable while `chmod +s` sets
both setuid and setgid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hullguard.model import Location
from hullguard.sources.dockerfile import Dockerfile
from hullguard.sources.shell import Command

_OCTAL = re.compile(r"^0*([0-7]{1,4})$")
_CLAUSE = re.compile(r"^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$")
_OPERATION = re.compile(r"([-+=])([rwxXstugo]*)")


@dataclass(frozen=True, slots=True)
class ModeBits:
    """What a mode turns on (a symbolic mode may also turn bits off: those count as off)."""

    setuid: bool = False
    setgid: bool = False
    sticky: bool = False
    world_writable: bool = False


def parse_mode(text: str) -> ModeBits | None:
    """The bits an octal or symbolic mode sets; None when `text` is not a mode (a variable...)."""
    mode = text.strip().strip("'\"")
    if m := _OCTAL.match(mode):
        value = int(m.group(1), 8)
        return ModeBits(
            setuid=bool(value & 0o4000),
            setgid=bool(value & 0o2000),
            sticky=bool(value & 0o1000),
            world_writable=bool(value & 0o002),
        )
    if not mode:
        return None
    setuid = setgid = sticky = world_writable = False
    for clause in mode.split(","):
        match = _CLAUSE.match(clause)
        if not match:
            return None
        who = match.group(1) or ""
        user = not who or "u" in who or "a" in who
        group = not who or "g" in who or "a" in who
        other = "o" in who or "a" in who  # without `who`, the umask keeps o+w off
        other_special = not who or other
        for op, perms in _OPERATION.findall(match.group(2)):
            if op == "=":
                if user:
                    setuid = "s" in perms
                if group:
                    setgid = "s" in perms
                if other_special:
                    sticky = "t" in perms
                if other:
                    world_writable = "w" in perms
                continue
            on = op == "+"
            if "s" in perms:
                setuid = on if user else setuid
                setgid = on if group else setgid
            if "t" in perms and other_special:
                sticky = on
            if "w" in perms and (other or (not on and not who)):
                world_writable = on
    return ModeBits(setuid, setgid, sticky, world_writable)


@dataclass(frozen=True, slots=True)
class ModeChange:
    """One command (or `--chmod` flag) that sets a mode on some paths."""

    tool: str  # chmod, install, mkdir, --chmod
    mode: str  # as written
    bits: ModeBits
    targets: tuple[str, ...]
    recursive: bool = False

    @property
    def written(self) -> str:
        """How the change was written: `chmod 4755`, `COPY --chmod=777`."""
        if self.tool.startswith(("COPY", "ADD")):
            return self.tool
        return f"{self.tool} {self.mode}"

    def describe_targets(self) -> str:
        if not self.targets:
            return "its target"
        shown = ", ".join(f"`{t}`" for t in self.targets[:3])
        more = len(self.targets) - 3
        return shown + (f" and {more} more" if more > 0 else "")


def command_mode_change(command: Command) -> ModeChange | None:
    """The mode a `chmod`, `install` or `mkdir` command sets, if it sets one; also
    `find PATH... -exec chmod MODE {} +`, whose chmod the shell model does not unwrap."""
    args = list(command.args)
    match command.name:
        case "chmod":
            return _chmod(args)
        case "find":
            return _find_exec_chmod(args)
        case "install":
            return _with_mode_option("install", args, takes_value="gmoStZ", long_values=_INSTALL)
        case "mkdir":
            return _with_mode_option("mkdir", args, takes_value="mZ", long_values=_MKDIR)
    return None


_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})


def _find_exec_chmod(args: list[str]) -> ModeChange | None:
    for index, arg in enumerate(args):
        if arg not in _FIND_EXEC or index + 1 >= len(args):
            continue
        if args[index + 1].rsplit("/", 1)[-1] != "chmod":
            continue
        rest = args[index + 2 :]
        end = next((i for i, a in enumerate(rest) if a in (";", "+")), len(rest))
        change = _chmod([a for a in rest[:end] if a != "{}"] + ["{}"])
        if change is None:
            return None
        roots: list[str] = []
        for start in args[:index]:  # the starting points come before the expression
            if start.startswith(("-", "(", ")", "!")):
                break
            roots.append(start)
        return ModeChange(
            "find -exec chmod", change.mode, change.bits, tuple(roots) or (".",), recursive=True
        )
    return None


_INSTALL = ("--group", "--mode", "--owner", "--suffix", "--target-directory", "--context")
_MKDIR = ("--mode", "--context")
_CHMOD_OPTION_LETTERS = frozenset("RcfvHLP")


def _chmod(args: list[str]) -> ModeChange | None:
    recursive = False
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            mode = next(rest, None)
            break
        if arg.startswith("--"):
            if arg.startswith("--reference"):
                return None
            recursive = recursive or arg == "--recursive"
            continue
        if arg.startswith("-") and len(arg) > 1 and set(arg[1:]) <= _CHMOD_OPTION_LETTERS:
            recursive = recursive or "R" in arg
            continue
        mode = arg
        break
    else:
        return None
    if mode is None:
        return None
    bits = parse_mode(mode)
    if bits is None:
        return None
    targets = tuple(a for a in rest if not a.startswith("-"))
    return ModeChange("chmod", mode, bits, targets, recursive)


def _with_mode_option(
    tool: str, args: list[str], *, takes_value: str, long_values: tuple[str, ...]
) -> ModeChange | None:
    mode: str | None = None
    targets: list[str] = []
    directories = False  # `install -d DIR...`
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            targets.extend(args[index:])
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if name in long_values and not eq:
                value = args[index] if index < len(args) else ""
                index += 1
            if name == "--mode":
                mode = value
            directories = directories or name == "--directory"
            continue
        if arg.startswith("-") and len(arg) > 1:
            for position, letter in enumerate(arg[1:], start=1):
                directories = directories or letter == "d"
                if letter in takes_value:
                    value = arg[position + 1 :]
                    if not value:
                        value = args[index] if index < len(args) else ""
                        index += 1
                    if letter == "m":
                        mode = value
                    break
            continue
        targets.append(arg)
    if mode is None:
        return None
    bits = parse_mode(mode)
    if bits is None:
        return None
    if tool == "install" and len(targets) > 1 and not directories:
        targets = targets[-1:]  # `install SOURCE... DEST`: the mode lands on DEST
    return ModeChange(tool, mode, bits, tuple(targets))


def shipped_mode_changes(
    dockerfile: Dockerfile, path: str
) -> Iterator[tuple[ModeChange, Location]]:
    """Every mode set in the stages that end up in the final image, with where it is written:
    chmod-like commands in RUN (once per line and mode) and COPY/ADD `--chmod`."""
    for stage in dockerfile.stages:
        if not stage.in_final_image:
            continue
        for instruction in stage.each("RUN"):
            if instruction.script is None:
                continue
            seen: set[tuple[int, str]] = set()
            for command in instruction.script.commands:
                change = command_mode_change(command)
                if change is None or (command.line, change.mode) in seen:
                    continue
                seen.add((command.line, change.mode))
                yield change, Location(path=path, line=command.line, column=command.column)
        for instruction in stage.each("COPY", "ADD"):
            for mode in instruction.flag_values("chmod"):
                bits = parse_mode(mode)
                if bits is None:
                    continue
                targets = instruction.arguments[-1:] if instruction.arguments else ()
                tool = f"{instruction.keyword} --chmod={mode}"
                yield ModeChange(tool, mode, bits, targets), instruction.location
