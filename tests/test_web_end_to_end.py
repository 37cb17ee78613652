"""End to end in headless Chromium: `eid serve --dev --with-examples` as a real process,
log in at the OIDC example portal with the virtual eID in each language, single sign-on
into the SAML example portal, log out of both; cancel a failed login and return to the
portal; every page axe-clean."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from eid.tokens.virtual import VirtualCard

from .browser_support import check_page, chromium

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)

NAME = "Alice Geldig Specimen"


def _three_free_ports() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base > 60000:
            continue
        try:
            for offset in (1, 2):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise RuntimeError("no three consecutive free ports")


@pytest.fixture
def services(home: Path, virtual_card: VirtualCard) -> Iterator[dict[str, str]]:
    port = _three_free_ports()
    environment = {k: v for k, v in os.environ.items() if k not in ("EID_PIN", "EID_PKCS11_MODULE")}
    environment["EID_HOME"] = str(home)
    process = subprocess.Popen(
        [sys.executable, "-m", "eid", "serve", "--dev", "--with-examples", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        urls = {}
        assert process.stdout is not None
        while len(urls) < 3:
            line = process.stdout.readline()
            assert line, "eid serve ended before printing its URLs"
            name, url = line.split()
            urls[name] = url.rstrip("/")
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port + 2), timeout=0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the example portals did not start"
                time.sleep(0.1)
        yield urls
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    with chromium() as browser:
        yield browser


def wait_for(driver: webdriver.Chrome, text: str) -> None:
    WebDriverWait(driver, 60, ignored_exceptions=[WebDriverException]).until(
        lambda d: text in d.execute_script("return document.body ? document.body.innerText : ''"),
        f"{text!r} did not show; the page: {driver.current_url}",
    )


def click(driver: webdriver.Chrome, by: str, value: str) -> None:
    driver.find_element(by, value).click()


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ("Log in", "Share and continue")),
        ("nl", ("Aanmelden", "Delen en verdergaan")),
        ("fr", ("Se connecter", "Partager et continuer")),
        ("de", ("Anmelden", "Weitergeben und fortfahren")),
    ],
)
def test_login_sso_and_logout_in_each_language(
    driver: webdriver.Chrome, services: dict[str, str], language: str, texts: tuple[str, str]
) -> None:
    title, accept = texts
    oidc, saml, provider = services["oidc-portal"], services["saml-portal"], services["provider"]
    driver.delete_all_cookies()

    driver.get(oidc + "/")
    wait_for(driver, "You are not logged in")
    check_page(driver, "OIDC portal, logged out")
    click(driver, By.LINK_TEXT, "Log in")
    wait_for(driver, "Virtual eID")
    assert driver.current_url.startswith(provider)
    if language != "en":
        click(driver, By.CSS_SELECTOR, f"a[hreflang='{language}']")
        WebDriverWait(driver, 30).until(
            lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
        )
    assert driver.find_element(By.TAG_NAME, "h1").text == title
    check_page(driver, f"login page ({language})")
    choice = driver.find_element(By.CSS_SELECTOR, "form[action='/login/virtual'] button")
    assert "Virtual eID" in choice.accessible_name
    pin = driver.find_element(By.NAME, "pin")
    assert pin.accessible_name == "PIN"
    pin.send_keys("1234")
    choice.click()

    WebDriverWait(driver, 60).until(lambda d: "/enterprise" in d.page_source)
    check_page(driver, f"enterprise choice ({language})")
    click(driver, By.CSS_SELECTOR, "form[action='/enterprise'] button[type='submit']")
    wait_for(driver, accept)
    check_page(driver, f"consent page ({language})")
    click(driver, By.CSS_SELECTOR, "button[value='accept']")
    wait_for(driver, f"Welcome, {NAME}.")
    assert "Acting for Specimen Bakery BV (0202.020.118)" in driver.page_source
    check_page(driver, "OIDC portal, logged in")

    # Single sign-on: the SAML portal gets its assertion without a PIN.
    driver.get(saml + "/")
    wait_for(driver, "You are not logged in")
    check_page(driver, "SAML portal, logged out")
    click(driver, By.LINK_TEXT, "Log in")
    wait_for(driver, accept)
    assert driver.find_elements(By.NAME, "pin") == []
    click(driver, By.CSS_SELECTOR, "button[value='accept']")
    wait_for(driver, f"Welcome, {NAME}.")
    assert driver.current_url.startswith(saml)
    check_page(driver, "SAML portal, logged in")

    # Log out at the OIDC portal: the provider ends the session, tells both portals.
    driver.get(oidc + "/")
    click(driver, By.CSS_SELECTOR, "form[action='/logout'] button")
    wait_for(driver, "You are not logged in")
    assert driver.current_url.startswith(oidc)
    driver.get(saml + "/")
    wait_for(driver, "You are not logged in")
    driver.get(provider + "/")
    wait_for(driver, {"en": "You are not logged in", "nl": "U bent niet aangemeld",
                      "fr": "Vous n'êtes pas connecté", "de": "Sie sind nicht angemeldet"}[language])  # fmt: skip


def test_cancel_after_a_failed_login_returns_to_the_portal(
    driver: webdriver.Chrome, services: dict[str, str]
) -> None:
    oidc, provider = services["oidc-portal"], services["provider"]
    driver.delete_all_cookies()
    driver.get(oidc + "/")
    click(driver, By.LINK_TEXT, "Log in")
    wait_for(driver, "Virtual eID")
    cancel = driver.find_element(By.CSS_SELECTOR, "form[action='/cancel'] button")
    assert "Cancel and return to" in cancel.accessible_name
    driver.find_element(By.NAME, "pin").send_keys("9999")
    click(driver, By.CSS_SELECTOR, "form[action='/login/virtual'] button")
    wait_for(driver, "The PIN is incorrect.")
    assert driver.current_url.startswith(provider)
    check_page(driver, "login error page within a portal's flow")
    click(driver, By.CSS_SELECTOR, "form[action='/cancel'] button")
    wait_for(driver, "Login failed: access_denied.")
    assert driver.current_url.startswith(oidc + "/callback?")
