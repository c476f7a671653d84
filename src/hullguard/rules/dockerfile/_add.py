"""What an ADD source is: a URL, a Git repository, a local archive that ADD unpacks, or a file."""

from __future__ import annotations

from urllib.parse import urlsplit

# Local archives that ADD unpacks (a tar, plain or compressed with gzip, bzip2, xz or zstd).
ARCHIVE_SUFFIXES = (
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst",
    ".tzst",
)  # fmt: skip


def is_git_source(source: str) -> bool:
    """A source that BuildKit fetches with git: `git@host:repo`, `git://`, `ssh://`, `*.git`."""
    if source.startswith(("git@", "git://", "ssh://")):
        return True
    if not source.startswith(("http://", "https://")):
        return False
    return urlsplit(source).path.rstrip("/").endswith(".git")


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def is_remote(source: str) -> bool:
    return is_url(source) or is_git_source(source)


def is_local_archive(source: str) -> bool:
    return source.lower().endswith(ARCHIVE_SUFFIXES)
