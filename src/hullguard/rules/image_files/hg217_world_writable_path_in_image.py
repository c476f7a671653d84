"""HG217: a world-writable file, or directory without the sticky bit, in a built image."""

from __future__ import annotations

from collections.abc import Iterator

from hullguard.image.model import FileType, ImageContents, ImageFile
from hullguard.model import Finding, Severity
from hullguard.registry import IMAGE_FILES, Context, rule
from hullguard.rules.image_files._files import instruction

WORLD_WRITABLE = 0o002
STICKY = 0o1000


@rule(
    id="HG217",
    name="world-writable-path-in-image",
    pillar=2,
    severity=Severity.MEDIUM,
    targets=(IMAGE_FILES,),
    references=("cwe:732", "cwe:276"),
    fix="give the path to the user that needs it (`COPY --chown`, `chown`) with mode 755/644, "
    "or add the sticky bit to a shared directory (`chmod 1777`)",
)
def world_writable_path_in_image(contents: ImageContents, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags files of a built image that every user may write, and directories that every user
    may write without the sticky bit (`/tmp` is `1777`; `777` is not).

    ## Why is this bad?
    Whoever runs in the container, under any UID, can change a world-writable program,
    configuration or library, and so the code that another user (root) runs next. In a
    world-writable directory without the sticky bit anyone can delete or replace anyone's
    files.

    ## Example
    ```dockerfile
    RUN chmod -R 777 /app
    ```

    ## How to fix
    Give the path to the user that writes it (`COPY --chown=app:app`, `chown`) and keep
    `755` for directories and `644` for files; a directory shared by several users gets the
    sticky bit (`chmod 1777`).

    ## Notes
    Symbolic links (always `777`) and device files are not judged. Below a reported
    directory, further world-writable paths are counted in its finding rather than reported
    one by one.
    """
    reported: dict[str, int] = {}
    order: list[tuple[str, ImageFile]] = []
    for path in sorted(contents.files):
        file = contents.files[path]
        if not _is_loose(file):
            continue
        parent = next((r for r in reported if path.startswith(r + "/")), None)
        if parent is not None:
            reported[parent] += 1
            continue
        if file.type is FileType.DIRECTORY:
            reported[path] = 0
        order.append((path, file))
    for path, file in order:
        kind = "directory without the sticky bit" if path in reported else "file"
        message = (
            f"`{path}` is a world-writable {kind} (mode {file.mode & 0o7777:04o}), "
            f"added by {instruction(contents, file)}"
        )
        if reported.get(path):
            message += f"; {reported[path]} more world-writable paths below it"
        yield ctx.finding(at=contents.at(path), message=message)


def _is_loose(file: ImageFile) -> bool:
    if not file.mode & WORLD_WRITABLE:
        return False
    if file.type is FileType.DIRECTORY:
        return not file.mode & STICKY
    return file.type in (FileType.REGULAR, FileType.HARDLINK)
