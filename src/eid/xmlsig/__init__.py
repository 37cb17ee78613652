"""XML signatures and encryption in one place: hardened parsing, C14N, XML-DSig, XML-Enc.

Depends on no other `eid` layer but `eid.errors` and `eid.hashing`. Used by `eid.sso`
(SAML) and meant for XAdES and trusted lists. See docs/architecture.md ("eid.xmlsig").
"""

from eid.xmlsig.algorithms import C14N_EXCLUSIVE, C14N_INCLUSIVE, DSIG_NS, SIGNATURE_METHODS
from eid.xmlsig.c14n import canonicalize
from eid.xmlsig.encrypt import (
    AES128_CBC,
    AES128_GCM,
    AES192_CBC,
    AES256_CBC,
    AES256_GCM,
    CBC_CONTENT,
    MGF1P_SHA1,
    OAEP_SHA256,
    RSA_OAEP,
    RSA_OAEP_MGF1P,
    KeyTransport,
    content_encryption,
    decrypt_element,
    encrypt_element,
)
from eid.xmlsig.parse import MAX_DEPTH, MAX_SIZE, parse_xml
from eid.xmlsig.sign import SHA256, Signer, enveloped_signature, sign_enveloped, software_signer
from eid.xmlsig.verify import PublicKey, Verified, public_keys, verify_enveloped, verify_value

__all__ = [
    "AES128_CBC",
    "AES128_GCM",
    "AES192_CBC",
    "AES256_CBC",
    "AES256_GCM",
    "C14N_EXCLUSIVE",
    "C14N_INCLUSIVE",
    "CBC_CONTENT",
    "DSIG_NS",
    "MAX_DEPTH",
    "MAX_SIZE",
    "MGF1P_SHA1",
    "OAEP_SHA256",
    "RSA_OAEP",
    "RSA_OAEP_MGF1P",
    "SHA256",
    "SIGNATURE_METHODS",
    "KeyTransport",
    "PublicKey",
    "Signer",
    "Verified",
    "canonicalize",
    "content_encryption",
    "decrypt_element",
    "encrypt_element",
    "enveloped_signature",
    "parse_xml",
    "public_keys",
    "sign_enveloped",
    "software_signer",
    "verify_enveloped",
    "verify_value",
]
