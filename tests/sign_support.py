"""Shared material for the signing tests: signers, a loopback TSA, PDFs, CRLs, openssl."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext

from eid.cli.demo import demo_pdf
from eid.pki.testpki import Holder, TestPKI
from eid.sign import EidSigner, SoftwareSigner, TokenSigner
from eid.tokens.virtual import VirtualCard

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HOLDER = Holder("Bob Software", "Signer", "90010100123")


def asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def _hash_for(key: object) -> hashes.HashAlgorithm:
    return hashes.SHA384() if isinstance(key, ec.EllipticCurvePrivateKey) else hashes.SHA256()


# -- software key material -------------------------------------------------------------------


@dataclass
class SoftwareMaterial:
    pki: TestPKI
    directory: Path

    @property
    def key_pem(self) -> Path:
        return self.directory / "signer.key.pem"

    @property
    def cert_pem(self) -> Path:
        return self.directory / "signer.crt.pem"

    @property
    def chain_pem(self) -> Path:
        return self.directory / "chain.pem"

    @property
    def p12(self) -> Path:
        return self.directory / "signer.p12"


_pkis: dict[str, TestPKI] = {}


def software_material(kind: str, directory: Path) -> SoftwareMaterial:
    pki = _pkis.get(kind)
    if pki is None:
        pki = _pkis[kind] = TestPKI.create(key_kind=kind, seed=f"sign-{kind}".encode(), now=NOW)  # type: ignore[arg-type]
    directory.mkdir(parents=True, exist_ok=True)
    issued = pki.issue(HOLDER, "signature")
    material = SoftwareMaterial(pki, directory)
    material.key_pem.write_bytes(issued.key_pem())
    material.cert_pem.write_bytes(issued.cert_pem())
    material.chain_pem.write_bytes(pem(pki.citizen_ca.certificate, pki.root.certificate))
    material.p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer",
            issued.key,
            issued.certificate,
            [pki.citizen_ca.certificate, pki.root.certificate],
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    return material


def root_of(signer: EidSigner) -> x509.Certificate:
    return signer.chain[-1] if signer.chain else signer.certificate


# -- a loopback TSA ----------------------------------------------------------------------------


@dataclass
class Tsa:
    url: str
    root: x509.Certificate
    root_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    requests: list[int]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "eid Test TSA"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _tsa_pki() -> tuple[x509.Certificate, rsa.RSAPrivateKey, x509.Certificate, rsa.RSAPrivateKey]:
    """A root of its own (its name differs from the test PKIs' roots) and a TSA certificate.

    RSA: pyHanko's dummy TSA signs with RSA only.
    """
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start, end = NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=3650)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA Root"))
        .issuer_name(_name("Test TSA Root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return root, root_key, certificate, key


@pytest.fixture(scope="session")
def tsa() -> Iterator[Tsa]:
    """An RFC 3161 TSA on 127.0.0.1 (pyHanko's DummyTimeStamper behind http.server)."""
    root, root_key, certificate, key = _tsa_pki()
    stamper = DummyTimeStamper(
        tsa_cert=asn1(certificate),
        tsa_key=keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )
    requests: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            response = asyncio.run(stamper.async_request_tsa_response(request)).dump()
            requests.append(len(response))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Tsa(
            f"http://127.0.0.1:{server.server_address[1]}/tsa",
            root,
            root_key,
            certificate,
            requests,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def dead_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"


# -- signers -----------------------------------------------------------------------------------


@pytest.fixture(params=["card", "pem", "p12"])
def signer(
    request: pytest.FixtureRequest, virtual_card: VirtualCard, tmp_path: Path
) -> Iterator[EidSigner]:
    """A signer of each kind: the virtual card's signature key, a PEM key, a PKCS#12 key.

    The software keys are of the card's key kind, so the set covers RSA and EC for each.
    """
    if request.param == "card":
        with virtual_card.open() as token:
            yield TokenSigner(token)
        return
    material = software_material(virtual_card.key_kind, tmp_path / "keys")
    if request.param == "pem":
        yield SoftwareSigner.from_pem(material.key_pem, material.cert_pem, [material.chain_pem])
    else:
        yield SoftwareSigner.from_pkcs12(material.p12, "secret")


def validation_context(*roots: x509.Certificate, crls: list[bytes] = ()) -> ValidationContext:  # type: ignore[assignment]
    return ValidationContext(
        trust_roots=[asn1(root) for root in roots],
        crls=list(crls),
        allow_fetching=False,
        revocation_mode="hard-fail" if crls else "soft-fail",
    )


def crl(issuer: x509.Certificate, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    """An empty CRL from ``issuer``, fresh now."""
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(key, _hash_for(key))
        .public_bytes(serialization.Encoding.DER)
    )


# -- files ---------------------------------------------------------------------------------------


def make_pdf(path: Path) -> Path:
    """A one-page PDF (the demo's)."""
    return demo_pdf(path, "a test document")


def openssl_verify(
    signature: Path, roots_and_cas: bytes, tmp: Path, content: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``openssl cms -verify`` of a DER CMS signature, detached (``content``) or enveloping."""
    ca_file = tmp / "openssl-ca.pem"
    ca_file.write_bytes(roots_and_cas)
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(signature)]
    command += ["-CAfile", str(ca_file), "-purpose", "any", "-out", str(tmp / "openssl-out.bin")]
    if content is not None:
        command += ["-content", str(content)]
    return subprocess.run(command, capture_output=True, check=False)


def card_ca_file(card: VirtualCard, tmp: Path) -> Path:
    """A PEM file with the card's root and Citizen CA, for openssl's ``-CAfile``."""
    pki = card.directory / "pki"
    bundle = tmp / "root-and-ca.pem"
    bundle.write_bytes((pki / "root.pem").read_bytes() + (pki / "citizen-ca.pem").read_bytes())
    return bundle


def openssl_ts_verify(data: Path, token: Path, ca_file: Path) -> None:
    """Assert that ``openssl ts -verify`` accepts the DER timestamp ``token`` over ``data``."""
    command = ["openssl", "ts", "-verify", "-data", str(data), "-in", str(token), "-token_in"]
    checked = subprocess.run([*command, "-CAfile", str(ca_file)], capture_output=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def chain_pem(signer: EidSigner) -> bytes:
    return pem(*signer.chain) if signer.chain else pem(signer.certificate)
