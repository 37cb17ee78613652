"""Signing through `eid.tokens` vs calling python-pkcs11 directly, on the same SoftHSM2 key.

Both sides do the same work: hash the message in software, then sign the digest with
the raw mechanism the token offers (CKM_RSA_PKCS with a DigestInfo, or CKM_ECDSA).
A second direct contender uses the token's hash-and-sign mechanism. Target: the
overhead ratio (direct rate / eid rate) at most 1.15.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass

from benchmarks.timing import compare
from eid.tokens import Role
from eid.tokens.digestinfo import digest_info
from eid.tokens.virtual import DEFAULT_PIN, VirtualCardSpec, create_virtual_card

MESSAGE = b"benchmark message " * 8


def run(kind: str, directory: Path) -> None:
    card, _ = create_virtual_card(
        directory / kind, VirtualCardSpec(key_kind="ec" if kind == "ec" else "rsa")
    )
    with card.open() as token:
        module = token.module
        with module.lock:
            slot = next(
                s
                for s in module.slots(token_present=True)
                if s.get_token().label.strip() == "BELPIC"
            )
            session = slot.get_token().open(user_pin=DEFAULT_PIN)
        key_id = token.certificate(Role.AUTHENTICATION).id
        key = next(
            session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: key_id})
        )
        is_rsa = key[Attribute.KEY_TYPE] == KeyType.RSA
        raw, hashed = (
            (Mechanism.RSA_PKCS, Mechanism.SHA256_RSA_PKCS)
            if is_rsa
            else (Mechanism.ECDSA, Mechanism.ECDSA_SHA256)
        )

        def direct_raw() -> bytes:
            hasher = hashes.Hash(hashes.SHA256())
            hasher.update(MESSAGE)
            digest = hasher.finalize()
            return bytes(
                key.sign(digest_info("sha256", digest) if is_rsa else digest, mechanism=raw)
            )

        def direct_hash_and_sign() -> bytes:
            return bytes(key.sign(MESSAGE, mechanism=hashed))

        def through_eid() -> bytes:
            return token.sign(MESSAGE, ecdsa_format="raw")

        contenders = {"python-pkcs11 raw": direct_raw, "eid.tokens": through_eid}
        if hashed in token.mechanisms:  # SoftHSM2 2.6 offers no CKM_ECDSA_SHA*
            contenders["python-pkcs11 hash-and-sign"] = direct_hash_and_sign
        count = 300 if is_rsa else 600
        rates = compare(contenders, count=count)
        session.close()
    ours = rates["eid.tokens"]
    print(f"sign {kind.upper()} on SoftHSM2 ({count} signatures x 5 rounds, best round):")
    for name, value in rates.items():
        print(f"  {name:30} {value:9.0f} sig/s")
    print(
        f"  overhead ratio (python-pkcs11 raw / eid.tokens): {rates['python-pkcs11 raw'] / ours:.3f}  (target <= 1.15)"
    )
    if "python-pkcs11 hash-and-sign" in rates:
        print(
            f"  ratio vs python-pkcs11 hash-and-sign: {rates['python-pkcs11 hash-and-sign'] / ours:.3f}"
        )


def main() -> None:
    """Run the signing benchmark on an RSA and an EC virtual card."""
    with tempfile.TemporaryDirectory() as directory:
        for kind in ("rsa", "ec"):
            run(kind, Path(directory))
