"""Normalisation of the number forms people type: separators out, digits checked."""

from __future__ import annotations

from eid.errors import MalformedInput

SEPARATORS = " .-/"


def compact(text: str, *, field: str) -> str:
    """``text`` without surrounding white space and without separators (space . - /)."""
    compacted = "".join(char for char in text.strip() if char not in SEPARATORS)
    if not compacted:
        raise MalformedInput("empty value", field=field)
    return compacted


def require_digits(value: str, length: int, *, field: str) -> str:
    """``value`` itself when it is exactly ``length`` ASCII digits; MalformedInput otherwise."""
    for position, char in enumerate(value):
        if char not in "0123456789":
            message = f"non-digit character {char!r} at position {position}"
            raise MalformedInput(message, field=field)
    if len(value) != length:
        raise MalformedInput(f"wrong length: {len(value)} digits, expected {length}", field=field)
    return value


def mod97_check(body: str) -> int:
    """Return the check number ``97 - (body mod 97)`` of national and enterprise numbers."""
    return 97 - int(body) % 97
