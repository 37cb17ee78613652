"""Signing: signers on a token or in memory, and PAdES, CAdES, ASiC-E and ASiC-S signatures.

`TokenSigner` and `SoftwareSigner` make the signatures; `sign_pdf`,
`sign_cades`, `sign_asice`, `add_asice_signature` and `sign_asics` write them,
at the level `SignatureOptions` asks (B-B, B-T, B-LT, B-LTA). Every
output appears whole or not at all, and an input is never written to.

`verify` checks every signature of a PDF, CMS file or ASiC container and returns a
`ValidationReport` with ETSI EN 319 102-1 indications (`eid.sign.report`).
"""

from eid.errors import TimestampFailed
from eid.sign.asice import add_asice_signature, sign_asice
from eid.sign.asics import sign_asics
from eid.sign.cades import sign_cades
from eid.sign.options import Level, SignatureOptions, SignedFile, VisibleSignature
from eid.sign.pades import sign_pdf
from eid.sign.report import Indication, SignatureReport, SubIndication, ValidationReport
from eid.sign.signers import EidSigner, SoftwareSigner, TokenSigner
from eid.sign.verify_crypto import verify_signature_value
from eid.sign.verify_document import verify

__all__ = [
    "EidSigner",
    "Indication",
    "Level",
    "SignatureOptions",
    "SignatureReport",
    "SignedFile",
    "SoftwareSigner",
    "SubIndication",
    "TimestampFailed",
    "TokenSigner",
    "ValidationReport",
    "VisibleSignature",
    "add_asice_signature",
    "sign_asice",
    "sign_asics",
    "sign_cades",
    "sign_pdf",
    "verify",
    "verify_signature_value",
]
