"""Signing: signers on a token or in memory, and PAdES, CAdES, ASiC-E and ASiC-S signatures.

`TokenSigner` and `SoftwareSigner` make the signatures; `sign_pdf`,
`sign_cades`, `sign_asice`, `add_asice_signature` and `sign_asics` write them,
at the level `SignatureOptions` asks (B-B, B-T, B-LT; B-LTA for PAdES). Every
output appears whole or not at all, and an input is never written to.
"""

from eid.errors import TimestampFailed
from eid.sign.asice import add_asice_signature, sign_asice
from eid.sign.asics import sign_asics
from eid.sign.cades import sign_cades
from eid.sign.options import Level, SignatureOptions, SignedFile, VisibleSignature
from eid.sign.pades import sign_pdf
from eid.sign.signers import EidSigner, SoftwareSigner, TokenSigner

__all__ = [
    "EidSigner",
    "Level",
    "SignatureOptions",
    "SignedFile",
    "SoftwareSigner",
    "TimestampFailed",
    "TokenSigner",
    "VisibleSignature",
    "add_asice_signature",
    "sign_asice",
    "sign_asics",
    "sign_cades",
    "sign_pdf",
]
