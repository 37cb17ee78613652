"""The validation data a signed document carries, gathered for `eid.pki.ValidationEvidence`.

Found in a CMS ``SignedData`` (its ``certificates``, its ``crls`` with OCSP responses as
id-ri-ocsp-response, RFC 5940), in each signer's CAdES ``certificate-values`` and
``revocation-values`` and Adobe ``revocationInfoArchival`` attributes, in its timestamp
tokens (each a ``SignedData`` of its own), and in a PDF's document security store (DSS
``/Certs``, ``/OCSPs``, ``/CRLs`` and the same in every ``/VRI`` entry). Nothing found
here is trusted for being there: `eid.pki` checks every answer as if it had fetched it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, ClassVar

from asn1crypto import cms, core
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from eid.asn1 import MALFORMED_ASN1
from eid.pki.embedded import ValidationEvidence
from eid.sign.verify_chain import VerifyContext

__all__ = ["RevocationValues", "cms_evidence", "pdf_evidence", "with_evidence"]

_CERTIFICATE_VALUES = "1.2.840.113549.1.9.16.2.23"  # id-aa-ets-certValues
_REVOCATION_VALUES = "1.2.840.113549.1.9.16.2.24"  # id-aa-ets-revocationValues
_ADOBE_REVOCATION = "1.2.840.113583.1.1.8"  # adbe-revocationInfoArchival
_SIGNATURE_TIMESTAMP = "1.2.840.113549.1.9.16.2.14"
_ARCHIVE_TIMESTAMP_V3 = "0.4.0.1733.2.4"
_OCSP_RESPONSE = "1.3.6.1.5.5.7.16.2"  # id-ri-ocsp-response
_OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1"  # id-pkix-ocsp-basic
_DSS_ARRAYS = {"/Certs": "cert", "/Cert": "cert", "/OCSPs": "ocsp", "/OCSP": "ocsp"}
_DSS_ARRAYS |= {"/CRLs": "crl", "/CRL": "crl"}
_ERRORS = MALFORMED_ASN1


class _CertificateList(core.SequenceOf):  # type: ignore[misc]
    _child_spec = asn1_x509.Certificate


class _CrlValues(core.SequenceOf):  # type: ignore[misc]
    _child_spec = asn1_crl.CertificateList


class _OcspValues(core.SequenceOf):  # type: ignore[misc]
    _child_spec = asn1_ocsp.BasicOCSPResponse


class RevocationValues(core.Sequence):  # type: ignore[misc]
    """ETSI EN 319 122-1 ``RevocationValues`` (CRLs and basic OCSP responses)."""

    _fields: ClassVar[list[tuple[str, Any, dict[str, Any]]]] = [
        ("crl_vals", _CrlValues, {"explicit": 0, "optional": True}),
        ("ocsp_vals", _OcspValues, {"explicit": 1, "optional": True}),
        ("other_rev_vals", core.Any, {"explicit": 2, "optional": True}),
    ]


def _wrap_basic(basic: Any) -> bytes:
    """A basic OCSP response as the full ``OCSPResponse`` `eid.pki.ocsp` reads."""
    return bytes(
        asn1_ocsp.OCSPResponse(
            {
                "response_status": "successful",
                "response_bytes": {
                    "response_type": "basic_ocsp_response",
                    "response": asn1_ocsp.BasicOCSPResponse.load(basic.dump()),
                },
            }
        ).dump()
    )


@dataclasses.dataclass
class _Found:
    certificates: list[bytes] = dataclasses.field(default_factory=list)
    ocsp: list[bytes] = dataclasses.field(default_factory=list)
    crls: list[bytes] = dataclasses.field(default_factory=list)

    def evidence(self) -> ValidationEvidence:
        return ValidationEvidence.of(self.certificates, self.ocsp, self.crls)


def _values(attrs: Any, oid: str) -> Iterator[Any]:
    for attr in attrs or []:
        if attr["type"].dotted == oid:
            yield from attr["values"]


def _signed_data(found: _Found, signed_data: cms.SignedData, depth: int) -> None:
    _guarded(lambda: _certificates(found, signed_data))
    _guarded(lambda: _revocation_choices(found, signed_data))
    for signer in signed_data["signer_infos"]:
        _signer(found, signer, depth)


def _certificates(found: _Found, signed_data: cms.SignedData) -> None:
    for choice in signed_data["certificates"] or []:
        if choice.name == "certificate":
            found.certificates.append(choice.chosen.dump())


def _revocation_choices(found: _Found, signed_data: cms.SignedData) -> None:
    for choice in signed_data["crls"] or []:
        if choice.name == "crl":
            found.crls.append(choice.chosen.dump())
            continue
        kind = choice.chosen["other_rev_info_format"].dotted
        if kind == _OCSP_RESPONSE:
            found.ocsp.append(choice.chosen["other_rev_info"].dump())
        elif kind == _OCSP_BASIC:
            found.ocsp.append(_wrap_basic(choice.chosen["other_rev_info"]))


def _signer(found: _Found, signer: cms.SignerInfo, depth: int) -> None:
    unsigned = signer["unsigned_attrs"]
    for value in _values(unsigned, _CERTIFICATE_VALUES):
        _guarded(partial(_certificate_values, found, value))
    for value in _values(unsigned, _REVOCATION_VALUES):
        _guarded(partial(_revocation_values, found, value))
    for value in _values(signer["signed_attrs"], _ADOBE_REVOCATION):
        _guarded(partial(_adobe_revocation, found, value))
    if depth:
        return  # a timestamp's own timestamps are not looked into
    for oid in (_SIGNATURE_TIMESTAMP, _ARCHIVE_TIMESTAMP_V3):
        for token in _values(unsigned, oid):
            _guarded(partial(_token, found, token, depth + 1))


def _certificate_values(found: _Found, value: Any) -> None:
    found.certificates += [c.dump() for c in _CertificateList.load(value.dump())]


def _revocation_values(found: _Found, value: Any) -> None:
    values = RevocationValues.load(value.dump())
    found.crls += [c.dump() for c in values["crl_vals"] or []]
    found.ocsp += [_wrap_basic(b) for b in values["ocsp_vals"] or []]


def _adobe_revocation(found: _Found, value: Any) -> None:
    found.crls += [c.dump() for c in value["crl"] or []]
    found.ocsp += [r.dump() for r in value["ocsp"] or []]


def _token(found: _Found, token: Any, depth: int) -> None:
    _signed_data(found, cms.ContentInfo.load(token.dump())["content"], depth)


def _guarded(step: Callable[[], object]) -> None:
    """Run one gathering step; a malformed part only leaves its data out."""
    with contextlib.suppress(*_ERRORS):
        step()


def cms_evidence(signed_data: cms.SignedData) -> ValidationEvidence:
    """Everything ``signed_data``, its signers and their timestamp tokens carry."""
    found = _Found()
    _guarded(lambda: _signed_data(found, signed_data, 0))
    return found.evidence()


def _streams(value: Any) -> Iterable[bytes]:
    for item in value if isinstance(value, generic.ArrayObject) else []:
        stream = None
        with contextlib.suppress(Exception):  # a broken stream only leaves its data out
            stream = item.get_object()
            stream = bytes(stream.data) if isinstance(stream, generic.StreamObject) else None
        if stream is not None:
            yield stream


def _resolved(value: Any) -> Any:
    """``value`` with its reference followed; None when it cannot be."""
    try:
        return value.get_object() if value is not None else None
    except Exception:  # a broken reference only leaves its data out
        return None


def _dss_dictionaries(reader: PdfFileReader) -> list[generic.DictionaryObject]:
    """The DSS and its VRI entries; a damaged part leaves only itself out."""
    try:
        dss = _resolved(reader.root.get("/DSS"))
    except Exception:  # a damaged catalogue gives no DSS
        return []
    if not isinstance(dss, generic.DictionaryObject):
        return []
    found = [dss]
    vri = _resolved(dss.get("/VRI"))
    if isinstance(vri, generic.DictionaryObject):
        entries = (_resolved(value) for value in vri.values())
        found += [entry for entry in entries if isinstance(entry, generic.DictionaryObject)]
    return found


def pdf_evidence(reader: PdfFileReader) -> ValidationEvidence:
    """Everything the PDF's document security store (and its VRI entries) holds."""
    found = _Found()
    for dictionary in _dss_dictionaries(reader):
        for key, kind in _DSS_ARRAYS.items():
            blobs = list(_streams(_resolved(dictionary.get(key))))
            {"cert": found.certificates, "ocsp": found.ocsp, "crl": found.crls}[kind] += blobs
    return found.evidence()


def with_evidence(context: VerifyContext, evidence: ValidationEvidence) -> VerifyContext:
    """``context`` with ``evidence`` added to what it already carries."""
    if not evidence:
        return context
    held = context.evidence
    return dataclasses.replace(context, evidence=held.merged(evidence) if held else evidence)
