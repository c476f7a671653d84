"""The HTML report in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven
by selenium): it loads with no console error (a script or style the page's Content-Security-Policy
refused would be one), the filters show exactly the matching rows, hostile text stays text, and a
screenshot is saved to build/test-artifacts/report.png and under the test's tmp_path.

Skips with the reason when Chromium cannot start here; with CI=true it fails instead.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from hullguard.model import Report
from hullguard.render.html import render_html
from tests.render.format_reports import HOSTILE_MESSAGE, HOSTILE_PATH, mixed_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip with the reason; in CI, fail: there the browser must run."""
    if in_ci():
        pytest.fail(f"CI=true and headless Chromium cannot start: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium through chromedriver, quit at the end of the module."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[test]')")
    for binary, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not binary.is_file():
            unavailable(f"{binary} is absent: install Debian's {package} (make system-packages)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container: Chromium's sandbox cannot start
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1800",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingOptions", {"browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except WebDriverException as exc:
        unavailable(f"headless Chromium did not start: {exc.msg or exc}")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def report() -> Report:
    return mixed_report()


@pytest.fixture
def loaded(browser: Any, report: Report, tmp_path: Path) -> Any:
    """The report's page freshly loaded from a file, the console log read empty before use."""
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    browser.get(page.as_uri())
    return browser


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def visible_rows(driver: Any) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = driver.execute_script(
        """
        return Array.from(document.querySelectorAll('#findings-table tr.finding'))
          .filter(function (row) { return row.offsetParent !== null; })
          .map(function (row) {
            return {pillar: row.dataset.pillar, severity: row.dataset.severity,
                    rule: row.dataset.rule, file: row.dataset.file};
          });
        """
    )
    return rows


def choose(driver: Any, name: str, value: str) -> None:
    """Pick the option whose value is `value` (compared here: values may hold quotes that
    selenium's own lookup by value cannot put in a selector)."""
    from selenium.webdriver.support.ui import Select

    select = Select(driver.find_element("name", name))
    (option,) = [o for o in select.options if o.get_attribute("value") == value]
    select.select_by_index(int(option.get_attribute("index")))


def shown_count(driver: Any) -> int:
    return int(driver.find_element("id", "shown-count").text)


def expected(report: Report, **wanted: str) -> int:
    from hullguard.render.grouping import TargetIndex

    index = TargetIndex(report.targets)
    count = 0
    for finding in report.findings:
        values = {
            "pillar": str(finding.pillar),
            "severity": finding.severity.value,
            "rule": finding.rule_id,
            "file": finding.location.path or index.target_of(finding).name,
        }
        count += all(values[key] == value for key, value in wanted.items())
    return count


def test_loads_without_console_errors(loaded: Any, report: Report) -> None:
    assert console_errors(loaded) == []
    assert loaded.title.startswith("hullguard report")
    assert len(visible_rows(loaded)) == len(report.findings)
    assert shown_count(loaded) == len(report.findings)
    # The stylesheet applied (the policy allowed it): badges are coloured, not default black.
    colour = loaded.execute_script(
        "return getComputedStyle(document.querySelector('.sev-critical')).backgroundColor"
    )
    assert colour == "rgb(179, 0, 27)"


def test_filters_show_exactly_the_matching_rows(loaded: Any, report: Report) -> None:
    choose(loaded, "pillar", "2")
    rows = visible_rows(loaded)
    assert rows and {r["pillar"] for r in rows} == {"2"}
    assert len(rows) == expected(report, pillar="2") == shown_count(loaded)

    choose(loaded, "severity", "critical")
    rows = visible_rows(loaded)
    assert rows and {(r["pillar"], r["severity"]) for r in rows} == {("2", "critical")}
    assert len(rows) == expected(report, pillar="2", severity="critical")

    loaded.find_element("css selector", "#filters button[type=reset]").click()
    assert len(visible_rows(loaded)) == len(report.findings)

    choose(loaded, "rule", "HG101")
    rows = visible_rows(loaded)
    assert rows and {r["rule"] for r in rows} == {"HG101"}
    assert len(rows) == expected(report, rule="HG101")

    choose(loaded, "rule", "")
    choose(loaded, "file", HOSTILE_PATH)
    rows = visible_rows(loaded)
    assert rows == [{"pillar": "2", "severity": "critical", "rule": "HG201", "file": HOSTILE_PATH}]

    choose(loaded, "severity", "info")  # nothing on that file is info
    assert visible_rows(loaded) == []
    assert loaded.find_element("id", "no-match").is_displayed()
    assert shown_count(loaded) == 0
    assert console_errors(loaded) == []


def test_pillar_card_filters_by_its_pillar(loaded: Any, report: Report) -> None:
    loaded.find_element("css selector", "a.card[data-pillar='6']").click()
    assert loaded.find_element("name", "pillar").get_attribute("value") == "6"
    rows = visible_rows(loaded)
    assert rows and {r["pillar"] for r in rows} == {"6"}
    assert len(rows) == expected(report, pillar="6")


def test_hostile_text_is_shown_as_text(loaded: Any) -> None:
    assert loaded.execute_script("return window.__xss === undefined")
    assert loaded.execute_script("return document.scripts.length") == 1
    row = loaded.execute_script(
        "var path = arguments[0];"
        "return Array.from(document.querySelectorAll('tr.finding'))"
        ".find(function (row) { return row.dataset.file === path; })"
        ".querySelector('td.message')",
        HOSTILE_PATH,
    )
    assert HOSTILE_MESSAGE in row.text
    loaded.execute_script("arguments[0].querySelector('details').open = true", row)
    snippet = row.find_element("css selector", "pre.snippet")
    assert "</pre><script>window.__xss = 3</script>" in snippet.text
    assert console_errors(loaded) == []


def test_screenshot(loaded: Any, tmp_path: Path) -> None:
    loaded.set_window_size(1400, 1800)
    shot = tmp_path / "report.png"
    assert loaded.save_screenshot(str(shot))
    width, height = png_size(shot.read_bytes())
    assert width > 0 and height > 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "report.png")
    assert png_size((ARTIFACTS / "report.png").read_bytes()) == (width, height)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking its signature, IHDR chunk and CRC; the image
    data must inflate to at least one byte per row."""
    assert data.startswith(PNG_SIGNATURE), "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    header = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert zlib.crc32(kind + header) == crc, "IHDR checksum"
    width, height = struct.unpack(">II", header[:8])
    chunks, offset = [], 8
    while offset < len(data):
        size, name = struct.unpack(">I4s", data[offset : offset + 8])
        if name == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + size])
        offset += 12 + size
        if name == b"IEND":
            break
    assert chunks, "no image data"
    assert len(zlib.decompress(b"".join(chunks))) >= height
    return width, height
