"""`image --catalog`: shards, the `Link` header of paginated listings, registry names and the
command line's usage errors. The listing itself is tested against a real registry in
tests/live/test_catalog.py."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hullguard.cli import main
from hullguard.image.catalog import Shard, check_registry, parse_shard, shard_references
from hullguard.image.registry import next_link

REFERENCES = [
    f"registry.example.com/{repo}:{tag}"
    for repo in ("team/api", "team/web", "base/debian", "tools/cli", "edge")
    for tag in ("1", "2", "latest", "v2.1.0")
]


@pytest.mark.parametrize(
    ("text", "shard"),
    [("0/1", Shard(0, 1)), ("2/3", Shard(2, 3)), (" 1/2 ", Shard(1, 2)), ("9/10", Shard(9, 10))],
)
def test_parse_shard(text: str, shard: Shard) -> None:
    assert parse_shard(text) == shard


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("3/3", "must be below N (0 to 2)"),
        ("5/2", "must be below N (0 to 1)"),
        ("0/0", "must be at least 1"),
        ("-1/3", "is not a shard"),
        ("1", "is not a shard"),
        ("a/b", "is not a shard"),
        ("1/2/3", "is not a shard"),
        ("", "is not a shard"),
        ("\u00b2/3", "is not a shard"),  # a superscript two: a digit to str.isdigit, not to int
        ("1/\u0663", "is not a shard"),  # an Arabic-Indic three
    ],
)
def test_parse_shard_refuses(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_shard(text)


def test_a_reference_belongs_to_the_shard_of_its_sha256() -> None:
    # Fixed values: the shard of a reference must never depend on the process (Python's hash
    # is salted per process) or change between versions.
    assert Shard(2, 3).holds("127.0.0.1:5000/alpha/app:1.0")
    assert Shard(5, 7).holds("127.0.0.1:5000/alpha/app:1.0")
    assert Shard(1, 3).holds("registry.example.com/team/api:v2")
    assert Shard(0, 3).holds("registry.example.com/team/api:v3")
    for reference in REFERENCES:
        number = int(hashlib.sha256(reference.encode()).hexdigest(), 16)
        assert [i for i in range(4) if Shard(i, 4).holds(reference)] == [number % 4]


def test_shards_partition_the_references_and_keep_them_when_more_are_added() -> None:
    shards = [shard_references(REFERENCES, Shard(i, 3)) for i in range(3)]
    assert sorted(r for shard in shards for r in shard) == sorted(REFERENCES)
    assert all(shard == sorted(shard) for shard in shards)
    assert all(shards)  # 20 references: each of three shards gets some
    grown = REFERENCES + [f"registry.example.com/aaa/new{i}:1" for i in range(10)]
    for index, shard in enumerate(shards):
        assert set(shard) <= set(shard_references(grown, Shard(index, 3)))


def test_shard_references_are_sorted_and_unique() -> None:
    assert shard_references(["b:1", "a:1", "b:1"], Shard(0, 1)) == ["a:1", "b:1"]


def test_the_whole_catalogue_is_shard_0_of_1() -> None:
    assert shard_references(REFERENCES, parse_shard("0/1")) == sorted(REFERENCES)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '</v2/_catalog?last=b&n=2>; rel="next"',
            "http://127.0.0.1:5000/v2/_catalog?last=b&n=2",
        ),
        (
            "</v2/team/api/tags/list?n=100&last=v2>; rel=next",
            "http://127.0.0.1:5000/v2/team/api/tags/list?n=100&last=v2",
        ),
        (
            '<https://r.example.com/v2/_catalog?last=x>; rel="prev", '
            '<https://r.example.com/v2/_catalog?last=z>; rel="next"',
            "https://r.example.com/v2/_catalog?last=z",
        ),
        ('</v2/_catalog?last=q>; rel="next last"', "http://127.0.0.1:5000/v2/_catalog?last=q"),
        ('</v2/_catalog?last=q>; rel="prev"', None),
        ("", None),
        (None, None),
    ],
)
def test_next_link(header: str | None, expected: str | None) -> None:
    assert next_link(header, "http://127.0.0.1:5000/v2/_catalog?n=2") == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("127.0.0.1:5000", "127.0.0.1:5000"),
        ("Registry.Example.com/", "registry.example.com"),
        ("localhost:5000", "localhost:5000"),
        ("localhost", "localhost"),
        ("registry.ns.svc:5000", "registry.ns.svc:5000"),
        ("[::1]:5000", "[::1]:5000"),
    ],
)
def test_check_registry(given: str, expected: str) -> None:
    assert check_registry(given) == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("https://registry.example.com", "without https://"),
        ("registry", "needs a dot, a port or to be localhost"),
        ("registry.example.com/team", "is not a registry host"),
        ("", "is not a registry host"),
    ],
)
def test_check_registry_refuses(given: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_registry(given)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--catalog", "127.0.0.1:5000", "--shard", "3/3"], "must be below N"),
        (["--catalog", "127.0.0.1:5000", "--shard", "x"], "is not a shard"),
        ([], "missing REF, or --catalog REGISTRY"),
        (["app:1", "--catalog", "127.0.0.1:5000"], "give REF or --catalog, not both"),
        (["app:1", "--shard", "0/2"], "go with --catalog"),
        (["--catalog", "registry"], "needs a dot, a port"),
        (["--catalog", "127.0.0.1:5000", "--format", "cyclonedx"], "an SBOM is of one image"),
    ],
)
def test_catalog_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["image", *args]) == 2
    assert message in capsys.readouterr().err


def test_an_unreachable_registry_is_an_unreadable_catalogue(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{sock.getsockname()[1]}"
    out = tmp_path / "report.json"
    code = main(
        ["image", "--catalog", host, "--insecure-registry", host, "--shard", "1/2",
         "--format", "json", "-o", str(out)]
    )  # fmt: skip
    assert code == 2
    report = json.loads(out.read_text())
    assert report["targets"] == [
        {
            "kind": "catalog",
            "path": host,
            "status": "error",
            "note": report["errors"][0]["message"],
        }
    ]
    assert report["errors"][0]["message"].startswith(
        f"the catalogue cannot be listed: cannot reach {host}"
    )
    assert report["findings"] == []
    assert report["origin"]["command"] == "image"


# --- a registry that answers badly (a small HTTP server on loopback) ----------------------------


class FakeRegistry:
    """An HTTP server on loopback that answers `/v2/_catalog` with `body` and `headers`, and
    records the paths it was asked for."""

    def __init__(self) -> None:
        self.body = b'{"repositories": []}'
        self.headers: dict[str, str] = {}
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                body = owner.body if self.path.startswith("/v2/_catalog") else b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in owner.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def audit(self, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
        out = tmp_path / "report.json"
        code = main(["image", "--catalog", self.host, *args, "--format", "json", "-o", str(out)])
        report: dict[str, Any] = json.loads(out.read_text())
        return code, report


def _serve() -> Iterator[FakeRegistry]:
    registry = FakeRegistry()
    registry.thread.start()
    try:
        yield registry
    finally:
        registry.server.shutdown()
        registry.server.server_close()
        registry.thread.join(timeout=10)


@pytest.fixture
def fake_registry() -> Iterator[FakeRegistry]:
    yield from _serve()


@pytest.fixture
def other_host() -> Iterator[FakeRegistry]:
    """A second registry, where a `Link` header may point."""
    yield from _serve()


def test_a_plain_http_registry_without_insecure_registry_says_what_to_do(
    fake_registry: FakeRegistry, tmp_path: Path
) -> None:
    code, report = fake_registry.audit(tmp_path)
    assert code == 2
    (error,) = report["errors"]
    assert error["message"].startswith("the catalogue cannot be listed: ")
    assert error["message"].endswith(
        f"(a registry on loopback that serves plain HTTP needs --insecure-registry "
        f"{fake_registry.host})"
    )
    # With the option, the same registry is listed.
    code, report = fake_registry.audit(tmp_path, "--insecure-registry", fake_registry.host)
    assert (code, report["errors"]) == (0, [])
    assert report["targets"] == [
        {"kind": "catalog", "path": fake_registry.host, "status": "ok", "note": "0 images"}
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"repositories": ["alpha", ', "the catalogue: not JSON"),
        (b"[]", "the catalogue: not a JSON object"),
        (b'{"repositories": "alpha"}', "`repositories` is not a list of names"),
        (b'{"repositories": [1, 2]}', "`repositories` is not a list of names"),
        (b"\xff\xfe", "the catalogue: not JSON"),
    ],
)
def test_a_malformed_catalogue_is_an_unreadable_catalogue(
    fake_registry: FakeRegistry, tmp_path: Path, body: bytes, problem: str
) -> None:
    fake_registry.body = body
    code, report = fake_registry.audit(tmp_path, "--insecure-registry", fake_registry.host)
    assert code == 2
    (error,) = report["errors"]
    assert problem in error["message"]
    assert "--insecure-registry" not in error["message"]  # it was given
    assert [(t["kind"], t["status"]) for t in report["targets"]] == [("catalog", "error")]


def test_a_next_page_on_another_host_is_not_followed(
    fake_registry: FakeRegistry, other_host: FakeRegistry, tmp_path: Path
) -> None:
    fake_registry.body = b'{"repositories": ["alpha"]}'
    fake_registry.headers["Link"] = (
        f'<http://{other_host.host}/v2/_catalog?last=alpha&n=1000>; rel="next"'
    )
    code, report = fake_registry.audit(
        tmp_path, "--insecure-registry", fake_registry.host, "--insecure-registry", other_host.host
    )
    assert code == 2
    (error,) = report["errors"]
    assert error["message"].endswith(
        f"the next page http://{other_host.host}/v2/_catalog?last=alpha&n=1000 is on another host"
    )
    assert fake_registry.requests == ["/v2/_catalog?n=1000"]
    assert other_host.requests == []
