"""Owner and mode checks shared by the rules on the daemon's files."""

from __future__ import annotations

from hullguard.sources.host import FileFact


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
