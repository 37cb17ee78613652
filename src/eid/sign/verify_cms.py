"""One CMS signer info checked the CAdES way: digest, signature, signing certificate, timestamps.

The signature is verified over the DER encoding of the signed attributes, as RFC 5652 and
EU DSS have it: the attributes as encoded in the file, in DER order under a SET tag (a
signature over another order fails, and says so). Signature timestamps (RFC 3161 tokens, themselves
CMS) are checked the same way, their imprint against the signature value, and their TSA
certificate through `eid.pki`. Archive-time-stamp-v3 tokens are checked too (imprint per
EN 319 122-1 through `eid.sign.archive`), and serve as the later proof of existence that past
signature validation (EN 319 102-1) judges the earlier timestamps' TSA certificates at.
A counter-signature (`eid.sign.verify_counter`) is checked here as well, its message digest
over the signature value it counter-signs. Every problem lands in the `SignatureReport`;
nothing raises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from asn1crypto import cms, tsp

from eid.errors import (
    AlgorithmNotAccepted,
    CertificateExpired,
    CertificateInvalid,
    CertificateRevoked,
    MalformedInput,
)
from eid.hashing import hash_bytes
from eid.pki import CryptoPolicy, LoadedCertificate, load_certificate
from eid.sign.archive import archive_imprint_input, index_gaps, stored_hash_index
from eid.sign.report import (
    BASIC_CHECKS,
    Check,
    Indication,
    SignatureReport,
    SubIndication,
    TimestampReport,
    brief,
)
from eid.sign.times import as_utc
from eid.sign.verify_algorithms import judge_algorithms, legacy_digests
from eid.sign.verify_chain import VerifyContext, check_certificate, check_signer
from eid.sign.verify_crypto import digest_name, verify_signature_value
from eid.sign.verify_ltv import cms_evidence, with_evidence

__all__ = [
    "DIGESTS",
    "DigestOf",
    "check_archive_timestamps",
    "check_signed_data",
    "check_timestamp_token",
    "claimed_time",
    "embedded_certificates",
    "level_of_cms",
    "proven_level",
    "signed_attrs_der",
    "weigh_timestamps",
]

DIGESTS = ("sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "shake256")
"""Digest algorithms accepted for signed content."""

DigestOf = Callable[[str], bytes] | None
"""Gives the digest of the signed content for an algorithm name (None: content not found)."""

_SIG_TS = "1.2.840.113549.1.9.16.2.14"  # id-aa-signatureTimeStampToken
_ARCHIVE_TS_V3 = "0.4.0.1733.2.4"  # id-aa-ets-archiveTimestampV3
_REVOCATION_VALUES = "1.2.840.113549.1.9.16.2.24"
_TIMESTAMP_CHECKS = BASIC_CHECKS | {Check.IMPRINT}
_LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    body = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def signed_attrs_der(signer: cms.SignerInfo, *, as_stored: bool = False) -> bytes:
    """The signed attributes as RFC 5652 (5.4) signs them: under a SET tag, in DER order.

    DER sorts a SET OF by the encodings of its elements; some signers sign the order they
    store instead, which EU DSS (and so `eid`) refuses. ``as_stored`` gives the attributes
    in the order of the file, to say so in a report.
    """
    if as_stored:
        raw = bytes(signer["signed_attrs"].contents)
    else:
        raw = b"".join(sorted(attribute.dump() for attribute in signer["signed_attrs"]))
    return b"\x31" + _length(len(raw)) + raw


def embedded_certificates(signed_data: cms.SignedData) -> list[LoadedCertificate]:
    """The X.509 certificates in ``SignedData.certificates`` that load (others are skipped)."""
    found: list[LoadedCertificate] = []
    for choice in signed_data["certificates"] or []:
        if choice.name != "certificate":
            continue
        try:
            found.append(load_certificate(choice.chosen.dump()))
        except MalformedInput:
            continue
    return found


def _find_signer(
    sid: cms.SignerIdentifier, certs: Sequence[LoadedCertificate]
) -> LoadedCertificate | None:
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                cert.asn1.serial_number == wanted["serial_number"].native
                and cert.asn1.issuer == wanted["issuer"]
            ):
                return cert
        elif cert.asn1.key_identifier == sid.chosen.native:
            return cert
    return None


def _attribute(attrs: Any, name: str) -> list[Any]:
    values: list[Any] = []
    for attr in attrs or []:
        if attr["type"].native == name or attr["type"].dotted == name:
            values.extend(attr["values"])
    return values


def _check_ess(signer: cms.SignerInfo, certificate: LoadedCertificate) -> str | None:
    """None when a signing-certificate(-v2) attribute names ``certificate``; else the problem."""
    attrs = signer["signed_attrs"]
    for value in _attribute(attrs, "signing_certificate_v2"):
        first = value["certs"][0]
        algorithm = first["hash_algorithm"]["algorithm"].native
        if hashlib.new(algorithm, certificate.der).digest() != first["cert_hash"].native:
            return "the signing-certificate-v2 attribute names another certificate"
        return None
    for value in _attribute(attrs, "signing_certificate"):
        if (
            hashlib.sha1(certificate.der, usedforsecurity=False).digest()
            != value["certs"][0]["cert_hash"].native
        ):
            return "the signing-certificate attribute names another certificate"
        return None
    return "no signing-certificate attribute (not an AdES signature)"


_SIGNER_VERSIONS = {"issuer_and_serial_number": "v1", "subject_key_identifier": "v3"}
"""RFC 5652 5.3: the SignerInfo version that goes with each kind of signer identifier."""


def _check_without_attributes(
    report: SignatureReport,
    signed_data: cms.SignedData,
    signer: cms.SignerInfo,
    certificate: LoadedCertificate,
    digest_of: DigestOf,
    digest: str,
    legacy: frozenset[str],
) -> None:
    """A signer info without signed attributes: its value signs the content digest itself.

    RFC 5652 5.4 allows it for ``id-data`` content only. The content digest is then checked
    through the signature value. Nothing signed identifies the signer's certificate or the
    signing time, so, as the EU DSS default policy does in signature acceptance validation
    (EN 319 102-1 5.2.8), the signature is INDETERMINATE / SIG_CONSTRAINTS_FAILURE, intact.
    """
    if signed_data["encap_content_info"]["content_type"].native != "data":
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "without signed attributes the content type must be id-data (RFC 5652 5.3)",
        )
        return
    actual = digest_of(digest) if digest_of is not None else None
    if actual is None:
        report.fail(
            Indication.INDETERMINATE,
            SubIndication.SIGNED_DATA_NOT_FOUND,
            "the signed content is not available (give the detached data)",
        )
        return
    try:
        good = verify_signature_value(
            certificate.asn1.public_key,
            signer["signature_algorithm"],
            bytes(signer["signature"].native),
            actual,
            digest_algorithm=digest,
            legacy_digests=legacy,
            prehashed=True,
        )
    except MalformedInput as error:
        report.fail(
            Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE, error.message
        )
        return
    if not good:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.SIG_CRYPTO_FAILURE,
            "the signature value does not verify over the content's digest "
            "(no signed attributes): the content or the signature changed",
        )
        return
    report.confirm(Check.CONTENT_DIGEST)
    report.confirm(Check.SIGNATURE_VALUE)
    report.warnings.append("no signing-certificate attribute (not an AdES signature)")
    report.fail(
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
        "the signature has no signed attributes: no signed reference identifies the "
        "signer's certificate, and no signing time or content type is signed",
    )


def _crypto(
    report: SignatureReport,
    signed_data: cms.SignedData,
    signer: cms.SignerInfo,
    digest_of: DigestOf,
    pool: Sequence[LoadedCertificate],
    crypto: CryptoPolicy,
    content_type: str | None,
) -> LoadedCertificate | None:
    """Digest, signature value and ESS checks of one signer info; the signer's certificate.

    ``content_type``: the OID its content-type attribute must name; None for a
    counter-signature (RFC 5652 11.4), which needs signed attributes with a message digest
    (of the countersigned signature value) and no content type.
    A digest the crypto policy judges by date (SHA-1) is verified here and judged at the
    proven time afterwards (`eid.sign.verify_algorithms`).
    """
    version = signer["version"].native
    if version != _SIGNER_VERSIONS.get(signer["sid"].name):
        # Unsigned, but a second encoding of the same signature must not verify as well.
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            f"signer info version {version} does not fit its {signer['sid'].name} (RFC 5652 5.3)",
        )
    try:  # parameters: RFC 5754 2 (none, or NULL), RFC 8419 2.3 (id-shake256-len: 512)
        digest = digest_name(signer["digest_algorithm"])
    except MalformedInput as error:
        report.fail(Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE, error.message)
        return None
    report.digest_algorithm = digest
    report.signature_algorithm = str(signer["signature_algorithm"]["algorithm"].native)
    legacy = legacy_digests(crypto)
    if digest not in DIGESTS and digest not in legacy:
        report.fail(
            Indication.INDETERMINATE,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            f"digest algorithm {brief(digest, 80)} is not accepted",
        )
        return None
    certificate = _find_signer(signer["sid"], pool)
    if certificate is None:
        report.fail(
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "the signer's certificate is not in the signature",
        )
        return None
    counter = content_type is None
    if not signer["signed_attrs"]:
        if counter:
            report.fail(
                Indication.TOTAL_FAILED,
                SubIndication.FORMAT_FAILURE,
                "the counter-signature has no signed attributes (a CAdES counter-signature "
                "signs a message digest and its signing certificate)",
            )
        else:
            _check_without_attributes(
                report, signed_data, signer, certificate, digest_of, digest, legacy
            )
        return certificate
    digests = _attribute(signer["signed_attrs"], "message_digest")
    types = _attribute(signer["signed_attrs"], "content_type")
    if len(digests) != 1 or len(types) != (0 if counter else 1):
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "a counter-signature's signed attributes need exactly one message-digest and no "
            "content-type (RFC 5652 11.4)"
            if counter
            else "the signed attributes need exactly one message-digest and one content-type",
        )
        return certificate
    if not counter and types[0].dotted != content_type:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.FORMAT_FAILURE,
            "the content-type attribute does not match the encapsulated content type",
        )
    actual = digest_of(digest) if digest_of is not None else None
    if actual is None:
        report.fail(
            Indication.INDETERMINATE,
            SubIndication.SIGNED_DATA_NOT_FOUND,
            "the signed content is not available (give the detached data)",
        )
    elif actual != digests[0].native:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.HASH_FAILURE,
            "the message digest that was signed is not that of the signature value it counter-signs"
            if counter
            else "the content does not match the message digest that was signed: "
            "it changed after signing",
        )
    else:
        report.confirm(Check.CONTENT_DIGEST)
    der = signed_attrs_der(signer)
    stored = signed_attrs_der(signer, as_stored=True)

    def signs(encoding: bytes) -> bool:
        return verify_signature_value(
            certificate.asn1.public_key,
            signer["signature_algorithm"],
            bytes(signer["signature"].native),
            encoding,
            digest_algorithm=digest,
            legacy_digests=legacy,
        )

    try:
        good = signs(der)
        over_stored_order = not good and stored != der and signs(stored)
    except MalformedInput as error:
        report.fail(
            Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE, error.message
        )
        return certificate
    if good:
        report.confirm(Check.SIGNATURE_VALUE)
        if stored != der:
            report.warnings.append("the signed attributes are not stored in DER order")
    elif over_stored_order:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.SIG_CRYPTO_FAILURE,
            "the signature covers the signed attributes in the order stored, not their DER"
            " encoding that RFC 5652 signs",
        )
    else:
        report.fail(
            Indication.TOTAL_FAILED,
            SubIndication.SIG_CRYPTO_FAILURE,
            "the signature value does not verify with the signer's public key",
        )
    problem = _check_ess(signer, certificate)
    if problem is not None:
        if problem.startswith("no "):
            report.warnings.append(problem)
        else:
            report.fail(
                Indication.INDETERMINATE, SubIndication.NO_SIGNING_CERTIFICATE_FOUND, problem
            )
    times = _attribute(signer["signed_attrs"], "signing_time")
    if times:
        report.claimed_signing_time = claimed_time(report, times[0].native)
    return certificate


def claimed_time(report: SignatureReport, written: dt.datetime | None) -> dt.datetime | None:
    """The signer's claimed signing time in UTC (None, with a warning, when it has none)."""
    claimed = as_utc(written)
    if claimed is None and written is not None:
        report.warnings.append(f"the claimed signing time {written} has no UTC time (ignored)")
    return claimed


def check_timestamp_token(
    token: cms.ContentInfo,
    imprint_of: Callable[[str], bytes],
    context: VerifyContext,
    kind: str = "signature",
    poe: dt.datetime | None = None,
) -> TimestampReport:
    """Check an RFC 3161 token: its CMS, its imprint (``imprint_of(digest)``), its TSA certificate.

    ``imprint_of`` gives the digest of what the token should be over (the signature value,
    or a PDF's /ByteRange for a document timestamp). The token is valid only when every
    check passed. A token that cannot be read raises (ValueError and the like from
    asn1crypto, `MalformedInput`): the caller decides what an unreadable token means.
    ``poe``: the time of a later valid archive or document timestamp that covers this one
    (EN 319 102-1 past signature validation): the token's algorithms are judged at that
    time, and a TSA certificate expired, revoked or with algorithms retired by the
    validation time is judged again at it.
    """
    scratch = SignatureReport(id="timestamp", required=_TIMESTAMP_CHECKS)
    signed_data = token["content"]
    context = with_evidence(context, cms_evidence(signed_data))
    encap = signed_data["encap_content_info"]
    if encap["content_type"].native != "tst_info":
        raise MalformedInput("not a timestamp token (no TSTInfo)")
    raw = bytes(encap["content"].contents)
    info = tsp.TSTInfo.load(raw)
    written = info["gen_time"].native
    time = as_utc(written)
    if time is None:
        scratch.fail(
            Indication.INDETERMINATE,
            SubIndication.FORMAT_FAILURE,
            f"the time {written} has no UTC time within years 1 to 9999",
        )
    elif time > context.moment:
        scratch.fail(
            Indication.INDETERMINATE,
            None,
            f"its time {time.isoformat()} is after the validation time (it proves nothing then)",
        )
    pool = [*embedded_certificates(signed_data), *_known_certificates(context)]
    (signer,) = signed_data["signer_infos"]
    certificate = _crypto(
        scratch,
        signed_data,
        signer,
        lambda name: hash_bytes(name, raw),
        pool,
        context.crypto,
        encap["content_type"].dotted,
    )
    imprint = info["message_imprint"]
    algorithm = str(imprint["hash_algorithm"]["algorithm"].native)
    if algorithm not in DIGESTS:
        scratch.fail(
            Indication.INDETERMINATE, None, f"imprint digest {brief(algorithm, 80)} not accepted"
        )
    elif imprint_of(algorithm) != imprint["hashed_message"].native:
        scratch.fail(
            Indication.TOTAL_FAILED,
            SubIndication.HASH_FAILURE,
            "the timestamp is over other data (message imprint mismatch)",
        )
    else:
        scratch.confirm(Check.IMPRINT)
    tsa: str | None = None
    if certificate is not None:
        tsa = certificate.subject
        # A valid later timestamp over the token proves it existed then: its algorithms
        # count as of that time (EN 319 102-1 past signature validation), else as of now.
        proven = poe if poe is not None and time is not None and time <= poe else context.moment
        judge_algorithms(scratch, signer, certificate, context.crypto, proven)
        _check_tsa(scratch, certificate, pool, context, time, poe)
    return TimestampReport(kind, time, tsa, scratch.indication, tuple(scratch.explained()))


def _known_certificates(context: VerifyContext) -> list[LoadedCertificate]:
    """Where a timestamp's TSA certificate may be besides the token: the document, the trust store.

    A TSA answers a request without ``certReq`` with a token that holds no certificate
    (RFC 3161 2.4.1); the signer then puts it in the signature's own certificates, or the
    verifier knows it. EU DSS looks for a token's signer in every certificate source it
    has, so does `eid`: the certificate found must still sign the token and match its ESS
    signing-certificate attribute.
    """
    held = context.evidence.certificates if context.evidence is not None else ()
    return [*held, *context.trust.anchors, *context.trust.intermediates]


def _check_tsa(
    scratch: SignatureReport,
    certificate: LoadedCertificate,
    pool: Sequence[LoadedCertificate],
    context: VerifyContext,
    time: dt.datetime | None,
    poe: dt.datetime | None,
) -> None:
    """The TSA certificate now, else (expired, revoked, algorithms retired) at the proof ``poe``."""
    try:
        check_certificate(certificate, pool, context, context.moment, None, time)
    except (CertificateExpired, CertificateRevoked, AlgorithmNotAccepted) as error:
        if poe is None or time is None or poe < time:
            scratch.fail(Indication.INDETERMINATE, None, f"timestamp authority: {error.message}")
            return
        try:
            check_certificate(certificate, pool, context, poe, None, time)
        except (CertificateInvalid, MalformedInput) as late:
            scratch.fail(
                Indication.INDETERMINATE,
                None,
                f"timestamp authority: {late.message} (at {poe.isoformat()}, "
                "the time a later timestamp proves)",
            )
            return
        scratch.warnings.append(
            f"timestamp authority: {error.message} (valid at {poe.isoformat()}, "
            "the time a later timestamp proves)"
        )
        scratch.confirm(Check.SIGNER_CERTIFICATE)
    except (CertificateInvalid, MalformedInput) as error:
        scratch.fail(Indication.INDETERMINATE, None, f"timestamp authority: {error.message}")
    else:
        scratch.confirm(Check.SIGNER_CERTIFICATE)


def level_of_cms(signed_data: cms.SignedData, signer: cms.SignerInfo) -> str:
    """The AdES baseline level found in the structure (B-B .. B-LTA), whatever it proves.

    B-T: a signature timestamp; B-LT: and validation data (CRLs/OCSP in SignedData or
    revocation values); B-LTA: and an archive-time-stamp-v3.
    """
    unsigned = signer["unsigned_attrs"]
    if not _attribute(unsigned, _SIG_TS):
        return "B-B"
    if not (len(signed_data["crls"] or []) or _attribute(unsigned, _REVOCATION_VALUES)):
        return "B-T"
    return "B-LTA" if _attribute(unsigned, _ARCHIVE_TS_V3) else "B-LT"


def proven_level(report: SignatureReport, archived: bool = False) -> str:
    """The level the signature's structure proves (never above ``report.level``).

    B-T needs a valid timestamp over the signature (its proven signing time); B-LT, that
    and the validation data the structure holds; B-LTA, that and a valid archive
    timestamp (``archived``: a PDF document timestamp or a CMS archive-time-stamp-v3).
    """
    found = _LEVELS.index(report.level or "B-B")
    proven = 0 if report.proven_signing_time is None else min(found, 2)
    if proven == 2 and found == 3 and archived:
        proven = 3
    return _LEVELS[proven]


def weigh_timestamps(
    report: SignatureReport, stamps: Sequence[TimestampReport] | None = None
) -> None:
    """What the signature's timestamps (``stamps``, default all of them) mean for it.

    A failed timestamp (unreadable, over other data, a bad value) is a part of the
    signed file that does not hold: the signature is INDETERMINATE. One that could not
    be trusted (unknown TSA) only proves no time: a warning.
    """
    for stamp in report.timestamps if stamps is None else stamps:
        reasons = "; ".join(stamp.reasons)
        if stamp.indication is Indication.TOTAL_FAILED:
            report.fail(
                Indication.INDETERMINATE,
                SubIndication.FORMAT_FAILURE,
                f"the {stamp.kind} timestamp failed: {reasons}",
            )
        elif not stamp.valid:
            report.warnings.append(f"the {stamp.kind} timestamp is not valid: {reasons}")


def check_signed_data(
    report: SignatureReport,
    signed_data: cms.SignedData,
    signer: cms.SignerInfo,
    digest_of: DigestOf,
    context: VerifyContext,
    extra_certificates: Sequence[LoadedCertificate] = (),
    later: dt.datetime | None = None,
    *,
    counter_signature: bool = False,
    cades: bool = False,
) -> None:
    """Check one signer info of ``signed_data`` completely, filling ``report``.

    ``later``: a valid later proof of existence over the signature (a PDF document
    timestamp), for its timestamps' past validation. ``counter_signature``: ``signer`` is
    a counter-signature (RFC 5652 11.4) from the unsigned attributes of another signer
    info, and ``digest_of`` gives the digest of that one's signature value: it has no
    content type, and no archive timestamps of its own (those of the signature it
    counter-signs cover it, and give ``later``). ``cades``: a CAdES signature (a CMS
    file, an ASiC container; not a PDF's, whose claimed signing time is the dictionary's
    /M): its signed attributes must hold a signing-time, its only claimed signing time;
    without one it is INDETERMINATE / SIG_CONSTRAINTS_FAILURE, as the EU DSS default
    policy has it (SignedAttributes/SigningTime at FAIL, in signature acceptance
    validation). Without a signing-time or a signing-certificate(-v2) attribute it is no
    CAdES baseline signature at all (DSS: CAdES-BES or CMS-NOT-ETSI): no level. A
    counter-signature needs a signing-time as well, wherever it is (DSS's
    CounterSignatureConstraints/SigningTime is at FAIL too).
    """
    context = with_evidence(context, cms_evidence(signed_data))
    pool = [*embedded_certificates(signed_data), *extra_certificates]
    content_type = (
        None if counter_signature else signed_data["encap_content_info"]["content_type"].dotted
    )
    certificate = _crypto(
        report, signed_data, signer, digest_of, pool, context.crypto, content_type
    )
    if (
        (cades or counter_signature)
        and signer["signed_attrs"]
        and not _attribute(signer["signed_attrs"], "signing_time")
    ):
        report.fail(
            Indication.INDETERMINATE,
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            "no signing-time attribute: the signature claims no signing time "
            "(EN 319 122-1 B-B requires one)",
        )
    archives: list[TimestampReport] = []
    if not counter_signature:
        archives = check_archive_timestamps(signed_data, signer, digest_of, context, later)
    elif _attribute(signer["unsigned_attrs"], _ARCHIVE_TS_V3):
        report.warnings.append("archive timestamps inside a counter-signature are not checked")
    poe = _earliest_valid(archives) or later
    value = bytes(signer["signature"].native)
    for token in _attribute(signer["unsigned_attrs"], _SIG_TS):
        try:
            stamp = check_timestamp_token(
                token, lambda name: hash_bytes(name, value), context, poe=poe
            )
        except Exception as error:  # an unreadable token: no proof of time, and no pass
            stamp = _unreadable("signature", error)
        report.timestamps.append(stamp)
    report.timestamps.extend(archives)
    weigh_timestamps(report)
    proven = [
        t.time
        for t in report.timestamps
        if t.kind == "signature" and t.valid and t.time is not None
    ]
    if proven:
        report.proven_signing_time = min(proven)
    if certificate is not None:
        # Its algorithms at its earliest proof of existence (a later archive or document
        # timestamp covers it too), as its timestamps' are.
        moment = report.proven_signing_time or poe or context.moment
        judge_algorithms(report, signer, certificate, context.crypto, moment)
        check_signer(report, certificate, pool, context)
    if cades and not _baseline(signer):
        return
    report.level = level_of_cms(signed_data, signer)
    report.proven_level = proven_level(report, archived=_earliest_valid(archives) is not None)


def _baseline(signer: cms.SignerInfo) -> bool:
    """Whether the signed attributes have what EN 319 122-1 B-B needs besides the digest.

    A signing-time and a signing-certificate or signing-certificate-v2 attribute; without
    them EU DSS names the format CAdES-BES or CMS-NOT-ETSI, not a baseline level.
    """
    attrs = signer["signed_attrs"]
    return bool(_attribute(attrs, "signing_time")) and bool(
        _attribute(attrs, "signing_certificate_v2") or _attribute(attrs, "signing_certificate")
    )


def _unreadable(kind: str, error: Exception) -> TimestampReport:
    reason = f"cannot be read ({type(error).__name__}: {brief(error)})"
    return TimestampReport(kind, None, None, Indication.TOTAL_FAILED, (reason,))


def _earliest_valid(stamps: Sequence[TimestampReport]) -> dt.datetime | None:
    times = [t.time for t in stamps if t.valid and t.time is not None]
    return min(times) if times else None


def _gen_time(token: cms.ContentInfo) -> dt.datetime:
    info = tsp.TSTInfo.load(bytes(token["content"]["encap_content_info"]["content"].contents))
    return as_utc(info["gen_time"].native) or dt.datetime.min.replace(tzinfo=dt.UTC)


def check_archive_timestamps(
    signed_data: cms.SignedData,
    signer: cms.SignerInfo,
    digest_of: DigestOf,
    context: VerifyContext,
    later: dt.datetime | None = None,
) -> list[TimestampReport]:
    """The signer info's archive-time-stamp-v3 tokens (EN 319 122-1 5.5.3), latest first.

    Each imprint is recomputed (`eid.sign.archive`) with the index the token carries, and
    everything that index lists must still be in the signature. The latest token is judged
    at the validation time (or at ``later``, a later proof such as a PDF document
    timestamp); each earlier one at the time of the next valid later one.
    """
    tokens = []
    for value in _attribute(signer["unsigned_attrs"], _ARCHIVE_TS_V3):
        try:
            token = cms.ContentInfo.load(value.dump())
            tokens.append((_gen_time(token), token))
        except Exception as error:  # an unreadable token proves nothing, and fails the level
            tokens.append((dt.datetime.min.replace(tzinfo=dt.UTC), error))
    stamps: list[TimestampReport] = []
    poe = later
    for _, token in sorted(tokens, key=lambda pair: pair[0], reverse=True):
        if isinstance(token, Exception):
            stamps.append(_unreadable("archive", token))
            continue
        try:
            stamp = _check_archive(signed_data, signer, token, digest_of, context, poe)
        except Exception as error:
            stamp = _unreadable("archive", error)
        stamps.append(stamp)
        if stamp.valid and stamp.time is not None:
            poe = stamp.time
    return stamps


def _check_archive(
    signed_data: cms.SignedData,
    signer: cms.SignerInfo,
    token: cms.ContentInfo,
    digest_of: DigestOf,
    context: VerifyContext,
    poe: dt.datetime | None,
) -> TimestampReport:
    index = stored_hash_index(token)

    def imprint_of(name: str) -> bytes:
        content = digest_of(name) if digest_of is not None else None
        if content is None:
            raise MalformedInput("the signed content is not available for the archive timestamp")
        return hash_bytes(name, archive_imprint_input(signed_data, signer, content, index))

    stamp = check_timestamp_token(token, imprint_of, context, kind="archive", poe=poe)
    gaps = index_gaps(signed_data, signer, index)
    if not gaps:
        return stamp
    return TimestampReport(
        stamp.kind, stamp.time, stamp.tsa, Indication.TOTAL_FAILED, (*stamp.reasons, *gaps)
    )
