"""The `hullguard/report/v1` JSON document.

Keys keep the order `Report.to_dict()` gives them (the order DESIGN.md shows, `schema` first), which
is fixed, so the same report always renders to the same bytes.
"""

from __future__ import annotations

import json

from hullguard.model import Report


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"
