"""What asn1crypto raises when outside input turns out malformed.

asn1crypto parses lazily: a broken part of a certificate, CRL, OCSP response or CMS
structure surfaces only when it is first read, and then as one of several built-in
exceptions (an ASN.1 REAL where a string belongs gives ``AttributeError``, for one).
Readers of outside input catch `MALFORMED_ASN1` around what they read and turn it into
their own refusal.
"""

from __future__ import annotations

__all__ = ["MALFORMED_ASN1"]

MALFORMED_ASN1 = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
)
"""The exceptions asn1crypto raises on malformed input read lazily."""
