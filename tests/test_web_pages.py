"""The provider's pages in headless Chromium: the virtual eID login without JavaScript help,
each page axe-clean (no serious or critical WCAG 2.1 AA violation), at desktop and phone size."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from eid.pki.services import TestServices
from eid.tokens.virtual import VirtualCard
from eid.web import create_app

from .browser_support import check_page, chromium
from .web_support import new_port, serving, web_config

pytestmark = pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)


@pytest.fixture
def provider(virtual_card: VirtualCard, tmp_path: Path) -> Iterator[str]:
    pki = virtual_card.pki()
    port = new_port()
    config = web_config(virtual_card, port, tmp_path, trusted_proxies=["127.0.0.1"])
    with (
        TestServices(pki, port=urlsplit(pki.base_url).port or 0),
        serving(create_app(config), port) as base,
    ):
        yield base


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    with chromium() as browser:
        yield browser


def click_and_wait(driver: webdriver.Chrome, selector: str, text: str) -> None:
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 30).until(lambda d: text in d.page_source)


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_login_page_is_accessible(driver: webdriver.Chrome, provider: str, language: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{provider}/language/{language}?next=/login")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    check_page(driver, f"login page ({language})")
    choice = driver.find_element(By.CSS_SELECTOR, "form[action='/login/virtual'] button")
    assert "Virtual eID" in choice.accessible_name
    pin = driver.find_element(By.NAME, "pin")
    assert pin.accessible_name == "PIN"
    # With JavaScript the Web eID button shows and its no-JavaScript note hides.
    assert driver.find_element(By.ID, "webeid-button").is_displayed()
    assert not driver.find_element(By.ID, "webeid-nojs").is_displayed()


def test_login_error_home_and_logout_pages(driver: webdriver.Chrome, provider: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{provider}/language/en?next=/login")
    driver.find_element(By.NAME, "pin").send_keys("9999")
    click_and_wait(driver, "form[action='/login/virtual'] button", "The PIN is incorrect.")
    check_page(driver, "error page")

    driver.get(f"{provider}/login")
    driver.find_element(By.NAME, "pin").send_keys("1234")
    click_and_wait(driver, "form[action='/login/virtual'] button", "You are logged in as Alice")
    check_page(driver, "home page")

    driver.get(f"{provider}/logout/oidc")  # a logout link without an id_token_hint
    assert "Do you want to log out" in driver.page_source
    check_page(driver, "logout confirmation page")
    click_and_wait(driver, "form[action='/logout/oidc'] a", "You are logged in as Alice")

    click_and_wait(driver, "form[action='/logout'] button", "You are logged out")
    check_page(driver, "logged-out page")
    driver.get(f"{provider}/")
    assert "You are not logged in" in driver.page_source


# What the Web eID browser extension does on the page, reduced to its message protocol:
# acknowledge the request at once and keep the nonce for the test, which answers for the card.
FAKE_EXTENSION = """
window.addEventListener("message", function (event) {
  if (event.source === window && event.data && event.data.action === "web-eid:authenticate") {
    window.__webeidNonce = event.data.challengeNonce;
    window.postMessage({action: "web-eid:authenticate-ack"}, window.location.origin);
  }
});
"""


def test_web_eid_step_speaks_the_extension_protocol(
    driver: webdriver.Chrome, provider: str, virtual_card: VirtualCard
) -> None:
    from eid.auth.webeid import create_token

    added = driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": FAKE_EXTENSION}
    )
    try:
        driver.delete_all_cookies()
        driver.get(f"{provider}/language/en?next=/login")
        driver.find_element(By.ID, "webeid-button").click()
        nonce = WebDriverWait(driver, 30).until(
            lambda d: d.execute_script("return window.__webeidNonce || null;")
        )
        with virtual_card.open() as card:
            token = create_token(card, origin=provider.replace("http:", "https:"), challenge=nonce)
        driver.execute_script(
            "window.postMessage(Object.assign({action: 'web-eid:authenticate-success'},"
            " JSON.parse(arguments[0])), window.location.origin);",
            token,
        )
        WebDriverWait(driver, 60).until(lambda d: "You are logged in as Alice" in d.page_source)
    finally:
        driver.execute_cdp_cmd(
            "Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]}
        )


def test_web_eid_step_without_the_extension_says_what_to_do(
    driver: webdriver.Chrome, provider: str
) -> None:
    driver.delete_all_cookies()
    driver.get(f"{provider}/language/en?next=/login")
    driver.find_element(By.ID, "webeid-button").click()
    WebDriverWait(driver, 30).until(
        lambda d: "did not answer" in d.find_element(By.ID, "webeid-status").text
    )
    assert driver.find_element(By.ID, "webeid-button").is_enabled()
