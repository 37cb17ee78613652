"""CAdES counter-signatures (RFC 5652 11.4, EN 319 122-1 5.2.7), each judged as a signature.

A counter-signature is a SignerInfo in the unsigned attribute id-countersignature
(1.2.840.113549.1.9.6) of another signer info: it signs the octets of that one's signature
value (its message-digest attribute is their digest) and has no content-type attribute.
Each gets a `SignatureReport` of its own, checked by `check_signed_data` as any signer info
is (signature value, signing certificate from the SignedData, crypto policy, chain and
revocation, its own signature timestamps), that names the signature it counter-signs
(``counter_signature_of``). As in EU DSS, a broken counter-signature fails its own entry
only, never the signature it counter-signs; the document that holds it then does not pass.

Counter-signatures of counter-signatures are followed up to `MAX_COUNTER_DEPTH` levels, and
at most `MAX_COUNTER_SIGNATURES` of them per signature: beyond, one entry says what was left
unverified (TOTAL_FAILED/FORMAT_FAILURE), as does an attribute whose values are not
SignerInfos. Nothing here raises: every problem lands in a report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asn1crypto import cms

from eid.asn1 import MALFORMED_ASN1
from eid.errors import MalformedInput
from eid.hashing import hash_bytes
from eid.sign.report import Covers, Indication, SignatureReport, SubIndication, brief
from eid.sign.verify_chain import VerifyContext
from eid.sign.verify_cms import check_signed_data

__all__ = ["COUNTER_SIGNATURE", "MAX_COUNTER_DEPTH", "MAX_COUNTER_SIGNATURES", "counter_signatures"]

COUNTER_SIGNATURE = "1.2.840.113549.1.9.6"
"""id-countersignature, the unsigned attribute that holds counter-signatures."""

MAX_COUNTER_DEPTH = 8
"""The deepest nesting of counter-signatures verified (1: a counter-signature of a signature)."""

MAX_COUNTER_SIGNATURES = 64
"""The most counter-signatures (at every depth) verified for one signature."""


@dataclass
class _Walk:
    """One signature's counter-signatures as they are found, depth first."""

    signed_data: cms.SignedData
    context: VerifyContext
    later: dt.datetime | None
    found: list[SignatureReport] = field(default_factory=list)

    def refuse(self, parent: SignatureReport, number: int, reason: str) -> None:
        """An entry for what could not be verified: TOTAL_FAILED/FORMAT_FAILURE."""
        report = _entry(parent, number)
        report.fail(Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE, reason)
        self.found.append(report)


def _entry(parent: SignatureReport, number: int) -> SignatureReport:
    """The report of ``parent``'s counter-signature ``number``: "signer 1 counter-signature 1.2"."""
    nested = parent.counter_signature_of is not None
    name = f"{parent.id}.{number}" if nested else f"{parent.id} counter-signature {number}"
    return SignatureReport(id=name, counter_signature_of=parent.id)


def counter_signatures(
    countersigned: SignatureReport,
    signed_data: cms.SignedData,
    signer: cms.SignerInfo,
    context: VerifyContext,
) -> list[SignatureReport]:
    """The reports of ``signer``'s counter-signatures and of theirs, depth first.

    ``countersigned`` is ``signer``'s own report, already filled: the entries name it, and
    its earliest valid archive or document timestamp (which covers its unsigned
    attributes) is the later proof of existence of their timestamps. When ``signer``'s
    unsigned attributes cannot be read, ``countersigned`` fails (FORMAT_FAILURE).
    """
    stamps = [
        t.time
        for t in countersigned.timestamps
        if t.kind != "signature" and t.valid and t.time is not None
    ]
    walk = _Walk(signed_data, context, min(stamps) if stamps else None)
    _check_level(walk, countersigned, signer, 1)
    return walk.found


def _check_level(walk: _Walk, parent: SignatureReport, signer: cms.SignerInfo, depth: int) -> None:
    """The counter-signatures in ``signer``'s unsigned attributes (``parent``: its report)."""
    entries: list[cms.SignerInfo | str] = []  # a counter-signature, or why it cannot be read
    try:
        attributes = [
            attribute
            for attribute in signer["unsigned_attrs"] or []
            if attribute["type"].dotted == COUNTER_SIGNATURE
        ]
    except MALFORMED_ASN1 as error:
        parent.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"the unsigned attributes (counter-signatures) cannot be read ({brief(error)})",
        )
        return
    for attribute in attributes:
        try:
            values = list(attribute["values"])
        except MALFORMED_ASN1 as error:  # not a SET OF SignerInfo
            entries.append(f"the counter-signature is not a SignerInfo ({brief(error)})")
            continue
        entries.extend(values or ["a counter-signature attribute without any value"])
    if entries and depth > MAX_COUNTER_DEPTH:
        walk.refuse(
            parent,
            1,
            f"counter-signatures nested more than {MAX_COUNTER_DEPTH} deep are not verified "
            "(refused as hostile input)",
        )
        return
    for number, entry in enumerate(entries, start=1):
        if isinstance(entry, str):
            walk.refuse(parent, number, entry)
            continue
        if len(walk.found) >= MAX_COUNTER_SIGNATURES:
            if len(walk.found) == MAX_COUNTER_SIGNATURES:  # said once, at the first one left
                walk.refuse(
                    parent,
                    number,
                    f"more than {MAX_COUNTER_SIGNATURES} counter-signatures: the others are not "
                    "verified (refused as hostile input)",
                )
            return
        report = _check_one(walk, parent, number, signer, entry)
        _check_level(walk, report, entry, depth + 1)


def _check_one(
    walk: _Walk,
    parent: SignatureReport,
    number: int,
    signer: cms.SignerInfo,
    counter: cms.SignerInfo,
) -> SignatureReport:
    """Check one counter-signature of ``signer`` as a signature of its own."""
    report = _entry(parent, number)
    walk.found.append(report)
    try:
        value = bytes(signer["signature"].native)
        report.covers = Covers("signature", size=len(value))
        check_signed_data(
            report,
            walk.signed_data,
            counter,
            lambda name: hash_bytes(name, value),
            walk.context,
            later=walk.later,
            counter_signature=True,
        )
    except (*MALFORMED_ASN1, MalformedInput) as error:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"malformed counter-signature ({brief(error)})",
        )
    except Exception as error:  # whatever stopped the checks, the counter-signature is not valid
        report.could_not_judge(error)
    return report
