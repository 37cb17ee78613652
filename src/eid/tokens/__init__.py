"""PKCS#11 tokens and cards: modules, slots, PIN, certificates, signatures, card files.

`open_default` finds the token to use; `Token` reads and signs with it.
The Belgian card profile is in `eid.tokens.belpic`, the virtual eID in
`eid.tokens.virtual`.
"""

from eid.tokens.discovery import open_default
from eid.tokens.mechanisms import HashName, Padding
from eid.tokens.modules import MODULE_ENV, Module, candidate_modules, load_module
from eid.tokens.pin import PIN_ENV, PinProvider, PinRequest, PinState, env_pin
from eid.tokens.token import (
    Role,
    SlotInfo,
    Token,
    TokenCertificate,
    TokenInfo,
    list_slots,
    open_token,
)

__all__ = [
    "MODULE_ENV",
    "PIN_ENV",
    "HashName",
    "Module",
    "Padding",
    "PinProvider",
    "PinRequest",
    "PinState",
    "Role",
    "SlotInfo",
    "Token",
    "TokenCertificate",
    "TokenInfo",
    "candidate_modules",
    "env_pin",
    "list_slots",
    "load_module",
    "open_default",
    "open_token",
]
