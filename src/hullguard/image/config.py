"""A real image's configuration projected into `ImageSpec`, so that the image rules that judge a
Dockerfile's final stage judge a built image the same way.

`config` is the `config` object of the image configuration (the engine's `Config`: `User`,
`Env`, `ExposedPorts`, `Healthcheck`, `Entrypoint`, `Cmd`, `Labels`, `Shell`); `history` its
`history` list, whose `created_by` entries name the instructions that built it. Every value is
located logically: `image/<ref>:Config.User`, `image/<ref>:history[3]` (the index in the whole
history, empty layers included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hullguard.model import Located, Location
from hullguard.spec import DEFAULT_SHELL, EnvVar, ImageSpec


def image_spec_from_config(
    config: Mapping[str, Any], ref: str, history: Sequence[Mapping[str, Any]] = ()
) -> ImageSpec:
    """The ImageSpec of an image whose config is `config`. An empty or missing `User` is
    root: the engine then runs the image as UID 0."""

    def at(field: str) -> Location:
        return Location(logical=f"image/{ref}:Config.{field}")

    user = _text(config.get("User"))
    chain = [f'image {ref} Config.User "{user}"']
    written = _user_instruction(history)
    if user and written:
        chain.append(f"set by `{written}` in the build history")
    return ImageSpec(
        name=f"image {ref}",
        anchor=Location(logical=f"image/{ref}:Config"),
        user=Located(user, at("User")),
        user_explicit=bool(user),
        user_chain=tuple(chain),
        env=tuple(_env(config.get("Env"), at)),
        exposed_ports=tuple(
            Located(_port(port), at(f"ExposedPorts.{port}"))
            for port in _mapping(config.get("ExposedPorts"))
        ),
        healthcheck=_healthcheck(config.get("Healthcheck"), at),
        entrypoint=_argv(config.get("Entrypoint"), at("Entrypoint")),
        cmd=_argv(config.get("Cmd"), at("Cmd")),
        labels=tuple(
            EnvVar(str(key), _text(value), at(f"Labels.{key}"))
            for key, value in _mapping(config.get("Labels")).items()
        ),
        shell=_strings(config.get("Shell")) or DEFAULT_SHELL,
        origin="image",
        history=tuple(
            Located(text, Location(logical=f"image/{ref}:history[{index}]"))
            for index, entry in enumerate(history)
            if (text := _text(entry.get("created_by")) if isinstance(entry, Mapping) else "")
        ),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _env(entries: Any, at: Any) -> list[EnvVar]:
    env = []
    for index, entry in enumerate(_strings(entries)):
        name, _, value = entry.partition("=")
        env.append(EnvVar(name, value, at(f"Env[{index}]")))
    return env


def _port(port: str) -> str:
    number, _, protocol = str(port).partition("/")
    return f"{number}/{(protocol or 'tcp').lower()}"


def _healthcheck(value: Any, at: Any) -> Located[tuple[str, ...]] | None:
    test = _strings(_mapping(value).get("Test"))
    return Located(test, at("Healthcheck.Test")) if test else None


def _argv(value: Any, location: Location) -> Located[tuple[str, ...]] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Located((*DEFAULT_SHELL, value), location)
    argv = _strings(value)
    return Located(argv, location) if argv else None


def _user_instruction(history: Sequence[Mapping[str, Any]]) -> str | None:
    """The last USER instruction of the build history, as written."""
    for entry in reversed(history):
        created_by = _text(entry.get("created_by")) if isinstance(entry, Mapping) else ""
        text = created_by.removeprefix("/bin/sh -c #(nop) ").strip()
        if text.upper().startswith("USER "):
            return text
    return None
