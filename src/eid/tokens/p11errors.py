"""Translation of python-pkcs11 exceptions into the `eid` error hierarchy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pkcs11 import exceptions as p11

from eid.errors import (
    CardRemoved,
    EidError,
    MechanismUnsupported,
    PinCancelled,
    PinIncorrect,
    PinLocked,
    TokenError,
    UnknownCard,
)

__all__ = ["translate", "translated"]

_REMOVED = (
    p11.DeviceRemoved,
    p11.TokenNotPresent,
    p11.SessionClosed,
    p11.SessionHandleInvalid,
    p11.SlotIDInvalid,
)


def translate(error: p11.PKCS11Error) -> EidError:
    """The `eid` error that stands for a PKCS#11 failure."""
    if isinstance(error, p11.PinIncorrect):
        return PinIncorrect("the PIN is incorrect")
    if isinstance(error, p11.PinLenRange):
        return PinIncorrect("the PIN does not have a length the token accepts")
    if isinstance(error, p11.PinLocked):
        return PinLocked("the PIN is blocked; unblock it with the PUK")
    if isinstance(error, _REMOVED):
        return CardRemoved("the card or token was removed")
    if isinstance(error, p11.TokenNotRecognised):
        return UnknownCard("the module does not recognise the card in the reader")
    if isinstance(error, p11.MechanismInvalid | p11.MechanismParamInvalid):
        return MechanismUnsupported("the token refused the signature mechanism")
    if isinstance(error, p11.FunctionCancelled):
        return PinCancelled("the PIN entry was cancelled")
    return TokenError(f"the PKCS#11 module failed: {type(error).__name__}")


@contextmanager
def translated() -> Iterator[None]:
    """Run a block of PKCS#11 calls, raising `eid` errors instead of python-pkcs11's."""
    try:
        yield
    except p11.PKCS11Error as error:
        raise translate(error) from error
