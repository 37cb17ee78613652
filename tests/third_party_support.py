"""Signatures made by other tools for the verification tests: OpenSSL as a process.

`Material` is a signer's key and certificate (from a test PKI) written as PEM files for
``openssl``; `openssl_sign` runs ``openssl cms -sign`` and `openssl_timestamp` has
``openssl ts`` stamp a signer info's value with the PKI's TSA key (RFC 3161 appendix A).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from eid.pki.testpki import Holder, Issued, PrivateKey, TestPKI

HOLDER = Holder("Bob Software", "Signer", "90010100123")
SECOND = Holder("Alice Other", "Signer", "85020200234")


@dataclass(frozen=True)
class Material:
    """A signer's private key and certificate as PEM files."""

    key: Path
    cert: Path
    certificate: x509.Certificate


def material(
    pki: TestPKI,
    directory: Path,
    name: str = "signer",
    *,
    holder: Holder = HOLDER,
    key: PrivateKey | None = None,
) -> Material:
    """A signature certificate from ``pki`` (for ``key``, default a new one) and its key."""
    issued = pki.issue(holder, "signature", key=key)
    return write_material(issued, directory, name)


def write_material(issued: Issued, directory: Path, name: str) -> Material:
    """``issued`` as ``name.key.pem`` and ``name.crt.pem`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / f"{name}.key.pem"
    cert_path = directory / f"{name}.crt.pem"
    key_path.write_bytes(issued.key_pem())
    cert_path.write_bytes(issued.cert_pem())
    return Material(key_path, cert_path, issued.certificate)


def pem_file(path: Path, *certificates: x509.Certificate) -> Path:
    """``certificates`` as one PEM file at ``path``."""
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates))
    return path


def openssl_sign(
    signer: Material, data: Path, out: Path, *options: str, binary: bool = True
) -> Path:
    """``openssl cms -sign`` of ``data`` into DER ``out`` (detached unless ``-nodetach``)."""
    command = ["openssl", "cms", "-sign", "-in", str(data), "-outform", "DER", "-out", str(out)]
    command += ["-signer", str(signer.cert), "-inkey", str(signer.key)]
    if binary:
        command.append("-binary")
    subprocess.run([*command, *options], check=True, capture_output=True)
    return out


def openssl_timestamp(
    tsa: Issued, signed: bytes, work: Path, *, with_certificate: bool = True
) -> bytes:
    """``signed`` (a DER CMS) with a signature-time-stamp that ``openssl ts`` made.

    The query asks for the TSA certificate only when ``with_certificate`` (``-cert``, RFC
    3161 certReq): without it the token carries no certificate at all.
    """
    config = work / "tsa.cnf"
    tsa_files = write_material(tsa, work, "tsa")
    (work / "tsa.serial").write_text("01\n")
    config.write_text(
        "[ tsa ]\ndefault_tsa = eid_test\n[ eid_test ]\n"
        f"serial = {work / 'tsa.serial'}\ncrypto_device = builtin\n"
        f"signer_cert = {tsa_files.cert}\nsigner_key = {tsa_files.key}\n"
        "signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n"
        "accuracy = secs:1\nordering = yes\ntsa_name = yes\ness_cert_id_alg = sha256\n"
    )
    info = cms.ContentInfo.load(signed)
    signer = info["content"]["signer_infos"][0]
    value = work / "value.bin"
    value.write_bytes(bytes(signer["signature"].native))
    query, reply = work / "query.tsq", work / "token.tst"
    request = ["openssl", "ts", "-query", "-data", str(value), "-sha256", "-out", str(query)]
    subprocess.run(
        request + (["-cert"] if with_certificate else []), check=True, capture_output=True
    )
    answer = ["openssl", "ts", "-reply", "-config", str(config), "-queryfile", str(query)]
    subprocess.run([*answer, "-token_out", "-out", str(reply)], check=True, capture_output=True)
    token = cms.ContentInfo.load(reply.read_bytes())
    signer["unsigned_attrs"] = [{"type": "signature_time_stamp_token", "values": [token]}]
    return info.dump()


def with_certificates(signed: bytes, *certificates: x509.Certificate) -> bytes:
    """``signed`` with ``certificates`` added to its SignedData.certificates."""
    info = cms.ContentInfo.load(signed)
    present = list(info["content"]["certificates"] or [])
    for certificate in certificates:
        der = certificate.public_bytes(serialization.Encoding.DER)
        present.append(cms.CertificateChoices.load(der))
    info["content"]["certificates"] = present
    return info.dump()
