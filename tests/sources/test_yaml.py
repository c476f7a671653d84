"""The located YAML layer: values with their places, bounded aliases and depth, broken documents."""

from __future__ import annotations

import time

from hullguard.sources.yaml import MAX_DEPTH, YList, YMap, load_documents

STREAM = """\
base: &base
  image: alpine:3.20
  ports: ["8080:80", 22]
service:
  <<: *base
  image: nginx:1.27
  enabled: yes
  mode: "010"
  octal: 010
  when: 2024-01-01
---
broken: [unclosed
---
kind: Pod
"""


def test_values_and_their_places() -> None:
    first, broken, last = load_documents(STREAM, "f.yaml")
    service = first.value["service"]
    assert isinstance(service, YMap)
    assert dict(service) == {
        "image": "nginx:1.27",  # an explicit key wins over the merged one
        "ports": ["8080:80", 22],
        "enabled": True,  # YAML 1.1, as Compose and older Kubernetes tools read it
        "mode": "010",
        "octal": 8,
        "when": "2024-01-01",  # timestamps stay text
    }
    assert (service.at("image").line, service.at("image").column) == (6, 10)
    assert service.key_locations["enabled"].line == 7
    ports = first.value["base"]["ports"]
    assert isinstance(ports, YList)
    assert [(loc.line, loc.column) for loc in ports.item_locations] == [(3, 11), (3, 22)]
    assert broken.value is None and broken.error is not None
    assert broken.error.line == 13 and broken.error.message.startswith("invalid YAML")
    assert last.value == {"kind": "Pod"} and last.line == 14  # documents after a bad one count


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcdefgh", "abcdefg", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    start = time.perf_counter()
    (document,) = load_documents("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - start < 2
    assert document.value is None and document.error is not None
    assert "alias" in document.error.message


def test_deep_nesting_is_refused() -> None:
    deep = (
        "".join(f"{'  ' * i}k{i}:\n" for i in range(MAX_DEPTH + 50))
        + "  " * (MAX_DEPTH + 50)
        + "v\n"
    )
    (document,) = load_documents(deep, "deep.yaml")
    assert document.value is None and document.error is not None
    assert "deeper" in document.error.message or "depth" in document.error.message
    flow = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    (document,) = load_documents(flow, "flow.yaml")
    assert document.error is not None


def test_empty_documents_are_skipped() -> None:
    assert load_documents("", "e.yaml") == []
    assert [d.value for d in load_documents("---\n---\na: 1\n", "e.yaml")] == [{"a": 1}]
