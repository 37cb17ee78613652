"""`validate_certificate`: path validation (pyhanko-certvalidator), purpose, policy, revocation.

pyhanko-certvalidator builds and validates the path (signatures, validity at the given time,
basic constraints, path length, name constraints, policy tree, key usage of CAs) with its own
revocation checking switched off; revocation is checked here (`eid.pki.ocsp`, `eid.pki.crl`)
because the requirements (nonce, exactly one SingleResponse, pinned responder, maximum age,
skew) go beyond what certvalidator can be told. A validated path is cached with its
classification and reused while the validation time lies inside every certificate's validity.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar

from cryptography.x509 import ObjectIdentifier
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    DisallowedAlgorithmError,
    ExpiredError,
    InvalidCertificateError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    ValidationError,
)
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from eid.errors import (
    CertificateExpired,
    CertificateInvalid,
    CertificateNotYetValid,
    CertificateUntrusted,
    DisallowedPolicy,
    MalformedInput,
    UsageError,
    WrongPurpose,
)
from eid.identity import NationalNumber
from eid.pki._revcheck import CertIdKey, check_path
from eid.pki.cache import ValidationCache, default_cache
from eid.pki.certificates import (
    CertificateInput,
    LoadedCertificate,
    check_public_key,
    describe,
    load_certificate,
)
from eid.pki.classify import CertificateKind, SubjectIdentity, classify, subject_identity
from eid.pki.ocsp import cert_id_key
from eid.pki.revocation import RevocationResult, RevocationSettings
from eid.pki.trust import TrustStore
from eid.times import to_utc

__all__ = ["Purpose", "ValidatedCertificate", "validate_certificate"]

Purpose: TypeAlias = Literal["authentication", "signature"]
"""What the certificate's key is to be used for."""

T = TypeVar("T")
_NO_REVOCATION = CertRevTrustPolicy(
    RevocationCheckingPolicy(RevocationCheckingRule.NO_CHECK, RevocationCheckingRule.NO_CHECK)
)
_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
_ANY_EKU = "2.5.29.37.0"


_DEFAULT_REVOCATION = RevocationSettings()
_NONE_REFUSED: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ValidatedCertificate:
    """A certificate that passed validation, with what was learnt about it.

    ``chain`` runs from the certificate to the trust anchor. ``problems`` are defects that did
    not stop validation (a non-DER encoding, a subject serialNumber that is no valid national
    number); ``warnings`` come from revocation checking (soft failures, fallbacks).
    """

    certificate: LoadedCertificate
    chain: tuple[LoadedCertificate, ...]
    kind: CertificateKind
    identity: SubjectIdentity
    revocation: RevocationResult
    problems: tuple[str, ...]
    validated_at: dt.datetime

    @property
    def warnings(self) -> tuple[str, ...]:
        """The revocation warnings."""
        return self.revocation.warnings

    @property
    def national_number(self) -> NationalNumber | None:
        """The holder's national number from the subject, if it is a valid one."""
        return self.identity.national_number

    @property
    def anchor(self) -> LoadedCertificate:
        """The trust anchor the path ends at."""
        return self.chain[-1]


@dataclass(frozen=True)
class _PathEntry:
    chain: tuple[LoadedCertificate, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    kind: CertificateKind
    identity: SubjectIdentity
    problems: tuple[str, ...]
    links: tuple[tuple[LoadedCertificate, LoadedCertificate, CertIdKey], ...]


def validate_certificate(
    cert: CertificateInput,
    *,
    trust: TrustStore,
    at: dt.datetime | None = None,
    purpose: Purpose | None = None,
    revocation: RevocationSettings | None = None,
    extra_certificates: Iterable[CertificateInput] = (),
    disallowed_policies: Iterable[str | ObjectIdentifier] = (),
    cache: ValidationCache | None = None,
    allow_sha1: bool = False,
) -> ValidatedCertificate:
    """Validate ``cert`` against ``trust`` at ``at`` (default now) for ``purpose``.

    ``revocation`` defaults to `RevocationSettings()` (OCSP then CRL, required).
    ``extra_certificates`` help build the path (the card's CA certificate). ``allow_sha1``
    accepts SHA-1 certificate signatures (Root CA2 signed its CAs with SHA-1). Raises
    `MalformedInput`, `CertificateExpired`, `CertificateNotYetValid`, `CertificateUntrusted`,
    `CertificateInvalid`, `WrongPurpose`, `DisallowedPolicy`, `CertificateRevoked` or
    `RevocationUnknown`, each naming the certificate.
    """
    if not isinstance(trust, TrustStore):
        raise UsageError(f"trust must be a TrustStore, got {type(trust).__name__}")
    if purpose not in (None, "authentication", "signature"):
        raise UsageError(f"purpose must be 'authentication', 'signature' or None, got {purpose!r}")
    settings = revocation if revocation is not None else _DEFAULT_REVOCATION
    if at is not None and (not isinstance(at, dt.datetime) or at.utcoffset() is None):
        raise UsageError("at must be a timezone-aware datetime")
    moment = to_utc(at if at is not None else settings.now(), what="the validation time")
    store = cache if cache is not None else default_cache()

    leaf = load_certificate(cert, source="certificate")
    extras = tuple(load_certificate(c, source="extra certificate") for c in extra_certificates)
    key = (leaf.fingerprint, trust.token, tuple(sorted(c.fingerprint for c in extras)), allow_sha1)
    refused = (
        frozenset(
            p.dotted_string if isinstance(p, ObjectIdentifier) else str(p)
            for p in disallowed_policies
        )
        if disallowed_policies
        else _NONE_REFUSED
    )
    result_key = (key, purpose, refused, settings)
    remembered: tuple[_PathEntry, RevocationResult] | None = store.results.get(result_key)
    if remembered is not None:
        path, revocation_result = remembered
        if path.not_before <= moment <= path.not_after and (
            revocation_result.fresh_until is None or settings.now() <= revocation_result.fresh_until
        ):
            return _validated(leaf, path, revocation_result, moment)
    entry: _PathEntry | None = store.paths.get(key)
    fresh = entry is not None and entry.not_before <= moment <= entry.not_after
    # Purpose and policies first, then the path (the order Web eID prescribes): a
    # certificate for the wrong use is refused for that, whatever its chain.
    kind = entry.kind if entry is not None and fresh else classify(leaf)
    _check_purpose(leaf, kind, purpose)
    _check_policies(leaf, kind, refused)
    if entry is None or not fresh:
        entry = _build(leaf, trust, extras, moment, allow_sha1, kind)
        store.paths.put(key, entry)

    result = check_path(entry.links, settings, moment, store)
    if not result.warnings and result.status in ("good", "not_checked"):
        # A clean outcome holds as long as its path and answers do; anything with a
        # warning (soft failure, later revocation) is worked out again every time.
        store.results.put(result_key, (entry, result))
    return _validated(leaf, entry, result, moment)


def _validated(
    leaf: LoadedCertificate, entry: _PathEntry, result: RevocationResult, moment: dt.datetime
) -> ValidatedCertificate:
    return ValidatedCertificate(
        certificate=leaf,
        chain=entry.chain,
        kind=entry.kind,
        identity=entry.identity,
        revocation=result,
        problems=entry.problems,
        validated_at=moment,
    )


def _build(
    leaf: LoadedCertificate,
    trust: TrustStore,
    extras: tuple[LoadedCertificate, ...],
    moment: dt.datetime,
    allow_sha1: bool,
    kind: CertificateKind,
) -> _PathEntry:
    if not len(trust):
        raise CertificateUntrusted(f"{describe(leaf)}: the trust store has no anchors")
    if leaf.asn1.self_issued and not trust.is_anchor(leaf):
        raise CertificateUntrusted(f"{describe(leaf)} is self-issued and not a trust anchor")
    helpers, skipped = _usable(extras)
    context = ValidationContext(
        trust_roots=[c.asn1 for c in trust.anchors],
        other_certs=[c.asn1 for c in (*trust.intermediates, *helpers)],
        moment=moment,
        revinfo_policy=_NO_REVOCATION,
        time_tolerance=dt.timedelta(0),
        weak_hash_algos={"md2", "md5"} if allow_sha1 else {"md2", "md5", "sha1"},
    )
    validator = CertificateValidator(leaf.asn1, validation_context=context)
    try:
        path = _run(validator.async_validate_path())
    except PathBuildingError as error:
        raise CertificateUntrusted(
            f"{describe(leaf)}: no path to a trust anchor ({error})"
        ) from error
    except ExpiredError as error:
        raise CertificateExpired(f"{describe(leaf)}: {error}") from error
    except NotYetValidError as error:
        raise CertificateNotYetValid(f"{describe(leaf)}: {error}") from error
    except DisallowedAlgorithmError as error:
        raise CertificateInvalid(f"{describe(leaf)}: {error}") from error
    except PathValidationError as error:
        raise CertificateUntrusted(f"{describe(leaf)}: {error}") from error
    except (InvalidCertificateError, ValidationError) as error:
        raise CertificateInvalid(f"{describe(leaf)}: {error}") from error
    except (ValueError, TypeError, KeyError) as error:  # asn1crypto parses fields lazily
        raise MalformedInput(f"{describe(leaf)}: {error}", source="certificate") from error
    except Exception as error:
        # Hostile certificates reach code paths of certvalidator and asn1crypto that were
        # never meant for them: whatever they raise, the path is not valid.
        raise CertificateInvalid(
            f"{describe(leaf)}: path validation failed ({type(error).__name__}: {error})"
        ) from error

    by_der = {c.der: c for c in (*trust.anchors, *trust.intermediates, *extras, leaf)}
    chain_asn1 = list(path.iter_certs(include_root=True))
    chain = tuple(by_der.get(c.dump()) or load_certificate(c.dump()) for c in reversed(chain_asn1))
    # The anchor's own validity is not enforced by certvalidator (RFC 5280: an anchor is
    # trusted as configured), so the cached window covers the rest of the path only.
    validated = chain[:-1] if len(chain) > 1 else chain
    windows = [c.asn1["tbs_certificate"]["validity"] for c in validated]
    identity, identity_problems = subject_identity(leaf)
    problems = [f"{describe(c)}: {p}" for c in chain for p in c.problems]
    links = tuple(
        (cert, issuer, cert_id_key(cert, issuer)) for cert, issuer in itertools.pairwise(chain)
    )
    return _PathEntry(
        chain=chain,
        not_before=max(w["not_before"].native for w in windows),
        not_after=min(w["not_after"].native for w in windows),
        kind=kind,
        identity=identity,
        problems=(*problems, *identity_problems, *skipped),
        links=links,
    )


def _usable(
    extras: tuple[LoadedCertificate, ...],
) -> tuple[list[LoadedCertificate], list[str]]:
    """The extra certificates whose keys can verify, and a problem for each one left out."""
    usable: list[LoadedCertificate] = []
    skipped: list[str] = []
    for cert in extras:
        try:
            check_public_key(cert)
        except MalformedInput as error:
            skipped.append(f"extra certificate ignored: {error.message}")
        else:
            usable.append(cert)
    return usable, skipped


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _check_purpose(leaf: LoadedCertificate, kind: CertificateKind, purpose: Purpose | None) -> None:
    if purpose is None:
        return
    if kind.usage == "ca":
        raise WrongPurpose(f"{describe(leaf)} is a CA certificate, not for {purpose}")
    if kind.belgian_policy and kind.usage != purpose:
        raise WrongPurpose(f"{describe(leaf)} is a {kind.usage} certificate, not for {purpose}")
    usages = kind.key_usages
    ekus = kind.extended_key_usages
    if purpose == "authentication":
        if usages is not None and "digital_signature" not in usages:
            raise WrongPurpose(f"{describe(leaf)}: key usage lacks digitalSignature")
        if ekus is not None and not ekus & {_CLIENT_AUTH, _ANY_EKU}:
            raise WrongPurpose(f"{describe(leaf)}: extended key usage lacks clientAuth")
    elif usages is not None and not usages & {"non_repudiation", "digital_signature"}:
        raise WrongPurpose(
            f"{describe(leaf)}: key usage has neither nonRepudiation nor digitalSignature"
        )


def _check_policies(
    leaf: LoadedCertificate, kind: CertificateKind, refused: frozenset[str]
) -> None:
    hit = sorted(refused.intersection(kind.policies))
    if hit:
        raise DisallowedPolicy(f"{describe(leaf)} carries disallowed policy {', '.join(hit)}")
