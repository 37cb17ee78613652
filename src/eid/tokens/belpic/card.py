"""Reading a Belgian eID's files, as the middleware exposes them, into checked card data."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from eid.errors import MalformedInput, SignatureMissing
from eid.identity import Address, Identity
from eid.tokens.belpic.files import parse_address, parse_identity
from eid.tokens.belpic.labels import (
    ADDRESS_FILE,
    CERT_RN_FILE,
    DATA_FILE,
    MAX_FILE_SIZES,
    PHOTO_FILE,
    SIGN_ADDRESS_FILE,
    SIGN_DATA_FILE,
)
from eid.tokens.belpic.rrn import (
    load_rrn_certificate,
    verify_address_signature,
    verify_identity_signature,
    verify_photo_hash,
)

CheckStatus = Literal["valid", "absent", "unverified"]
"""``valid``: checked and matching; ``absent``: nothing to check (no signature or photo);
``unverified``: a signature is there but the RRN certificate (or identity signature) is not."""


@dataclass(frozen=True)
class Check:
    """The outcome of one integrity check and the hash algorithm it used."""

    status: CheckStatus
    algorithm: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """Return the status and algorithm as JSON-ready data."""
        return {"status": self.status, "algorithm": self.algorithm}

    def __str__(self) -> str:
        """Give ``valid (sha256)`` or the bare status."""
        return f"{self.status} ({self.algorithm})" if self.algorithm else self.status


def _describe(subject: str, what: str, check: Check) -> str:
    algorithm = f" ({check.algorithm})" if check.algorithm else ""
    outcome = {
        "valid": f"{what} valid{algorithm}",
        "absent": f"no {what}, not verified",
        "unverified": f"{what} present but not verified (its certificate is missing)",
    }[check.status]
    return f"{subject}: {outcome}"


@dataclass(frozen=True)
class CardChecks:
    """What was verified when the card's files were read."""

    identity_signature: Check
    address_signature: Check
    photo_hash: Check

    def to_dict(self) -> dict[str, dict[str, str | None]]:
        """Return each check as JSON-ready data."""
        return {name: check.to_dict() for name, check in self._named()}

    def describe(self) -> list[str]:
        """Give one line per check, for a person: ``identity file: RRN signature valid (sha256)``."""
        return [
            _describe("identity file", "RRN signature", self.identity_signature),
            _describe("address file", "RRN signature", self.address_signature),
            _describe("photo", "hash in the identity file", self.photo_hash),
        ]

    def _named(self) -> list[tuple[str, Check]]:
        return [
            ("identity_signature", self.identity_signature),
            ("address_signature", self.address_signature),
            ("photo_hash", self.photo_hash),
        ]


@dataclass(frozen=True, repr=False)
class CardData:
    """A card's identity, address, photo and RRN certificate, with the checks made on them.

    ``files`` holds the raw files by middleware label. ``repr()`` discloses no personal data.
    """

    identity: Identity
    address: Address | None
    photo: bytes | None
    rrn_certificate: x509.Certificate | None
    files: Mapping[str, bytes]
    checks: CardChecks

    def to_dict(self) -> dict[str, object]:
        """Return JSON-ready data; the photo as its size and SHA-256, not its bytes."""
        photo = None
        if self.photo is not None:
            photo = {"size": len(self.photo), "sha256": hashlib.sha256(self.photo).hexdigest()}
        certificate = None
        if self.rrn_certificate is not None:
            certificate = {
                "subject": self.rrn_certificate.subject.rfc4514_string(),
                "serial_number": format(self.rrn_certificate.serial_number, "x"),
                "sha256": self.rrn_certificate.fingerprint(hashes.SHA256()).hex(),
            }
        return {
            "identity": self.identity.to_dict(),
            "address": self.address.to_dict() if self.address is not None else None,
            "photo": photo,
            "rrn_certificate": certificate,
            "files": sorted(self.files),
            "checks": self.checks.to_dict(),
        }

    def __repr__(self) -> str:
        """Show the identity's masked form, the file labels and the checks."""
        files = sorted(self.files)
        return f"CardData(identity={self.identity!r}, files={files}, checks={self.checks})"


def read_card_files(files: Mapping[str, bytes], *, require_signatures: bool = True) -> CardData:
    """Read and check a card's files, keyed by middleware label (``DATA_FILE``, …).

    ``DATA_FILE`` is mandatory, and so are the RRN certificate and the signature files
    (`SignatureMissing` names those missing) unless ``require_signatures=False``: the
    opt-out for callers that check the files some other way, whose checks then say
    ``absent`` or ``unverified``. Signatures are verified before the files they cover are
    parsed, so a changed byte reports SignatureInvalid (naming the file) rather than a parse
    error; a photo that does not match its hash does too. A file larger than a card's
    (`MAX_FILE_SIZES`) is refused before it is read. Other labels (such as the per-field
    objects) are ignored.
    """
    identity_file = files.get(DATA_FILE)
    if identity_file is None:
        raise MalformedInput(f"{DATA_FILE} is missing", source=DATA_FILE)
    for label, limit in MAX_FILE_SIZES.items():
        size = len(files.get(label, b""))
        if size > limit:
            raise MalformedInput(
                f"{size} bytes, more than the {limit} a card's file holds", source=label
            )
    address_file = files.get(ADDRESS_FILE)
    if require_signatures:
        needed = [CERT_RN_FILE, SIGN_DATA_FILE] + (
            [SIGN_ADDRESS_FILE] if address_file is not None else []
        )
        missing = tuple(label for label in needed if label not in files)
        if missing:
            raise SignatureMissing(
                f"{', '.join(missing)} missing: the RRN signatures cannot be checked",
                missing=missing,
            )
    certificate = load_rrn_certificate(files[CERT_RN_FILE]) if CERT_RN_FILE in files else None
    identity_signature = files.get(SIGN_DATA_FILE)
    identity_check = _signature_check(
        identity_signature,
        certificate,
        lambda cert, sig: verify_identity_signature(identity_file, sig, cert),
    )
    address_check = Check("absent")
    if address_file is not None:
        address_check = _signature_check(
            files.get(SIGN_ADDRESS_FILE),
            certificate if identity_signature is not None else None,
            lambda cert, sig: verify_address_signature(
                address_file, sig, identity_signature or b"", cert
            ),
        )
    identity = parse_identity(identity_file)
    photo = files.get(PHOTO_FILE)
    photo_check = Check("absent")
    if photo is not None:
        photo_check = Check("valid", verify_photo_hash(photo, identity.photo_hash))
    return CardData(
        identity=identity,
        address=parse_address(address_file) if address_file is not None else None,
        photo=photo,
        rrn_certificate=certificate,
        files=dict(files),
        checks=CardChecks(identity_check, address_check, photo_check),
    )


def _signature_check(
    signature: bytes | None,
    certificate: x509.Certificate | None,
    verify: Callable[[x509.Certificate, bytes], str],
) -> Check:
    if signature is None:
        return Check("absent")
    if certificate is None:
        return Check("unverified")
    return Check("valid", verify(certificate, signature))
