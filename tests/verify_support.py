"""Shared material for the verification tests: the card's PKI services, signers, tampering."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.services import TestServices
from eid.pki.testpki import Holder, TestPKI
from eid.sign import (
    EidSigner,
    Level,
    SignatureOptions,
    SoftwareSigner,
    TokenSigner,
    sign_asice,
    sign_asics,
    sign_cades,
    sign_pdf,
)
from eid.sign.validation_data import fetching_context
from eid.tokens.virtual import VirtualCard
from tests.sign_support import make_pdf

HOLDER = Holder("Bob Software", "Signer", "90010100123")
OFF = RevocationSettings(policy=RevocationPolicy.OFF)
FORMATS = ("pdf", "cades-detached", "cades-enveloping", "asice", "asics")


@pytest.fixture
def services(virtual_card: VirtualCard) -> Iterator[TestServices]:
    """The card's OCSP, CRL and TSA on the loopback port its certificates name."""
    port = urlsplit(virtual_card.pki_base_url).port
    with TestServices(virtual_card.pki(), port=port or 0) as running:
        yield running


def trust_of(pki: TestPKI) -> TrustStore:
    """The test PKI's root as the anchor, its Citizen CA as an intermediate."""
    return TrustStore([pki.root.certificate], [pki.citizen_ca.certificate])


def software_signer(pki: TestPKI, **issue: object) -> SoftwareSigner:
    """A software key with a signature certificate from ``pki`` (qualified, like the card's)."""
    issued = pki.issue(HOLDER, "signature", **issue)  # type: ignore[arg-type]
    return SoftwareSigner(
        issued.key, issued.certificate, [pki.citizen_ca.certificate, pki.root.certificate]
    )


@pytest.fixture(params=["card", "software"])
def any_signer(
    request: pytest.FixtureRequest, virtual_card: VirtualCard, services: TestServices
) -> Iterator[tuple[EidSigner, str]]:
    """(signer, expected national number): the card's signature key or a software key."""
    if request.param == "card":
        with virtual_card.open() as token:
            yield TokenSigner(token), virtual_card.national_number
    else:
        yield software_signer(services.pki), HOLDER.national_number


def card_signed(
    virtual_card: VirtualCard, kind: str, level: Level, services: TestServices, tmp: Path
) -> tuple[Path, Path | None]:
    """Sign in format ``kind`` at ``level`` with the card's signature key: (file, detached data)."""
    with virtual_card.open() as token:
        signed, detached, _ = sign_as(kind, TokenSigner(token), options(level, services), tmp)
    return signed, detached


def key_info(key: rsa.RSAPrivateKey) -> keys.PrivateKeyInfo:
    """``key`` as the PKCS#8 structure pyHanko's signers and time-stampers take."""
    return keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def other_tsa(
    pki: TestPKI, common_name: str, key: rsa.RSAPrivateKey, start: dt.datetime, end: dt.datetime
) -> tuple[asn1_x509.Certificate, keys.PrivateKeyInfo]:
    """A TSA besides ``pki.tsa()``: ``key`` certified by the root from ``start`` to ``end``."""
    root = pki.root
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier(root.key_id(), None, None), critical=False)
        .sign(root.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    loaded = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    return loaded, key_info(key)


def options(level: Level, services: TestServices) -> SignatureOptions:
    """B-B, or B-T with the services' TSA."""
    context = fetching_context(trust_of(services.pki)) if level.long_term else None
    return SignatureOptions(
        level=level,
        tsa_url=services.tsa_url if level.timestamped else None,
        validation_context=context,
    )


def sign_as(
    kind: str, signer: EidSigner, opts: SignatureOptions, tmp: Path
) -> tuple[Path, Path | None, Callable[[], Path]]:
    """Sign in format ``kind``: (signed file, detached data, a function making a tampered copy)."""
    data = tmp / "letter.txt"
    data.write_bytes(b"I agree to the terms.\n" * 50)
    if kind == "pdf":
        out = sign_pdf(make_pdf(tmp / "in.pdf"), tmp / "out.pdf", signer, opts).output
        return out, None, lambda: flip(out, b"a test document", tmp / "bad.pdf")
    if kind == "cades-detached":
        out = sign_cades(data, tmp / "letter.p7s", signer, opts).output

        def tamper_data() -> Path:
            flip(data, b"agree", data)
            return out

        return out, data, tamper_data
    if kind == "cades-enveloping":
        out = sign_cades(data, tmp / "letter.p7m", signer, opts, detached=False).output
        return out, None, lambda: flip(out, b"agree", tmp / "bad.p7m")
    if kind == "asice":
        out = sign_asice([data, make_pdf(tmp / "annex.pdf")], tmp / "b.asice", signer, opts).output
        return (
            out,
            None,
            lambda: replace_entry(out, "letter.txt", b"I refuse.\n", tmp / "bad.asice"),
        )
    out = sign_asics(data, tmp / "b.asics", signer, opts).output
    return out, None, lambda: replace_entry(out, "letter.txt", b"I refuse.\n", tmp / "bad.asics")


def flip(source: Path, marker: bytes, target: Path) -> Path:
    """Copy ``source`` to ``target`` with one bit changed in the first ``marker``."""
    data = bytearray(source.read_bytes())
    index = data.find(marker)
    assert index >= 0
    data[index] ^= 1
    target.write_bytes(bytes(data))
    return target


def replace_entry(source: Path, name: str, content: bytes, target: Path) -> Path:
    """Copy a ZIP with the content of one entry replaced (entries kept in order)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, content if info.filename == name else old.read(info))
    return target
