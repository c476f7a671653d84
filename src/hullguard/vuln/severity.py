"""How bad a vulnerability is: from its CVSS vectors, else from the source's own rating.

Order of preference:
1. the OSV `severity` entries that are CVSS vectors, scored with the `cvss` package: CVSS v4
   over v3 over v2; the base score maps to a severity as CVSS v3 and v4 define the bands
   (>= 9.0 critical, >= 7.0 high, >= 4.0 medium, > 0 low, 0 info);
2. the source's rating of the package (`Affected.rating`: Debian's urgency, the words GitHub
   advisories and other OSV databases use);
3. neither: medium, with `severity_source` "unknown". A vulnerability nobody scored is not
   assumed harmless; the finding's message says that its severity is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hullguard.model import Severity
from hullguard.vuln.model import Advisory, Affected, SeverityScore

UNKNOWN_SOURCE = "unknown"

# CVSS vector kinds in order of preference.
_CVSS_KINDS = ("CVSS_V4", "CVSS_V3", "CVSS_V2")

# The rating words of the sources, lower case: Debian's urgency (`unimportant`, `low`,
# `medium`, `high`), GitHub's (`low`, `moderate`, `high`, `critical`), Red Hat's (`important`),
# Ubuntu's (`negligible`). Words that say "not rated" (`not yet assigned`, `unknown`) are absent.
_RATINGS: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    "unimportant": Severity.LOW,
    "negligible": Severity.LOW,
    "minor": Severity.LOW,
    "info": Severity.INFO,
    "none": Severity.INFO,
}


@dataclass(frozen=True, slots=True)
class Rated:
    """A severity and where it came from: `cvss:3.1`, `source:high` or `unknown`."""

    severity: Severity
    source: str
    cvss: dict[str, Any] | None = None  # {"version": "3.1", "vector": ..., "score": 9.8}

    @property
    def known(self) -> bool:
        return self.source != UNKNOWN_SOURCE


def severity_of_score(score: float) -> Severity:
    """The CVSS qualitative band of a base score."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def score_vector(kind: str, vector: str) -> tuple[str, float] | None:
    """(CVSS version, base score) of one vector, or None when it does not parse."""
    from cvss import CVSS2, CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    text = vector.strip()
    try:
        if kind == "CVSS_V4" or text.startswith("CVSS:4."):
            v4 = CVSS4(text)
            return "4.0", float(v4.base_score)
        if kind == "CVSS_V3" or text.startswith("CVSS:3."):
            v3 = CVSS3(text)
            version = (
                text.split("/", 1)[0].removeprefix("CVSS:") if text.startswith("CVSS:") else "3"
            )
            return version, float(v3.base_score)
        if kind == "CVSS_V2":
            v2 = CVSS2(text.removeprefix("(").removesuffix(")"))
            return "2.0", float(v2.base_score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return None


def _best_cvss(scores: tuple[SeverityScore, ...]) -> Rated | None:
    for kind in _CVSS_KINDS:
        for entry in scores:
            if entry.type != kind:
                continue
            scored = score_vector(kind, entry.score)
            if scored is None:
                continue
            version, base = scored
            return Rated(
                severity_of_score(base),
                f"cvss:{version}",
                {"version": version, "vector": entry.score.strip(), "score": base},
            )
    return None


def rating_severity(word: str | None) -> Severity | None:
    """The severity a source's rating word names, or None for no or an unknown word."""
    if not word:
        return None
    return _RATINGS.get(word.strip().lower())


def rate(advisory: Advisory, affected: Affected) -> Rated:
    """The severity of `advisory` for the package of `affected`."""
    scored = _best_cvss(advisory.severity)
    if scored is not None:
        return scored
    severity = rating_severity(affected.rating)
    if severity is not None and affected.rating is not None:
        return Rated(severity, f"source:{affected.rating.strip().lower()}")
    for entry in advisory.severity:  # a non-CVSS OSV severity such as {"type": "Ubuntu"}
        if entry.type not in _CVSS_KINDS:
            severity = rating_severity(entry.score)
            if severity is not None:
                return Rated(severity, f"source:{entry.score.strip().lower()}")
    return Rated(Severity.MEDIUM, UNKNOWN_SOURCE)
