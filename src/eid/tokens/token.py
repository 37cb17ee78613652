"""A PKCS#11 token: its state, certificates, data objects, login and signatures.

One `Token` may be shared by several threads: every call into the module is made
under the module's lock. The user login is the token's (PKCS#11 logs in the
application, not a session), so keep one `Token` per physical token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.constants import SlotFlag, TokenFlag
from pkcs11.types import SignMixin

from eid.errors import (
    CardRemoved,
    EidError,
    KeyNotFound,
    MalformedInput,
    MechanismUnsupported,
    NoCard,
    NoReader,
    PinIncorrect,
    PinLocked,
    TokenError,
    TokenNotFound,
    UnknownCard,
)
from eid.tokens.attributes import ATTRIBUTE_MAPPER
from eid.tokens.belpic import CardData, read_card_files
from eid.tokens.belpic.labels import FILE_OBJECT_IDS
from eid.tokens.mechanisms import (
    HashName,
    Padding,
    SignaturePlan,
    ecdsa_raw_to_der,
    hash_algorithm,
    plan_signature,
    verifies,
)
from eid.tokens.modules import Module
from eid.tokens.p11errors import translate, translated
from eid.tokens.pin import PinProvider, PinRequest, PinState, env_pin, pin_state

__all__ = [
    "Role",
    "SlotInfo",
    "Token",
    "TokenCertificate",
    "TokenInfo",
    "list_slots",
    "open_token",
    "readable_name",
]

BELPIC_LABEL = "BELPIC"
_log = logging.getLogger(__name__)
# How long an unexplained module failure waits for the reader to say the card has gone (s).
# pcscd polls readers without card events every 0.4 s.
_REMOVAL_GRACE = 1.0


class Role(StrEnum):
    """What a certificate (and the key beside it) is for."""

    AUTHENTICATION = "authentication"
    SIGNATURE = "signature"
    CA = "ca"
    ROOT = "root"
    OTHER = "other"


# The Belgian middleware's certificate labels.
_BELPIC_ROLES = {
    "Authentication": Role.AUTHENTICATION,
    "Signature": Role.SIGNATURE,
    "CA": Role.CA,
    "Root": Role.ROOT,
}


_NAMES = {
    x509.NameOID.SERIAL_NUMBER: "serialNumber",
    x509.NameOID.GIVEN_NAME: "GN",
    x509.NameOID.SURNAME: "SN",
}


def readable_name(name: x509.Name) -> str:
    """A distinguished name as RFC 4514 text, with the eID's attributes named (GN, SN, serialNumber)."""
    return name.rfc4514_string(_NAMES)


def _load_certificate(der: bytes) -> x509.Certificate:
    """A DER certificate parsed whole; `ValueError` when any part does not parse.

    `cryptography` parses names and extensions only when they are first asked for, so
    a certificate with, say, an extension twice would fail later, far from here.
    """
    try:
        certificate = x509.load_der_x509_certificate(der)
        _ = (certificate.subject, certificate.issuer, certificate.extensions)
    except (x509.InvalidVersion, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as error:
        raise ValueError(f"not a certificate that can be read ({error})") from error
    except ValueError as error:
        raise ValueError(f"not a DER certificate ({error})") from error
    return certificate


def _classify(label: str, certificate: x509.Certificate, *, belpic: bool) -> Role:
    """The role a certificate plays: by the middleware's label on a BELPIC card, else by content."""
    if belpic and label in _BELPIC_ROLES:
        return _BELPIC_ROLES[label]
    extensions = certificate.extensions
    try:
        if extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return Role.ROOT if certificate.issuer == certificate.subject else Role.CA
    except x509.ExtensionNotFound:
        pass
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return Role.OTHER
    if usage.content_commitment:
        return Role.SIGNATURE
    if usage.digital_signature:
        return Role.AUTHENTICATION
    return Role.OTHER


@dataclass(frozen=True)
class TokenCertificate:
    """A certificate found on a token, with its label, CKA_ID and role."""

    label: str
    id: bytes
    role: Role
    certificate: x509.Certificate

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary of the certificate."""
        cert = self.certificate
        return {
            "label": self.label,
            "id": self.id.hex(),
            "role": self.role.value,
            "subject": readable_name(cert.subject),
            "issuer": readable_name(cert.issuer),
            "serial_number": format(cert.serial_number, "x"),
            "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "sha256": cert.fingerprint(hashes.SHA256()).hex(),
        }


@dataclass(frozen=True)
class TokenInfo:
    """What a token says about itself; read again on every access to `Token.info`."""

    label: str
    serial: str
    manufacturer: str
    model: str
    slot_id: int
    slot_description: str
    pin_state: PinState
    protected_authentication_path: bool
    login_required: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "label": self.label,
            "serial": self.serial,
            "manufacturer": self.manufacturer,
            "model": self.model,
            "slot_id": self.slot_id,
            "slot_description": self.slot_description,
            "pin_state": self.pin_state.value,
            "pin_tries_left": self.pin_state.tries_left,
            "pinpad": self.protected_authentication_path,
            "login_required": self.login_required,
        }


@dataclass(frozen=True)
class SlotInfo:
    """A slot (reader) and, when one is present, the token in it."""

    slot_id: int
    description: str
    token: TokenInfo | None
    problem: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "slot_id": self.slot_id,
            "description": self.description,
            "token": self.token.to_dict() if self.token else None,
            "problem": self.problem,
        }


def _token_info(slot: pkcs11.Slot, token: pkcs11.Token) -> TokenInfo:
    flags = TokenFlag(token.flags)
    serial = (
        token.serial.decode("ascii", "replace")
        if isinstance(token.serial, bytes)
        else str(token.serial)
    )
    return TokenInfo(
        label=token.label.strip(),
        serial=serial.strip(),
        manufacturer=token.manufacturer_id.strip(),
        model=token.model.strip(),
        slot_id=slot.slot_id,
        slot_description=slot.slot_description.strip(),
        pin_state=pin_state(flags),
        protected_authentication_path=bool(flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH),
        login_required=bool(flags & TokenFlag.LOGIN_REQUIRED),
    )


def _scan(module: Module) -> list[tuple[pkcs11.Slot, SlotInfo]]:
    with module.lock, translated():
        slots = module.slots()
        if not slots:
            raise NoReader(f"{module.path.name} sees no reader")
        result = []
        for slot in slots:
            description = slot.slot_description.strip()
            info = SlotInfo(slot.slot_id, description, None)
            if SlotFlag(slot.flags) & SlotFlag.TOKEN_PRESENT:
                try:
                    token = slot.get_token()
                    info = SlotInfo(slot.slot_id, description, _token_info(slot, token))
                    if not TokenFlag(token.flags) & TokenFlag.TOKEN_INITIALIZED:
                        info = SlotInfo(slot.slot_id, description, None, "not_initialized")
                except (p11.TokenNotRecognised, p11.TokenNotPresent, p11.DeviceRemoved) as error:
                    info = SlotInfo(slot.slot_id, description, None, translate(error).code)
            result.append((slot, info))
        return result


def list_slots(module: Module) -> list[SlotInfo]:
    """Every slot of a module with its token, if any. Raises `NoReader` when there is no slot.

    A slot whose token is absent, unrecognised or not initialised has ``token`` None
    and says why in ``problem``.
    """
    return [info for _, info in _scan(module)]


def open_token(
    module: Module,
    *,
    label: str | None = None,
    slot_id: int | None = None,
    pin_provider: PinProvider | None = None,
) -> Token:
    """Open the token with ``label`` or in ``slot_id`` (or the first one, a BELPIC card first).

    Raises `NoReader`, `NoCard`, `UnknownCard` or `TokenNotFound`, each for its own case.
    """
    scanned = _scan(module)
    present = [(slot, info) for slot, info in scanned if info.token is not None]
    if not present:
        unknown = [info for _, info in scanned if info.problem == UnknownCard.code]
        if unknown:
            raise UnknownCard(f"the card in {unknown[0].description!r} is not recognised")
        raise NoCard(f"no card in any of the {len(scanned)} reader(s) of {module.path.name}")
    matches = [
        (slot, info)
        for slot, info in present
        if (label is None or (info.token and info.token.label == label))
        and (slot_id is None or info.slot_id == slot_id)
    ]
    if not matches:
        wanted = " and ".join(
            part
            for part in (
                f"label {label!r}" if label else "",
                f"slot {slot_id}" if slot_id is not None else "",
            )
            if part
        )
        raise TokenNotFound(f"no token with {wanted}")
    matches.sort(key=lambda match: match[1].token is None or match[1].token.label != BELPIC_LABEL)
    return Token(module, matches[0][0], pin_provider=pin_provider)


@dataclass
class _Key:
    certificate: TokenCertificate
    handle: SignMixin
    key_type: KeyType
    always_authenticate: bool
    offered: frozenset[Mechanism]
    plans: dict[tuple[str, str], SignaturePlan]


def _optional(obj: pkcs11.Object, attribute: Attribute) -> Any:
    """An attribute's value, or None where the object has none (or keeps it secret)."""
    try:
        return obj[attribute]
    except (p11.AttributeTypeInvalid, p11.AttributeSensitive):
        return None


def _valid_at(certificate: x509.Certificate, moment: datetime) -> bool:
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def _may_serve(cert: TokenCertificate, role: Role) -> bool:
    """Whether an end-entity certificate of another role may stand for the ``role`` key.

    One without key usage may serve either key; one whose key usage has digitalSignature
    (beside nonRepudiation) may serve authentication. A signature key is never stood
    for by an authentication certificate: on an eID that would sign with the wrong key.
    """
    if cert.role in (Role.CA, Role.ROOT):
        return False
    try:
        usage = cert.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return role == Role.AUTHENTICATION and usage.digital_signature


def _belongs(key: pkcs11.Object, certificate: x509.Certificate) -> bool:
    """Whether a private key may be the one of ``certificate``: same kind, same RSA modulus."""
    public = certificate.public_key()
    key_type = _optional(key, Attribute.KEY_TYPE)
    if isinstance(public, rsa.RSAPublicKey):
        modulus = _optional(key, Attribute.MODULUS) if key_type == KeyType.RSA else None
        return key_type == KeyType.RSA and (
            modulus is None or int.from_bytes(modulus, "big") == public.public_numbers().n
        )
    return bool(key_type == KeyType.EC)


class Token:
    """An open PKCS#11 token. Use `open_token` (or `eid.tokens.open_default`) to get one."""

    def __init__(
        self, module: Module, slot: pkcs11.Slot, *, pin_provider: PinProvider | None = None
    ) -> None:
        self.module = module
        self._slot = slot
        self._pin_provider: PinProvider = pin_provider or env_pin
        with module.lock, translated():
            self._token = slot.get_token()
            self._session: pkcs11.Session | None = self._token.open(
                attribute_mapper=ATTRIBUTE_MAPPER
            )
            self._mechanisms = frozenset(slot.get_mechanisms())
        self._user_session: pkcs11.Session | None = None
        self._certificates: list[TokenCertificate] | None = None
        self._unreadable: list[tuple[str, str]] = []
        self._keys: dict[Role, _Key] = {}
        self._chosen: dict[Role, TokenCertificate] = {}

    def __repr__(self) -> str:
        return f"<Token {self._token.label.strip()!r} slot={self._slot.slot_id} module={self.module.path.name}>"

    def __enter__(self) -> Token:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def label(self) -> str:
        """The token label (``BELPIC`` for a Belgian eID)."""
        return str(self._token.label).strip()

    @property
    def info(self) -> TokenInfo:
        """The token's current information and PIN state (asked from the token each time).

        Raises `CardRemoved` when the token has left its slot: some modules (OpenSC) answer
        with what they knew of the card until the reader is looked at again.
        """
        with self._calls():
            if self._present() is False:
                self._forget_sessions()
                raise CardRemoved("the card or token was removed")
            return _token_info(self._slot, self._slot.get_token())

    def pin_state(self) -> PinState:
        """The user PIN's state as the token reports it now."""
        return self.info.pin_state

    @property
    def mechanisms(self) -> frozenset[Mechanism]:
        """The mechanisms the token offers."""
        return self._mechanisms

    def close(self) -> None:
        """Close the token's sessions (logging out)."""
        with self.module.lock:
            for session in (self._user_session, self._session):
                if session is not None:
                    # The token may already be gone; then there is nothing left to release.
                    with suppress(p11.PKCS11Error):
                        session.close()
            self._user_session = self._session = None
            self._keys.clear()
            self._chosen.clear()

    # -- reading -------------------------------------------------------------------------

    def certificates(self) -> list[TokenCertificate]:
        """Every X.509 certificate on the token, with its role.

        Before login, the public ones; once logged in, the private ones too (some
        tokens show their certificates only then). A certificate object that does not
        parse is left out, with a warning in the log (see `unreadable_certificates`).
        """
        if self._certificates is None:
            found = []
            self._unreadable = []
            with self._calls():
                session = self._user_session or self._public_session()
                for obj in session.get_objects(
                    {
                        Attribute.CLASS: ObjectClass.CERTIFICATE,
                        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    }
                ):
                    label = str(obj[Attribute.LABEL])
                    try:
                        cert = _load_certificate(bytes(obj[Attribute.VALUE]))
                    except ValueError as error:
                        _log.warning(
                            "left out the certificate %r on %r: %s", label, self.label, error
                        )
                        self._unreadable.append((label, str(error)))
                        continue
                    found.append(
                        TokenCertificate(
                            label,
                            bytes(obj[Attribute.ID]),
                            _classify(label, cert, belpic=self.label == BELPIC_LABEL),
                            cert,
                        )
                    )
            found.sort(key=lambda c: c.id)
            self._certificates = found
        return list(self._certificates)

    def unreadable_certificates(self) -> list[tuple[str, str]]:
        """The certificate objects `certificates` leaves out: (label, why it cannot be read)."""
        self.certificates()
        return list(self._unreadable)

    def certificate(self, role: Role | str) -> TokenCertificate:
        """The certificate of the ``role`` key; `KeyNotFound` when there is none.

        A certificate valid now comes first; when several could serve, the user is
        logged in to pick one with a private key beside it. When no certificate names
        the role, one without key usage (which RFC 5280 leaves unrestricted) serves
        either key, and one with digitalSignature and nonRepudiation the authentication
        key. When none is found before login on a token that needs one (not a BELPIC
        card, whose certificates are public), the user is logged in and the token
        looked at again: its certificates may be private objects. Once chosen, a role's
        certificate stays the same while the token is open, so that the key that signs
        is its own.
        """
        role = Role(role)
        chosen = self._chosen.get(role)
        if chosen is None:
            chosen = self._chosen[role] = self._choose(role)
        return chosen

    def _choose(self, role: Role) -> TokenCertificate:
        candidates = self._candidates(role)
        if not candidates and self._user_session is None and self.label != BELPIC_LABEL:
            with self._calls():
                if TokenFlag(self._token.flags) & TokenFlag.LOGIN_REQUIRED:
                    self._login()
            candidates = self._candidates(role)
        if len(candidates) > 1:
            with self._calls():
                self._login()
                keyed = [cert for cert in candidates if self._private_keys(cert)]
            candidates = keyed or candidates
        if not candidates:
            raise KeyNotFound(f"the token {self.label!r} holds no {role.value} certificate")
        return candidates[0]

    def data_objects(self, labels: Collection[str] | None = None) -> dict[str, bytes]:
        """Public data objects by label (the BELPIC middleware exposes card files this way).

        With ``labels``, only the values of those objects are read from the token.
        """
        with self._calls():
            found = {}
            for obj in self._public_session().get_objects({Attribute.CLASS: ObjectClass.DATA}):
                label = str(obj[Attribute.LABEL])
                if labels is None or label in labels:
                    found[label] = bytes(obj[Attribute.VALUE])
            return found

    def read_card(self, *, require_signatures: bool = True) -> CardData:
        """Identity, address and photo from a Belgian eID, with the RRN signatures checked.

        `UnknownCard` when the token holds no identity file: it is not a Belgian eID.
        """
        files = self.data_objects(FILE_OBJECT_IDS.keys())
        if "DATA_FILE" not in files:
            raise UnknownCard(
                f"the token {self.label!r} is not a Belgian eID: it holds no identity file"
            )
        return read_card_files(files, require_signatures=require_signatures)

    # -- login and signing ---------------------------------------------------------------

    def login(self) -> None:
        """Log the user in, asking the PIN provider (or the pinpad) once. Idempotent.

        A wrong PIN raises `PinIncorrect` (with the tries left when the token tells)
        and is never retried here.
        """
        with self._calls():
            self._login()

    def sign(
        self,
        data: bytes,
        *,
        key: Role | str = Role.AUTHENTICATION,
        hash: HashName = "sha256",
        padding: Padding = "pkcs1v15",
        ecdsa_format: Literal["der", "raw"] = "der",
    ) -> bytes:
        """Sign ``data`` with the key beside the ``key`` role's certificate.

        RSA keys use PKCS#1 v1.5 or PSS (salt as long as the digest); EC keys give
        a DER signature, or r || s with ``ecdsa_format="raw"``.
        """
        return self._sign(data, None, Role(key), hash, padding, ecdsa_format)

    def sign_digest(
        self,
        digest: bytes,
        *,
        key: Role | str = Role.AUTHENTICATION,
        hash: HashName = "sha256",
        padding: Padding = "pkcs1v15",
        ecdsa_format: Literal["der", "raw"] = "der",
    ) -> bytes:
        """Sign a digest made elsewhere with ``hash`` (needs a raw mechanism on the token)."""
        if len(digest) != hash_algorithm(hash).digest_size:
            raise MalformedInput(
                f"a {hash} digest has {hash_algorithm(hash).digest_size} bytes, not {len(digest)}"
            )
        return self._sign(None, digest, Role(key), hash, padding, ecdsa_format)

    def _sign(
        self,
        data: bytes | None,
        digest: bytes | None,
        role: Role,
        hash: HashName,
        padding: Padding,
        ecdsa_format: str,
    ) -> bytes:
        with self._calls():
            # A PIN typed for this very login also allows this signature: one entry, not two.
            typed = self._login()
            key = self._key(role)
            plan = key.plans.get((hash, padding))
            if plan is None:
                plan = key.plans[(hash, padding)] = plan_signature(
                    key.key_type, key.offered, hash, padding
                )
            if data is None:
                if not plan.raw:
                    raise MechanismUnsupported(
                        f"the token offers only {plan.mechanism.name}, which cannot sign a digest made elsewhere"
                    )
                assert digest is not None
                payload = plan.prepare(digest)
            else:
                hasher = hashes.Hash(hash_algorithm(hash))
                hasher.update(data)
                digest = hasher.finalize()  # also to check the signature made
                payload = plan.prepare(digest) if plan.raw else data
            extra: dict[str, Any] = {}
            if key.always_authenticate:
                extra["pin"] = typed if typed is not None else self._context_pin(role)
            signature = bytes(
                key.handle.sign(
                    payload, mechanism=plan.mechanism, mechanism_param=plan.param, **extra
                )
            )
        der = ecdsa_raw_to_der(signature) if key.key_type == KeyType.EC else signature
        # Keys are paired with certificates by CKA_ID; where a token leaves that ambiguous
        # (no IDs at all), a key of the same kind may not be the certificate's own.
        if not verifies(key.certificate.certificate.public_key(), der, digest, hash, padding):
            self._keys.pop(role, None)
            raise KeyNotFound(
                f"the private key beside the {role.value} certificate {key.certificate.label!r} "
                "is not the certificate's own (its signature does not verify)"
            )
        return der if ecdsa_format == "der" else signature

    # -- internals ------------------------------------------------------------------------

    def _calls(self) -> _Calls:
        return _Calls(self)

    def _public_session(self) -> pkcs11.Session:
        if self._session is None:
            self._token = self._slot.get_token()
            self._session = self._token.open(attribute_mapper=ATTRIBUTE_MAPPER)
        return self._session

    def _candidates(self, role: Role) -> list[TokenCertificate]:
        """The certificates that may stand for the ``role`` key, those valid now first."""
        found = [cert for cert in self.certificates() if cert.role == role]
        if not found and role in (Role.SIGNATURE, Role.AUTHENTICATION):
            found = [cert for cert in self.certificates() if _may_serve(cert, role)]
        now = datetime.now(UTC)
        return sorted(found, key=lambda cert: not _valid_at(cert.certificate, now))

    def _private_keys(self, cert: TokenCertificate) -> list[pkcs11.Object]:
        """The private keys beside ``cert`` (same CKA_ID, same kind and RSA modulus); logged in."""
        session = self._user_session
        assert session is not None
        query = {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: cert.id}
        return [key for key in session.get_objects(query) if _belongs(key, cert.certificate)]

    def _ask_pin(self, purpose: str) -> str:
        state = pin_state(TokenFlag(self._slot.get_token().flags))
        if state == PinState.LOCKED:
            raise PinLocked("the PIN is blocked; unblock it with the PUK")
        return self._pin_provider(PinRequest(self.label, purpose, state))

    def _pinpad(self) -> bool:
        return bool(TokenFlag(self._token.flags) & TokenFlag.PROTECTED_AUTHENTICATION_PATH)

    def _login(self) -> str | None:
        """Log in unless logged in; return the PIN typed for it now (None: none was asked)."""
        if self._user_session is not None:
            return None
        if not TokenFlag(self._slot.get_token().flags) & TokenFlag.USER_PIN_INITIALIZED:
            raise TokenError(
                f"the user PIN of {self.label!r} is not initialised: set it first with the "
                "token's own tools (its security officer initialises it)"
            )
        typed = None if self._pinpad() else self._ask_pin("login")
        try:
            self._user_session = self._token.open(
                user_pin=pkcs11.PROTECTED_AUTH if typed is None else typed,
                attribute_mapper=ATTRIBUTE_MAPPER,
            )
        except p11.UserAlreadyLoggedIn:
            self._user_session = self._token.open(attribute_mapper=ATTRIBUTE_MAPPER)
        except (p11.PinIncorrect, p11.PinLenRange) as error:
            raise self._wrong_pin() from error
        self._certificates = None  # private certificates are visible now
        return typed

    def _context_pin(self, role: Role) -> str:
        if self._pinpad():
            return ""  # an empty PIN makes the module ask the pinpad (PKCS#11 protected path)
        return self._ask_pin(f"a signature with the {role.value} key")

    def _wrong_pin(self) -> EidError:
        state = pin_state(TokenFlag(self._slot.get_token().flags))
        if state == PinState.LOCKED:
            return PinLocked("the PIN is now blocked; unblock it with the PUK")
        tries = state.tries_left
        suffix = f"; {tries} try left" if tries == 1 else ""
        return PinIncorrect(f"the PIN is incorrect{suffix}", tries_left=tries)

    def _key(self, role: Role) -> _Key:
        key = self._keys.get(role)
        if key is not None:
            return key
        cert = self.certificate(role)
        self._login()
        handles = self._private_keys(cert)
        if not handles:
            raise KeyNotFound(f"no private key beside the {role.value} certificate {cert.label!r}")
        signing = [handle for handle in handles if isinstance(handle, SignMixin)]
        if not signing:
            raise KeyNotFound(f"the {role.value} key {cert.label!r} cannot sign")
        # Where several could be the one (no CKA_IDs), the one labelled like the certificate.
        signing.sort(key=lambda handle: _optional(handle, Attribute.LABEL) != cert.label)
        handle = signing[0]
        always = bool(_optional(handle, Attribute.ALWAYS_AUTHENTICATE))
        # CKA_ALLOWED_MECHANISMS narrows what the token offers to what this key may do.
        allowed = _optional(handle, Attribute.ALLOWED_MECHANISMS)
        offered = (
            frozenset(m for m in self._mechanisms if m in allowed) if allowed else self._mechanisms
        )
        key = _Key(cert, handle, KeyType(handle[Attribute.KEY_TYPE]), always, offered, {})
        self._keys[role] = key
        return key

    def _present(self) -> bool | None:
        """Whether the token is in its slot, asking the module afresh; None if it cannot tell.

        Listing the slots makes a module look at its readers again (OpenSC asks pcscd).
        """
        try:
            for slot in self.module.slots():
                if slot.slot_id == self._slot.slot_id:
                    return bool(SlotFlag(slot.flags) & SlotFlag.TOKEN_PRESENT)
        except p11.PKCS11Error:
            return None
        return False

    def _removed(self) -> bool:
        """After an unexplained failure: did the token leave? Waits briefly for the reader to tell.

        A card pulled out during a command first fails the transmission (OpenSC:
        ``CKR_GENERAL_ERROR``); pcscd sees the empty reader only at its next poll.
        """
        deadline = time.monotonic() + _REMOVAL_GRACE
        while True:
            present = self._present()
            if present is not True:
                return present is False
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def _forget_sessions(self) -> None:
        self._session = self._user_session = None
        self._keys.clear()
        self._chosen.clear()


class _Calls:
    """Holds the module lock, translates errors, and forgets sessions when the card goes."""

    def __init__(self, token: Token) -> None:
        self._token = token

    def __enter__(self) -> None:
        self._token.module.lock.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: object
    ) -> None:
        try:
            if isinstance(error, p11.PinIncorrect | p11.PinLenRange):
                raise self._token._wrong_pin() from error
            if isinstance(error, p11.PKCS11Error):
                translated_error = translate(error)
                if type(translated_error) is TokenError and self._token._removed():
                    translated_error = CardRemoved("the card or token was removed")
                if isinstance(translated_error, CardRemoved):
                    self._token._forget_sessions()
                raise translated_error from error
        finally:
            self._token.module.lock.release()
