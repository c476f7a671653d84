"""HG219: two accounts with one UID, or UID 0 besides root, in a built image."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from hullguard.image.model import ImageContents
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import account_lines, instruction

PASSWD = "/etc/passwd"


@rule(
    id="HG219",
    name="duplicate-uid-in-image",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(IMAGE_FILES,),
    references=("dockle:DKL-LI-0002", "cwe:250", "cwe:286"),
    fix="give every account its own UID; remove accounts with UID 0 other than root",
)
def duplicate_uid_in_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags UIDs that more than one account of `/etc/passwd` shares; an account other than
    `root` with UID 0 is reported as high.

    ## Why is this bad?
    The kernel knows only the number: every account with UID 0 is root, whatever its name,
    and a container that "runs as `app`" runs as root if `app` has UID 0. Shared UIDs also
    share every file and process, so audit trails and permissions cannot tell them apart.

    ## Example
    ```
    root:x:0:0:root:/root:/bin/sh
    app:x:0:0::/app:/bin/sh
    ```

    ## How to fix
    Create accounts with `useradd`/`adduser`, which pick a free UID, and never edit UIDs to
    0. Remove or renumber the duplicates.

    ## Notes
    Only `/etc/passwd` is read; NIS entries (`+`, `-`) are skipped.
    """
    file = contents.files.get(PASSWD)
    if file is None:
        return
    accounts: dict[str, list[str]] = defaultdict(list)
    for _, entry in account_lines(file):
        if len(entry) > 2 and entry[0] and entry[0][0] not in "+-":
            accounts[entry[2].strip()].append(entry[0])
    made_by = instruction(contents, file)
    for uid, names in sorted(accounts.items()):
        if uid == "0":
            for name in names:
                if name != "root":
                    yield ctx.finding(
                        at=contents.at(PASSWD),
                        message=f"account `{name}` has UID 0 in `{PASSWD}`: it is root; "
                        f"added by {made_by}",
                        severity=Severity.HIGH,
                    )
        elif len(names) > 1:
            yield ctx.finding(
                at=contents.at(PASSWD),
                message=f"accounts {', '.join(f'`{n}`' for n in names)} share UID {uid} in "
                f"`{PASSWD}`, added by {made_by}",
            )
