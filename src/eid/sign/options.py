"""What a signature should be (options) and what signing produced (results).

Signing options only: validation has options of its own. Every field has a
default that makes a plain AdES baseline B-B signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from eid.errors import UsageError
from eid.hashing import SIGNING_DIGESTS

if TYPE_CHECKING:
    from pyhanko_certvalidator import ValidationContext

__all__ = [
    "DIGESTS",
    "Level",
    "SignatureOptions",
    "SignedFile",
    "VisibleSignature",
]

DIGESTS = SIGNING_DIGESTS
"""The digest algorithms a signature may use."""


class Level(StrEnum):
    """An AdES baseline level (ETSI EN 319 142-1 for PAdES, EN 319 122-1 for CAdES)."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def timestamped(self) -> bool:
        """Whether the level carries a signature timestamp (B-T and up)."""
        return self is not Level.B_B

    @property
    def long_term(self) -> bool:
        """Whether the level embeds validation data (B-LT and up)."""
        return self in (Level.B_LT, Level.B_LTA)


@dataclass(frozen=True)
class VisibleSignature:
    """Where a PDF signature shows, and what it says.

    ``box`` is (x1, y1, x2, y2) in PDF points from the page's lower-left corner;
    ``page`` counts from 0 (-1 is the last page). ``text`` may use ``%(signer)s``
    and ``%(ts)s`` (the signer's name and the signing time).
    """

    box: tuple[int, int, int, int] = (50, 50, 300, 110)
    page: int = 0
    text: str = "Signed by %(signer)s\n%(ts)s"

    def __post_init__(self) -> None:
        """Refuse a box without area."""
        x1, y1, x2, y2 = self.box
        if x2 <= x1 or y2 <= y1:
            raise UsageError(f"the visible signature box {self.box} has no area")


@dataclass(frozen=True)
class SignatureOptions:
    """How to sign: level, timestamp authority, validation data, PDF details.

    ``tsa_url`` is needed from B-T up; ``validation_context`` (a pyHanko
    ``ValidationContext`` holding trust roots and either fetching allowed or the
    CRLs/OCSP responses at hand) from B-LT up. ``digest`` None picks one that
    suits the key (SHA-256 for RSA-2048 and P-256, SHA-384 for P-384).
    ``reason``, ``location``, ``visible`` and ``field_name`` are for PDF only.
    """

    level: Level = Level.B_B
    tsa_url: str | None = None
    tsa_timeout: float = 10.0
    validation_context: ValidationContext | None = None
    digest: str | None = None
    reason: str | None = None
    location: str | None = None
    contact: str | None = None
    visible: VisibleSignature | None = None
    field_name: str | None = None

    def __post_init__(self) -> None:
        """Check the combination: a TSA from B-T up, validation data from B-LT up."""
        try:
            object.__setattr__(self, "level", Level(self.level))
        except ValueError:
            levels = ", ".join(level.value for level in Level)
            raise UsageError(f"level must be one of {levels}, got {self.level!r}") from None
        if self.digest is not None and self.digest not in DIGESTS:
            raise UsageError(f"digest must be one of {', '.join(DIGESTS)}, got {self.digest!r}")
        if self.level.timestamped and not self.tsa_url:
            raise UsageError(
                f"a {self.level.value} signature needs a timestamp authority (tsa_url)"
            )
        if self.tsa_url and not self.tsa_url.startswith(("http://", "https://")):
            raise UsageError(f"tsa_url must be an http(s) URL, got {self.tsa_url!r}")
        if self.level.long_term and self.validation_context is None:
            raise UsageError(
                f"a {self.level.value} signature needs validation data (validation_context)"
            )
        if self.tsa_timeout <= 0:
            raise UsageError("tsa_timeout must be positive")


@dataclass(frozen=True)
class SignedFile:
    """What a signing call wrote."""

    output: Path
    format: str
    level: Level
    digest: str
    signer: str
    size: int
    signatures: int = 1
    details: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "output": str(self.output),
            "format": self.format,
            "level": self.level.value,
            "digest": self.digest,
            "signer": self.signer,
            "size": self.size,
            "signatures": self.signatures,
            **self.details,
        }
