"""B-LT and B-LTA: validation data gathered through a ValidationContext holding CRLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from eid.errors import CertificateUntrusted, RevocationUnknown
from eid.pki.testpki import TestPKI
from eid.sign import EidSigner, Level, SignatureOptions, sign_asice, sign_cades, sign_pdf
from eid.tokens.virtual import VirtualCard
from tests import sign_support as support
from tests.sign_support import (
    NOW,
    Tsa,
    _pkis,
    chain_pem,
    crl,
    make_pdf,
    openssl_verify,
    root_of,
    validation_context,
)

signer = support.signer
tsa = support.tsa


def _crls(signer: EidSigner, card: VirtualCard, tsa: Tsa) -> list[bytes]:
    """Fresh empty CRLs from every CA on the signer's path and from the TSA's root."""
    # The card's PKI keys follow from its seed (tests/conftest.py: tests-<kind>, NOW).
    card_pki = TestPKI.create(
        key_kind=card.key_kind, seed=f"tests-{card.key_kind}".encode(), now=NOW
    )
    keys: list[object] = []
    for pki in (card_pki, *_pkis.values()):
        keys += [pki.root.key, pki.citizen_ca.key]
    found = []
    for ca in signer.chain:
        spki = ca.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        key = next(
            k
            for k in keys
            if k.public_key().public_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            == spki
        )
        found.append(crl(ca, key))  # type: ignore[arg-type]
    return [*found, crl(tsa.root, tsa.root_key)]


def _context(signer: EidSigner, card: VirtualCard, tsa: Tsa) -> ValidationContext:
    return validation_context(root_of(signer), tsa.root, crls=_crls(signer, card, tsa))


def test_cades_b_lt_embeds_paths_and_crls(
    signer: EidSigner, virtual_card: VirtualCard, tsa: Tsa, tmp_path: Path
) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"long-term\n" * 1000)
    options = SignatureOptions(
        level=Level.B_LT, tsa_url=tsa.url, validation_context=_context(signer, virtual_card, tsa)
    )
    result = sign_cades(data, tmp_path / "data.p7s", signer, options)
    signed_data = cms.ContentInfo.load(result.output.read_bytes())["content"]
    subjects = {c.chosen.subject.human_friendly for c in signed_data["certificates"]}
    assert any("Test TSA" in s for s in subjects)
    assert any("Root" in s for s in subjects)
    assert len(signed_data["crls"]) == len(signer.chain) + 1
    checked = openssl_verify(result.output, chain_pem(signer), tmp_path, content=data)
    assert checked.returncode == 0, checked.stderr


def test_asice_b_lt(signer: EidSigner, virtual_card: VirtualCard, tsa: Tsa, tmp_path: Path) -> None:
    data = tmp_path / "a.txt"
    data.write_text("a\n")
    options = SignatureOptions(
        level=Level.B_LT, tsa_url=tsa.url, validation_context=_context(signer, virtual_card, tsa)
    )
    assert sign_asice([data], tmp_path / "a.asice", signer, options).output.exists()


@pytest.mark.parametrize("level", [Level.B_LT, Level.B_LTA])
def test_pades_long_term(
    signer: EidSigner, virtual_card: VirtualCard, tsa: Tsa, tmp_path: Path, level: Level
) -> None:
    source = make_pdf(tmp_path / "in.pdf")
    options = SignatureOptions(
        level=level, tsa_url=tsa.url, validation_context=_context(signer, virtual_card, tsa)
    )
    result = sign_pdf(source, tmp_path / "out.pdf", signer, options)
    check = _context(signer, virtual_card, tsa)
    with result.output.open("rb") as handle:
        reader = PdfFileReader(handle)
        dss = reader.root["/DSS"]
        assert len(dss["/Certs"]) >= 3
        assert len(dss["/CRLs"]) == len(signer.chain) + 1
        (sig,) = reader.embedded_regular_signatures
        status = validate_pdf_signature(sig, signer_validation_context=check)
        assert (status.intact, status.valid, status.trusted) == (True, True, True), (
            status.pretty_print_details()
        )
        timestamps = reader.embedded_timestamp_signatures
        assert len(timestamps) == (1 if level is Level.B_LTA else 0)
        for document_timestamp in timestamps:
            ts_status = validate_pdf_timestamp(document_timestamp, validation_context=check)
            assert ts_status.valid
            assert ts_status.trusted
            assert ts_status.intact


def test_b_lt_without_revocation_data_fails_and_writes_nothing(
    signer: EidSigner, tsa: Tsa, tmp_path: Path
) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"x")
    # Hard-fail revocation checking with no CRL at hand and no fetching.
    context = ValidationContext(
        trust_roots=[], crls=[], allow_fetching=False, revocation_mode="hard-fail"
    )
    options = SignatureOptions(level=Level.B_LT, tsa_url=tsa.url, validation_context=context)
    with pytest.raises((CertificateUntrusted, RevocationUnknown)):
        sign_cades(data, tmp_path / "data.p7s", signer, options)
    assert not (tmp_path / "data.p7s").exists()


def test_cms_b_lta_adds_an_archive_timestamp(
    signer: EidSigner, virtual_card: VirtualCard, tsa: Tsa, tmp_path: Path
) -> None:
    # The archive timestamp's imprint is recomputed in tests/test_sign_lta.py.
    data = tmp_path / "data.bin"
    data.write_bytes(b"x")
    options = SignatureOptions(
        level=Level.B_LTA, tsa_url=tsa.url, validation_context=_context(signer, virtual_card, tsa)
    )
    result = sign_cades(data, tmp_path / "data.p7s", signer, options)
    (signer_info,) = cms.ContentInfo.load(result.output.read_bytes())["content"]["signer_infos"]
    kinds = [a["type"].dotted for a in signer_info["unsigned_attrs"]]
    assert "0.4.0.1733.2.4" in kinds
    checked = openssl_verify(result.output, chain_pem(signer), tmp_path, content=data)
    assert checked.returncode == 0, checked.stderr
