"""PIN state and where a PIN comes from.

A PIN is asked for when it is needed and handed straight to the token: `eid`
never stores it, logs it, or puts it in an exception message or a repr.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pkcs11.constants import TokenFlag

from eid.errors import PinCancelled

__all__ = ["PIN_ENV", "PinProvider", "PinRequest", "PinState", "env_pin", "pin_state"]

PIN_ENV = "EID_PIN"
"""Environment variable a PIN may be taken from (meant for test cards and automation)."""


class PinState(StrEnum):
    """What the token says about its user PIN."""

    OK = "ok"
    COUNT_LOW = "count_low"
    FINAL_TRY = "final_try"
    LOCKED = "locked"
    TO_BE_CHANGED = "to_be_changed"
    NOT_INITIALIZED = "not_initialized"

    @property
    def tries_left(self) -> int | None:
        """Tries left where the state tells it exactly (final try: 1, locked: 0), else None."""
        return {PinState.FINAL_TRY: 1, PinState.LOCKED: 0}.get(self)


def pin_state(flags: TokenFlag) -> PinState:
    """The PIN state read from a token's flags, the most severe one first."""
    if flags & TokenFlag.USER_PIN_LOCKED:
        return PinState.LOCKED
    if flags & TokenFlag.USER_PIN_FINAL_TRY:
        return PinState.FINAL_TRY
    if flags & TokenFlag.USER_PIN_COUNT_LOW:
        return PinState.COUNT_LOW
    if not flags & TokenFlag.USER_PIN_INITIALIZED:
        return PinState.NOT_INITIALIZED
    if flags & TokenFlag.USER_PIN_TO_BE_CHANGED:
        return PinState.TO_BE_CHANGED
    return PinState.OK


@dataclass(frozen=True)
class PinRequest:
    """Why a PIN is asked for: to log in to a token, or to allow one signature."""

    token_label: str
    purpose: str
    state: PinState


class PinProvider(Protocol):
    """Gives the PIN for a request, or raises `PinCancelled`."""

    def __call__(self, request: PinRequest, /) -> str:
        """Return the PIN for ``request``."""
        ...


def env_pin(request: PinRequest, /) -> str:
    """The PIN from ``EID_PIN``; `PinCancelled` when it is not set."""
    pin = os.environ.get(PIN_ENV)
    if not pin:
        raise PinCancelled(
            f"a PIN is needed for {request.purpose} on {request.token_label!r}; set {PIN_ENV}"
        )
    return pin
