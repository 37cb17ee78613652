"""Compact JWS (RFC 7515) for ID tokens: strict parsing and signing over `cryptography`.

This is the fast path: the key is parsed once (`eid.sso.keys`, `eid.sso.jwks`), and a token
is split, decoded and checked here without a JOSE library's per-call overhead; the tests
cross-check every token against PyJWT and joserfc. Parsing is strict so that one token has
one meaning:

* exactly three parts (five parts is a JWE, refused where a JWS is expected);
* base64url without padding, in canonical form (unused trailing bits zero);
* JSON objects without duplicate member names;
* headers never honoured: ``jwk``, ``jku``, ``x5u``, ``x5c`` (the key comes from the
  provider's JWKS, never from the token), ``crit`` (no extension is understood), ``b64``,
  ``zip``, and ``cty`` (nested tokens); ``alg`` ``none`` and HMAC are refused;
* a ``typ``, when present, is one the caller expects (an ID token's by default: ``JWT``), so
  a token of another kind (a ``logout+jwt`` logout token) is not taken for an ID token.
"""

from __future__ import annotations

import binascii
import functools
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson
import pybase64

from eid.errors import (
    AssertionAlgorithmRefused,
    AssertionHeaderRefused,
    AssertionMalformed,
    AssertionTooLarge,
)

__all__ = [
    "ID_TOKEN_TYPES",
    "LOGOUT_TOKEN_TYPES",
    "MAX_TOKEN_SIZE",
    "REFUSED_HEADERS",
    "CompactJws",
    "b64url_decode",
    "b64url_encode",
    "json_object",
    "parse_compact",
]

MAX_TOKEN_SIZE = 16 * 1024
"""The longest token accepted (characters)."""

ID_TOKEN_TYPES = frozenset({"jwt", "application/jwt"})
"""The ``typ`` values (lower case) of an ID token or a client assertion."""

LOGOUT_TOKEN_TYPES = frozenset({"logout+jwt", "application/logout+jwt"})
"""The ``typ`` values (lower case) of a back-channel logout token (Back-Channel Logout 2.4)."""

REFUSED_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit", "b64", "zip", "cty"})
"""Header members whose presence alone refuses a token."""

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# pybase64 (SIMD) decodes a token's parts at a fraction of binascii's cost; its arguments go
# by position, as its keyword parsing alone costs more than decoding a header.
_URLSAFE = b"-_"
_PADDING = {0: "", 2: "==", 3: "="}
# The last character of a part whose length is 2 or 3 modulo 4 carries 4 or 2 unused bits,
# which must be zero in the canonical encoding.
_CANONICAL_LAST = {
    2: frozenset(c for i, c in enumerate(_ALPHABET) if i % 16 == 0),
    3: frozenset(c for i, c in enumerate(_ALPHABET) if i % 4 == 0),
}
_SOURCE = "ID token"


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return pybase64.b64encode(data, _URLSAFE).rstrip(b"=").decode()


def b64url_decode(text: str, field: str) -> bytes:
    """Strict base64url: alphabet, no padding, canonical (unused trailing bits zero)."""
    remainder = len(text) % 4
    if (
        remainder == 1
        or (remainder and text[-1] not in _CANONICAL_LAST[remainder])
        # with '-' and '_', pybase64 also takes the standard '+' and '/', and padding
        or "+" in text
        or "/" in text
        or "=" in text
    ):
        raise _not_base64url(field)
    try:
        # validate: any other character outside the alphabet (non-ASCII too) is refused
        return pybase64.b64decode(text + _PADDING[remainder], _URLSAFE, True)
    except (binascii.Error, ValueError):
        raise _not_base64url(field) from None


def _not_base64url(field: str) -> AssertionMalformed:
    return AssertionMalformed(
        "not canonical base64url without padding", source=_SOURCE, field=field
    )


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise ValueError("duplicate member names")
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_no_constant)
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def json_object(raw: bytes, field: str) -> dict[str, Any]:
    """A JSON object from UTF-8 bytes, refusing duplicate member names, NaN and Infinity.

    Compact JSON (as JWT libraries write it) is decoded by orjson and accepted when it
    encodes back to the same bytes, which a text with a duplicate name never does; any other
    text goes through the standard decoder that sees every member, and must encode back to
    UTF-8 (no lone surrogates).
    """
    try:
        value = orjson.loads(raw)
        if isinstance(value, dict) and orjson.dumps(value) == raw:
            return value
    except orjson.JSONDecodeError:
        pass  # the standard decoder below gives the verdict and the reason
    try:
        value = _DECODER.decode(raw.decode("utf-8"))
        _COMPACT_JSON.encode(value).encode("utf-8")
    except (UnicodeError, ValueError) as error:
        raise AssertionMalformed(
            f"not a JSON object ({error})", source=_SOURCE, field=field
        ) from None
    except RecursionError:
        raise AssertionMalformed("JSON nested too deeply", source=_SOURCE, field=field) from None
    if not isinstance(value, dict):
        raise AssertionMalformed("not a JSON object", source=_SOURCE, field=field)
    return value


class CompactJws(NamedTuple):
    """A split compact JWS: checked header (with its ``alg`` and ``kid``), payload, signature."""

    header: Mapping[str, Any]
    algorithm: str
    kid: str | None
    payload_b64: str
    signing_input: bytes
    signature: bytes

    def claims(self) -> dict[str, Any]:
        """The payload as a JSON object (decode only after the signature verified)."""
        return json_object(b64url_decode(self.payload_b64, "payload"), "payload")


def parse_compact(
    token: str | bytes,
    *,
    max_size: int = MAX_TOKEN_SIZE,
    types: frozenset[str] = ID_TOKEN_TYPES,
) -> CompactJws:
    """Split and check a compact JWS's form and header (not its signature).

    ``types`` are the ``typ`` values accepted (lower case); a header without one is accepted.
    """
    if len(token) > max_size:
        raise AssertionTooLarge(f"longer than {max_size} characters", source=_SOURCE)
    if not token.isascii():  # of text, a flag read; of bytes, one pass
        raise AssertionMalformed("not ASCII", source=_SOURCE)
    if isinstance(token, bytes):
        token = token.decode("ascii")
    # rpartition and partition find the dots with memchr and copy only what each part needs,
    # where split walks the token character by character (a quarter of a microsecond)
    signed, _, signature_b64 = token.rpartition(".")
    header_b64, dot, payload_b64 = signed.partition(".")
    if not dot or "." in payload_b64:
        if token.count(".") == 4:
            raise AssertionMalformed(
                "a JWE (encrypted token) where a signed JWS is expected", source=_SOURCE
            )
        raise AssertionMalformed("a compact JWS has three parts", source=_SOURCE)
    header, algorithm, kid = _checked_header(header_b64, types)
    signature = b64url_decode(signature_b64, "signature")
    return CompactJws(header, algorithm, kid, payload_b64, signed.encode("ascii"), signature)


@functools.lru_cache(maxsize=256)
def _checked_header(
    header_b64: str, types: frozenset[str]
) -> tuple[Mapping[str, Any], str, str | None]:
    """The decoded header of ``header_b64`` with its ``alg`` and ``kid``, every check passed.

    Its ``typ``, if any, is one of ``types``. A pure function of the header's text and
    ``types``, remembered for the few texts a provider sends
    (an exception is never remembered: a refused header is parsed again each time).
    """
    header = json_object(b64url_decode(header_b64, "header"), "header")
    algorithm, kid = _check_header(header, types)
    return MappingProxyType(header), algorithm, kid


def _check_header(header: Mapping[str, Any], types: frozenset[str]) -> tuple[str, str | None]:
    """The header's ``alg`` and ``kid`` once every header check passed."""
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise AssertionMalformed("the header has no 'alg'", source=_SOURCE, field="alg")
    if alg.lower() == "none" or alg.upper().startswith("HS"):
        raise AssertionAlgorithmRefused(f"algorithm {alg!r} is never accepted for ID tokens")
    if not REFUSED_HEADERS.isdisjoint(header):
        refused = ", ".join(sorted(REFUSED_HEADERS.intersection(header)))
        raise AssertionHeaderRefused(
            f"header member(s) {refused} are not accepted: keys come from "
            "the provider's JWKS only, and no extension or nested token is understood"
        )
    kid = header.get("kid")
    if "kid" in header and not isinstance(kid, str):
        raise AssertionMalformed("'kid' must be text", source=_SOURCE, field="kid")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in types):
        raise AssertionHeaderRefused(
            f"typ {typ!r} is not accepted here (only {', '.join(sorted(types))})"
        )
    return alg, kid
