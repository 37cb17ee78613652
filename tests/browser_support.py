"""Headless Debian Chromium through chromedriver (selenium), and axe-core from npm for accessibility.

Selenium is given both binaries, so it never fetches a browser or a driver of its own.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from .node_support import NODE_MODULES

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
PHONE = (375, 740)


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium (its own profile directory), quit and removed afterwards."""
    assert Path(CHROMIUM).exists(), "chromium is not installed: run `make test`, which installs it"
    assert Path(CHROMEDRIVER).exists(), "chromium-driver is not installed: run `make test`"
    profile = tempfile.mkdtemp(prefix="eid-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def axe_violations(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.1 A/AA violations axe-core finds on the current page."""
    assert AXE.exists(), "axe-core is not installed: run `make test`, which installs it from npm"
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));"
    )
    return [v for v in result if v.get("impact") in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n.get('target') for n in v['nodes']][:3]}"
        for v in violations
    )


@contextmanager
def phone(driver: webdriver.Chrome) -> Iterator[None]:
    """Emulate a phone-sized touch screen for the pages loaded inside."""
    width, height = PHONE
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        yield
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def fits_width(driver: webdriver.Chrome) -> bool:
    """No horizontal scrolling: the page is no wider than the screen."""
    return bool(
        driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1;"
        )
    )


def check_page(driver: webdriver.Chrome, what: str) -> None:
    """Assert the current page has no axe-core violations, on a desktop and a phone screen,
    and fits the phone's width (``what`` names it in the failure)."""
    violations = axe_violations(driver)
    assert not violations, f"{what}: {describe(violations)}"
    with phone(driver):
        assert fits_width(driver), f"{what} is wider than a phone screen"
        violations = axe_violations(driver)
        assert not violations, f"{what} (phone): {describe(violations)}"


def block_autopost(driver: webdriver.Chrome, blocked: bool) -> None:
    """Keep the page's script from loading, as for a person without JavaScript, or allow it."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.setBlockedURLs", {"urls": ["*/static/autopost.js"] if blocked else []}
    )
