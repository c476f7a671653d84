"""Fixtures for the vulnerability database: every shared data set imported once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullguard import progress
from hullguard.vuln.importers import ImportSummary, import_paths
from hullguard.vuln.store import DatabaseWriter
from tests.conftest import shared_path


@pytest.fixture(autouse=True)
def notes_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Notes on standard error are shown: a `-q` given to an earlier command in this process
    does not silence the next test's."""
    monkeypatch.setattr(progress, "_quiet", False)


@pytest.fixture(scope="session")
def shared_vuln_import(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportSummary]:
    """The database built from all of ../shared/data/vuln (PyPI and Go in OSV, the Alpine
    secdb of every branch, Debian bookworm and bullseye OVAL) and the import's summary."""
    root = shared_path("data", "vuln")
    db_path = tmp_path_factory.mktemp("shared-vuln") / "vuln.db"
    with DatabaseWriter(db_path) as writer:
        summary = import_paths(writer, [root])
        writer.commit()
    return db_path, summary


@pytest.fixture(scope="session")
def shared_vuln_db(shared_vuln_import: tuple[Path, ImportSummary]) -> Path:
    """The path of the database holding every shared data set (read it, do not write it)."""
    return shared_vuln_import[0]
