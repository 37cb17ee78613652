"""CMS signatures made by other implementations get the verdict EU DSS gives them.

Producers, all real: OpenSSL 3 (``openssl cms -sign``, ``openssl ts``, as processes),
`cryptography`'s ``PKCS7SignatureBuilder`` and pyHanko's generic-data CMS signer. The
signers' certificates come from a test PKI whose OCSP responder, CRLs and TSA run on
loopback (`eid.pki.services.TestServices`): signatures are verified with revocation
required. The expected verdicts are those of EU DSS 6 under its default validation
policy (``dss-policy-jaxb/.../policy/constraint.xml``), building block by building block
(ETSI EN 319 102-1); each test says which constraint decides it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import cms, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from eid.pki import RevocationSettings, TrustStore
from eid.pki.services import TestServices
from eid.sign import Indication, SubIndication, ValidationReport, verify
from eid.sign.report import SignatureReport
from tests.cli_support import as_json, eid
from tests.third_party_support import (
    HOLDER,
    SECOND,
    Material,
    material,
    openssl_sign,
    openssl_timestamp,
    pem_file,
    with_certificates,
)
from tests.verify_support import OFF, trust_of

CONTENT = b"Third-party signed content.\r\nLine two, with a lone LF.\n" * 40
NO_SIGNING_CERTIFICATE = "no signing-certificate attribute (not an AdES signature)"


@pytest.fixture(scope="module", params=["rsa", "ec"])
def services(request: pytest.FixtureRequest) -> Iterator[TestServices]:
    """A test PKI of each key kind with its OCSP, CRL and TSA services on loopback."""
    with TestServices(key_kind=request.param, seed=f"third-party-{request.param}".encode()) as up:
        yield up


@pytest.fixture(scope="module")
def rsa_services() -> Iterator[TestServices]:
    """An RSA test PKI and its services (for RSASSA-PSS)."""
    with TestServices(key_kind="rsa", seed=b"third-party-pss") as up:
        yield up


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "contract.txt"
    path.write_bytes(CONTENT)
    return path


def _signer(services: TestServices, tmp: Path, **issue: object) -> Material:
    return material(services.pki, tmp / "keys", **issue)  # type: ignore[arg-type]


def _verify(
    path: Path,
    services: TestServices,
    detached: Path | None = None,
    *,
    revocation: RevocationSettings | None = None,
    trust: TrustStore | None = None,
) -> ValidationReport:
    return verify(
        path,
        detached=detached,
        trust=trust or trust_of(services.pki),
        revocation=revocation or RevocationSettings(),
    )


def _only(report: ValidationReport) -> SignatureReport:
    (signature,) = report.signatures
    return signature


def _passed(signature: SignatureReport, level: str | None = "B-B") -> None:
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert signature.level == level
    assert signature.proven_level == level
    assert signature.revocation is not None
    assert signature.revocation["status"] == "good"


# -- openssl cms -sign ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        ["-cades"],
        ["-cades", "-nodetach"],
        ["-cades", "-md", "sha384"],
        ["-cades", "-md", "sha512", "-nodetach"],
        ["-cades", "-keyid"],
        ["-cades", "-nosmimecap"],
        ["-cades", "-nodetach", "-stream"],
    ],
    ids=" ".join,
)
def test_openssl_cades_passes(
    services: TestServices, tmp_path: Path, data: Path, options: list[str]
) -> None:
    """``-cades`` adds ESS signing-certificate-v2: a CAdES-B-B that DSS gives TOTAL_PASSED.

    ``-keyid`` names the signer by subject key identifier (SignerInfo v3), ``-stream``
    writes BER with indefinite lengths: DSS reads both (BouncyCastle parses BER).
    """
    signer = _signer(services, tmp_path)
    signed = openssl_sign(signer, data, tmp_path / "contract.p7s", *options)
    enveloping = "-nodetach" in options
    report = _verify(signed, services, None if enveloping else data)
    signature = _only(report)
    _passed(signature)
    assert report.passed
    assert signature.signer is not None
    assert signature.signer.national_number == HOLDER.national_number
    assert NO_SIGNING_CERTIFICATE not in signature.warnings
    if "-md" in options:
        assert signature.digest_algorithm == options[options.index("-md") + 1]


def test_openssl_with_the_intermediate_and_a_tampered_content(
    services: TestServices, tmp_path: Path, data: Path
) -> None:
    """``-certfile`` adds the issuing CA; a changed byte is ReferenceDataIntact: HASH_FAILURE."""
    signer = _signer(services, tmp_path)
    chain = pem_file(tmp_path / "ca.pem", services.pki.citizen_ca.certificate)
    signed = openssl_sign(signer, data, tmp_path / "c.p7s", "-cades", "-certfile", str(chain))
    trust = TrustStore([services.pki.root.certificate])  # the intermediate only in the file
    _passed(_only(_verify(signed, services, data, trust=trust)))
    data.write_bytes(CONTENT.replace(b"two", b"TWO"))
    signature = _only(_verify(signed, services, data, revocation=OFF))
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.HASH_FAILURE


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["-keyopt", "rsa_pss_saltlen:digest"],
        ["-keyopt", "rsa_pss_saltlen:max"],
        ["-keyopt", "rsa_pss_saltlen:0"],
        ["-md", "sha512"],
        ["-md", "sha384", "-keyopt", "rsa_mgf1_md:sha384"],
    ],
    ids=lambda options: " ".join(options) or "default",
)
def test_openssl_rsassa_pss(
    rsa_services: TestServices, tmp_path: Path, data: Path, options: list[str]
) -> None:
    """RSASSA-PSS with the salt and MGF1 parameters OpenSSL writes: DSS verifies them all."""
    signer = _signer(rsa_services, tmp_path)
    signed = openssl_sign(
        signer, data, tmp_path / "pss.p7s", "-cades", "-keyopt", "rsa_padding_mode:pss", *options
    )
    signature = _only(_verify(signed, rsa_services, data))
    _passed(signature)
    assert signature.signature_algorithm == "rsassa_pss"


def test_openssl_ecdsa_p256(services: TestServices, tmp_path: Path, data: Path) -> None:
    """An ECDSA P-256 key under the PKI (whatever its own key kind): ecdsa-with-SHA256."""
    signer = _signer(services, tmp_path, key=ec.generate_private_key(ec.SECP256R1()))
    signed = openssl_sign(signer, data, tmp_path / "p256.p7s", "-cades", "-nodetach")
    signature = _only(_verify(signed, services))
    _passed(signature)
    assert signature.signature_algorithm == "sha256_ecdsa"


def _dsa_signer(services: TestServices, tmp: Path) -> Material:
    """A DSA-2048 key certified by the PKI's Citizen CA (TestPKI issues RSA and EC only)."""
    key = dsa.generate_private_key(2048)
    ca = services.pki.citizen_ca
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DSA Signer")]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    keys_dir = tmp / "keys"
    keys_dir.mkdir(exist_ok=True)
    key_path = keys_dir / "dsa.key.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Material(key_path, pem_file(keys_dir / "dsa.crt.pem", certificate), certificate)


@pytest.mark.parametrize("options", [["-cades"], ["-cades", "-md", "sha224", "-nodetach"]])
def test_openssl_dsa(
    rsa_services: TestServices, tmp_path: Path, data: Path, options: list[str]
) -> None:
    """DSA, which DSS's default policy lists among its acceptable algorithms (with key
    sizes by date): verified and judged by eid's crypto policy (DSA >= 1900 bits), not
    refused as an unknown key type; a changed content no longer verifies."""
    signer = _dsa_signer(rsa_services, tmp_path)
    signed = openssl_sign(signer, data, tmp_path / "dsa.p7s", *options)
    detached = None if "-nodetach" in options else data
    signature = _only(_verify(signed, rsa_services, detached, revocation=OFF))
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert signature.signature_algorithm is not None
    assert signature.signature_algorithm.endswith("_dsa")
    if detached is not None:
        data.write_bytes(CONTENT + b"!")
        signature = _only(_verify(signed, rsa_services, data, revocation=OFF))
        assert signature.indication is Indication.TOTAL_FAILED
        assert signature.sub_indication is SubIndication.HASH_FAILURE
    info = cms.ContentInfo.load(signed.read_bytes())
    value = bytearray(info["content"]["signer_infos"][0]["signature"].native)
    value[-1] ^= 1
    info["content"]["signer_infos"][0]["signature"] = bytes(value)
    signed.write_bytes(info.dump())
    data.write_bytes(CONTENT)
    signature = _only(_verify(signed, rsa_services, detached, revocation=OFF))
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.SIG_CRYPTO_FAILURE


def test_openssl_without_cades_is_valid_with_a_warning(
    services: TestServices, tmp_path: Path, data: Path
) -> None:
    """No signing-certificate attribute: DSS 6 passes it with a warning.

    The default policy has SignedAttributes/SigningCertificatePresent at WARN, and
    IdentificationOfTheSigningCertificate (EN 319 102-1 5.2.3) checks a reference's digest
    only when a reference is there; the signer is found from the SignerInfo's sid. It is
    no baseline signature (DSS's CAdESBaselineRequirementsChecker wants the attribute; the
    format is CMS-NOT-ETSI): no level.
    """
    signer = _signer(services, tmp_path)
    for options in ([], ["-nodetach"], ["-nosmimecap", "-md", "sha384"]):
        signed = openssl_sign(signer, data, tmp_path / "plain.p7s", *options)
        signature = _only(_verify(signed, services, None if options[:1] == ["-nodetach"] else data))
        _passed(signature, None)
        assert NO_SIGNING_CERTIFICATE in signature.warnings


@pytest.mark.parametrize("enveloping", [False, True])
def test_openssl_noattr(
    services: TestServices, tmp_path: Path, data: Path, enveloping: bool
) -> None:
    """``-noattr``: no signed attributes, no signing time: INDETERMINATE/SIG_CONSTRAINTS_FAILURE.

    DSS's signature acceptance validation fails SignedAttributes/SigningTime (FAIL) and
    MessageDigestOrSignedPropertiesPresent (FAIL); the value itself verifies over the
    content digest, so a changed content is TOTAL_FAILED (the value no longer verifies).
    """
    signer = _signer(services, tmp_path)
    options = ["-noattr", *(["-nodetach"] if enveloping else [])]
    signed = openssl_sign(signer, data, tmp_path / "noattr.p7s", *options)
    detached = None if enveloping else data
    signature = _only(_verify(signed, services, detached))
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE, signature.reasons
    if not enveloping:
        data.write_bytes(CONTENT + b"!")
        signature = _only(_verify(signed, services, data, revocation=OFF))
        assert signature.indication is Indication.TOTAL_FAILED
        assert signature.sub_indication is SubIndication.SIG_CRYPTO_FAILURE


def test_openssl_nocerts(services: TestServices, tmp_path: Path, data: Path) -> None:
    """``-nocerts``: the signer's certificate is nowhere in the signature.

    DSS: SigningCertificate/Recognition (FAIL) in identification of the signing
    certificate: INDETERMINATE / NO_SIGNING_CERTIFICATE_FOUND.
    """
    signer = _signer(services, tmp_path)
    signed = openssl_sign(signer, data, tmp_path / "nocerts.p7s", "-cades", "-nocerts")
    report = _verify(signed, services, data)
    signature = _only(report)
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.NO_SIGNING_CERTIFICATE_FOUND
    assert not report.passed


def test_openssl_two_signers_and_a_resign(
    services: TestServices, tmp_path: Path, data: Path
) -> None:
    """Two ``-signer`` at once, then a third by ``-resign``: one verdict per SignerInfo."""
    first = _signer(services, tmp_path)
    second = material(services.pki, tmp_path / "keys", "second", holder=SECOND)
    third = material(services.pki, tmp_path / "keys", "third", holder=SECOND)
    signed = openssl_sign(
        first,
        data,
        tmp_path / "two.p7m",
        "-cades",
        "-nodetach",
        "-signer",
        str(second.cert),
        "-inkey",
        str(second.key),
    )
    report = _verify(signed, services)
    assert [s.id for s in report.signatures] == ["signer 1", "signer 2"]
    for signature in report.signatures:
        _passed(signature)
    resigned = tmp_path / "three.p7m"
    command = ["openssl", "cms", "-resign", "-binary", "-inform", "DER", "-outform", "DER"]
    command += ["-in", str(signed), "-out", str(resigned), "-nodetach", "-cades"]
    command += ["-signer", str(third.cert), "-inkey", str(third.key)]
    subprocess.run(command, check=True, capture_output=True)
    report = _verify(resigned, services)
    assert len(report.signatures) == 3
    assert report.passed, [s.reasons for s in report.signatures]


def test_openssl_sha1(services: TestServices, tmp_path: Path, data: Path) -> None:
    """``-md sha1``: DSS retires SHA-1 in 2009 and nothing proves an earlier existence.

    INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE (the value is checked: it is intact).
    """
    signer = _signer(services, tmp_path)
    signed = openssl_sign(signer, data, tmp_path / "sha1.p7s", "-cades", "-md", "sha1")
    signature = _only(_verify(signed, services, data, revocation=OFF))
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE_NO_POE


def test_openssl_text_mode_signs_other_bytes(
    services: TestServices, tmp_path: Path, data: Path
) -> None:
    """Without ``-binary``, OpenSSL signs the S/MIME canonical text (CRLF line ends).

    The tool's doing, not a verification error: the detached file's bytes are not those
    signed, and DSS, which hashes the file as given, says TOTAL_FAILED / HASH_FAILURE.
    The enveloped copy holds the canonical bytes, so the enveloping form verifies.
    """
    signer = _signer(services, tmp_path)
    detached = openssl_sign(signer, data, tmp_path / "text.p7s", "-cades", binary=False)
    signature = _only(_verify(detached, services, data, revocation=OFF))
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.HASH_FAILURE
    enveloping = openssl_sign(
        signer, data, tmp_path / "text.p7m", "-cades", "-nodetach", binary=False
    )
    _passed(_only(_verify(enveloping, services)))


# -- openssl ts: signature timestamps ---------------------------------------------------------


def test_openssl_ts_signature_timestamp(services: TestServices, tmp_path: Path, data: Path) -> None:
    """A signature-time-stamp made by ``openssl ts -reply`` (ESS signing-certificate-v2)."""
    signer = _signer(services, tmp_path)
    signed = openssl_sign(signer, data, tmp_path / "b.p7s", "-cades")
    signed.write_bytes(openssl_timestamp(services.pki.tsa(), signed.read_bytes(), tmp_path))
    signature = _only(_verify(signed, services, data))
    _passed(signature, "B-T")
    assert signature.proven_signing_time is not None
    (stamp,) = signature.timestamps
    assert stamp.valid
    assert stamp.tsa is not None
    assert "Belgium Test TSA" in stamp.tsa


def test_a_timestamp_without_its_tsa_certificate(
    services: TestServices, tmp_path: Path, data: Path
) -> None:
    """A query without ``-cert`` gets a token that holds no certificate (RFC 3161 certReq).

    DSS looks for a token's signing certificate in every source it has: the signature's
    SignedData.certificates (where a B-LT signer puts the TSA's) and the trusted
    certificates. Found there, the timestamp proves its time (B-T); found nowhere, it
    proves nothing (a warning: the signature itself stays TOTAL_PASSED at B-B).
    """
    signer = _signer(services, tmp_path)
    signed = openssl_sign(signer, data, tmp_path / "b.p7s", "-cades")
    stamped = openssl_timestamp(
        services.pki.tsa(), signed.read_bytes(), tmp_path, with_certificate=False
    )
    signed.write_bytes(stamped)
    signature = _only(_verify(signed, services, data))
    assert signature.indication is Indication.TOTAL_PASSED, signature.reasons
    assert (signature.level, signature.proven_level) == ("B-T", "B-B")
    assert any("timestamp is not valid" in warning for warning in signature.warnings)
    tsa = services.pki.tsa().certificate
    signed.write_bytes(with_certificates(stamped, tsa))
    _passed(_only(_verify(signed, services, data)), "B-T")
    signed.write_bytes(stamped)
    known = TrustStore([services.pki.root.certificate], [services.pki.citizen_ca.certificate, tsa])
    _passed(_only(_verify(signed, services, data, trust=known)), "B-T")


# -- cryptography's PKCS7SignatureBuilder ----------------------------------------------------


def _pkcs7(
    services: TestServices,
    options: list[pkcs7.PKCS7Options],
    pss: bool = False,
) -> bytes:
    issued = services.pki.issue(HOLDER, "signature")
    digest = hashes.SHA256()
    builder = pkcs7.PKCS7SignatureBuilder().set_data(CONTENT)
    if pss:
        builder = builder.add_signer(
            issued.certificate,
            issued.key,
            digest,
            rsa_padding=padding.PSS(padding.MGF1(digest), padding.PSS.DIGEST_LENGTH),
        )
    else:
        builder = builder.add_signer(issued.certificate, issued.key, digest)
    builder = builder.add_certificate(services.pki.citizen_ca.certificate)
    return builder.sign(serialization.Encoding.DER, options)


Options = pkcs7.PKCS7Options


@pytest.mark.parametrize(
    "options",
    [
        [Options.Binary, Options.DetachedSignature],
        [Options.Binary, Options.DetachedSignature, Options.NoCapabilities],
        [Options.Binary],
        [],
    ],
    ids=lambda options: "+".join(o.name for o in options) or "none",
)
def test_cryptography_pkcs7(
    services: TestServices, tmp_path: Path, data: Path, options: list[pkcs7.PKCS7Options]
) -> None:
    """cryptography signs content-type, signing-time, (S/MIME capabilities), message-digest.

    No signing-certificate attribute: valid with a warning in DSS 6, as with openssl.
    """
    signed = tmp_path / "c.p7s"
    signed.write_bytes(_pkcs7(services, options))
    detached = data if Options.DetachedSignature in options else None
    signature = _only(_verify(signed, services, detached))
    _passed(signature, None)
    assert NO_SIGNING_CERTIFICATE in signature.warnings


def test_cryptography_rsassa_pss(rsa_services: TestServices, tmp_path: Path, data: Path) -> None:
    signed = tmp_path / "pss.p7s"
    signed.write_bytes(_pkcs7(rsa_services, [Options.Binary, Options.DetachedSignature], pss=True))
    signature = _only(_verify(signed, rsa_services, data))
    _passed(signature, None)
    assert signature.signature_algorithm == "rsassa_pss"


def test_cryptography_text_mode_detached(
    services: TestServices, tmp_path: Path, data: Path
) -> None:
    """Without ``Binary`` cryptography signs the text with CRLF line ends (S/MIME): the
    tool's doing; the file as given differs from the bytes signed: HASH_FAILURE."""
    signed = tmp_path / "t.p7s"
    signed.write_bytes(_pkcs7(services, [Options.DetachedSignature]))
    signature = _only(_verify(signed, services, data, revocation=OFF))
    assert signature.indication is Indication.TOTAL_FAILED
    assert signature.sub_indication is SubIndication.HASH_FAILURE


def test_cryptography_no_attributes_and_no_certs(
    services: TestServices, tmp_path: Path, data: Path
) -> None:
    """``NoAttributes``: SIG_CONSTRAINTS_FAILURE; ``NoCerts``: NO_SIGNING_CERTIFICATE_FOUND."""
    signed = tmp_path / "n.p7s"
    signed.write_bytes(_pkcs7(services, [Options.Binary, Options.NoAttributes]))
    signature = _only(_verify(signed, services, revocation=OFF))
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    signed.write_bytes(
        _pkcs7(services, [Options.Binary, Options.DetachedSignature, Options.NoCerts])
    )
    signature = _only(_verify(signed, services, data, revocation=OFF))
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.NO_SIGNING_CERTIFICATE_FOUND


# -- pyHanko's generic CMS signer -------------------------------------------------------------


def _pyhanko(services: TestServices, **options: object) -> cms.ContentInfo:
    issued = services.pki.issue(HOLDER, "signature")

    def asn1(certificate: object) -> asn1_x509.Certificate:
        der = certificate.public_bytes(serialization.Encoding.DER)  # type: ignore[attr-defined]
        return asn1_x509.Certificate.load(der)

    key = keys.PrivateKeyInfo.load(
        issued.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = SimpleSigner(
        signing_cert=asn1(issued.certificate),
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1(services.pki.citizen_ca.certificate)]
        ),
    )
    return asyncio.run(signer.async_sign_general_data(CONTENT, "sha256", **options))  # type: ignore[arg-type]


@pytest.mark.parametrize("detached", [True, False])
@pytest.mark.parametrize("timestamped", [False, True])
def test_pyhanko_cades(
    services: TestServices, tmp_path: Path, data: Path, detached: bool, timestamped: bool
) -> None:
    """pyHanko with a signing time (and a TSA on loopback): CAdES-B-B / B-T, TOTAL_PASSED."""
    signed = tmp_path / "p.p7s"
    signed.write_bytes(
        _pyhanko(
            services,
            detached=detached,
            timestamper=HTTPTimeStamper(services.tsa_url) if timestamped else None,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=dt.datetime.now(dt.UTC)),
        ).dump()
    )
    signature = _only(_verify(signed, services, data if detached else None))
    _passed(signature, "B-T" if timestamped else "B-B")


def test_pyhanko_without_a_signing_time(services: TestServices, tmp_path: Path, data: Path) -> None:
    """pyHanko's default for generic data signs no signing-time attribute.

    DSS's default policy has SignedAttributes/SigningTime at FAIL (signature acceptance
    validation): INDETERMINATE / SIG_CONSTRAINTS_FAILURE, even with a valid signature
    timestamp; the content is intact, so nothing is TOTAL_FAILED.
    """
    signed = tmp_path / "p.p7s"
    stamper = HTTPTimeStamper(services.tsa_url)
    signed.write_bytes(_pyhanko(services, detached=True, timestamper=stamper).dump())
    report = _verify(signed, services, data)
    signature = _only(report)
    assert signature.indication is Indication.INDETERMINATE
    assert signature.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE, signature.reasons
    assert any("signing-time" in reason for reason in signature.reasons)
    assert (signature.level, signature.proven_level) == (None, None)  # DSS: CAdES-BES, CAdES-T
    assert signature.proven_signing_time is not None
    assert not report.passed


# -- the command ------------------------------------------------------------------------------


def test_eid_verify_json_on_third_party_files(
    services: TestServices, tmp_path: Path, data: Path
) -> None:
    """``eid verify --json``: well-formed JSON, exit 0 valid, 1 not valid, 2 not signed.

    A PEM-armoured CMS (``openssl cms -outform PEM``) is not read, as DSS reads only DER/BER.
    """
    signer = _signer(services, tmp_path)
    good = openssl_sign(signer, data, tmp_path / "good.p7s", "-cades")
    nocerts = openssl_sign(signer, data, tmp_path / "nocerts.p7s", "-cades", "-nocerts")
    pem = openssl_sign(signer, data, tmp_path / "armoured.p7s", "-cades", "-outform", "PEM")
    anchors = tmp_path / "trust"
    anchors.mkdir()
    pem_file(anchors / "root.pem", services.pki.root.certificate)
    pem_file(anchors / "citizen.pem", services.pki.citizen_ca.certificate)
    home = tmp_path / "home"
    expected = {good: (0, "TOTAL_PASSED"), nocerts: (1, "INDETERMINATE"), pem: (2, None)}
    for path, (code, indication) in expected.items():
        result = eid(
            "verify",
            str(path),
            "--detached",
            str(data),
            "--trust",
            str(anchors),
            "--json",
            home=home,
        )
        assert result.returncode == code, result.stderr
        body = as_json(result)
        assert body == json.loads(json.dumps(body))
        assert body["schema"] == "eid.validation-report/1"
        assert body["indication"] == indication
        assert "Traceback" not in result.stderr
