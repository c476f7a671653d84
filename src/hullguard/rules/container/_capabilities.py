"""Capability names as the kernel spells them, and the table of dangerous ones."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hullguard.data import load
from hullguard.model import Severity


def capability_name(text: str) -> str:
    """`cap_sys_admin`, `CAP_SYS_ADMIN` and `sys_admin` are all `SYS_ADMIN`."""
    name = text.strip().strip("'\"").upper()
    return name[4:] if name.startswith("CAP_") else name


@dataclass(frozen=True, slots=True)
class DangerousCapability:
    name: str
    severity: Severity
    reason: str


@functools.cache
def dangerous_capabilities() -> dict[str, DangerousCapability]:
    return {
        entry["name"]: DangerousCapability(
            entry["name"], Severity.parse(entry["severity"]), entry["reason"]
        )
        for entry in load("dangerous_capabilities")["capability"]
    }
