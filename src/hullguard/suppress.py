"""Inline suppressions.

`# hullguard: ignore[HG402] reason` (or `// hullguard: ...` in files whose comments start with
`//`, such as Jenkinsfiles and go.mod) on its own line silences those rules for the statement that
follows (every line of a multi-line instruction); written at the end of a line it silences that
line. `# hullguard: ignore-file[HG4]` anywhere silences them in the whole file. Inside the brackets:
rule ids, id prefixes (`HG4` = pillar 4) or rule names, comma-separated. Unknown ids are reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hullguard.model import ErrorEntry, ErrorKind, Finding

# `#` comments, and `//` ones for the files that have no other (Jenkinsfiles, go.mod)
_DIRECTIVE = re.compile(r"(?:#|//)\s*hullguard:\s*(ignore-file|ignore)\s*\[([^\]]*)\]\s*(.*)$")
_TOKEN = re.compile(r"^(HG[1-6]\d{0,2}|[a-z0-9]+(?:-[a-z0-9]+)*)$", re.IGNORECASE)


@dataclass
class Suppressions:
    file_wide: list[str] = field(default_factory=list)
    by_line: dict[int, list[str]] = field(default_factory=dict)
    errors: list[ErrorEntry] = field(default_factory=list)

    def covers(self, finding: Finding) -> bool:
        if any(_matches(token, finding) for token in self.file_wide):
            return True
        line = finding.location.line
        if line is None:
            return False
        return any(_matches(token, finding) for token in self.by_line.get(line, ()))


def _matches(token: str, finding: Finding) -> bool:
    upper = token.upper()
    if upper.startswith("HG") and upper[2:].isdigit():
        return finding.rule_id.startswith(upper)
    return finding.rule_name == token


def parse_suppressions(
    path: str,
    lines: Sequence[str],
    statement_span: Callable[[int], tuple[int, int] | None],
    known: Callable[[str], bool],
) -> Suppressions:
    """Read the directives in `lines`.

    `statement_span(line)` gives the (first, last) line of the statement starting at or after
    `line`, or None; `known(token)` says whether a token names at least one rule.
    """
    result = Suppressions()
    if "hullguard" not in "\n".join(lines):
        return result
    for number, text in enumerate(lines, start=1):
        if "hullguard" not in text:
            continue
        match = _DIRECTIVE.search(text)
        if not match:
            continue
        mode, inside, _reason = match.groups()
        tokens = [t.strip() for t in inside.split(",") if t.strip()]
        if not tokens:
            result.errors.append(_error(path, number, match.start(), f"{mode}[] names no rule"))
            continue
        valid = []
        for token in tokens:
            if not _TOKEN.match(token) or not known(token):
                result.errors.append(
                    _error(path, number, match.start(), f"unknown rule `{token}` in {mode}[...]")
                )
            else:
                valid.append(token)
        if mode == "ignore-file":
            result.file_wide.extend(valid)
            continue
        own_line = text[: match.start()].strip() == ""
        if own_line:
            span = statement_span(number + 1)
            first, last = span if span else (number + 1, number + 1)
        else:
            first = last = number
        for covered in range(first, last + 1):
            result.by_line.setdefault(covered, []).extend(valid)
    return result


def _error(path: str, line: int, column: int, message: str) -> ErrorEntry:
    return ErrorEntry(
        path=path, line=line, column=column + 1, message=message, kind=ErrorKind.SUPPRESSION
    )
