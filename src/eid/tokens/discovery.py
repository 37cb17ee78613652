"""Finding the token to use: an explicit module, ``EID_PKCS11_MODULE``, the middleware, the virtual card."""

from __future__ import annotations

import os
from pathlib import Path

from eid.errors import NoCard, NoModule, NoReader, TokenError, TokenNotFound, UnknownCard
from eid.tokens.modules import MODULE_ENV, candidate_modules, load_module
from eid.tokens.pin import PinProvider
from eid.tokens.token import Token, open_token
from eid.tokens.virtual import find_virtual_card

__all__ = ["open_default"]

# When nothing is found, the most telling failure is reported.
_SPECIFICITY: tuple[type[TokenError], ...] = (
    UnknownCard,
    TokenNotFound,
    NoCard,
    NoReader,
    NoModule,
)


def open_default(
    *,
    module: str | os.PathLike[str] | None = None,
    label: str | None = None,
    slot_id: int | None = None,
    pin_provider: PinProvider | None = None,
    virtual_directory: Path | None = None,
) -> Token:
    """Open the token to use.

    ``module`` (or ``EID_PKCS11_MODULE``) names the PKCS#11 module; without one, the
    Belgian middleware and OpenSC are tried where they are installed, and when none
    of them holds a token, the virtual card (see `eid.tokens.virtual`), whose PIN is
    ``EID_PIN`` or its test PIN rather than ``pin_provider``'s.
    """
    explicit = module or os.environ.get(MODULE_ENV)
    if explicit:
        return open_token(
            load_module(explicit), label=label, slot_id=slot_id, pin_provider=pin_provider
        )
    failures: list[TokenError] = []
    for candidate in candidate_modules():
        try:
            return open_token(
                load_module(candidate), label=label, slot_id=slot_id, pin_provider=pin_provider
            )
        except (NoModule, NoReader, NoCard, UnknownCard, TokenNotFound) as error:
            failures.append(error)
    card = find_virtual_card(virtual_directory)
    if card is not None and label in (None, card.label) and slot_id is None:
        return card.open()  # its own PIN policy: EID_PIN, else the test PIN
    for kind in _SPECIFICITY:
        for failure in failures:
            if type(failure) is kind:
                raise failure
    raise NoModule(
        "no PKCS#11 module found: install the Belgian eID middleware, pass --module "
        f"(or set {MODULE_ENV}), or create the virtual card with `eid virtual-card create`"
    )
