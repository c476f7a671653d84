"""`db update` against a local OSV export served on 127.0.0.1.

The server serves `PyPI/all.zip` and `Go/all.zip` built here from the shared PyPA and Go data,
then a `modified_id.csv` (`<modified>,<id>`, newest first, as osv.dev writes it) and single
records for the incremental path; failure modes (HTTP 500, a connection cut in the middle of
an archive, an archive cut short, a stalled body, Ctrl-C) must leave the old database byte
for byte as it was.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests
import yaml

from hullguard.vuln.model import Event
from hullguard.vuln.store import VulnDB, record_wanted_ecosystems
from hullguard.vuln.update import (
    UpdateError,
    check_base_url,
    ecosystems_to_update,
    update_database,
)
from tests.conftest import shared_path


class OsvServer:
    """A static OSV export on loopback with switchable failures."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.modes: dict[str, str] = {}  # path -> "500", "cut", "stall"
        self.requests: list[str] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = unquote(self.path).lstrip("/")
                server.requests.append(path)
                mode = server.modes.get(path)
                body = server.files.get(path)
                if mode == "500":
                    self.send_error(500, "Internal Server Error")
                    return
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mode == "cut":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if mode == "stall":
                    self.wfile.write(body[:100])
                    self.wfile.flush()
                    server.release.wait(30)
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> OsvServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _zip(records: dict[str, dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record_id, record in records.items():
            archive.writestr(f"{record_id}.json", json.dumps(record, default=_plain))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, dict[str, Any]]]:
    pypa = shared_path("data", "vuln", "pypa-advisory-database", "vulns")
    golang = shared_path("data", "vuln", "golang-vulndb", "data", "osv")
    pypi = {}
    for path in sorted(pypa.glob("*/*.yaml")):
        record = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
        pypi[record["id"]] = json.loads(json.dumps(record, default=_plain))
    go = {}
    for path in sorted(golang.glob("*.json")):
        record = json.loads(path.read_bytes())
        go[record["id"]] = record
    return {"PyPI": pypi, "Go": go}


@pytest.fixture(scope="module")
def archives(records: dict[str, dict[str, dict[str, Any]]]) -> dict[str, bytes]:
    return {f"{name}/all.zip": _zip(items) for name, items in records.items()}


@pytest.fixture
def server(archives: dict[str, bytes]) -> Iterator[OsvServer]:
    with OsvServer() as running:
        running.files.update(archives)
        yield running


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def newest(items: dict[str, dict[str, Any]]) -> str:
    return str(max(items.values(), key=lambda r: r["modified"])["modified"])


def full_update(server: OsvServer, db_path: Path) -> None:
    result = update_database(db_path, ["PyPI", "Go"], server.url)
    assert [(u.ecosystem, u.mode) for u in result.ecosystems] == [("PyPI", "full"), ("Go", "full")]


def test_full_then_incremental(
    server: OsvServer, tmp_path: Path, records: dict[str, dict[str, dict[str, Any]]]
) -> None:
    db_path = tmp_path / "vuln.db"
    result = update_database(db_path, ["PyPI", "Go"], server.url)
    assert [(u.ecosystem, u.mode, u.records) for u in result.ecosystems] == [
        ("PyPI", "full", 2661),
        ("Go", "full", 4291),
    ]
    assert result.problems == []
    with VulnDB.open(db_path) as db:
        sources = {s.name: s for s in db.status().sources}
        record, affected = next(
            (a, f) for a, f in db.lookup("PyPI", ["jinja2"])["jinja2"] if a.id == "PYSEC-2014-8"
        )
    assert record.source == "osv:PyPI"
    assert affected.ranges[0].events[-1] == Event("fixed", "2.7.2")
    assert sources["osv:PyPI"].records == 2661 and sources["osv:Go"].records == 4291
    assert sources["osv:PyPI"].origin == f"{server.url}/PyPI/all.zip"
    pypi_cursor = sources["osv:PyPI"].cursor
    go_cursor = sources["osv:Go"].cursor
    assert pypi_cursor == newest(records["PyPI"])
    assert go_cursor is not None

    changed = copy.deepcopy(records["PyPI"]["PYSEC-2014-8"])
    changed["modified"] = "2099-01-02T03:04:05.123456789Z"  # nanoseconds, as osv.dev writes
    changed["affected"][0]["ranges"][0]["events"][1] = {"fixed": "2.7.3"}
    added = {
        "id": "PYSEC-2099-1",
        "modified": "2099-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "Brand_New"}, "versions": ["1"]}],
    }
    server.files.clear()  # no archive any more: the incremental path must not need one
    server.files["PyPI/PYSEC-2014-8.json"] = json.dumps(changed).encode()
    server.files["PyPI/PYSEC-2099-1.json"] = json.dumps(added).encode()
    server.files["PyPI/modified_id.csv"] = (
        "2099-01-02T03:04:05.123456789Z,PYSEC-2014-8\n"
        "2099-01-01T00:00:00Z,PYSEC-2099-1\n"
        "2098-12-31T00:00:00Z,PYSEC-2023-45\n"  # listed, but no longer published: removed
        f"{pypi_cursor},PYSEC-2014-9\n"  # seen at the last update: the reading stops here
        "2000-01-01T00:00:00Z,PYSEC-2014-10\n"
    ).encode()
    server.files["Go/modified_id.csv"] = f"{go_cursor},GO-2020-0001\n".encode()
    server.requests.clear()

    result = update_database(db_path, ["PyPI", "Go"], server.url)
    assert [(u.ecosystem, u.mode, u.records) for u in result.ecosystems] == [
        ("PyPI", "incremental", 2),
        ("Go", "current", 0),
    ]
    assert sorted(server.requests) == [
        "Go/modified_id.csv",
        "PyPI/PYSEC-2014-8.json",
        "PyPI/PYSEC-2023-45.json",
        "PyPI/PYSEC-2099-1.json",
        "PyPI/modified_id.csv",
    ]
    with VulnDB.open(db_path) as db:
        sources = {s.name: s for s in db.status().sources}
        jinja = {a.id: f for a, f in db.lookup("PyPI", ["jinja2"])["jinja2"]}
        assert list(db.lookup("PyPI", ["brand-new"])) == ["brand-new"]
        redis = {a.id for a, _ in db.lookup("PyPI", ["redis"])["redis"]}
    assert redis == {"PYSEC-2023-46"}  # PYSEC-2023-45 removed, PYSEC-2023-73 withdrawn
    assert jinja["PYSEC-2014-8"].ranges[0].events[-1] == Event("fixed", "2.7.3")
    assert sources["osv:PyPI"].records == 2661 + 1 - 1
    assert sources["osv:PyPI"].cursor == "2099-01-02T03:04:05.123456Z"
    assert sources["osv:Go"].records == 4291
    assert any("PYSEC-2023-45: no longer published" in note for note in result.notes)


@pytest.mark.parametrize(
    ("mode", "path", "expected"),
    [
        ("500", "PyPI/all.zip", "/PyPI/all.zip: HTTP 500 Internal Server Error"),
        ("cut", "Go/all.zip", "/Go/all.zip: the transfer broke off"),
    ],
)
def test_failed_update_leaves_the_old_database(
    server: OsvServer, tmp_path: Path, mode: str, path: str, expected: str
) -> None:
    db_path = tmp_path / "vuln.db"
    full_update(server, db_path)
    before = digest(db_path)
    server.modes[path] = mode
    with pytest.raises(UpdateError) as caught:
        update_database(db_path, ["PyPI", "Go"], server.url, full=True)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(server.url)
    assert digest(db_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vuln.db"]  # no copy, no download


def test_archive_cut_short(server: OsvServer, tmp_path: Path, archives: dict[str, bytes]) -> None:
    db_path = tmp_path / "vuln.db"
    full_update(server, db_path)
    before = digest(db_path)
    server.files["Go/all.zip"] = archives["Go/all.zip"][: len(archives["Go/all.zip"]) // 3]
    with pytest.raises(UpdateError, match=r"/Go/all.zip: not a complete zip archive"):
        update_database(db_path, ["Go"], server.url, full=True)
    assert digest(db_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vuln.db"]


def test_incremental_failure_leaves_the_old_database(server: OsvServer, tmp_path: Path) -> None:
    db_path = tmp_path / "vuln.db"
    full_update(server, db_path)
    before = digest(db_path)
    server.modes["PyPI/modified_id.csv"] = "500"
    with pytest.raises(UpdateError, match=r"PyPI/modified_id.csv: HTTP 500"):
        update_database(db_path, ["PyPI"], server.url)
    assert digest(db_path) == before


def test_stalled_transfer_times_out(server: OsvServer, tmp_path: Path) -> None:
    db_path = tmp_path / "vuln.db"
    server.modes["PyPI/all.zip"] = "stall"
    with pytest.raises(UpdateError) as caught:
        update_database(db_path, ["PyPI"], server.url, timeout=(5.0, 0.5))
    assert "/PyPI/all.zip: the transfer broke off" in str(caught.value)
    assert "timed out" in str(caught.value)
    assert not db_path.exists()


def test_interrupted_update_leaves_the_old_database(server: OsvServer, tmp_path: Path) -> None:
    db_path = tmp_path / "vuln.db"
    full_update(server, db_path)
    before = digest(db_path)

    class Interrupting(requests.Session):
        calls = 0

        def get(self, *args: Any, **kwargs: Any) -> requests.Response:
            Interrupting.calls += 1
            if Interrupting.calls == 2:
                raise KeyboardInterrupt
            return super().get(*args, **kwargs)

    with pytest.raises(KeyboardInterrupt):
        update_database(db_path, ["PyPI", "Go"], server.url, full=True, session=Interrupting())
    assert Interrupting.calls == 2  # PyPI was downloaded and written into the copy first
    assert digest(db_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vuln.db"]


def test_plain_http_only_on_loopback() -> None:
    assert check_base_url("https://osv-vulnerabilities.storage.googleapis.com/") == (
        "https://osv-vulnerabilities.storage.googleapis.com"
    )
    assert check_base_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert check_base_url("http://localhost:1") == "http://localhost:1"
    with pytest.raises(UpdateError, match="plain HTTP only on loopback"):
        check_base_url("http://osv.example.org")
    with pytest.raises(UpdateError, match="not an http"):
        check_base_url("ftp://osv.example.org")


def test_no_ecosystem_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UpdateError, match="no ecosystem to update: give --ecosystem"):
        update_database(tmp_path / "vuln.db", [], "http://127.0.0.1:9")


def test_which_ecosystems(tmp_path: Path) -> None:
    db_path = tmp_path / "vuln.db"
    record_wanted_ecosystems(db_path, ["Debian:12", "Alpine:v3.19", "PyPI"])
    assert ecosystems_to_update(db_path, ["npm", "Debian:11"], ("Go",), ["crates.io", "PyPI"]) == [
        "npm",
        "Debian",
        "Go",
        "Alpine",
        "PyPI",
        "crates.io",
    ]


def test_ecosystems_as_typed_are_spelled_as_osv_exports_them(tmp_path: Path) -> None:
    asked = ["pypi", "GO", "Crates.IO", "debian:12", "PyPI", "maven", "SomethingNew"]
    assert ecosystems_to_update(tmp_path / "vuln.db", asked, (), ()) == [
        "PyPI",
        "Go",
        "crates.io",
        "Debian",
        "Maven",
        "SomethingNew",
    ]


def test_many_changes_fall_back_to_the_archive(
    server: OsvServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hullguard.vuln.update as update

    db_path = tmp_path / "vuln.db"
    update_database(db_path, ["Go"], server.url)
    monkeypatch.setattr(update, "MAX_INCREMENTAL", 1)
    server.files["Go/modified_id.csv"] = (
        b"2099-01-02T00:00:00Z,GO-2020-0001\n2099-01-01T00:00:00Z,GO-2020-0003\n"
    )
    server.requests.clear()
    result = update_database(db_path, ["Go"], server.url)
    assert [(u.mode, u.records) for u in result.ecosystems] == [("full", 4291)]
    assert server.requests == ["Go/modified_id.csv", "Go/all.zip"]
    assert result.notes == ["Go: more than 1 records changed; downloading the whole archive"]


def test_overall_time_limit(server: OsvServer, tmp_path: Path) -> None:
    with pytest.raises(UpdateError, match=r"/PyPI/all.zip: the update ran past its time limit"):
        update_database(tmp_path / "vuln.db", ["PyPI"], server.url, deadline_seconds=0)
    assert list(tmp_path.iterdir()) == []
