"""The Belgian national (register) number, with its BIS variant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from eid.errors import MalformedInput
from eid.identity._text import compact, mod97_check, require_digits

Sex = Literal["M", "F"]

_FIELD = "national_number"
_BIS_UNKNOWN_SEX = 20
_BIS_KNOWN_SEX = 40


@dataclass(frozen=True, repr=False)
class NationalNumber:
    """An 11-digit national number (rijksregisternummer / numéro national), checksum verified.

    Build it with :meth:`parse`. ``repr()`` masks the sequence and check digits; ``str()``
    gives the 11 digits and :attr:`formatted` the usual ``YY.MM.DD-SSS.CC`` form.
    """

    value: str

    def __post_init__(self) -> None:
        """Refuse anything but 11 digits with a correct check number."""
        require_digits(self.value, 11, field=_FIELD)
        if int(self.value[9:]) not in (_check(self.value, False), _check(self.value, True)):
            raise MalformedInput("checksum does not match", field=_FIELD)

    @classmethod
    def parse(cls, text: str) -> NationalNumber:
        """Parse ``85073003328``, ``85.07.30-033.28`` or the same with spaces."""
        return cls(compact(text, field=_FIELD))

    @property
    def born_after_2000(self) -> bool:
        """True when the check number is computed on '2' + the first 9 digits (born 2000+)."""
        return int(self.value[9:]) == _check(self.value, True)

    @property
    def bis_offset(self) -> int:
        """0 for a register number, 20 (sex unknown) or 40 (sex known) for a BIS number."""
        month = int(self.value[2:4])
        for offset in (_BIS_KNOWN_SEX, _BIS_UNKNOWN_SEX):
            if offset <= month <= offset + 12:
                return offset
        return 0

    @property
    def is_bis(self) -> bool:
        """True for a BIS number (people not in the national register)."""
        return self.bis_offset != 0

    @property
    def birth_date(self) -> date | None:
        """The birth date, or None when the month or day is 00 or the digits make no date."""
        month = int(self.value[2:4]) - self.bis_offset
        day = int(self.value[4:6])
        century = 2000 if self.born_after_2000 else 1900
        try:
            return date(century + int(self.value[:2]), month, day)
        except ValueError:
            return None

    @property
    def sex(self) -> Sex | None:
        """'M' for an odd sequence number, 'F' for an even one; None on a BIS number +20."""
        if self.bis_offset == _BIS_UNKNOWN_SEX:
            return None
        return "M" if int(self.value[6:9]) % 2 else "F"

    @property
    def formatted(self) -> str:
        """The number as printed on the card: ``85.07.30-033.28``."""
        v = self.value
        return f"{v[0:2]}.{v[2:4]}.{v[4:6]}-{v[6:9]}.{v[9:11]}"

    def __str__(self) -> str:
        """Give the 11 digits."""
        return self.value

    def __repr__(self) -> str:
        """Mask the sequence and check digits."""
        return f"NationalNumber('{self.formatted[:9]}***.**')"


def _check(value: str, born_after_2000: bool) -> int:
    return mod97_check(("2" if born_after_2000 else "") + value[:9])
