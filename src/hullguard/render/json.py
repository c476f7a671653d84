"""The `hullguard/report/v1` JSON document.

Keys keep the order `Report.to_dict()` gives them (the order DESIGN.md shows, `schema` first), which
is fixed, so the same report always renders to the same bytes. The top level is indented and each
target, finding and error sits on a line of its own: readable, diff-friendly, and written by the
C encoder (an indented dump of every nested value is several times slower on large reports).
"""

from __future__ import annotations

import json
from typing import Any

from hullguard.model import Report


def render_json(report: Report) -> str:
    document = report.to_dict()
    parts = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {_compact(item)}" for item in value)
            parts.append(f"  {json.dumps(key)}: [\n{items}\n  ]")
        elif key == "fleet" and isinstance(value, dict):
            parts.append(f"  {json.dumps(key)}: {_fleet(value)}")
        else:
            parts.append(f"  {json.dumps(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def _fleet(fleet: dict[str, Any]) -> str:
    """A merged report's summary with each report, host and image on a line of its own."""
    parts = []
    for key, value in fleet.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"      {_compact(item)}" for item in value)
            parts.append(f"    {json.dumps(key)}: [\n{items}\n    ]")
        else:
            parts.append(f"    {json.dumps(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n  }"
