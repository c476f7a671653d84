"""HG447: CMD or ENTRYPOINT of the final image in shell form."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import DOCKERFILE, Context, rule
from hullguard.rules.dockerfile._process import instruction_script, start_instructions
from hullguard.sources.dockerfile import Dockerfile


@rule(
    id="HG447",
    name="shell-form-cmd",
    pillar=4,
    severity=Severity.LOW,
    targets=(DOCKERFILE,),
    references=("hadolint:DL3025", "kics:b86987e1-6397-4619-81d5-8807f2387c79"),
    fix='write CMD and ENTRYPOINT in exec form: `CMD ["app", "--flag"]`',
)
def shell_form_cmd(dockerfile: Dockerfile, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags the CMD or ENTRYPOINT of the final image when it is written in shell form
    (`CMD node server.js`) instead of exec form (`CMD ["node", "server.js"]`).

    ## Why is this bad?
    The shell form runs `/bin/sh -c "..."`: the shell is PID 1 and the application its child.
    `docker stop` sends SIGTERM to the shell, which does not pass it on; the application gets no
    chance to finish requests or flush data and is killed after the timeout. A shell-form
    ENTRYPOINT also ignores CMD and the arguments of `docker run`.

    ## Example
    ```dockerfile
    CMD node server.js
    ```
    Use instead:
    ```dockerfile
    CMD ["node", "server.js"]
    ```

    ## How to fix
    Use the JSON array form. When a shell is needed (variables, several steps), end the
    script with `exec`: `CMD ["sh", "-c", "exec node server.js --port $PORT"]`.

    ## Notes
    Only the ENTRYPOINT and CMD in effect in the final image are checked; those of builder
    stages never run. A shell form whose command is `exec ...` hands PID 1 to the application
    and is not reported.
    """
    for instruction in start_instructions(dockerfile):
        if instruction.exec_form is not None:
            continue
        script = instruction_script(instruction)
        if any(c.name == "exec" and not c.nested for c in script.commands):
            continue
        value = (
            instruction.value if len(instruction.value) <= 60 else instruction.value[:57] + "..."
        )
        form = f"{instruction.keyword} {value}"
        yield ctx.finding(
            at=instruction,
            message=f"`{form}` is in shell form: signals go to /bin/sh, not the application",
        )
