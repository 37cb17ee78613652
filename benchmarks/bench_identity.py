"""Parsing and verifying a Belgian identity (identity, address, photo, RRN signatures)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.hashes import SHA1

from benchmarks.timing import compare
from eid.errors import MalformedInput
from eid.pki import load_certificates
from eid.tokens.belpic import decode_tlv, read_card_files
from eid.tokens.belpic.tlv import MAX_FILE_SIZE

VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "belgium" / "identity-vectors"


def main() -> None:
    """Report identity files read and verified per second, and raw signature checks for scale."""
    files = {
        "DATA_FILE": (VECTORS / "test-identity.tlv").read_bytes(),
        "SIGN_DATA_FILE": (VECTORS / "test-identity-sign.der").read_bytes(),
        "ADDRESS_FILE": (VECTORS / "test-address.tlv").read_bytes(),
        "SIGN_ADDRESS_FILE": (VECTORS / "test-address-sign.der").read_bytes(),
        "PHOTO_FILE": (VECTORS / "test-photo.jpg").read_bytes(),
        "CERT_RN_FILE": (VECTORS / "test-rrn-cert.der").read_bytes(),
    }
    certificate = x509.load_der_x509_certificate(files["CERT_RN_FILE"])
    public = certificate.public_key()

    def raw_two_signatures() -> None:
        public.verify(files["SIGN_DATA_FILE"], files["DATA_FILE"], padding.PKCS1v15(), SHA1())  # type: ignore[union-attr]
        public.verify(  # type: ignore[union-attr]
            files["SIGN_ADDRESS_FILE"],
            files["ADDRESS_FILE"].rstrip(b"\0") + files["SIGN_DATA_FILE"],
            padding.PKCS1v15(),
            SHA1(),
        )

    rates = compare(
        {
            "eid read_card_files": lambda: read_card_files(files),
            "raw 2 RSA verifies": raw_two_signatures,
        },
        count=2000,
    )
    print("identity parse + verify (test vectors: SHA-1 RSA-1024 RRN signatures, photo hash):")
    for name, value in rates.items():
        print(f"  {name:25} {value:9.0f} ops/s")
    ratio = rates["raw 2 RSA verifies"] / rates["eid read_card_files"]
    print(f"  time of a full read relative to the two raw verifies: {ratio:.2f}x")
    hostile()


def hostile() -> None:
    """Worst cases of hostile input: they must cost time linear in their size."""
    print("hostile input (time per call; doubling the size should double it at most):")
    for size in (MAX_FILE_SIZE // 2, MAX_FILE_SIZE):
        fields = b"\x01\x00" * (size // 2)
        seconds = 1 / compare({"tlv": lambda f=fields: decode_tlv(f)}, count=20)["tlv"]
        print(f"  decode_tlv, {size} bytes of empty fields   {seconds * 1000:8.2f} ms")
    for lines in (50_000, 100_000):
        pem = b"-----BEGIN CERTIFICATE-----\n" * lines

        def scan(data: bytes = pem) -> None:
            with contextlib.suppress(MalformedInput):
                load_certificates(data)

        seconds = 1 / compare({"pem": scan}, count=5)["pem"]
        print(f"  PEM scan, {lines} BEGIN lines, no END      {seconds * 1000:8.2f} ms")
