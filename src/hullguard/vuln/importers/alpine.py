"""The Alpine Linux security database (secdb): `secdb.alpinelinux.org/<branch>/<repo>.json`.

    {"distroversion": "v3.19", "reponame": "main",
     "packages": [{"pkg": {"name": "openssl", "secfixes": {"3.1.4-r1": ["CVE-2023-5363"]}}}]}

Each file lists, per (source) package of one branch and repository, the package versions that
fixed vulnerabilities. Stored as one advisory per vulnerability id and package, with source
`alpine-secdb`, in ecosystem `Alpine:<branch>` (`Alpine:v3.19`, `Alpine:edge`), with the range
`introduced "0", fixed <version>`: every earlier version of the package on that branch is
affected. An id listed under several fixed versions of one package keeps one range per version,
so that a version is affected up to the last fix.

Version `0` is special: Alpine's maintainers put a vulnerability under `0` when it does not
affect the package on that branch at all (fixed upstream before the package was added, not
applicable to Alpine's build, a disputed report). Those entries name no vulnerable version and
are therefore not stored; the summary counts them. An entry whose words say "not applicable" is
treated the same way.

The entries are free text written by hand: `"CVE-2016-9932 XSA-200"` (a CVE and the vendor's
id), `"CVE-2020-11740 CVE-2020-11741 XSA-313"` (several CVEs), `"XSA-207"` (no CVE),
`"CVE-2018-14468 (FrameRelay)"`, `"CVE_2019-2426"` (a typo). Each CVE in an entry becomes an
advisory with the entry's other ids as aliases; an entry without a CVE uses its first other id.
An entry with no id at all is reported and skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullguard.vuln.importers import MAX_DOCUMENT_BYTES, Batch, Problem, Reporter
from hullguard.vuln.model import FIXED, INTRODUCED, Advisory, Affected, Event, Range, normalise_name
from hullguard.vuln.store import Feed

if TYPE_CHECKING:
    from hullguard.vuln.importers import ImportSummary

SOURCE = "alpine-secdb"
NOT_AFFECTED_VERSION = "0"

_CVE = re.compile(r"CVE[-_](\d{4})-(\d{4,})", re.IGNORECASE)
_OTHER_ID = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+")
_NOT_APPLICABLE = re.compile(r"not\s+(?:actually\s+)?(?:applicable|affected)", re.IGNORECASE)
_BRANCH = re.compile(r"^(?:v\d+\.\d+|edge)$")


@dataclass
class _Fixes:
    """The fixed versions and aliases gathered for one (id, package) in one file."""

    fixed: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)


def parse_entry(text: str) -> tuple[list[str], list[str], bool]:
    """(advisory ids, aliases, not-applicable) of one secfixes entry."""
    cves = list(dict.fromkeys(f"CVE-{m.group(1)}-{m.group(2)}" for m in _CVE.finditer(text)))
    others: list[str] = []
    for token in re.split(r"[\s,;()\[\]]+", text):
        token = token.strip(".:")
        if not token or token.upper().startswith("CVE"):
            continue
        if _OTHER_ID.fullmatch(token) and any(c.isdigit() for c in token.split("-", 1)[1]):
            others.append(token)
    others = list(dict.fromkeys(others))
    not_applicable = bool(_NOT_APPLICABLE.search(text))
    if cves:
        return cves, others, not_applicable
    if others:
        return others[:1], others[1:], not_applicable
    return [], [], not_applicable


def read_secdb(path: Path, report: Reporter, summary: ImportSummary) -> Iterator[Batch]:
    where = str(path)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            report(Problem(where, f"larger than {MAX_DOCUMENT_BYTES} bytes; skipped"))
            return
        document = json.loads(path.read_bytes())
    except OSError as exc:
        report(Problem(where, f"cannot read: {exc.strerror or exc}"))
        return
    except UnicodeDecodeError:
        report(Problem(where, "not valid JSON: not UTF-8 text"))
        return
    except json.JSONDecodeError as exc:
        report(Problem(f"{where}:{exc.lineno}", f"not valid JSON: {exc.msg}"))
        return
    except RecursionError:
        report(Problem(where, "not read: nested too deeply"))
        return
    batch = parse_secdb(document, where, report, summary)
    if batch is not None:
        yield batch


def parse_secdb(
    document: Any, where: str, report: Reporter, summary: ImportSummary | None = None
) -> Batch | None:
    if not isinstance(document, Mapping):
        report(Problem(where, "a secdb file is a JSON object with `distroversion` and `packages`"))
        return None
    branch = document.get("distroversion")
    repo = document.get("reponame")
    packages = document.get("packages")
    if not isinstance(branch, str) or not _BRANCH.match(branch.strip()):
        report(Problem(where, f'`distroversion` is {branch!r}, not a branch such as "v3.19"'))
        return None
    if not isinstance(packages, list):
        report(Problem(where, "`packages` is missing or not a list"))
        return None
    branch = branch.strip()
    ecosystem = f"Alpine:{branch}"
    repo_name = repo.strip() if isinstance(repo, str) and repo.strip() else Path(where).stem
    gathered: dict[tuple[str, str], _Fixes] = {}
    not_affected = 0
    for index, item in enumerate(packages):
        pkg = item.get("pkg") if isinstance(item, Mapping) else None
        name = pkg.get("name") if isinstance(pkg, Mapping) else None
        if not isinstance(pkg, Mapping) or not isinstance(name, str) or not name.strip():
            report(Problem(f"{where}#packages[{index}]", "no `pkg.name`; skipped"))
            continue
        package = normalise_name(ecosystem, name.strip())
        secfixes = pkg.get("secfixes") or {}
        if not isinstance(secfixes, Mapping):
            report(Problem(f"{where}#{name}", "`secfixes` is not an object; skipped"))
            continue
        for version, entries in secfixes.items():
            version = str(version).strip()
            if entries is None:
                continue
            if not isinstance(entries, list):
                report(Problem(f"{where}#{name}", f"secfixes {version!r} is not a list; skipped"))
                continue
            for entry in entries:
                if not isinstance(entry, str):
                    report(
                        Problem(f"{where}#{name}", f"secfixes {version!r}: {entry!r} is not text")
                    )
                    continue
                ids, aliases, not_applicable = parse_entry(entry)
                if not ids:
                    report(
                        Problem(
                            f"{where}#{name}", f"secfixes {version!r}: no advisory id in {entry!r}"
                        )
                    )
                    continue
                if version == NOT_AFFECTED_VERSION or not_applicable or not version:
                    not_affected += len(ids)
                    continue
                for advisory_id in ids:
                    fixes = gathered.setdefault((advisory_id, package), _Fixes())
                    if version not in fixes.fixed:
                        fixes.fixed.append(version)
                    fixes.aliases += [a for a in aliases if a not in fixes.aliases]
    if summary is not None:
        summary.not_affected += not_affected
    advisories = [
        Advisory(
            id=advisory_id,
            source=SOURCE,
            aliases=tuple(fixes.aliases),
            affected=(
                Affected(
                    ecosystem=ecosystem,
                    package=package,
                    ranges=tuple(
                        Range("ECOSYSTEM", (Event(INTRODUCED, "0"), Event(FIXED, fixed)))
                        for fixed in fixes.fixed
                    ),
                ),
            ),
        )
        for (advisory_id, package), fixes in gathered.items()
    ]
    feed = Feed(f"{SOURCE}:{branch}/{repo_name}", SOURCE, where)
    return Batch(feed, advisories)
