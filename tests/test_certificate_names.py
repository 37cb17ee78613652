"""A certificate whose names cannot be compared is malformed, not a crash in path building.

Found by fuzzing: a CA certificate given as a trust anchor, with a subject attribute of an
unknown type holding NULL, loaded fine and then raised TypeError inside
pyhanko-certvalidator when the validation context was built.
"""

from __future__ import annotations

import pytest

from eid.errors import MalformedInput
from eid.pki import TrustStore, load_certificate
from fuzz import material

COUNTRY_BE = bytes.fromhex("06 03 55 04 06 13 02 42 45")  # countryName PrintableString "BE"
UNKNOWN_NULL = bytes.fromhex("06 03 55 04 7f 05 02 42 45")  # id-at-127, NULL (same length)


def _with_subject_attribute_null(der: bytes) -> bytes:
    """``der`` with its subject's countryName replaced (issuer name, signature untouched)."""
    issuer_at = der.index(COUNTRY_BE)
    subject_at = der.index(COUNTRY_BE, issuer_at + 1)
    return der[:subject_at] + UNKNOWN_NULL + der[subject_at + len(COUNTRY_BE) :]


def test_an_uncomparable_name_is_malformed() -> None:
    broken = _with_subject_attribute_null(material.certificates()["citizen-ca"])
    with pytest.raises(MalformedInput, match=r"not an X\.509 certificate"):
        load_certificate(broken)


def test_such_a_trust_anchor_is_refused_before_path_building() -> None:
    broken = _with_subject_attribute_null(material.certificates()["citizen-ca"])
    with pytest.raises(MalformedInput):
        TrustStore([broken])
