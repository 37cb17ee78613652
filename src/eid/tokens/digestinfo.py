"""PKCS#1 v1.5 DigestInfo encodings (RFC 8017, section 9.2, note 1), shared by signing and verifying."""

from __future__ import annotations

__all__ = ["DIGEST_INFO_PREFIXES", "digest_info"]

DIGEST_INFO_PREFIXES = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha224": bytes.fromhex("302d300d06096086480165030402040500041c"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
"""DER of a DigestInfo up to the digest itself, by hash name."""


def digest_info(hash_name: str, digest: bytes) -> bytes:
    """The DER DigestInfo for ``digest`` made with ``hash_name``."""
    return DIGEST_INFO_PREFIXES[hash_name] + digest
