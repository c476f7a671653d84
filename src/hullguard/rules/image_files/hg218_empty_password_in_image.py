"""HG218: an account with an empty password in a built image."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.image.model import ImageContents
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import account_lines, instruction


@rule(
    id="HG218",
    name="empty-password-in-image",
    pillar=2,
    severity=Severity.HIGH,
    targets=(IMAGE_FILES,),
    references=("dockle:DKL-LI-0001", "cwe:258", "cwe:521"),
    fix="lock the account (`passwd -l NAME`, or `*` or `!` in the password field)",
)
def empty_password_in_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags accounts whose password field is empty in `/etc/shadow`, or in `/etc/passwd`
    where it holds the password itself (not `x`).

    ## Why is this bad?
    An empty password lets anyone log in as that account without one: through `su` inside
    the container, or through any login service the image runs. For root, that is any
    process in the container becoming root.

    ## Example
    ```
    root::19700:0:99999:7:::
    ```
    in `/etc/shadow`, as left by `passwd -d root`.

    ## How to fix
    Lock the account: `passwd -l root`, or `*` or `!` in the password field. Containers need
    no login passwords at all.

    ## Notes
    Locked (`!`, `*`, `!!`) and hashed passwords are not reported; hashes are never printed.
    """
    for path, field in (("/etc/shadow", 1), ("/etc/passwd", 1)):
        file = contents.files.get(path)
        for number, entry in account_lines(file):
            if file is None or len(entry) <= field or entry[field]:
                continue
            yield ctx.finding(
                at=contents.at(path),
                message=f"account `{entry[0]}` has an empty password in `{path}` (line "
                f"{number}), added by {instruction(contents, file)}",
            )
