"""Algorithms judged with their date: the table, overrides, and an old card's SHA-1 RRN certificate."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import algos, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from eid.errors import AlgorithmNotAccepted
from eid.identity import Address
from eid.pki import RevocationPolicy, RevocationSettings, TrustStore
from eid.pki.crypto_policy import AlgorithmRule, CryptoPolicy
from eid.pki.services import TestServices
from eid.pki.testpki import Holder
from eid.sign import Indication, SubIndication, verify
from eid.tokens.belpic import encode_address, encode_identity, sign_card_files

from .cli_support import as_json, eid
from .test_identity import make_identity

UTC = dt.UTC


def at(year: int, month: int = 1, day: int = 1) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=UTC)


def test_sha1_is_accepted_until_its_date() -> None:
    policy = CryptoPolicy()
    assert policy.check("sha1", at(2012, 8, 1), "test").until == dt.date(2012, 8, 1)
    with pytest.raises(AlgorithmNotAccepted, match=r"sha1: not accepted after 2012-08-01"):
        policy.check("sha1", at(2012, 8, 2), "test")


@pytest.mark.parametrize(
    ("bits", "year", "accepted"),
    [(768, 2000, False), (800, 2010, True), (800, 2011, False), (1024, 2019, True),
     (1024, 2020, False), (1536, 2019, True), (1536, 2020, False), (2048, 2040, True)],
)  # fmt: skip
def test_rsa_by_key_size(bits: int, year: int, accepted: bool) -> None:
    policy = CryptoPolicy()
    if accepted:
        policy.check("rsa", at(year), "test", bits)
    else:
        with pytest.raises(AlgorithmNotAccepted):
            policy.check("rsa", at(year), "test", bits)


def test_unknown_algorithms_are_refused_and_rules_can_be_overridden() -> None:
    with pytest.raises(AlgorithmNotAccepted, match="not accepted by the"):
        CryptoPolicy().check("md4", at(1990), "test")
    lenient = CryptoPolicy().replacing(AlgorithmRule("sha1", until=dt.date(2015, 1, 1)))
    assert lenient.check("sha1", at(2014), "test").until == dt.date(2015, 1, 1)
    assert "overridden" in lenient.name
    assert len(lenient.rules) == len(CryptoPolicy().rules)


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _resigned_with_sha1(der: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The certificate signed again with ECDSA-SHA1 (cryptography no longer signs with SHA-1)."""
    certificate = asn1_x509.Certificate.load(der)
    tbs = certificate["tbs_certificate"]
    tbs["signature"] = {"algorithm": "sha1_ecdsa"}
    signed = tbs.dump(force=True)
    value = key.sign(
        hashlib.sha1(signed, usedforsecurity=False).digest(),
        ec.ECDSA(utils.Prehashed(hashes.SHA1())),
    )
    return bytes(
        asn1_x509.Certificate(
            {"tbs_certificate": tbs, "signature_algorithm": {"algorithm": "sha1_ecdsa"},
             "signature_value": value}
        ).dump()
    )  # fmt: skip


def sha1_era_card(directory: Path, issued_on: dt.date) -> Path:
    """A root, an RRN certificate it signed with SHA-1 (valid 2005-2020), and card files."""
    root_key = ec.generate_private_key(ec.SECP384R1())
    rrn_key = ec.generate_private_key(ec.SECP384R1())
    root_name = _name((NameOID.COUNTRY_NAME, "BE"), (NameOID.COMMON_NAME, "Old Test Root"))
    start, end = dt.datetime(2005, 1, 1, tzinfo=UTC), dt.datetime(2020, 1, 1, tzinfo=UTC)
    root = (
        x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
        .public_key(root_key.public_key()).serial_number(1)
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )  # fmt: skip
    modern = (
        x509.CertificateBuilder()
        .subject_name(_name((NameOID.COUNTRY_NAME, "BE"), (NameOID.ORGANIZATION_NAME, "RRN")))
        .issuer_name(root_name).public_key(rrn_key.public_key()).serial_number(2)
        .not_valid_before(start).not_valid_after(end)
        .sign(root_key, hashes.SHA256())
    )  # fmt: skip
    rrn_der = _resigned_with_sha1(modern.public_bytes(serialization.Encoding.DER), root_key)
    identity = encode_identity(
        make_identity(
            validity_begin=issued_on, validity_end=issued_on.replace(year=issued_on.year + 5)
        )
    )
    address = encode_address(Address("Meir 1", "2000", "Antwerpen"))
    sign_identity, sign_address = sign_card_files(identity, address, rrn_key)
    directory.mkdir()
    for name, data in {
        "DATA_FILE": identity,
        "ADDRESS_FILE": address,
        "SIGN_DATA_FILE": sign_identity,
        "SIGN_ADDRESS_FILE": sign_address,
        "CERT_RN_FILE": rrn_der,
    }.items():
        (directory / name).write_bytes(data)
    (directory.parent / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return directory


def test_an_old_card_with_a_sha1_rrn_certificate(tmp_path: Path) -> None:
    files = sha1_era_card(tmp_path / "2008", dt.date(2008, 3, 1))
    root = str(tmp_path / "root.pem")
    result = eid("identity", "--files", str(files), "--trust", root, "--json", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    data = as_json(result)
    assert "Old Test Root" in data["rrn_certificate_trusted_by"]
    assert "sha1: not accepted after 2012-08-01" in data["rrn_certificate_algorithm_rules"]
    text = eid("identity", "--files", str(files), "--trust", root, home=tmp_path)
    assert "as of the card's issuance: sha1: not accepted after 2012-08-01" in text.stdout


def test_a_sha1_rrn_certificate_on_a_card_issued_after_the_cut_off(tmp_path: Path) -> None:
    files = sha1_era_card(tmp_path / "2013", dt.date(2013, 3, 1))
    root = str(tmp_path / "root.pem")
    result = eid("identity", "--files", str(files), "--trust", root, "--json", home=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    error = as_json(result)["error"]
    assert error["code"] == "algorithm_not_accepted"
    assert "sha1: not accepted after 2012-08-01" in error["message"]


# -- signatures: a SHA-1 CAdES from the SHA-1 era ------------------------------------------------

ERA = dt.datetime(2008, 3, 1, tzinfo=UTC)
STAMPED = ERA + dt.timedelta(days=60)
OFF = RevocationSettings(policy=RevocationPolicy.OFF)


@pytest.fixture(scope="module")
def sha1_era() -> Iterator[TestServices]:
    """A test PKI made in 2008 whose TSA stamps at ``STAMPED``."""
    with TestServices(key_kind="rsa", seed=b"sha1 era", now=ERA, clock=lambda: STAMPED) as services:
        yield services


def _sha1_cades(services: TestServices, tmp: Path, *, timestamped: bool) -> tuple[Path, Path]:
    """A detached CAdES signed with SHA-1 and RSA (pyHanko's signer), maybe timestamped."""
    issued = services.pki.issue(Holder("Old", "Signer", "85073003328"), "signature")
    key = keys.PrivateKeyInfo.load(
        issued.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signers.SimpleSigner(
        asn1_x509.Certificate.load(issued.cert_der()),
        key,
        SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(services.pki.citizen_ca.cert_der())]
        ),
        signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha1_rsa"}),
    )
    data = tmp / "old.txt"
    data.write_bytes(b"signed in 2008\n")
    signed = asyncio.run(
        signer.async_sign_general_data(
            data.read_bytes(),
            "sha1",
            detached=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=STAMPED),
        )
    )
    if timestamped:  # a SHA-256 token over the SHA-1 signature, as TSAs made them from 2008
        signer_info = signed["content"]["signer_infos"][0]
        value = bytes(signer_info["signature"].native)
        token = asyncio.run(
            HTTPTimeStamper(services.tsa_url).async_timestamp(
                hashlib.sha256(value).digest(), "sha256"
            )
        )
        signer_info["unsigned_attrs"] = [{"type": "signature_time_stamp_token", "values": [token]}]
    out = tmp / "old.txt.p7s"
    out.write_bytes(signed.dump())
    return out, data


def _trust(services: TestServices) -> TrustStore:
    return TrustStore([services.pki.root.certificate], [services.pki.citizen_ca.certificate])


def test_a_sha1_signature_timestamped_in_its_era_passes(
    sha1_era: TestServices, tmp_path: Path
) -> None:
    signed, data = _sha1_cades(sha1_era, tmp_path, timestamped=True)
    report = verify(signed, detached=data, trust=_trust(sha1_era), at=at(2013), revocation=OFF)
    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_PASSED, signature.to_dict()
    assert signature.digest_algorithm == "sha1"
    assert "sha1: not accepted after 2012-08-01" in signature.algorithm_rules
    assert signature.to_dict()["algorithm_rules"][1] == "rsa >= 1900 bits: no end date"
    # The caller's policy decides: retire SHA-1 before the timestamp and it no longer holds.
    strict = CryptoPolicy().replacing(AlgorithmRule("sha1", until=dt.date(2005, 1, 1)))
    report = verify(
        signed, detached=data, trust=_trust(sha1_era), at=at(2013), revocation=OFF, crypto=strict
    )
    (signature,) = report.signatures
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE
    assert "sha1: not accepted after 2005-01-01" in " ".join(signature.reasons)


def test_a_sha1_signature_without_a_timestamp(sha1_era: TestServices, tmp_path: Path) -> None:
    signed, data = _sha1_cades(sha1_era, tmp_path, timestamped=False)
    later = verify(signed, detached=data, trust=_trust(sha1_era), at=at(2013), revocation=OFF)
    (signature,) = later.signatures
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE
    assert "sha1: not accepted after 2012-08-01" in " ".join(signature.reasons)
    # Validated as of a time SHA-1 was still accepted, it passes.
    then = verify(signed, detached=data, trust=_trust(sha1_era), at=at(2009), revocation=OFF)
    assert then.signatures[0].indication is Indication.TOTAL_PASSED, then.signatures[0].to_dict()


def test_a_tampered_sha1_signature_still_fails(sha1_era: TestServices, tmp_path: Path) -> None:
    signed, data = _sha1_cades(sha1_era, tmp_path, timestamped=True)
    data.write_bytes(b"signed in 2009\n")
    report = verify(signed, detached=data, trust=_trust(sha1_era), at=at(2013), revocation=OFF)
    assert report.signatures[0].sub_indication is SubIndication.HASH_FAILURE
