"""Pure identity data: national, enterprise and card numbers, birth dates, identity, address."""

from eid.identity.birth_date import BirthDate, parse_birth_date
from eid.identity.models import DOCUMENT_TYPES, Address, Identity, SpecialStatus
from eid.identity.national_number import NationalNumber, Sex
from eid.identity.numbers import CardNumber, EnterpriseNumber

__all__ = [
    "DOCUMENT_TYPES",
    "Address",
    "BirthDate",
    "CardNumber",
    "EnterpriseNumber",
    "Identity",
    "NationalNumber",
    "Sex",
    "SpecialStatus",
    "parse_birth_date",
]
