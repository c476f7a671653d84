"""Owner and mode checks shared by the rules on the daemon's files."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from hullguard.sources.host import FileFact, FileRole, HostFiles


def ownership_and_mode_issues(
    fact: FileFact, max_mode: int, groups: frozenset[str] = frozenset({"root"})
) -> list[str]:
    """What is wrong with `fact` for a file that root must own, in one of `groups`, with no
    permission bit beyond `max_mode`."""
    issues: list[str] = []
    if fact.uid != 0:
        issues.append(f"owned by {fact.owner}, not root")
    if fact.gid != 0 and fact.group not in groups:
        issues.append(f"group {fact.group}, not {' or '.join(sorted(groups))}")
    extra = fact.mode & ~max_mode
    if extra:
        issues.append(f"mode {fact.mode_text} allows more than {max_mode:04o}")
    return issues


def loose_files(
    files: HostFiles | None, max_modes: Mapping[FileRole, int]
) -> Iterator[tuple[FileFact, list[str]]]:
    """The files of the roles in `max_modes` that break their role's owner and mode limits,
    each with what is wrong."""
    for fact in files.files if files is not None else ():
        limit = max_modes.get(fact.role)
        if limit is None:
            continue
        issues = ownership_and_mode_issues(fact, limit)
        if issues:
            yield fact, issues
