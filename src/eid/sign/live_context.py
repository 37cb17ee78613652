"""A pyHanko validation context that judges at the time of each check, for gathering data now.

pyhanko-certvalidator fixes a context's time ("right now") when the context is made. A signing
run makes its context first and then waits for a PIN, a card, a timestamp authority and, for
several files, the files before: OCSP answers and CRLs fetched afterwards have a thisUpdate
later than that time and were refused as "too recent". `LiveValidationContext` reads its
clock at every check instead, so validation data is judged at the time it is gathered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo, ValidationTimingParams

from eid.pki.revocation import RevocationSettings

__all__ = ["CLOCK_SKEW", "Clock", "LiveValidationContext"]

Clock = Callable[[], dt.datetime]
"""Gives the current time (timezone-aware)."""

CLOCK_SKEW: dt.timedelta = RevocationSettings.clock_skew
"""How far a responder's clock may run ahead of ours (thisUpdate after our now), as in
`eid.pki.revocation`: RFC 5280 and RFC 6960 leave the allowance to local policy."""


def _system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LiveValidationContext(ValidationContext):
    """A ``ValidationContext`` whose validation time is ``clock()`` (default: the system's) at each check.

    Meant for contexts that fetch OCSP and CRLs (``allow_fetching``), which validate "now";
    not for validation at a past moment (pass ``moment`` to a plain ``ValidationContext``).
    ``time_tolerance`` allows for clock skew between us and the responders (default
    `CLOCK_SKEW`); the other keywords are those of ``ValidationContext``.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        time_tolerance: dt.timedelta = CLOCK_SKEW,
        **options: Any,
    ) -> None:
        """Make the context; its time is read from ``clock`` whenever it is needed."""
        if "moment" in options or "best_signature_time" in options:
            raise TypeError("a live validation context has no fixed moment")
        self._clock = clock or _system_clock
        super().__init__(time_tolerance=time_tolerance, **options)

    @property
    def timing_params(self) -> ValidationTimingParams:
        """The validation time (``clock()`` now, also the presumed signing time) and tolerance."""
        now = self._clock()
        return ValidationTimingParams(
            ValidationTimingInfo(
                validation_time=now, best_signature_time=now, point_in_time_validation=False
            ),
            time_tolerance=self._tolerance,
        )

    @timing_params.setter
    def timing_params(self, params: ValidationTimingParams) -> None:
        # ValidationContext.__init__ stores its fixed timing here; only the tolerance is kept.
        self._tolerance = params.time_tolerance
