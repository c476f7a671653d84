"""The signing tests reuse the live registry helpers, so they know the `live` mark too."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "live: starts real components (a registry); skips where they cannot run"
    )
