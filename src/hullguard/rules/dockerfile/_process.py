"""What a container starts: the commands of CMD and ENTRYPOINT, shared by the process rules.

The Dockerfile source parses RUN into commands; CMD and ENTRYPOINT are parsed here, the same way,
when a rule asks: the shell form as a script, the exec form as one command (with the string of
`["sh", "-c", "..."]` parsed in turn by the shell source).
"""

from __future__ import annotations

import shlex

from hullguard.memo import by_identity
from hullguard.sources.dockerfile import Dockerfile, Instruction, Stage
from hullguard.sources.shell import Command, Script, parse_script


@by_identity
def instruction_script(instruction: Instruction) -> Script:
    """The commands an instruction runs: a RUN's own script, or CMD/ENTRYPOINT parsed."""
    if instruction.script is not None:
        return instruction.script
    if instruction.exec_form is not None:
        text = shlex.join(instruction.exec_form)
    else:
        text = instruction.value
    return parse_script(text, line=instruction.line)


def start_instructions(dockerfile: Dockerfile) -> list[Instruction]:
    """The ENTRYPOINT and CMD in effect in the final image (an ENTRYPOINT resets the CMD)."""
    entrypoint: Instruction | None = None
    cmd: Instruction | None = None
    for stage in final_chain(dockerfile):
        for instruction in stage.instructions:
            if instruction.keyword == "ENTRYPOINT":
                entrypoint, cmd = instruction, None
            elif instruction.keyword == "CMD":
                cmd = instruction
    return [i for i in (entrypoint, cmd) if i is not None]


def final_chain(dockerfile: Dockerfile) -> list[Stage]:
    """The final stage and the stages it is built FROM, the root first."""
    final = dockerfile.final_stage
    if final is None:
        return []
    chain = [final]
    while chain[0].base_stage is not None and chain[0].base_stage not in {s.index for s in chain}:
        chain.insert(0, dockerfile.stages[chain[0].base_stage])
    return chain


def top_level(script: Script) -> list[Command]:
    """The commands as written, without the unwrapped copies of `sudo x` / `env x`."""
    return [c for c in script.commands if c.wrapped_by is None]
