from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file of ../shared, or a skip saying why when that folder is absent (a user's clone)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared exists beside the checkout in CI only")
    return path


@pytest.fixture(scope="session", autouse=True)
def empty_vulnerability_database(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Scans in tests read an empty vulnerability database (HULLGUARD_DB) unless a test names
    another: no test depends on, or writes beside, the database in the user's cache, and an
    image or host audit is not told that no database exists."""
    from hullguard.vuln.store import DatabaseWriter

    if os.environ.get("HULLGUARD_DB"):
        yield
        return
    path = tmp_path_factory.mktemp("empty-vuln-db") / "vuln.db"
    with DatabaseWriter(path, fresh=True) as writer:
        writer.commit()
    os.environ["HULLGUARD_DB"] = str(path)
    try:
        yield
    finally:
        os.environ.pop("HULLGUARD_DB", None)


@pytest.fixture
def tree(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write files into a temporary tree: tree({"app/Dockerfile": "FROM x"}) -> root."""

    def write(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return tmp_path

    return write
