"""A Belgian-shaped test PKI: root, Citizen and Foreigner CAs, RRN signer, card certificates.

Built with `cryptography` only, in memory; nothing is written anywhere. The shapes follow the
real Belgian eID certificates (see ``/work/shared/data/belgium``):

* the CA certificates copy Belgium Root CA6 and its Citizen/Foreigner CAs: root with
  basicConstraints CA pathlen 1 and keyCertSign + cRLSign; issuing CAs with pathlen 0, AIA,
  CRL distribution point, anyPolicy with a CPS and EKU clientAuth + emailProtection;
* the RRN certificate copies the one under Root CA2: ``C=BE, O=RRN, CN=RRN``, digitalSignature
  + nonRepudiation, policy ``<arc>.4``, basicConstraints CA:FALSE;
* card certificates have the subject ``C=BE, CN=<first given name> <surname> (Authentication|
  Signature), SN=<surname>, GN=<given names>, serialNumber=<national number>``; authentication
  has keyUsage digitalSignature and no extended key usage (real Belgian authentication
  certificates have none), signature has nonRepudiation and QCStatements QcCompliance + QcSSCD;
  policies ``<arc>.2.2``/``.2.1`` (citizen) or ``.7.2``/``.7.1`` (foreigner) under
  `TEST_POLICY_ARC`.

CRL distribution points and AIA point at ``base_url`` (default ``http://127.0.0.1:8080``):
``/crl/<ca>.crl``, ``/ca/<ca>.crt`` and ``/ocsp``, with ``<ca>`` one of ``root``, ``citizen``,
``foreigner``, so a loopback service can serve them.

Given a ``seed``, everything (keys, serial numbers, signatures) is a function of the seed,
``now`` and the sequence of calls: the same calls give byte-identical keys and certificates.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Literal, TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    CertificatePoliciesOID,
    ExtendedKeyUsageOID,
    NameOID,
    ObjectIdentifier,
)

from eid.errors import UsageError
from eid.pki._keys import Drbg, deterministic_ec_key, deterministic_rsa_key
from eid.pki.policy_arcs import TEST_POLICY_ARC, TEST_ROOT_NAME, PolicyRole, policy_oid

__all__ = [
    "DEFAULT_BASE_URL",
    "OCSP_NOCHECK",
    "OCSP_PATH",
    "QC_COMPLIANCE",
    "QC_SSCD",
    "QC_STATEMENTS",
    "REPOSITORY_PATH",
    "TEST_POLICY_ARC",
    "AuthorityName",
    "CardCredentials",
    "Holder",
    "Issued",
    "KeyKind",
    "PrivateKey",
    "Purpose",
    "TestPKI",
    "ca_cert_path",
    "crl_path",
    "encode_qc_statements",
]

KeyKind: TypeAlias = Literal["rsa", "ec"]
"""``"rsa"``: RSA-2048 like applet 1.7 cards; ``"ec"``: EC P-384 like applet 1.8 cards."""

Purpose: TypeAlias = Literal["authentication", "signature"]
"""Which of the two card certificates."""

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""The private key types of the test PKI."""

AuthorityName: TypeAlias = Literal["root", "citizen", "foreigner"]
"""The CAs of the test PKI as their CRL and certificate URLs name them."""

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
"""Where the CRLs, CA certificates and OCSP responder are said to live unless told otherwise."""

OCSP_PATH = "/ocsp"
"""Path of the OCSP responder under the base URL (one responder for every CA)."""

REPOSITORY_PATH = "/repository"
"""Path of the CPS named in the certificate policies."""

QC_STATEMENTS = ObjectIdentifier("1.3.6.1.5.5.7.1.3")
"""id-pe-qcStatements (RFC 3739)."""

QC_COMPLIANCE = ObjectIdentifier("0.4.0.1862.1.1")
"""id-etsi-qcs-QcCompliance (ETSI EN 319 412-5): an EU qualified certificate."""

QC_SSCD = ObjectIdentifier("0.4.0.1862.1.4")
"""id-etsi-qcs-QcSSCD: the private key lives in a qualified signature creation device."""

OCSP_NOCHECK = ObjectIdentifier("1.3.6.1.5.5.7.48.1.5")
"""id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1): do not check this responder's own status."""

_KEY_KINDS: tuple[KeyKind, ...] = ("rsa", "ec")
_PURPOSES: tuple[Purpose, ...] = ("authentication", "signature")
_RSA_BITS = 2048
_ORGANIZATION = "eid Test PKI"
_ONE_DAY = dt.timedelta(days=1)


def crl_path(authority: str) -> str:
    """Return the path of ``authority``'s CRL (``root``, ``citizen``, ``foreigner``)."""
    return f"/crl/{authority}.crl"


def ca_cert_path(authority: str) -> str:
    """Return the path of ``authority``'s certificate (the AIA caIssuers)."""
    return f"/ca/{authority}.crt"


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _der_oid(oid: ObjectIdentifier) -> bytes:
    arcs = [int(part) for part in oid.dotted_string.split(".")]
    body = bytearray()
    for value in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body.extend(reversed(chunk))
    return _der(0x06, bytes(body))


def encode_qc_statements(statements: Sequence[ObjectIdentifier]) -> bytes:
    """DER of a QCStatements value holding statements without info (RFC 3739 3.2.6).

    ``QCStatements ::= SEQUENCE OF SEQUENCE { statementId OID, statementInfo ANY OPTIONAL }``;
    `cryptography` has no class for it, so it goes in as an `x509.UnrecognizedExtension`.
    """
    return _der(0x30, b"".join(_der(0x30, _der_oid(oid)) for oid in statements))


@dataclass(frozen=True)
class Holder:
    """The card holder as the certificates name them.

    ``given_names`` are all given names separated by spaces (the first goes into the CN);
    ``national_number`` is the 11-digit Belgian national register number (only its form is
    checked); ``foreigner`` selects the Foreigner CA and the foreigner policies.
    """

    given_names: str
    surname: str
    national_number: str
    foreigner: bool = False

    def __post_init__(self) -> None:
        """Check the fields lightly: names not blank, the national number 11 digits."""
        if not self.given_names.strip():
            raise UsageError("Holder.given_names must not be empty")
        if not self.surname.strip():
            raise UsageError("Holder.surname must not be empty")
        if not re.fullmatch(r"[0-9]{11}", self.national_number):
            raise UsageError(
                f"Holder.national_number must be 11 digits, got {self.national_number!r}"
            )

    @property
    def first_given_name(self) -> str:
        """The first of the given names, as the certificate CN uses it."""
        return self.given_names.split()[0]


@dataclass(frozen=True)
class Issued:
    """A private key and the certificate issued for it."""

    key: PrivateKey
    certificate: x509.Certificate

    def cert_der(self) -> bytes:
        """Return the certificate, DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    def cert_pem(self) -> bytes:
        """Return the certificate, PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        """Return the private key, unencrypted PKCS#8 PEM."""
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def key_id(self) -> bytes:
        """Return SHA-1 of the public key bit string (RFC 5280 4.2.1.2 method 1), i.e. the SKI.

        Handy as a PKCS#11 CKA_ID for the imported key and certificate.
        """
        return _key_id(self.key)


@dataclass(frozen=True)
class CardCredentials:
    """The two keys and certificates of a card: authentication and (qualified) signature."""

    authentication: Issued
    signature: Issued


def _key_id(key: PrivateKey) -> bytes:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest


def _check_aware(name: str, value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise UsageError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise UsageError(f"{name} must be timezone-aware (for example datetime.UTC)")
    return value.astimezone(dt.UTC).replace(microsecond=0)


def _add_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a year that has none
        return moment.replace(year=moment.year + years, day=28)


def _check_key_kind(key_kind: object) -> KeyKind:
    for kind in _KEY_KINDS:
        if key_kind == kind:
            return kind
    raise UsageError(f"key_kind must be one of {', '.join(_KEY_KINDS)}, got {key_kind!r}")


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


@lru_cache(maxsize=128)
def _seeded_rsa_key(seed: bytes, label: str) -> rsa.RSAPrivateKey:
    # The prime search is the slow part of a seeded PKI; the same (seed, label) always gives
    # the same key, so a process that builds the same PKI again (a test suite) reuses it.
    return deterministic_rsa_key(Drbg(seed, label), _RSA_BITS)


class TestPKI:
    """A Belgian-shaped test PKI. Build one with `TestPKI.create`.

    ``root`` signs ``citizen_ca``, ``foreigner_ca`` and ``rrn``; the CAs sign card
    certificates (`issue_card`, `issue`).
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        *,
        key_kind: KeyKind,
        seed: bytes | None,
        now: dt.datetime,
        base_url: str,
    ) -> None:
        """Build the root, the CAs and the RRN certificate (prefer `TestPKI.create`)."""
        self._key_kind = key_kind
        self._seed = seed
        self._now = now
        self._base_url = base_url
        self._lock = threading.Lock()
        self._issued_count = 0
        self._authority_names: dict[bytes, AuthorityName] = {}
        self._services: dict[str, Issued] = {}

        start = now - _ONE_DAY
        ca_end = _add_years(start, 12)
        root_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
                x509.NameAttribute(NameOID.COMMON_NAME, TEST_ROOT_NAME),
            ]
        )
        root_key = self._new_key(key_kind, "root/key")
        root_builder = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(self._serial("root/serial"))
            .not_valid_before(start)
            .not_valid_after(_add_years(start, 20))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier(_key_id(root_key), None, None), critical=False
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
            )
            .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        )
        self._root = Issued(root_key, _sign(root_builder, root_key))
        self._authority_names[self._root.key_id()] = "root"

        self._citizen_ca = self._issue_ca("citizen", "Citizen Test CA", f"{now:%Y}01", ca_end)
        self._foreigner_ca = self._issue_ca("foreigner", "Foreigner Test CA", f"{now:%Y}02", ca_end)
        self._rrn = self._issue_rrn(ca_end)

    @classmethod
    def create(
        cls,
        *,
        key_kind: KeyKind = "rsa",
        seed: bytes | None = None,
        now: dt.datetime | None = None,
        base_url: str | None = None,
    ) -> TestPKI:
        """Build a new test PKI.

        ``key_kind`` picks RSA-2048 + sha256WithRSAEncryption (applet 1.7) or EC P-384 +
        ecdsa-with-SHA384 (applet 1.8, like Root CA6) for every key of the PKI. With a
        ``seed`` the PKI is reproducible; without one keys come from the operating system.
        ``now`` (timezone-aware; default the current UTC time) is truncated to the second;
        validity starts a day before it: root 20 years, CAs and RRN 12, card certificates 10.
        ``base_url`` (default `DEFAULT_BASE_URL`) prefixes the CRL, AIA and CPS addresses.
        """
        kind = _check_key_kind(key_kind)
        if seed is not None and (not isinstance(seed, bytes) or not seed):
            raise UsageError("seed must be non-empty bytes (or None for a random PKI)")
        moment = _check_aware("now", now)
        if moment is None:
            moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
        url = DEFAULT_BASE_URL if base_url is None else base_url
        if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            raise UsageError(f"base_url must be an http(s) URL without query, got {base_url!r}")
        return cls(key_kind=kind, seed=seed, now=moment, base_url=url.rstrip("/"))

    @property
    def key_kind(self) -> KeyKind:
        """The key kind of the PKI's own keys and, by default, of card keys."""
        return self._key_kind

    @property
    def now(self) -> dt.datetime:
        """The moment the PKI was built for (UTC, whole seconds)."""
        return self._now

    @property
    def base_url(self) -> str:
        """The base URL of the CRLs, CA certificates, OCSP and CPS (no trailing slash)."""
        return self._base_url

    @property
    def ocsp_url(self) -> str:
        """The OCSP responder URL in every AIA."""
        return self._base_url + OCSP_PATH

    @property
    def root(self) -> Issued:
        """The self-signed ``Belgium Test Root CA``."""
        return self._root

    @property
    def citizen_ca(self) -> Issued:
        """``Citizen Test CA``, issued by the root; issues citizens' card certificates."""
        return self._citizen_ca

    @property
    def foreigner_ca(self) -> Issued:
        """``Foreigner Test CA``, issued by the root; issues foreigners' card certificates."""
        return self._foreigner_ca

    @property
    def rrn(self) -> Issued:
        """``C=BE, O=RRN, CN=RRN``, issued by the root; signs identity and address files."""
        return self._rrn

    @property
    def authorities(self) -> Mapping[AuthorityName, Issued]:
        """The CAs by the name their URLs use: ``root``, ``citizen``, ``foreigner``."""
        return MappingProxyType(
            {"root": self._root, "citizen": self._citizen_ca, "foreigner": self._foreigner_ca}
        )

    def crl_url(self, authority: str) -> str:
        """Return the CRL distribution point of certificates issued by ``authority``."""
        return self._base_url + crl_path(authority)

    def ca_cert_url(self, authority: str) -> str:
        """Return the AIA caIssuers URL of certificates issued by ``authority``."""
        return self._base_url + ca_cert_path(authority)

    def ca_for(self, holder: Holder) -> Issued:
        """Return the CA that issues ``holder``'s card certificates (Citizen or Foreigner)."""
        return self._foreigner_ca if holder.foreigner else self._citizen_ca

    def issue_card(
        self,
        holder: Holder,
        *,
        key_kind: KeyKind | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> CardCredentials:
        """Issue new authentication and signature keys and certificates for ``holder``'s card.

        ``key_kind`` defaults to the PKI's. Validity as in `issue`.
        """
        kind = self._key_kind if key_kind is None else _check_key_kind(key_kind)
        return CardCredentials(
            authentication=self.issue(
                holder, "authentication", key_kind=kind, not_before=not_before, not_after=not_after
            ),
            signature=self.issue(
                holder, "signature", key_kind=kind, not_before=not_before, not_after=not_after
            ),
        )

    def issue(
        self,
        holder: Holder,
        purpose: Purpose,
        *,
        issuer: Issued | None = None,
        key: PrivateKey | None = None,
        key_kind: KeyKind | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key_usage: x509.KeyUsage | None = None,
        extended_key_usage: Sequence[ObjectIdentifier] | None = None,
        policies: Sequence[ObjectIdentifier] | None = None,
        qualified: bool | None = None,
    ) -> Issued:
        """Issue one card certificate, with every part overridable for negative tests.

        Defaults give the real shape: issuer the holder's CA (`ca_for`); a new key of
        ``key_kind`` (default the PKI's) unless ``key`` is given; validity from ``now`` minus
        one day for 10 years (if only ``not_after`` is given and it is before that start, the
        certificate starts 10 years before it, so an expired certificate needs only
        ``not_after``); keyUsage digitalSignature (authentication) or nonRepudiation
        (signature), critical; no extended key usage; the holder's policy under
        `TEST_POLICY_ARC` (an empty list leaves the extension out); QCStatements QcCompliance +
        QcSSCD when ``qualified`` (default: for the signature certificate only).
        """
        if not isinstance(holder, Holder):
            raise UsageError(f"holder must be a Holder, got {type(holder).__name__}")
        if purpose not in _PURPOSES:
            raise UsageError(f"purpose must be one of {', '.join(_PURPOSES)}, got {purpose!r}")
        kind = self._key_kind if key_kind is None else _check_key_kind(key_kind)
        if key is not None and not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise UsageError(f"key must be an RSA or EC private key, got {type(key).__name__}")
        start, end = self._validity(
            _check_aware("not_before", not_before), _check_aware("not_after", not_after)
        )
        ca = self.ca_for(holder) if issuer is None else issuer

        with self._lock:
            index = self._issued_count
            self._issued_count += 1
        label = f"issue/{index}/{purpose}"
        if key is None:
            key = self._new_key(kind, f"{label}/key")

        suffix = "Authentication" if purpose == "authentication" else "Signature"
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
                x509.NameAttribute(
                    NameOID.COMMON_NAME, f"{holder.first_given_name} {holder.surname} ({suffix})"
                ),
                x509.NameAttribute(NameOID.SURNAME, holder.surname),
                x509.NameAttribute(NameOID.GIVEN_NAME, holder.given_names),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, holder.national_number),
            ]
        )
        if key_usage is None:
            if purpose == "authentication":
                key_usage = _key_usage(digital_signature=True)
            else:
                key_usage = _key_usage(content_commitment=True)
        if policies is None:
            role: PolicyRole
            if holder.foreigner:
                role = (
                    "foreigner_authentication"
                    if purpose == "authentication"
                    else "foreigner_signature"
                )
            else:
                role = (
                    "citizen_authentication" if purpose == "authentication" else "citizen_signature"
                )
            policies = [policy_oid(TEST_POLICY_ARC, role)]
        if qualified is None:
            qualified = purpose == "signature"

        authority = self._authority_name(ca)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca.certificate.subject)
            .public_key(key.public_key())
            .serial_number(self._serial(f"{label}/serial"))
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(key_usage, critical=True)
        )
        if policies:
            builder = builder.add_extension(self._policies(policies), critical=False)
        builder = (
            builder.add_extension(
                x509.AuthorityKeyIdentifier(ca.key_id(), None, None), critical=False
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(self._crl_distribution_points(authority), critical=False)
            .add_extension(self._authority_information_access(authority), critical=False)
        )
        if extended_key_usage:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage(list(extended_key_usage)), critical=False
            )
        if qualified:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(
                    QC_STATEMENTS, encode_qc_statements([QC_COMPLIANCE, QC_SSCD])
                ),
                critical=False,
            )
        return Issued(key, _sign(builder, ca.key))

    def ocsp_responder(self, authority: AuthorityName) -> Issued:
        """Return the delegated OCSP responder of ``authority`` (made on first use).

        ``CN=<CA name> OCSP Responder``, issued by the CA, EC P-384 (fast to make), EKU
        id-kp-OCSPSigning (critical), ocsp-nocheck, keyUsage digitalSignature, valid like a
        card certificate.
        """
        if authority not in ("root", "citizen", "foreigner"):
            raise UsageError(f"unknown authority {authority!r}")
        ca = self.authorities[authority]
        return self._service_certificate(
            f"ocsp/{authority}",
            ca,
            f"{_common_name(ca)} OCSP Responder",
            ExtendedKeyUsageOID.OCSP_SIGNING,
            nocheck=True,
        )

    def tsa(self) -> Issued:
        """Return the time-stamping authority certificate (made on first use).

        ``CN=Belgium Test TSA``, issued by the root, RSA-2048 (pyHanko's DummyTimeStamper signs
        with RSA only), EKU timeStamping (critical, the
        only purpose, as RFC 3161 2.3 requires), keyUsage digitalSignature + nonRepudiation.
        """
        return self._service_certificate(
            "tsa", self._root, "Belgium Test TSA", ExtendedKeyUsageOID.TIME_STAMPING, nocheck=False
        )

    # -- internals -------------------------------------------------------------------------

    def _service_certificate(
        self, label: str, ca: Issued, common_name: str, eku: ObjectIdentifier, *, nocheck: bool
    ) -> Issued:
        with self._lock:
            made = self._services.get(label)
            if made is not None:
                return made
            # pyHanko's DummyTimeStamper signs with RSA only; responders use fast EC keys.
            key = self._new_key("rsa" if label == "tsa" else "ec", f"{label}/key")
            start, end = self._validity(None, None)
            builder = (
                x509.CertificateBuilder()
                .subject_name(
                    x509.Name(
                        [
                            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
                            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
                            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                        ]
                    )
                )
                .issuer_name(ca.certificate.subject)
                .public_key(key.public_key())
                .serial_number(self._serial(f"{label}/serial"))
                .not_valid_before(start)
                .not_valid_after(end)
                .add_extension(
                    _key_usage(digital_signature=True, content_commitment=not nocheck),
                    critical=True,
                )
                .add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier(ca.key_id(), None, None), critical=False)
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
                )
            )
            if nocheck:
                builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
            else:
                authority = self._authority_name(ca)
                builder = builder.add_extension(
                    self._crl_distribution_points(authority), critical=False
                ).add_extension(self._authority_information_access(authority), critical=False)
            made = Issued(key, _sign(builder, ca.key))
            self._services[label] = made
            return made

    def _new_key(self, kind: KeyKind, label: str) -> PrivateKey:
        if self._seed is None:
            if kind == "rsa":
                return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
            return ec.generate_private_key(ec.SECP384R1())
        if kind == "rsa":
            return _seeded_rsa_key(self._seed, label)
        return deterministic_ec_key(Drbg(self._seed, label), ec.SECP384R1())

    def _serial(self, label: str) -> int:
        # 127 random bits, positive and below 2^159 (RFC 5280 4.1.2.2: at most 20 octets).
        raw = os.urandom(16) if self._seed is None else Drbg(self._seed, label).read(16)
        return (int.from_bytes(raw, "big") >> 1) or 1

    def _validity(
        self, not_before: dt.datetime | None, not_after: dt.datetime | None
    ) -> tuple[dt.datetime, dt.datetime]:
        default_start = self._now - _ONE_DAY
        if not_before is None:
            if not_after is not None and not_after <= default_start:
                not_before = _add_years(not_after, -10)
            else:
                not_before = default_start
        if not_after is None:
            not_after = _add_years(not_before, 10)
        if not_after <= not_before:
            raise UsageError(
                f"not_after ({not_after.isoformat()}) must be after "
                f"not_before ({not_before.isoformat()})"
            )
        return not_before, not_after

    def _authority_name(self, issuer: Issued) -> str:
        key_id = issuer.key_id()
        return self._authority_names.get(key_id, key_id.hex()[:16])

    def _policies(self, oids: Sequence[ObjectIdentifier]) -> x509.CertificatePolicies:
        cps = self._base_url + REPOSITORY_PATH
        return x509.CertificatePolicies([x509.PolicyInformation(oid, [cps]) for oid in oids])

    def _crl_distribution_points(self, authority: str) -> x509.CRLDistributionPoints:
        uri = x509.UniformResourceIdentifier(self.crl_url(authority))
        return x509.CRLDistributionPoints([x509.DistributionPoint([uri], None, None, None)])

    def _authority_information_access(self, authority: str) -> x509.AuthorityInformationAccess:
        return x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier(self.ca_cert_url(authority)),
                ),
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP,
                    x509.UniformResourceIdentifier(self.ocsp_url),
                ),
            ]
        )

    def _issue_ca(
        self, name: AuthorityName, common_name: str, serial: str, end: dt.datetime
    ) -> Issued:
        key = self._new_key(self._key_kind, f"{name}/key")
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._root.certificate.subject)
            .public_key(key.public_key())
            .serial_number(self._serial(f"{name}/serial"))
            .not_valid_before(self._now - _ONE_DAY)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier(self._root.key_id(), None, None), critical=False
            )
            .add_extension(self._authority_information_access("root"), critical=False)
            .add_extension(self._policies([CertificatePoliciesOID.ANY_POLICY]), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]
                ),
                critical=False,
            )
            .add_extension(self._crl_distribution_points("root"), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        )
        issued = Issued(key, _sign(builder, self._root.key))
        self._authority_names[issued.key_id()] = name
        return issued

    def _issue_rrn(self, end: dt.datetime) -> Issued:
        key = self._new_key(self._key_kind, "rrn/key")
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "RRN"),
                x509.NameAttribute(NameOID.COMMON_NAME, "RRN"),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._root.certificate.subject)
            .public_key(key.public_key())
            .serial_number(self._serial("rrn/serial"))
            .not_valid_before(self._now - _ONE_DAY)
            .not_valid_after(end)
            .add_extension(
                _key_usage(digital_signature=True, content_commitment=True), critical=True
            )
            .add_extension(self._policies([policy_oid(TEST_POLICY_ARC, "rrn")]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(self._crl_distribution_points("root"), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier(self._root.key_id(), None, None), critical=False
            )
        )
        return Issued(key, _sign(builder, self._root.key))


def _common_name(issued: Issued) -> str:
    names = issued.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else "CA"
    return value if isinstance(value, str) else value.decode()


def _sign(builder: x509.CertificateBuilder, key: PrivateKey) -> x509.Certificate:
    """Sign with SHA-256 (RSA, PKCS#1 v1.5) or deterministic ECDSA with SHA-384 (RFC 6979)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return builder.sign(key, hashes.SHA384(), ecdsa_deterministic=True)
    return builder.sign(key, hashes.SHA256())
