"""Release versions of the container engine, containerd, runc and BuildKit.

Upstream tags look like SemVer (`1.1.12`, `v1.7.13`, `24.0.9`, `1.0.0-rc93`, `0.12.5`), older
Docker releases carry an edition (`17.03.0-ce`), and distribution builds append their own
revision to the upstream release (`1.7.2-0ubuntu1`, `20.10.24+dfsg1`, `1.0.0~rc6+dfsg1-3`,
`1.6.20~ds1-2`). `ReleaseVersion` keeps the upstream release (numbers and pre-release) apart
from the distribution's additions and orders by the upstream release only.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_RELEASE = re.compile(
    r"""^v?(?P<core>\d+(?:\.\d+)*)
    (?:[-.]?(?:ce|ee))?                                  # a Docker edition, not a pre-release
    (?:[-~.]?(?P<pre>(?:alpha|beta|rc|pre|dev)[.\-]?\d*(?:\.\d+)*))?
    (?P<rest>.*)$""",
    re.VERBOSE | re.IGNORECASE,
)
_NATURAL = re.compile(r"\d+|[a-z]+", re.IGNORECASE)
_PRE_RANK = {"dev": 0, "pre": 1, "alpha": 1, "beta": 2, "rc": 3}


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    key: list[tuple[int, int | str]] = []
    for token in _NATURAL.findall(text.lower()):
        if token.isdigit():
            key.append((1, int(token)))
        else:
            key.append((0, _PRE_RANK.get(token, 0)))
    return tuple(key)


@functools.total_ordering
@dataclass(frozen=True)
class ReleaseVersion:
    """An upstream release with what a distribution added to it kept aside."""

    text: str
    numbers: tuple[int, ...]
    prerelease: str  # `rc93`, `beta.1`; empty for a final release
    build: str  # the distribution's part: `0ubuntu1`, `+dfsg1`, `~ds1-2`; empty upstream

    @classmethod
    def parse(cls, text: str) -> ReleaseVersion:
        match = _RELEASE.match(text.strip())
        if not match:
            raise ValueError(f"not a release version: {text!r}")
        rest = match.group("rest")
        if rest[:1] not in ("", "-", "+", "~", "."):
            raise ValueError(f"not a release version: {text!r}")
        numbers = tuple(int(n) for n in match.group("core").split("."))
        return cls(text.strip(), numbers, (match.group("pre") or "").lower(), rest.lstrip("-"))

    @property
    def upstream(self) -> str:
        """The upstream release alone: `1.7.2` for `1.7.2-0ubuntu1`."""
        core = ".".join(str(n) for n in self.numbers)
        return f"{core}-{self.prerelease}" if self.prerelease else core

    @property
    def is_distribution_build(self) -> bool:
        return bool(self.build)

    def sort_key(self) -> tuple[object, ...]:
        """The upstream release as a key that sorts as releases do."""
        numbers = self.numbers + (0,) * (4 - len(self.numbers))
        pre = (0, _natural(self.prerelease)) if self.prerelease else (1, ())
        return (numbers, pre)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return self.sort_key() == other.sort_key()

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ReleaseVersion):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def __hash__(self) -> int:
        return hash(self.sort_key())

    def __str__(self) -> str:
        return self.text


def compare(left: str, right: str) -> int:
    """Compare the upstream releases of two version strings: -1, 0 or 1."""
    a, b = ReleaseVersion.parse(left), ReleaseVersion.parse(right)
    return 0 if a == b else (-1 if a < b else 1)
