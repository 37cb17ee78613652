"""The virtual eID: a SoftHSM2 token that looks, through PKCS#11, like a Belgian eID card.

It lives in a directory of its own (its own ``softhsm2.conf`` and token store),
labelled ``BELPIC``, with the middleware's certificate labels and CKA_IDs, an
authentication key and a signature key (the latter needing the PIN before every
signature), and the card's files and fields as data objects, the identity and
address files signed by the test PKI's RRN key. Everything on it is fictitious
test material; its PIN (default ``1234``) is a test PIN.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import socket
import struct
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from hashlib import sha256, sha384
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute, CertificateType, ObjectClass
from pkcs11.util.ec import decode_ec_private_key, decode_ec_public_key
from pkcs11.util.rsa import decode_rsa_private_key, decode_rsa_public_key

from eid.errors import NoModule, UsageError
from eid.identity import Address, BirthDate, CardNumber, Identity, NationalNumber
from eid.pki.testpki import Holder, Issued, KeyKind, TestPKI
from eid.tokens.belpic import (
    decode_tlv,
    encode_address,
    encode_identity,
    field_objects,
    sign_card_files,
)
from eid.tokens.belpic.labels import (
    ATR,
    CARD_DATA,
    FILE_OBJECT_IDS,
    OBJECT_ID_CARD_DATA,
    card_data_objects,
)
from eid.tokens.modules import Module, load_module
from eid.tokens.pin import PIN_ENV, PinProvider, PinRequest
from eid.tokens.token import Token, open_token

__all__ = [
    "DEFAULT_PIN",
    "HOME_ENV",
    "VirtualCard",
    "VirtualCardSpec",
    "create_virtual_card",
    "default_directory",
    "find_virtual_card",
    "softhsm_module",
    "virtual_pin",
]

HOME_ENV = "EID_HOME"
"""Environment variable for where `eid` keeps its data (the virtual card lives in ``virtual-card/``)."""

DEFAULT_PIN = "1234"
"""The virtual card's default PIN: a test PIN, documented as such."""

_LABEL = "BELPIC"
_MANIFEST = "card.json"
_SOFTHSM_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)

# The middleware's certificate labels and CKA_IDs (a native CK_ULONG).
_AUTH_ID, _SIGN_ID, _CA_ID, _ROOT_ID = (struct.pack("L", n) for n in (2, 3, 4, 6))


def virtual_pin(request: PinRequest, /) -> str:
    """The virtual card's PIN: ``EID_PIN`` when set, else the test PIN ``1234``."""
    return os.environ.get(PIN_ENV) or DEFAULT_PIN


def default_directory() -> Path:
    """Where the virtual card lives: ``$EID_HOME/virtual-card``, else the user's data directory."""
    home = os.environ.get(HOME_ENV)
    base = Path(home) if home else Path(platformdirs.user_data_dir("eid"))
    return base / "virtual-card"


def softhsm_module() -> Path:
    """The SoftHSM2 PKCS#11 module; `NoModule` with the install command when it is absent."""
    for candidate in _SOFTHSM_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise NoModule("SoftHSM2 is not installed (Debian: apt-get install softhsm2)")


@dataclass(frozen=True)
class VirtualCardSpec:
    """Who the virtual card belongs to and what kind of card it imitates."""

    given_names: str = "Alice Geldig"
    surname: str = "Specimen"
    national_number: str = "85073003427"
    street_and_number: str = "Voorbeeldstraat 1"
    zip_code: str = "1000"
    municipality: str = "Brussel"
    key_kind: KeyKind = "rsa"
    pin: str = DEFAULT_PIN

    def validate(self) -> None:
        """Raise on a national number or PIN the card could not hold."""
        NationalNumber.parse(self.national_number)
        if not (self.pin.isdigit() and 4 <= len(self.pin) <= 12):
            raise UsageError("the PIN of a Belgian eID has 4 to 12 digits")


@dataclass(frozen=True)
class VirtualCard:
    """A provisioned virtual card: where it lives, how to open it, and its test PKI.

    The test PKI is rebuilt, identical, from the seed and time kept in the card's
    manifest; its services (OCSP, CRL, TSA) are expected at ``pki_base_url``.
    """

    directory: Path
    given_names: str
    surname: str
    national_number: str
    key_kind: KeyKind
    created: datetime
    pki_seed: bytes
    pki_base_url: str

    @property
    def holder(self) -> str:
        """The holder's given names and surname."""
        return f"{self.given_names} {self.surname}"

    @property
    def config(self) -> Path:
        """Its own SoftHSM2 configuration file."""
        return self.directory / "softhsm2.conf"

    @property
    def label(self) -> str:
        """The token label, as on a real card."""
        return _LABEL

    def module(self) -> Module:
        """The SoftHSM2 module, initialised with this card's configuration."""
        return load_module(softhsm_module(), environment={"SOFTHSM2_CONF": str(self.config)})

    def open(self, *, pin_provider: PinProvider | None = None) -> Token:
        """Open the card as a `Token`; its PIN comes from ``EID_PIN``, else the test PIN."""
        return open_token(self.module(), label=_LABEL, pin_provider=pin_provider or virtual_pin)

    def pki(self) -> TestPKI:
        """The card's test PKI, rebuilt from its seed (root, CAs, RRN, OCSP and TSA keys)."""
        return TestPKI.create(
            key_kind=self.key_kind, seed=self.pki_seed, now=self.created, base_url=self.pki_base_url
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description (no secrets: neither the PIN nor the PKI seed)."""
        return {
            "directory": str(self.directory),
            "label": _LABEL,
            "holder": self.holder,
            "national_number": self.national_number,
            "key_kind": self.key_kind,
            "created": self.created.isoformat(),
            "softhsm2_conf": str(self.config),
            "pki_base_url": self.pki_base_url,
        }


def find_virtual_card(directory: Path | None = None) -> VirtualCard | None:
    """The virtual card in ``directory`` (default: `default_directory`), or None."""
    directory = directory or default_directory()
    try:
        manifest = json.loads((directory / _MANIFEST).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read the virtual card in {directory}: {error}") from None
    try:
        return _card_from_manifest(directory, manifest)
    except (KeyError, TypeError, ValueError):
        raise UsageError(
            f"the virtual card in {directory} was made by another version of eid; "
            "make it again with `eid virtual-card create --replace`"
        ) from None


def _card_from_manifest(directory: Path, manifest: Any) -> VirtualCard:
    return VirtualCard(
        directory=directory,
        given_names=manifest["given_names"],
        surname=manifest["surname"],
        national_number=manifest["national_number"],
        key_kind=manifest["key_kind"],
        created=datetime.fromisoformat(manifest["created"]),
        pki_seed=bytes.fromhex(manifest["pki"]["seed"]),
        pki_base_url=manifest["pki"]["base_url"],
    )


def create_virtual_card(
    directory: Path | None = None,
    spec: VirtualCardSpec | None = None,
    *,
    replace: bool = False,
    seed: bytes | None = None,
    now: datetime | None = None,
) -> tuple[VirtualCard, bool]:
    """Provision the virtual card; returns it and whether it was made now.

    Idempotent: an existing card is returned untouched unless ``replace``.
    """
    directory = (directory or default_directory()).expanduser().resolve()
    spec = spec or VirtualCardSpec()
    spec.validate()
    existing = None if replace else find_virtual_card(directory)
    if existing is not None:
        return existing, False
    module_path = softhsm_module()
    now = now or datetime.now(UTC).replace(microsecond=0)
    _reset_directory(directory)
    _init_token(directory, spec.pin)

    seed = seed or secrets.token_bytes(32)
    base_url = f"http://127.0.0.1:{_free_port()}"
    pki = TestPKI.create(key_kind=spec.key_kind, seed=seed, now=now, base_url=base_url)
    _write_pki(directory / "pki", pki)
    national_number = str(NationalNumber.parse(spec.national_number))
    holder = Holder(spec.given_names, spec.surname, national_number)
    card = pki.issue_card(holder)
    files = _card_files(spec, pki, now)

    module = load_module(
        module_path, environment={"SOFTHSM2_CONF": str(directory / "softhsm2.conf")}
    )
    with module.lock:
        slot = next(
            s for s in module.slots(token_present=True) if s.get_token().label.strip() == _LABEL
        )
        with slot.get_token().open(rw=True, user_pin=spec.pin) as session:
            for label, ident, issued, always in (
                ("Authentication", _AUTH_ID, card.authentication, False),
                ("Signature", _SIGN_ID, card.signature, True),
            ):
                _store_key(session, label, ident, issued, always_authenticate=always)
                _store_certificate(session, label, ident, issued.certificate)
            _store_certificate(session, "CA", _CA_ID, pki.citizen_ca.certificate)
            _store_certificate(session, "Root", _ROOT_ID, pki.root.certificate)
            for label, data in files.items():
                _store_data(session, label, FILE_OBJECT_IDS[label], data)
            for label, object_id, value in field_objects(files["DATA_FILE"], files["ADDRESS_FILE"]):
                _store_data(session, label, object_id, value)
            card_data = _card_data(files["DATA_FILE"], spec.key_kind)
            _store_data(session, CARD_DATA, OBJECT_ID_CARD_DATA, card_data)
            _store_data(session, ATR, OBJECT_ID_CARD_DATA, _ATR)
            for label, object_id, value in card_data_objects(card_data):
                _store_data(session, label, object_id, value)
    manifest = {
        "given_names": spec.given_names,
        "surname": spec.surname,
        "national_number": national_number,
        "key_kind": spec.key_kind,
        "created": now.isoformat(),
        # Test material: the seed rebuilds the test PKI (its CA keys included).
        "pki": {"seed": seed.hex(), "base_url": base_url},
    }
    manifest_file = directory / _MANIFEST
    manifest_file.touch(mode=0o600)
    manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
    found = find_virtual_card(directory)
    assert found is not None
    return found, True


def _reset_directory(directory: Path) -> None:
    if directory.exists():
        if not (directory / "softhsm2.conf").exists() and any(directory.iterdir()):
            raise UsageError(
                f"{directory} exists and is not a virtual card; choose an empty directory"
            )
        shutil.rmtree(directory)
    (directory / "tokens").mkdir(parents=True, mode=0o700)
    (directory / "softhsm2.conf").write_text(
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n"
    )


def _write_pki(directory: Path, pki: TestPKI) -> None:
    """Keep the test PKI's certificates beside the card, to trust or inspect them."""
    directory.mkdir(mode=0o700)
    for name, issued in (("root", pki.root), ("citizen-ca", pki.citizen_ca), ("rrn", pki.rrn)):
        (directory / f"{name}.pem").write_bytes(issued.cert_pem())


def _free_port() -> int:
    """A loopback port free now, where the card's test PKI services will listen.

    Chosen below the kernel's ephemeral range (Linux: 32768 and up), so that no server
    asking for "any port" is given it later, while the card still names it.
    """
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise UsageError(
        "no free loopback port between 20000 and 32000 for the virtual card's services"
    )


def _init_token(directory: Path, pin: str) -> None:
    """Initialise the token with softhsm2-util; the SO PIN is random and not kept."""
    tool = shutil.which("softhsm2-util")
    if tool is None:
        raise NoModule("softhsm2-util is not installed (Debian: apt-get install softhsm2)")
    environment = {**os.environ, "SOFTHSM2_CONF": str(directory / "softhsm2.conf")}
    command = [
        tool,
        "--init-token",
        "--free",
        "--label",
        _LABEL,
        "--so-pin",
        secrets.token_hex(8),
        "--pin",
        pin,
    ]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise NoModule(
            f"softhsm2-util could not create the token: {result.stderr.strip() or result.stdout.strip()}"
        )


def _photo() -> bytes:
    return resources.files("eid.tokens").joinpath("virtual-photo.jpg").read_bytes()


def _card_files(spec: VirtualCardSpec, pki: TestPKI, now: datetime) -> dict[str, bytes]:
    """The card's files, built from the spec and signed by the test PKI's RRN key."""
    photo = _photo()
    ec_card = spec.key_kind == "ec"
    photo_hash = (sha384 if ec_card else sha256)(photo).digest()
    national_number = NationalNumber.parse(spec.national_number)
    birth = national_number.birth_date or date(1985, 7, 30)
    basic_key = b""
    if ec_card:
        basic_key = (
            ec.generate_private_key(ec.SECP384R1())
            .public_key()
            .public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    card_digits = str(
        591_0000_000 + int.from_bytes(sha256(national_number.value.encode()).digest()[:4]) % 10**6
    )
    check = int(card_digits) % 97 or 97
    identity = Identity(
        card_number=CardNumber.parse(f"{card_digits}{check:02d}"),
        chip_number=sha256(b"chip" + national_number.value.encode()).hexdigest()[:32].upper(),
        validity_begin=now.date(),
        validity_end=now.date() + timedelta(days=3652),
        issuing_municipality=spec.municipality,
        national_number=national_number,
        surname=spec.surname,
        given_names=spec.given_names,
        third_name_initial="",
        nationality="Belg",
        birth_place=spec.municipality,
        birth_date=BirthDate(birth.year, birth.month, birth.day),
        sex=national_number.sex or "F",
        nobility="",
        document_type=1,
        special_status=0,
        photo_hash=photo_hash,
        basic_key_hash=sha384(basic_key).digest() if ec_card else None,
    )
    address = Address(spec.street_and_number, spec.zip_code, spec.municipality)
    identity_file = encode_identity(identity)
    address_file = encode_address(address)
    sign_identity, sign_address = sign_card_files(identity_file, address_file, pki.rrn.key)
    files = {
        "DATA_FILE": identity_file,
        "ADDRESS_FILE": address_file,
        "PHOTO_FILE": photo,
        "SIGN_DATA_FILE": sign_identity,
        "SIGN_ADDRESS_FILE": sign_address,
        "CERT_RN_FILE": pki.rrn.certificate.public_bytes(serialization.Encoding.DER),
    }
    if ec_card:
        files["BASIC_KEY_FILE"] = basic_key
    return files


# The ATR that OpenSC's BELPIC driver lists for applet 1.1 and later cards.
_ATR = bytes.fromhex("3B 98 13 40 0A A5 03 01 01 01 AD 13 11")


def _card_data(identity_file: bytes, key_kind: KeyKind) -> bytes:
    """A GET CARD DATA reply: the chip number as serial, applet 1.7 (RSA) or 1.8 (EC), activated."""
    chip_number = next(e.value for e in decode_tlv(identity_file) if e.tag == 0x02)
    applet = 0x18 if key_kind == "ec" else 0x17
    pkcs1_support = 0x00 if key_kind == "ec" else 0x03  # RSASSA PKCS#1 v1.5 and PSS
    # component code, OS number and version, softmask number and version, applet version,
    # global OS version (2), applet interface version, PKCS#1 support, key exchange, life cycle
    # (0x0F: released, as OpenSC's BELPIC driver reads it).
    tail = bytes(
        [0x20, 0x04, 0x01, 0x01, 0x01, applet, 0x00, 0x01, 0x01, pkcs1_support, 0x00, 0x0F]
    )
    return chip_number.ljust(16, b"\0")[:16] + tail


def _store_key(
    session: Any, label: str, ident: bytes, issued: Issued, *, always_authenticate: bool
) -> None:
    key = issued.key
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if isinstance(key, rsa.RSAPrivateKey):
        private = decode_rsa_private_key(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        public = decode_rsa_public_key(
            key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.PKCS1
            )
        )
    else:
        private = decode_ec_private_key(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        public = decode_ec_public_key(public_der)
    common = {Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: ident}
    session.create_object(
        {
            **private,
            **common,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.SIGN: True,
            Attribute.DECRYPT: False,
            Attribute.UNWRAP: False,
            Attribute.ALWAYS_AUTHENTICATE: always_authenticate,
        }
    )
    session.create_object({**public, **common, Attribute.PRIVATE: False, Attribute.VERIFY: True})


def _store_certificate(
    session: Any, label: str, ident: bytes, certificate: x509.Certificate
) -> None:
    session.create_object(
        {
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: False,
            Attribute.LABEL: label,
            Attribute.ID: ident,
            Attribute.SUBJECT: certificate.subject.public_bytes(),
            Attribute.ISSUER: certificate.issuer.public_bytes(),
            Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
        }
    )


def _store_data(session: Any, label: str, object_id: str, value: bytes) -> None:
    session.create_object(
        {
            Attribute.CLASS: ObjectClass.DATA,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: False,
            Attribute.LABEL: label,
            Attribute.APPLICATION: label,
            Attribute.OBJECT_ID: object_id.encode("ascii"),
            Attribute.VALUE: value,
        }
    )
