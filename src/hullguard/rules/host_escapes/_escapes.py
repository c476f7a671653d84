"""Known container escapes (`data/container_escapes.toml`) judged against a host's versions.

A version is judged, in order of certainty:
1. by the distribution: a Debian package of the advisory's source package, on a Debian release
   for which the data names a fixed package version, is compared with dpkg's ordering; this is
   the only verdict that sees backported fixes;
2. by the upstream version against the advisory's ranges. Outside every range is a sure "not
   affected". Inside a range is sure for upstream builds (Docker's own packages, binaries that
   report a plain release, an upstream kernel with its sublevel), and uncertain for distribution
   builds and distribution kernels, which may carry the fix without raising the version: the
   finding then says so and is reported at medium severity.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hullguard.data import load
from hullguard.hostaudit import HostAudit
from hullguard.model import Finding, Severity
from hullguard.registry import Context
from hullguard.sources.host_packages import (
    Component,
    ComponentVersion,
    Distribution,
    FactSource,
    HostPackages,
)
from hullguard.versions import dpkg
from hullguard.versions.kernel import KernelFlavour, KernelRelease, upstream_of_debian_package
from hullguard.versions.release import ReleaseVersion

UNCERTAIN_SEVERITY = Severity.MEDIUM
# dpkg packages built by the upstream project itself: their versions carry no backports.
UPSTREAM_PACKAGES = frozenset({"docker-ce", "docker-engine", "containerd.io"})
_PRIORITY: Mapping[Component, tuple[FactSource, ...]] = {
    Component.KERNEL: (FactSource.UNAME, FactSource.BOOT, FactSource.API),
}
_DEFAULT_PRIORITY = (FactSource.API, FactSource.DPKG)
_NO_BACKPORTS = {KernelFlavour.UPSTREAM, KernelFlavour.ARCH, KernelFlavour.FEDORA}


@dataclass(frozen=True)
class VersionRange:
    introduced: str
    fixed: str | None


@dataclass(frozen=True)
class Affects:
    component: Component
    ranges: tuple[VersionRange, ...]
    debian_package: str | None
    debian_fixed: Mapping[str, str]
    note: str | None


@dataclass(frozen=True)
class Escape:
    id: str
    name: str
    severity: Severity
    summary: str
    source: str
    requires: str | None
    affects: tuple[Affects, ...]

    @property
    def title(self) -> str:
        return f"{self.id} ({self.name})"


@functools.cache
def escapes() -> tuple[Escape, ...]:
    return tuple(_escape(entry) for entry in load("container_escapes")["escape"])


def _escape(entry: Mapping[str, Any]) -> Escape:
    affects = []
    for item in entry.get("affects", ()):
        debian = item.get("debian") or entry.get("debian") or {}
        ranges = tuple(VersionRange(r["introduced"], r.get("fixed")) for r in item["ranges"])
        affects.append(
            Affects(
                component=Component(item["component"]),
                ranges=ranges,
                debian_package=debian.get("package"),
                debian_fixed=dict(debian.get("fixed", {})),
                note=item.get("note"),
            )
        )
    return Escape(
        id=entry["id"],
        name=entry["name"],
        severity=Severity.parse(entry["severity"]),
        summary=entry["summary"],
        source=entry["source"],
        requires=entry.get("requires"),
        affects=tuple(affects),
    )


@dataclass(frozen=True)
class Verdict:
    escape: Escape
    fact: ComponentVersion
    affected: bool
    certain: bool
    explanation: str  # how the verdict was reached, for the message


def judge(escape: Escape, affects: Affects, fact: ComponentVersion,
          distribution: Distribution | None) -> Verdict | None:  # fmt: skip
    """The verdict on one version for one escape, or None when the version cannot be read."""
    debian = _debian_verdict(escape, affects, fact, distribution)
    if debian is not None:
        return debian
    upstream = _upstream(affects.component, fact)
    if upstream is None:
        return None
    key, shown, certain, why_unsure = upstream
    for span in affects.ranges:
        low = _key(affects.component, span.introduced)
        high = _key(affects.component, span.fixed) if span.fixed else None
        if low is None or not low <= key or (high is not None and not key < high):
            continue
        fixed = f"fixed upstream in {span.fixed}" if span.fixed else "no fix on this branch"
        text = f"upstream {shown} is in the affected range ({fixed})"
        if not certain:
            text += f"; {why_unsure}"
        return Verdict(escape, fact, True, certain, text)
    return Verdict(escape, fact, False, True, f"upstream {shown} is outside the affected ranges")


def _debian_verdict(escape: Escape, affects: Affects, fact: ComponentVersion,
                    distribution: Distribution | None) -> Verdict | None:  # fmt: skip
    if (
        fact.package_version is None
        or affects.debian_package is None
        or distribution is None
        or not distribution.is_debian_family
        or distribution.id == "ubuntu"
        or distribution.codename is None
    ):
        return None
    source = fact.source_package
    if source is None and fact.component is Component.KERNEL:
        source = "linux"  # the package version came from a Debian kernel's build string
    if source != affects.debian_package:
        return None
    fixed = affects.debian_fixed.get(distribution.codename)
    if fixed is None:
        return None
    try:
        order = dpkg.compare(fact.package_version, fixed)
    except ValueError:
        return None
    name = fact.package or source
    package = f"Debian {distribution.codename} package {name} {fact.package_version}"
    if order < 0:
        return Verdict(escape, fact, True, True, f"{package} is older than the fixed {fixed}")
    return Verdict(escape, fact, False, True, f"{package} has the fix (fixed in {fixed})")


def _upstream(component: Component, fact: ComponentVersion
              ) -> tuple[tuple[Any, ...], str, bool, str] | None:  # fmt: skip
    """The upstream version's sort key, its text, whether an in-range verdict is sure, and why
    it is not when it is not."""
    if component is Component.KERNEL:
        try:
            release = KernelRelease.parse(fact.version)
        except ValueError:
            return None
        from_package = upstream_of_debian_package(fact.package_version or "")
        if from_package is not None:
            shown = ".".join(str(n) for n in from_package)
            why = ("the data names no Debian fix for this release, so a backported fix cannot "
                   "be ruled out")  # fmt: skip
            return from_package, shown, False, why
        sure = release.flavour in _NO_BACKPORTS and release.sublevel_known
        why = (f"{release.flavour.value} kernel {release.release}: without the distribution's "
               "package version backported fixes cannot be ruled out")  # fmt: skip
        if not release.sublevel_known:
            why = (f"{release.release} is a {release.flavour.value} ABI name that hides the "
                   "stable sublevel; without the distribution's package version backported "
                   "fixes cannot be ruled out")  # fmt: skip
        return release.upstream, release.upstream_text, sure, why
    text = fact.version.split(":", 1)[-1] if fact.source is FactSource.DPKG else fact.version
    try:
        version = ReleaseVersion.parse(text)
    except ValueError:
        return None
    sure = fact.package in UPSTREAM_PACKAGES or not version.is_distribution_build
    why = (f"{fact.version} is a distribution build that may carry a backported fix the "
           "upstream version does not show")  # fmt: skip
    return version.sort_key(), version.upstream, sure, why


def _key(component: Component, text: str) -> tuple[Any, ...] | None:
    try:
        if component is Component.KERNEL:
            parts = [int(p) for p in text.split(".")]
            return tuple([*parts, 0, 0, 0][:3])
        return ReleaseVersion.parse(text).sort_key()
    except ValueError:
        return None


def verdicts(component: Component, packages: HostPackages) -> Iterator[Verdict]:
    """For each escape of `component`, the verdict of the most telling version: a Debian
    package verdict first, else the version of the highest-priority source."""
    facts = packages.of(component)
    if not facts:
        return
    order = _PRIORITY.get(component, _DEFAULT_PRIORITY)
    ranked = sorted(facts, key=lambda f: order.index(f.source) if f.source in order else 99)
    for escape in escapes():
        for affects in escape.affects:
            if affects.component is not component:
                continue
            found = [v for f in ranked if (v := judge(escape, affects, f, packages.distribution))]
            if not found:
                continue
            by_debian = [v for v in found if v.explanation.startswith("Debian ")]
            yield (by_debian or found)[0]


def escape_findings(component: Component, host: HostAudit, ctx: Context,
                    label: str) -> Iterable[Finding]:  # fmt: skip
    """One finding per escape the host's `component` is (or may be) exposed to."""
    if host.packages is None:
        return
    for verdict in verdicts(component, host.packages):
        if not verdict.affected:
            continue
        escape, fact = verdict.escape, verdict.fact
        severity = escape.severity if verdict.certain else UNCERTAIN_SEVERITY
        message = f"{label} {fact.describe} is exposed to {escape.title}: {verdict.explanation}"
        unguarded = host.daemon is not None and not host.daemon.authorization_plugins
        if escape.requires == "authorization-plugin" and unguarded:
            severity = Severity.LOW
            message += "; no authorization plugin is configured, so nothing is bypassed yet"
        if not verdict.certain:
            message += " (verdict uncertain)"
        message += f". {escape.summary}; see {escape.source}"
        yield ctx.finding(at=fact.location, message=message, severity=severity, resource=label)
