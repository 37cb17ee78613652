"""The pages' four languages: Dutch, French, German and English.

The language comes from, in order: an explicit switch (remembered in a cookie),
the portal's ``ui_locales``, the remembered choice, the browser's
``Accept-Language``, and English.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources

__all__ = ["DEFAULT", "LANGUAGES", "Translator", "negotiate", "translator"]

LANGUAGES = ("nl", "fr", "de", "en")
"""The languages the pages are written in, in the order the switch shows them."""

DEFAULT = "en"


class Translator:
    """The messages of one language; ``t(key, **values)`` fills ``{placeholders}``."""

    def __init__(self, language: str, messages: dict[str, str]) -> None:
        self.language = language
        self._messages = messages

    def __call__(self, key: str, /, **values: object) -> str:
        """The message ``key`` in this language (the key itself when there is none)."""
        text = self._messages.get(key, key)
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether this language has a message ``key``."""
        return key in self._messages


@functools.cache
def translator(language: str) -> Translator:
    """The translator of ``language`` (one of `LANGUAGES`)."""
    if language not in LANGUAGES:
        language = DEFAULT
    text = resources.files("eid.web").joinpath("locales", f"{language}.json").read_text("utf-8")
    return Translator(language, dict(json.loads(text)))


def _accept_language(header: str) -> list[str]:
    """Languages of an Accept-Language header, best first (q=0 dropped)."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def _first_known(tags: Iterable[str]) -> str | None:
    for tag in tags:
        primary = tag.split("-")[0].split("_")[0].lower()
        if primary in LANGUAGES:
            return primary
    return None


def negotiate(
    *,
    switch: str | None = None,
    ui_locales: str | None = None,
    remembered: str | None = None,
    accept_language: str | None = None,
) -> str:
    """Pick the page language from what the person and the portal said (see the module text)."""
    return (
        _first_known([switch] if switch else [])
        or _first_known((ui_locales or "").split())
        or _first_known([remembered] if remembered else [])
        or _first_known(_accept_language(accept_language or ""))
        or DEFAULT
    )
