"""Error pages say what happened and what to do, in each language; the catalogues are complete."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request

from eid.errors import (
    AssuranceLevelTooLow,
    CertificateExpired,
    EidError,
    NoCard,
    NoReader,
    PinIncorrect,
    PinLocked,
)
from eid.tokens.virtual import VirtualCard
from eid.web import create_app
from eid.web.i18n import LANGUAGES

from .web_support import new_port, serving, web_config

ERRORS: dict[str, EidError] = {
    "no_card": NoCard("no card"),
    "no_reader": NoReader("no reader"),
    "pin_locked": PinLocked("blocked"),
    "pin_incorrect": PinIncorrect("wrong", tries_left=2),
    "certificate_expired": CertificateExpired("expired"),
    "assurance_level_too_low": AssuranceLevelTooLow("too low"),
}


def catalogue(language: str) -> dict[str, str]:
    text = resources.files("eid.web").joinpath("locales", f"{language}.json").read_text("utf-8")
    return dict(json.loads(text))


def test_every_language_has_every_message() -> None:
    english = catalogue("en")
    for language in LANGUAGES:
        messages = catalogue(language)
        assert set(messages) == set(english), language
        assert all(value.strip() for value in messages.values())
        for key, value in english.items():  # the same placeholders
            assert sorted(part.split("}")[0] for part in value.split("{")[1:]) == sorted(
                part.split("}")[0] for part in messages[key].split("{")[1:]
            ), (language, key)


@pytest.fixture
def provider(virtual_card: VirtualCard, tmp_path: Path) -> Iterator[str]:
    port = new_port()
    app = create_app(web_config(virtual_card, port, tmp_path))

    async def fail(request: Request) -> None:
        raise ERRORS[request.path_params["code"]]

    app.add_route("/fail/{code}", fail)
    with serving(app, port) as base:
        yield base


@pytest.mark.parametrize("virtual_card", ["ec"], indirect=True)
@pytest.mark.parametrize("language", LANGUAGES)
def test_error_pages_say_what_to_do(provider: str, language: str) -> None:
    messages = catalogue(language)
    for code in ERRORS:
        page = httpx.get(f"{provider}/fail/{code}", headers={"Accept-Language": language})
        assert page.status_code in (400, 403)
        assert f'<html lang="{language}">' in page.text
        assert messages[f"error_{code}"].replace("'", "&#39;") in page.text
        assert messages[f"error_{code}_action"].replace("'", "&#39;") in page.text
    tries = httpx.get(f"{provider}/fail/pin_incorrect", headers={"Accept-Language": language})
    assert messages["error_pin_incorrect_tries"].format(tries=2).replace("'", "&#39;") in tries.text
