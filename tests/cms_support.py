"""CMS objects made by hand for verification tests: certificates, signer infos, SignedData."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


def pss(salt: int, trailer: int = 1, mgf: str = "mgf1", mgf_hash: str = "sha256") -> dict[str, Any]:
    return {
        "algorithm": "rsassa_pss",
        "parameters": {
            "hash_algorithm": {"algorithm": "sha256"},
            "mask_gen_algorithm": {
                "algorithm": mgf,
                "parameters": algos.DigestAlgorithm({"algorithm": mgf_hash}),
            },
            "salt_length": salt,
            "trailer_field": trailer,
        },
    }


OVERFLOW = pss(2**31)
"""RSASSA-PSS parameters whose salt length overflows a C integer."""


def certificate(
    key: rsa.RSAPrivateKey,
    name: str,
    issuer_key: rsa.RSAPrivateKey | None = None,
    issuer: str | None = None,
    ca: bool = False,
) -> bytes:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    return builder.sign(issuer_key or key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def signer_info(
    certificate: bytes,
    content_type: str,
    digest: bytes,
    *,
    key: rsa.RSAPrivateKey | None = None,
    algorithm: dict[str, Any] = OVERFLOW,
    unsigned: list[Any] | None = None,
) -> cms.SignerInfo:
    """A signer info: signed with ``key`` (PKCS#1 v1.5), or an all-zero value under ``algorithm``."""
    cert = asn1_x509.Certificate.load(certificate)
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
            cms.CMSAttribute({"type": "message_digest", "values": [digest]}),
        ]
    )
    value = bytes(256)
    if key is not None:
        value = key.sign(attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        algorithm = {"algorithm": "sha256_rsa"}
    info: dict[str, Any] = {
        "version": "v1",
        "sid": cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": cert.issuer,
                    "serial_number": cert.serial_number,
                }
            }
        ),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attrs,
        "signature_algorithm": algorithm,
        "signature": value,
    }
    if unsigned:
        info["unsigned_attrs"] = unsigned
    return cms.SignerInfo(info)


def signed_data(
    content_type: str, content: Any, certificates: list[bytes], signer: cms.SignerInfo
) -> cms.ContentInfo:
    return cms.ContentInfo(
        {
            "content_type": "signed_data",
            "content": {
                "version": "v1" if content_type == "data" else "v3",
                "digest_algorithms": [{"algorithm": "sha256"}],
                "encap_content_info": {"content_type": content_type, "content": content},
                "certificates": [asn1_x509.Certificate.load(c) for c in certificates],
                "signer_infos": [signer],
            },
        }
    )


def timestamp_token(
    imprinted: bytes,
    gen_time: dt.datetime | core.GeneralizedTime,
    certificate: bytes,
    *,
    key: rsa.RSAPrivateKey | None = None,
    serial_number: int = 1,
) -> cms.ContentInfo:
    """An RFC 3161 token over SHA-256 of ``imprinted`` at ``gen_time``, signed as `signer_info`."""
    stamp = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.3.4",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(imprinted).digest(),
            },
            "serial_number": serial_number,
            "gen_time": gen_time,
        }
    )
    signer = signer_info(certificate, "tst_info", hashlib.sha256(stamp.dump()).digest(), key=key)
    return signed_data("tst_info", stamp, [certificate], signer)
