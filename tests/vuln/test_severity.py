"""Severities: CVSS vectors scored with the `cvss` package, v4 over v3 over v2, else the
source's rating, else unknown (reported as medium)."""

from __future__ import annotations

import pytest

from hullguard.model import Severity
from hullguard.vuln.model import Advisory, Affected, SeverityScore
from hullguard.vuln.severity import UNKNOWN_SOURCE, rate, score_vector, severity_of_score

V3_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
V3_MEDIUM = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N"  # 4.2
V3_NONE = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"  # 0.0
V2_HIGH = "AV:N/AC:L/Au:N/C:P/I:P/A:P"  # 7.5
V4_LOW = "CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"


def advisory(*scores: tuple[str, str]) -> Advisory:
    return Advisory("CVE-2024-0001", "test", severity=tuple(SeverityScore(t, s) for t, s in scores))


PACKAGE = Affected("PyPI", "pkg")


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (10.0, Severity.CRITICAL),
        (9.0, Severity.CRITICAL),
        (8.9, Severity.HIGH),
        (7.0, Severity.HIGH),
        (6.9, Severity.MEDIUM),
        (4.0, Severity.MEDIUM),
        (3.9, Severity.LOW),
        (0.1, Severity.LOW),
        (0.0, Severity.INFO),
    ],
)
def test_bands(score: float, severity: Severity) -> None:
    assert severity_of_score(score) is severity


def test_vectors_are_scored() -> None:
    assert score_vector("CVSS_V3", V3_CRITICAL) == ("3.1", 9.8)
    assert score_vector("CVSS_V3", V3_MEDIUM) == ("3.1", 4.2)
    assert score_vector("CVSS_V2", V2_HIGH) == ("2.0", 7.5)
    assert score_vector("CVSS_V3", "CVSS:3.1/AV:N/garbage") is None
    version, score = score_vector("CVSS_V4", V4_LOW) or ("", -1.0)
    assert version == "4.0" and 0 < score < 4


def test_v3_over_v2_and_v4_over_v3() -> None:
    rated = rate(advisory(("CVSS_V2", V2_HIGH), ("CVSS_V3", V3_MEDIUM)), PACKAGE)
    assert (rated.severity, rated.source) == (Severity.MEDIUM, "cvss:3.1")
    assert rated.cvss == {"version": "3.1", "vector": V3_MEDIUM, "score": 4.2}
    rated = rate(advisory(("CVSS_V3", V3_CRITICAL), ("CVSS_V4", V4_LOW)), PACKAGE)
    assert (rated.severity, rated.source) == (Severity.LOW, "cvss:4.0")


def test_a_zero_score_is_info() -> None:
    assert rate(advisory(("CVSS_V3", V3_NONE)), PACKAGE).severity is Severity.INFO


def test_unreadable_vector_falls_back_to_the_next_kind() -> None:
    rated = rate(advisory(("CVSS_V3", "CVSS:3.1/nonsense"), ("CVSS_V2", V2_HIGH)), PACKAGE)
    assert (rated.severity, rated.source) == (Severity.HIGH, "cvss:2.0")


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("unimportant", Severity.LOW),  # Debian urgency
        ("low", Severity.LOW),
        ("medium", Severity.MEDIUM),
        ("high", Severity.HIGH),
        ("MODERATE", Severity.MEDIUM),  # GitHub
        ("critical", Severity.CRITICAL),
    ],
)
def test_source_rating_without_a_vector(word: str, severity: Severity) -> None:
    rated = rate(advisory(), Affected("Debian:12", "pkg", rating=word))
    assert rated.severity is severity
    assert rated.source == f"source:{word.lower()}"
    assert rated.cvss is None


def test_vector_wins_over_rating() -> None:
    rated = rate(advisory(("CVSS_V3", V3_CRITICAL)), Affected("Debian:12", "pkg", rating="low"))
    assert rated.severity is Severity.CRITICAL


def test_unknown_is_medium_and_says_so() -> None:
    for affected in (PACKAGE, Affected("Debian:12", "pkg", rating="not yet assigned")):
        rated = rate(advisory(), affected)
        assert (rated.severity, rated.source, rated.known) == (
            Severity.MEDIUM,
            UNKNOWN_SOURCE,
            False,
        )
