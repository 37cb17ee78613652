"""Verification against revoked and expired signers, hostile files, and unusual encodings."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from eid.pki import ValidationCache
from eid.pki.services import TestServices
from eid.pki.testpki import TestPKI
from eid.sign import (
    Indication,
    Level,
    SignatureOptions,
    SubIndication,
    sign_cades,
    verify,
)
from eid.sign.verify_cms import signed_attrs_der
from tests import verify_support as support
from tests.sign_support import make_pdf
from tests.verify_support import FORMATS, OFF, options, sign_as, software_signer, trust_of

services = support.services
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.create(key_kind="rsa", seed=b"verify-attacks")


@pytest.fixture(scope="module")
def ec_pki() -> TestPKI:
    return TestPKI.create(key_kind="ec", seed=b"verify-attacks-ec")


# -- revocation and expiry ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "revoked_before", "indication", "sub"),
    [
        (Level.B_B, True, Indication.TOTAL_FAILED, SubIndication.REVOKED),
        (Level.B_T, True, Indication.TOTAL_FAILED, SubIndication.REVOKED),
        (Level.B_B, False, Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE),
        (Level.B_T, False, Indication.TOTAL_PASSED, None),
    ],
)
def test_revoked_signer(
    tmp_path: Path,
    level: Level,
    revoked_before: bool,
    indication: Indication,
    sub: SubIndication | None,
) -> None:
    # Services of their own on a fresh port: eid.pki keeps HTTP connections alive, and a
    # stopped TestServices still answers on connections it accepted, so revoking the shared
    # card's certificate here could leak into later tests on the card's port.
    with TestServices() as own:
        signer = software_signer(own.pki)
        if revoked_before:
            own.revoke(signer.certificate, at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        signed, _, _ = sign_as("cades-enveloping", signer, options(level, own), tmp_path)
        now = dt.datetime.now(dt.UTC)  # after signing
        if not revoked_before:
            own.revoke(signer.certificate, at=now + dt.timedelta(seconds=2))
        report = verify(
            signed,
            trust=trust_of(own.pki),
            at=now + dt.timedelta(seconds=10),
            cache=ValidationCache(),
        )
    (signature,) = report.signatures
    assert (signature.indication, signature.sub_indication) == (indication, sub), (
        signature.to_dict()
    )
    if indication is Indication.TOTAL_PASSED:
        assert any("revoked" in w for w in signature.warnings)


@pytest.mark.parametrize(
    ("level", "indication", "sub"),
    [
        (Level.B_B, Indication.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE),
        (Level.B_T, Indication.TOTAL_FAILED, SubIndication.EXPIRED),
    ],
)
def test_expired_signer(
    services: TestServices, tmp_path: Path, level: Level, indication: Indication, sub: SubIndication
) -> None:
    signer = software_signer(services.pki, not_after=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    signed, _, _ = sign_as("cades-enveloping", signer, options(level, services), tmp_path)
    report = verify(signed, trust=trust_of(services.pki))
    (signature,) = report.signatures
    assert (signature.indication, signature.sub_indication) == (indication, sub), (
        signature.to_dict()
    )


# -- hostile and broken files ------------------------------------------------------------------


def _fuzz_cases(signed: bytes) -> list[bytes]:
    cases = [signed[:cut] for cut in (1, 10, len(signed) // 3, len(signed) // 2, len(signed) - 5)]
    rng = __import__("random").Random(1)
    for _ in range(8):
        data = bytearray(signed)
        for _ in range(5):
            data[rng.randrange(len(data))] = rng.randrange(256)
        cases.append(bytes(data))
    cases += [os.urandom(3000), b"%PDF-1.7\n" + os.urandom(2000), b"PK\x03\x04" + os.urandom(500)]
    cases += [b"\x30\x80" + os.urandom(100), b"", b"%PDF-1.7\n%%EOF\n"]
    return cases


@pytest.mark.parametrize("kind", FORMATS)
def test_fuzzed_files_give_reports(pki: TestPKI, tmp_path: Path, kind: str) -> None:
    signed, _, _ = sign_as(kind, software_signer(pki), SignatureOptions(), tmp_path)
    for number, case in enumerate(_fuzz_cases(signed.read_bytes())):
        path = tmp_path / f"case{number}{signed.suffix}"
        path.write_bytes(case)
        report = verify(path, trust=trust_of(pki), revocation=OFF)
        assert not report.passed or case == signed.read_bytes(), (number, report.to_dict())
        report.to_dict()


def test_zip_with_path_traversal(pki: TestPKI, tmp_path: Path) -> None:
    signed, _, _ = sign_as("asice", software_signer(pki), SignatureOptions(), tmp_path)
    with zipfile.ZipFile(signed, "a") as archive:
        archive.writestr("../../etc/evil.txt", b"x")
    report = verify(signed, trust=trust_of(pki), revocation=OFF)
    assert any("path traversal" in p for p in report.problems)
    assert report.signatures[0].indication is Indication.TOTAL_FAILED
    assert report.signatures[0].sub_indication is SubIndication.FORMAT_FAILURE


def test_pdf_changed_by_an_incremental_update(pki: TestPKI, tmp_path: Path) -> None:
    signed, _, _ = sign_as("pdf", software_signer(pki), SignatureOptions(), tmp_path)
    buffer = io.BytesIO(signed.read_bytes())
    writer = IncrementalPdfFileWriter(buffer)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(
        generic.StreamObject(stream_data=b"1 0 0 rg 0 0 99 99 re f")
    )
    writer.update_container(page)
    writer.write_in_place()
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(buffer.getvalue())
    report = verify(changed, trust=trust_of(pki), revocation=OFF)
    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_FAILED, signature.to_dict()
    assert any("changed after signing" in r for r in signature.reasons)
    assert signature.modifications is not None
    assert signature.modifications["level"] == "OTHER"


def _byte_range(data: bytes) -> tuple[int, int, list[int]]:
    start = data.rfind(b"/ByteRange")
    opening, closing = data.index(b"[", start), data.index(b"]", start)
    return opening, closing, [int(x) for x in data[opening + 1 : closing].split()]


@pytest.mark.parametrize("shift", ["shorter", "wider_hole"])
def test_pdf_byte_range_that_leaves_bytes_unsigned(
    pki: TestPKI, tmp_path: Path, shift: str
) -> None:
    signed, _, _ = sign_as("pdf", software_signer(pki), SignatureOptions(), tmp_path)
    data = signed.read_bytes()
    opening, closing, (zero, first, start, second) = _byte_range(data)
    values = (
        [zero, first, start, second - 10]
        if shift == "shorter"
        else [zero, first - 5, start, second]
    )
    text = " ".join(str(v) for v in values).encode()
    text = text.ljust(closing - opening - 1)
    attacked = data[: opening + 1] + text + data[closing:]
    assert len(attacked) == len(data)
    path = tmp_path / "attacked.pdf"
    path.write_bytes(attacked)
    report = verify(path, trust=trust_of(pki), revocation=OFF)
    (signature,) = report.signatures
    assert signature.indication is Indication.TOTAL_FAILED
    assert any("cover" in r or "ByteRange" in r for r in signature.reasons), signature.reasons


def test_pdf_garbage_and_unsigned(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf")
    report = verify(plain, revocation=OFF)
    assert not report.signed
    assert report.problems == ["the PDF holds no signature"]
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n" + b"garbage " * 100)
    assert verify(garbage, revocation=OFF).problems


# -- encodings: signed attributes not in DER order, plain ECDSA -----------------------------------


@pytest.mark.parametrize("signed_order", ["stored", "der"])
def test_signed_attributes_not_in_der_order(
    pki: TestPKI, tmp_path: Path, signed_order: str
) -> None:
    """RFC 5652 signs the DER encoding: the order stored does not count, as for EU DSS."""
    signer = software_signer(pki)
    data = tmp_path / "data.txt"
    data.write_bytes(b"order matters\n")
    signed = sign_cades(data, tmp_path / "data.txt.p7s", signer).output
    raw = signed.read_bytes()
    info = cms.ContentInfo.load(raw)["content"]["signer_infos"][0]
    attributes = [attr.dump() for attr in info["signed_attrs"]]
    old_contents = b"".join(attributes)
    new_contents = b"".join(reversed(attributes))
    assert old_contents != new_contents
    assert old_contents in raw
    raw = raw.replace(old_contents, new_contents)
    info = cms.ContentInfo.load(raw)["content"]["signer_infos"][0]
    encoding = signed_attrs_der(info, as_stored=signed_order == "stored")
    value = signer._key.sign(encoding, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr, call-arg, arg-type]
    raw = raw.replace(bytes(info["signature"].native), value)
    signed.write_bytes(raw)
    report = verify(signed, trust=trust_of(pki), revocation=OFF)
    (signature,) = report.signatures
    if signed_order == "der":
        assert signature.indication is Indication.TOTAL_PASSED, report.to_dict()
        assert "the signed attributes are not stored in DER order" in signature.warnings
    else:
        assert signature.indication is Indication.TOTAL_FAILED, report.to_dict()
        assert signature.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
        assert any("not their DER encoding" in reason for reason in signature.reasons)


def test_plain_ecdsa(ec_pki: TestPKI, tmp_path: Path) -> None:
    signer = software_signer(ec_pki)
    data = tmp_path / "data.txt"
    data.write_bytes(b"plain\n")
    signed = sign_cades(data, tmp_path / "data.txt.p7s", signer).output
    content = cms.ContentInfo.load(signed.read_bytes())
    info = content["content"]["signer_infos"][0]
    r, s = decode_dss_signature(bytes(info["signature"].native))
    size = (signer.public_key.curve.key_size + 7) // 8
    info["signature_algorithm"] = {"algorithm": "0.4.0.127.0.7.1.1.4.1.4"}
    info["signature"] = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    signed.write_bytes(content.dump(force=False))
    report = verify(signed, trust=trust_of(ec_pki), revocation=OFF)
    signature = report.signatures[0]
    assert signature.indication is Indication.TOTAL_PASSED, report.to_dict()
    assert signature.signature_algorithm == "0.4.0.127.0.7.1.1.4.1.4"
    assert isinstance(signer.public_key, ec.EllipticCurvePublicKey)
    info["signature"] = bytes(2 * size)
    signed.write_bytes(content.dump(force=False))
    broken = verify(signed, trust=trust_of(ec_pki), revocation=OFF)
    assert broken.signatures[0].sub_indication is SubIndication.SIG_CRYPTO_FAILURE
