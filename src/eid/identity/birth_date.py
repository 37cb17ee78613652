"""Birth dates as the card writes them: Dutch, French or German month names, or a year alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eid.errors import MalformedInput

_FIELD = "date_of_birth"

# Month abbreviations found on cards (nl / fr / de), upper case.
_MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("JAN", "JANV"),
            ("FEB", "FEV", "FÉV", "FEVR", "FÉVR"),
            ("MAAR", "MRT", "MARS", "MÄR", "MAR"),
            ("APR", "AVR", "AVRIL"),
            ("MEI", "MAI"),
            ("JUN", "JUIN"),
            ("JUL", "JUIL"),
            ("AUG", "AOUT", "AOÛT"),
            ("SEP", "SEPT"),
            ("OKT", "OCT"),
            ("NOV",),
            ("DEC", "DÉC", "DEZ"),
        ),
        start=1,
    )
    for name in names
}
# The Dutch abbreviations, used when writing a birth date.
_WRITTEN = ("JAN", "FEB", "MAAR", "APR", "MEI", "JUN", "JUL", "AUG", "SEP", "OKT", "NOV", "DEC")


@dataclass(frozen=True)
class BirthDate:
    """A birth date that may lack its day, or its month and day (unknown at registration)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        """Refuse a day without a month and a date that does not exist."""
        if self.day is not None and self.month is None:
            raise MalformedInput("a day without a month", field=_FIELD)
        try:
            date(self.year, self.month or 1, self.day or 1)
        except ValueError as error:
            raise MalformedInput(f"no such date: {error}", field=_FIELD) from None

    def to_date(self) -> date | None:
        """Return the full date, or None when the month or day is unknown."""
        if self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)

    def to_card_text(self) -> str:
        """Spell the date as a card does, in Dutch: ``30 JUL 1985``, ``JUL 1985`` or ``1985``."""
        parts = [f"{self.day:02d}"] if self.day else []
        if self.month:
            parts.append(_WRITTEN[self.month - 1])
        return " ".join([*parts, f"{self.year:04d}"])

    def __str__(self) -> str:
        """Give ISO 8601 at the known precision: ``1985-07-30``, ``1985-07`` or ``1985``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text


def parse_birth_date(text: str) -> BirthDate:
    """Parse ``30 JUL 1985``, ``30 JUIL 1985``, ``30.DEZ.1985``, ``JUL 1985``, ``1985`` and alike.

    Day 00 means an unknown day. Raises MalformedInput for anything else.
    """
    parts = text.replace(".", " ").upper().split()
    if not parts or len(parts) > 3:
        raise MalformedInput(f"not a birth date: {text!r}", field=_FIELD)
    *head, year_text = parts
    month = _month(head[-1], text) if head else None
    day = _number(head[0], (1, 2), text) if len(head) == 2 else None
    return BirthDate(_number(year_text, (4,), text), month, day or None)


def _number(part: str, lengths: tuple[int, ...], text: str) -> int:
    if not (part.isascii() and part.isdigit() and len(part) in lengths):
        raise MalformedInput(f"not a birth date: {text!r}", field=_FIELD)
    return int(part)


def _month(part: str, text: str) -> int:
    try:
        return _MONTHS[part]
    except KeyError:
        raise MalformedInput(f"unknown month {part!r} in {text!r}", field=_FIELD) from None
