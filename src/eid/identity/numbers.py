"""Enterprise (KBO/BCE) numbers and eID card numbers."""

from __future__ import annotations

from dataclasses import dataclass

from eid.errors import MalformedInput
from eid.identity._text import compact, mod97_check, require_digits

_ENTERPRISE = "enterprise_number"
_CARD = "card_number"


@dataclass(frozen=True)
class EnterpriseNumber:
    """A 10-digit enterprise number (KBO/BCE, also the Belgian VAT number), checksum verified."""

    value: str

    def __post_init__(self) -> None:
        """Refuse anything but 10 digits starting with 0 or 1 with a correct check number."""
        require_digits(self.value, 10, field=_ENTERPRISE)
        if self.value[0] not in "01":
            raise MalformedInput("must start with 0 or 1", field=_ENTERPRISE)
        if mod97_check(self.value[:8]) != int(self.value[8:]):
            raise MalformedInput("checksum does not match", field=_ENTERPRISE)

    @classmethod
    def parse(cls, text: str) -> EnterpriseNumber:
        """Parse ``0123.456.749``, ``BE0123456749``, spaces, or the old 9-digit form."""
        value = compact(text, field=_ENTERPRISE)
        if value[:2].upper() == "BE":
            value = value[2:]
        return cls("0" + value if len(value) == 9 else value)

    @property
    def formatted(self) -> str:
        """The usual printed form: ``0123.456.749``."""
        v = self.value
        return f"{v[0:4]}.{v[4:7]}.{v[7:10]}"

    def __str__(self) -> str:
        """Give the 10 digits."""
        return self.value


@dataclass(frozen=True)
class CardNumber:
    """The number of an eID card.

    Belgian cards hold 12 digits whose last two check the first ten (mod 97, 0 written 97);
    those are verified and :attr:`checked` is True. Some foreigner cards hold other forms
    (such as a letter and digits); those are kept as they are, with :attr:`checked` False.
    """

    value: str

    def __post_init__(self) -> None:
        """Refuse an empty or non-alphanumeric value, or a 12-digit one with a wrong checksum."""
        if not self.value.isascii() or not self.value.isalnum():
            raise MalformedInput("only letters and digits are allowed", field=_CARD)
        if self.checked and _card_check(self.value) != int(self.value[10:]):
            raise MalformedInput("checksum does not match", field=_CARD)

    @classmethod
    def parse(cls, text: str) -> CardNumber:
        """Parse ``591-1234567-89``, the bare 12 digits, or another card's alphanumeric form."""
        return cls(compact(text, field=_CARD).upper())

    @property
    def checked(self) -> bool:
        """True when the number has the Belgian 12-digit form and so was checksum verified."""
        return len(self.value) == 12 and self.value.isdigit()

    @property
    def formatted(self) -> str:
        """``591-1234567-89`` (3-7-2) for a Belgian number, else the value itself."""
        v = self.value
        return f"{v[0:3]}-{v[3:10]}-{v[10:12]}" if self.checked else v

    @property
    def masked(self) -> str:
        """The formatted number with its middle hidden, safe to log."""
        shown = self.formatted
        if len(shown) <= 7:
            return "*" * len(shown)
        return shown[:4] + "*" * (len(shown) - 7) + shown[-3:]

    def __str__(self) -> str:
        """Give the number as stored on the card."""
        return self.value


def _card_check(value: str) -> int:
    return int(value[:10]) % 97 or 97
