"""What verification found: `ValidationReport` and its JSON form (a stable schema).

Indications and sub-indications are the names of ETSI EN 319 102-1 (clause 5.1.3).
JSON schema ``eid.validation-report/1`` (keys always present; null when unknown)::

    {
      "schema": "eid.validation-report/1",
      "file": "contract.pdf",              # the path given
      "format": "pdf" | "cades" | "asic-e" | "asic-s" | "unknown",
      "validation_time": "2026-11-01T12:00:00+00:00",
      "revocation": "require" | "prefer" | "off",
      "indication": "TOTAL_PASSED" | "TOTAL_FAILED" | "INDETERMINATE" | null,  # the worst, null if none
                                           # (no better than INDETERMINATE when there are problems)
      "passed": bool,                      # signatures, all TOTAL_PASSED, and no problems
      "problems": ["..."],                 # about the file as a whole (not a signed document...);
                                           # a file with problems never passes
      "warnings": ["..."],                 # deviations of the file that changed no verdict
      "extracted": null | {"path": str, "written": bool,   # verify(extract=OUT) / --extract OUT:
                           "trusted": bool,                 # the content of a .p7m or ASiC-S,
                           "reason": str | null},           # trusted only when "passed"
      "signatures": [{
        "id": "Signature1" | "META-INF/signature001.p7s" | "META-INF/signature.p7s signer 2"
              | "signer 1"
              | "signer 1 counter-signature 1" | "signer 1 counter-signature 1.2",
        "counter_signature_of": null | "signer 1" | ...,   # a CAdES counter-signature: the id of
                                           # the signature (or counter-signature) whose value it
                                           # signs; listed after that one and judged as a
                                           # signature of its own: its failure fails itself
                                           # (and so the file), not the one it counter-signs
        "indication": "TOTAL_PASSED" | "TOTAL_FAILED" | "INDETERMINATE",
        "sub_indication": null | "HASH_FAILURE" | "SIG_CRYPTO_FAILURE" | "REVOKED" | ...,
                                           # GENERIC: an error stopped the checks
        "reasons": ["..."],                # why it is not TOTAL_PASSED (empty when it is)
        "warnings": ["..."],               # what did not change the indication
        "checks": {"required": ["content digest", "signature value", "signer certificate",
                                "byte range", "changes after signing", "signed files"],
                   "passed": [...]},       # TOTAL_PASSED needs every required check passed
        "signer": null | {"subject", "issuer", "common_name", "given_names", "surname",
                          "serial_number", "national_number", "country",
                          "certificate_sha256", "certificate"},   # certificate: base64 DER
        "chain": ["subject", ...],         # signer to anchor, when a path was found
        "qualified": {"qc_compliance": bool, "qc_sscd": bool},
        "claimed_signing_time": iso | null,  # signing-time attribute or the PDF's /M
        "proven_signing_time": iso | null,   # the earliest valid signature timestamp
        "timestamps": [{"kind": "signature" | "document", "time": iso | null, "tsa": str | null,
                        "valid": bool, "indication": "TOTAL_PASSED" | ..., "reasons": ["..."]}],
                                           # a TOTAL_FAILED or unreadable timestamp leaves its
                                           # signature INDETERMINATE; an INDETERMINATE one
                                           # (untrusted TSA) only proves no time
        "level": "B-B" | "B-T" | "B-LT" | "B-LTA" | null,   # found in the structure (a timestamp,
                                           # validation data, an archive timestamp: present);
                                           # null for a CMS/ASiC signature without signing-time
                                           # or signing-certificate(-v2): no CAdES baseline
                                           # (EU DSS: CAdES-BES or CMS-NOT-ETSI)
        "proven_level": "B-B" | ... | null,  # what the valid parts prove: B-T a valid timestamp
                                           # over the signature, B-LT and its validation data,
                                           # B-LTA and a valid archive timestamp (PDF only)
        "digest_algorithm": "sha256" | null, "signature_algorithm": "..." | null,
        "algorithm_rules": ["sha256: no end date", ...],  # crypto policy rules applied
        "covers": {"kind": "bytes" | "files" | "content" | "signature",  # signature: the value
                                           # of counter_signature_of
                   "byte_range": [..] | null,
                   "whole_file": bool | null, "files": ["..."], "size": int | null},
        "modifications": null | {"level": "NONE" | "LTA_UPDATES" | "FORM_FILLING" |
                                  "ANNOTATIONS" | "OTHER", "coverage": "ENTIRE_FILE" | ...,
                                  "reason": str | null},    # PDFs: pyHanko's difference analysis
        "revocation": null | {"status": "good" | "not_checked" | "unknown_soft_fail",
                              "source": "ocsp" | "crl" | null}
      }]
    }
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eid.sign.times import iso_utc

__all__ = [
    "BASIC_CHECKS",
    "SCHEMA",
    "Check",
    "Covers",
    "Extraction",
    "Indication",
    "SignatureReport",
    "SignerInfo",
    "SubIndication",
    "TimestampReport",
    "ValidationReport",
    "brief",
]

SCHEMA = "eid.validation-report/1"
"""The name and version of the JSON schema."""


class Indication(StrEnum):
    """ETSI EN 319 102-1 main status indications."""

    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(StrEnum):
    """ETSI EN 319 102-1 sub-indications (those `eid` reports)."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    GENERIC = "GENERIC"


_SEVERITY = {Indication.TOTAL_PASSED: 0, Indication.INDETERMINATE: 1, Indication.TOTAL_FAILED: 2}


@dataclass(frozen=True)
class SignerInfo:
    """Who signed: the certificate's subject and the person it names (eid.pki identity)."""

    subject: str
    issuer: str
    common_name: str | None
    given_names: str | None
    surname: str | None
    serial_number: str | None
    national_number: str | None
    country: str | None
    certificate: bytes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "common_name": self.common_name,
            "given_names": self.given_names,
            "surname": self.surname,
            "serial_number": self.serial_number,
            "national_number": self.national_number,
            "country": self.country,
            "certificate_sha256": hashlib.sha256(self.certificate).hexdigest(),
            "certificate": base64.b64encode(self.certificate).decode("ascii"),
        }


@dataclass(frozen=True)
class TimestampReport:
    """One timestamp: over the signature value ("signature") or over the document ("document")."""

    kind: str
    time: dt.datetime | None
    tsa: str | None
    indication: Indication
    reasons: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """Whether every check of the timestamp passed (it proves its time)."""
        return self.indication is Indication.TOTAL_PASSED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "time": iso_utc(self.time),
            "tsa": self.tsa,
            "valid": self.valid,
            "indication": self.indication.value,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Extraction:
    """The signed content written out (``verify(extract=...)``), and whether it may be trusted."""

    path: str
    written: bool
    trusted: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "path": self.path,
            "written": self.written,
            "trusted": self.trusted,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Covers:
    """What a signature covers: PDF bytes (a /ByteRange), files, content, or a signature value.

    Kind ``signature``: a counter-signature, over the value of the signature it counter-signs.
    """

    kind: str
    files: tuple[str, ...] = ()
    byte_range: tuple[int, ...] | None = None
    whole_file: bool | None = None
    size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "byte_range": list(self.byte_range) if self.byte_range is not None else None,
            "whole_file": self.whole_file,
            "files": list(self.files),
            "size": self.size,
        }


class Check(StrEnum):
    """A check a signature must pass; only the code that made it says it passed (`confirm`)."""

    CONTENT_DIGEST = "content digest"
    """The signed content (or manifest, or PDF byte range) matches the digest that was signed."""
    SIGNATURE_VALUE = "signature value"
    """The signature value verifies with the signer's public key."""
    SIGNER_CERTIFICATE = "signer certificate"
    """The signer's certificate leads to an anchor and is valid, unrevoked, fit for signing."""
    BYTE_RANGE = "byte range"
    """PDF: the /ByteRange covers the whole revision but its /Contents."""
    CHANGES = "changes after signing"
    """PDF: what was added after the signature is allowed."""
    SIGNED_FILES = "signed files"
    """ASiC-E: every file the manifest names is present and unchanged."""
    IMPRINT = "message imprint"
    """Timestamps: the token is over the data it stamps."""
    ALGORITHMS = "algorithms"
    """The digest and key are accepted by the crypto policy when the signature is proven to exist."""


BASIC_CHECKS = frozenset(
    {Check.CONTENT_DIGEST, Check.SIGNATURE_VALUE, Check.SIGNER_CERTIFICATE, Check.ALGORITHMS}
)
"""What every signature needs: its content, its value and its signer."""

_QUOTE_LIMIT = 160


def brief(value: object, limit: int = _QUOTE_LIMIT) -> str:
    """``value`` as text of at most ``limit`` characters, for a message that quotes input."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass
class SignatureReport:
    """The verdict on one signature, and everything learnt on the way (see the module schema).

    The verdict is built up: TOTAL_PASSED only when every check in ``required`` was
    confirmed by the code that made it and nothing failed. A check that did not run
    (an exception, a step skipped) leaves the signature INDETERMINATE.
    """

    id: str
    required: frozenset[Check] = BASIC_CHECKS
    confirmed: set[Check] = field(default_factory=set)
    findings: list[tuple[Indication, SubIndication | None]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    signer: SignerInfo | None = None
    chain: list[str] = field(default_factory=list)
    qc_compliance: bool = False
    qc_sscd: bool = False
    claimed_signing_time: dt.datetime | None = None
    proven_signing_time: dt.datetime | None = None
    timestamps: list[TimestampReport] = field(default_factory=list)
    level: str | None = None
    proven_level: str | None = None
    digest_algorithm: str | None = None
    signature_algorithm: str | None = None
    algorithm_rules: list[str] = field(default_factory=list)
    covers: Covers | None = None
    modifications: dict[str, Any] | None = None
    revocation: dict[str, Any] | None = None
    counter_signature_of: str | None = None

    def fail(self, indication: Indication, sub: SubIndication | None, reason: str) -> None:
        """Record a finding; the indication only ever gets worse (TOTAL_FAILED wins)."""
        if indication is Indication.TOTAL_PASSED:
            raise ValueError("a finding cannot be TOTAL_PASSED")
        self.reasons.append(reason)
        self.findings.append((indication, sub))

    def confirm(self, check: Check) -> None:
        """Record that ``check`` ran and said yes."""
        self.confirmed.add(check)

    def could_not_judge(self, error: BaseException) -> None:
        """Record an exception raised while judging: INDETERMINATE, with its reason."""
        self.fail(
            Indication.INDETERMINATE,
            SubIndication.GENERIC,
            f"the signature could not be judged ({type(error).__name__}: {brief(error)})",
        )

    @property
    def missing(self) -> list[Check]:
        """The required checks that did not confirm (in a stable order)."""
        return [check for check in Check if check in self.required - self.confirmed]

    @property
    def _verdict(self) -> tuple[Indication, SubIndication | None]:
        worst: tuple[Indication, SubIndication | None] | None = None
        for indication, sub in self.findings:
            worse = worst is None or _SEVERITY[indication] > _SEVERITY[worst[0]]
            if worse or (worst is not None and indication is worst[0] and worst[1] is None):
                worst = (indication, sub)
        if worst is not None:
            return worst
        if self.missing:
            return Indication.INDETERMINATE, SubIndication.GENERIC
        return Indication.TOTAL_PASSED, None

    @property
    def indication(self) -> Indication:
        """The ETSI indication: the worst finding, else TOTAL_PASSED when every check confirmed."""
        return self._verdict[0]

    @property
    def sub_indication(self) -> SubIndication | None:
        """The sub-indication of the worst finding (GENERIC when checks did not run)."""
        return self._verdict[1]

    @property
    def passed(self) -> bool:
        """Whether the indication is TOTAL_PASSED."""
        return self.indication is Indication.TOTAL_PASSED

    def explained(self) -> list[str]:
        """The reasons, with the checks that did not run when nothing else explains them."""
        if self.findings or not self.missing:
            return list(self.reasons)
        return [*self.reasons, "not every check ran: " + ", ".join(c.value for c in self.missing)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (schema in the module docstring)."""
        return {
            "id": self.id,
            "counter_signature_of": self.counter_signature_of,
            "indication": self.indication.value,
            "sub_indication": self.sub_indication.value if self.sub_indication else None,
            "reasons": self.explained(),
            "warnings": list(self.warnings),
            "checks": {
                "required": [c.value for c in Check if c in self.required],
                "passed": [c.value for c in Check if c in self.confirmed & self.required],
            },
            "signer": self.signer.to_dict() if self.signer else None,
            "chain": list(self.chain),
            "qualified": {"qc_compliance": self.qc_compliance, "qc_sscd": self.qc_sscd},
            "claimed_signing_time": iso_utc(self.claimed_signing_time),
            "proven_signing_time": iso_utc(self.proven_signing_time),
            "timestamps": [t.to_dict() for t in self.timestamps],
            "level": self.level,
            "proven_level": self.proven_level,
            "digest_algorithm": self.digest_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "algorithm_rules": list(self.algorithm_rules),
            "covers": self.covers.to_dict() if self.covers else None,
            "modifications": self.modifications,
            "revocation": self.revocation,
        }


@dataclass
class ValidationReport:
    """The verdict on a file: its format, its signatures, and problems with the file itself.

    ``problems`` are what makes the file as a whole untrustworthy (it never passes with
    one); ``warnings`` are deviations that did not change any verdict.
    """

    file: str
    format: str
    validation_time: dt.datetime
    revocation: str
    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extracted: Extraction | None = None

    @property
    def indication(self) -> Indication | None:
        """The worst indication of all signatures, no better than INDETERMINATE with problems.

        None when there are no signatures.
        """
        if not self.signatures:
            return None
        found = [s.indication for s in self.signatures]
        if self.problems:
            found.append(Indication.INDETERMINATE)
        return max(found, key=_SEVERITY.__getitem__)

    @property
    def signed(self) -> bool:
        """Whether the file holds at least one signature (readable or not)."""
        return bool(self.signatures)

    @property
    def passed(self) -> bool:
        """Whether there are signatures, every one TOTAL_PASSED, and no problem with the file."""
        return self.signed and not self.problems and all(s.passed for s in self.signatures)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (schema in the module docstring)."""
        indication = self.indication
        return {
            "schema": SCHEMA,
            "file": self.file,
            "format": self.format,
            "validation_time": iso_utc(self.validation_time),
            "revocation": self.revocation,
            "indication": indication.value if indication else None,
            "passed": self.passed,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
            "signatures": [s.to_dict() for s in self.signatures],
            "extracted": self.extracted.to_dict() if self.extracted else None,
        }
