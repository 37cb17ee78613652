"""Certificates and trust: trust stores, path validation, classification, OCSP and CRL.

`validate_certificate` is the entry point; `TrustStore.belgium()` the bundled Belgian roots.
The test PKI (`eid.pki.testpki`) and its loopback services (`eid.pki.services`) are imported
from their modules.
"""

from eid.pki.cache import ValidationCache, default_cache
from eid.pki.certificates import (
    CertificateInput,
    LoadedCertificate,
    load_certificate,
    load_certificates,
    load_certificates_from_path,
)
from eid.pki.classify import CertificateKind, SubjectIdentity, classify, subject_identity
from eid.pki.crypto_policy import AlgorithmRule, CryptoPolicy
from eid.pki.embedded import ValidationEvidence
from eid.pki.revocation import RevocationPolicy, RevocationResult, RevocationSettings
from eid.pki.trust import TrustStore
from eid.pki.validate import Purpose, ValidatedCertificate, validate_certificate

__all__ = [
    "AlgorithmRule",
    "CertificateInput",
    "CertificateKind",
    "CryptoPolicy",
    "LoadedCertificate",
    "Purpose",
    "RevocationPolicy",
    "RevocationResult",
    "RevocationSettings",
    "SubjectIdentity",
    "TrustStore",
    "ValidatedCertificate",
    "ValidationCache",
    "ValidationEvidence",
    "classify",
    "default_cache",
    "load_certificate",
    "load_certificates",
    "load_certificates_from_path",
    "subject_identity",
    "validate_certificate",
]
