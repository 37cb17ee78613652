"""The keys a portal verifies ID tokens with, from the provider's JWKS (never from a token).

`VerificationKeys` parses a JWKS document once (through joserfc, which checks each JWK's
form) into `cryptography` public keys, each with its allow-list of algorithms: those its key
type and size can make, narrowed by the JWK's ``alg`` when it has one. Private keys,
symmetric keys, an ``alg`` that contradicts its key and duplicate ``kid`` values are
refused; keys for encryption and of other types, curves or algorithms are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from eid.errors import AssertionAlgorithmRefused, AssertionKeyUnknown, MalformedInput
from eid.sso.algorithms import ALGORITHMS, PublicKey, Verifier, algorithms_for, verifier
from eid.sso.keys import KeySet as ProviderKeySet

__all__ = ["KeySource", "VerificationKey", "VerificationKeys"]


class KeySource(Protocol):
    """Where an import finds the provider's key for a token: `VerificationKeys`, `RemoteKeys`."""

    def select(self, kid: str | None, algorithm: str) -> Verifier:
        """The check of ``algorithm`` with the key named ``kid``, or an `AssertionInvalid`."""
        ...


@dataclass(frozen=True)
class VerificationKey:
    """One public key and the algorithms it may verify (each with its prepared check)."""

    kid: str | None
    public_key: PublicKey
    algorithms: frozenset[str]
    verifiers: Mapping[str, Verifier] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Prepare one check per allowed algorithm."""
        prepared = {name: verifier(self.public_key, ALGORITHMS[name]) for name in self.algorithms}
        checks = {name: check for name, check in prepared.items() if check is not None}
        object.__setattr__(self, "verifiers", MappingProxyType(checks))


class VerificationKeys:
    """The provider's public keys by ``kid``, parsed once."""

    def __init__(self, keys: Iterable[VerificationKey]) -> None:
        """Hold ``keys``; two with one ``kid`` are refused."""
        self._keys: dict[str | None, VerificationKey] = {}
        for key in keys:
            if key.kid in self._keys:
                raise MalformedInput(f"two keys have kid {key.kid!r}", source="JWKS")
            self._keys[key.kid] = key

    def __len__(self) -> int:
        """How many keys."""
        return len(self._keys)

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any] | str | bytes) -> VerificationKeys:
        """Parse a JWKS document (JSON text or decoded); `MalformedInput` if it is not one."""
        if isinstance(document, str | bytes):
            try:
                document = json.loads(document)
            except (ValueError, RecursionError) as error:
                raise MalformedInput(f"not JSON ({error})", source="JWKS") from None
        entries = document.get("keys") if isinstance(document, Mapping) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise MalformedInput("a JWKS has a list of keys under 'keys'", source="JWKS")
        for entry in entries:
            if {"d", "p", "q", "dp", "dq", "qi", "oth", "k"} & set(entry):
                raise MalformedInput("a JWKS must hold public keys only", source="JWKS")
        signing = [entry for entry in entries if _may_verify(entry)]
        if not signing:
            return cls(())
        try:
            parsed = KeySet.import_key_set({"keys": signing})
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise MalformedInput(f"not a valid JWKS ({error})", source="JWKS") from None
        return cls(
            key
            for key in map(_verification_key, parsed)
            if key.algorithms  # a key type this module knows, on a curve or size it does not
        )

    @classmethod
    def from_file(cls, path: Path) -> VerificationKeys:
        """Parse a JWKS file."""
        try:
            return cls.from_jwks(path.read_bytes())
        except OSError as error:
            raise MalformedInput(f"cannot read ({error.strerror})", source=str(path)) from None

    @classmethod
    def from_key_set(cls, keys: ProviderKeySet) -> VerificationKeys:
        """The public side of the provider's own key set (every published key)."""
        return cls(
            VerificationKey(k.kid, k.public_key, frozenset(algorithms_for(k.public_key)))
            for k in keys
        )

    def select(self, kid: str | None, algorithm: str) -> Verifier:
        """The check of ``algorithm`` with the key named ``kid`` (the only key when none is named).

        `AssertionKeyUnknown` when no key fits; `AssertionAlgorithmRefused` when the key
        may not verify ``algorithm``.
        """
        key = self._keys.get(kid)
        if key is None and kid is None and len(self._keys) == 1:
            key = next(iter(self._keys.values()))
        if key is None:
            shown = f"kid {kid!r}" if kid is not None else "no kid"
            raise AssertionKeyUnknown(
                f"the token names {shown}, which is not in the provider's JWKS"
            )
        check = key.verifiers.get(algorithm)
        if check is None:
            raise AssertionAlgorithmRefused(
                f"algorithm {algorithm} is not allowed for key {key.kid!r} "
                f"(allowed: {', '.join(sorted(key.algorithms))})"
            )
        return check


def _may_verify(entry: Mapping[str, Any]) -> bool:
    """Whether a JWK can verify an ID token: an RSA or EC key not for encryption only.

    Others are left out, not refused (RFC 7517 5): providers publish encryption keys
    (``use: enc``, ``alg: RSA-OAEP``) and key types or algorithms of no use here (``OKP``,
    ``EdDSA``, ``ES256K``) beside their signing keys.
    """
    alg = entry.get("alg")
    return (
        entry.get("kty") in ("RSA", "EC")
        and entry.get("use") != "enc"
        and (alg is None or not isinstance(alg, str) or alg in ALGORITHMS)
    )


def _verification_key(key: RSAKey | ECKey | Any) -> VerificationKey:
    """The key and its allowed algorithms (none when its curve or size fits no algorithm)."""
    public = key.raw_value
    if not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise MalformedInput("a JWKS must hold public RSA or EC keys only", source="JWKS")
    allowed = frozenset(algorithms_for(public))
    if key.alg is not None and allowed:
        if key.alg not in allowed:
            raise MalformedInput(
                f"key {key.kid!r}: alg {key.alg} does not fit the key", source="JWKS"
            )
        allowed = frozenset({key.alg})
    return VerificationKey(key.kid, public, allowed)
