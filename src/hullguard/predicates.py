"""Shared predicates with their edge cases in one place, so no two rules disagree on them."""

from __future__ import annotations

import fnmatch

from hullguard.data import load
from hullguard.imageref import ImageRef


def user_part(user: str) -> str:
    """The user of a `user[:group]` specification."""
    return user.strip().split(":", 1)[0].strip()


def is_root_user(user: str | None) -> bool:
    """True when a USER/`user:`/runAsUser value means UID 0.

    None and the empty string mean "not set", which Docker runs as root. `root`, `0`, `0:0`,
    `root:x`, `0:1000`, `+0` and `00` are root; `1000:0` (root group only) is not root.
    """
    if user is None:
        return True
    name = user_part(user)
    if name == "":
        return True
    if name == "root":
        return True
    digits = name.lstrip("+")
    return digits.isdigit() and int(digits) == 0


def has_unresolved_variable(text: str) -> bool:
    return "$" in text


def nonroot_default_user(ref: ImageRef) -> tuple[str, str] | None:
    """The non-root user a base image is known to default to, with the source of that fact."""
    for entry in load("nonroot_images")["image"]:
        if not fnmatch.fnmatchcase(ref.name, entry["name"]):
            continue
        tag = ref.tag or "latest"
        if _tag_matches(tag, entry.get("except_tags", [])):
            continue
        if entry.get("all_tags") or _tag_matches(tag, entry.get("tags", [])):
            return str(entry["user"]), str(entry["source"])
    return None


def _tag_matches(tag: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.startswith(("-", ":")):
            if tag.endswith(pattern[1:]) and (tag == pattern[1:] or tag.endswith(pattern)):
                return True
        elif tag == pattern:
            return True
    return False
