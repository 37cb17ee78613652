"""The provider's keys and subject secret on disk, for the command line and the service.

A directory (default ``$EID_HOME/sso``, else the user's data directory) holds::

    secret              32 random bytes: the pairwise subject secret (never rotated with keys)
    keys/keyset.json    {"active": kid, "next": kid | null, "passive": [{"kid", "retired_at"}]}
    keys/<kid>.key.pem  the private key (PKCS#8), readable by the owner only
    keys/<kid>.crt.pem  a self-signed certificate of the key (for SAML metadata)

`KeyStore.load` makes what is missing: the secret, an active key and a published next key.
`KeyStore.rotate` makes the next key active, a new next key, keeps the old active key as
passive until ``retention`` has passed, and writes the manifest atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from pathlib import Path
from typing import Literal, TypeAlias

import platformdirs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from eid.errors import MalformedInput, SsoKeyError
from eid.sso.algorithms import PrivateKey
from eid.sso.keys import KeySet, ProviderKey, RetiredKey
from eid.sso.subjects import MIN_SECRET_BYTES, SubjectMinter

__all__ = ["DEFAULT_RETENTION", "KeyKind", "KeyStore", "default_sso_directory", "new_provider_key"]

KeyKind: TypeAlias = Literal["ec", "rsa"]
"""The kind of key to make: EC P-256 (ES256) or RSA-2048 (RS256/PS256)."""

DEFAULT_RETENTION = dt.timedelta(minutes=10)
"""How long a passive key keeps verifying: the ID token lifetime plus the clock skew, rounded up."""

_HOME_ENV = "EID_HOME"


def default_sso_directory() -> Path:
    """``$EID_HOME/sso``, else ``sso`` in the user's data directory."""
    home = os.environ.get(_HOME_ENV)
    return (Path(home) if home else Path(platformdirs.user_data_dir("eid"))) / "sso"


def _self_signed(key: PrivateKey, now: dt.datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eid identity provider")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def new_provider_key(kind: KeyKind, now: dt.datetime) -> tuple[PrivateKey, x509.Certificate]:
    """A new software key of ``kind`` and its self-signed certificate."""
    key: PrivateKey = (
        ec.generate_private_key(ec.SECP256R1())
        if kind == "ec"
        else rsa.generate_private_key(65537, 2048)
    )
    return key, _self_signed(key, now)


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class KeyStore:
    """A key set and subject secret kept in a directory."""

    def __init__(self, directory: Path) -> None:
        """Use ``directory`` (see the module text for its layout)."""
        self.directory = directory
        self._keys = directory / "keys"
        self._manifest = self._keys / "keyset.json"

    def subjects(self) -> SubjectMinter:
        """The subject minter over the stored secret (made on first use)."""
        path = self.directory / "secret"
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_private(path, secrets.token_bytes(MIN_SECRET_BYTES))
        secret = path.read_bytes()
        if len(secret) < MIN_SECRET_BYTES:
            raise MalformedInput("the subject secret is too short", source=str(path))
        return SubjectMinter(secret)

    def load(self, *, kind: KeyKind = "ec", now: dt.datetime | None = None) -> KeySet:
        """The stored key set; on first use an active and a next key of ``kind`` are made."""
        if not self._manifest.exists():
            moment = now or dt.datetime.now(dt.UTC)
            self._keys.mkdir(parents=True, exist_ok=True)
            keys = KeySet(self._new_key(kind, moment), next=self._new_key(kind, moment))
            self._save(keys)
            return keys
        try:
            manifest = json.loads(self._manifest.read_text(encoding="utf-8"))
            passive = tuple(
                RetiredKey(self._key(entry["kid"]), dt.datetime.fromisoformat(entry["retired_at"]))
                for entry in manifest["passive"]
            )
            upcoming = self._key(manifest["next"]) if manifest.get("next") else None
            return KeySet(self._key(manifest["active"]), next=upcoming, passive=passive)
        except (ValueError, KeyError, TypeError) as error:
            raise MalformedInput(
                f"not a key set manifest ({error})", source=str(self._manifest)
            ) from None

    def rotate(
        self,
        *,
        kind: KeyKind = "ec",
        retention: dt.timedelta = DEFAULT_RETENTION,
        now: dt.datetime | None = None,
    ) -> KeySet:
        """Next key signs, a new next key of ``kind`` is published, old passive keys are dropped."""
        moment = now or dt.datetime.now(dt.UTC)
        current = self.load(kind=kind, now=moment)
        rotated = current.rotate(self._new_key(kind, moment), now=moment)
        pruned = rotated.prune(now=moment, retention=retention)
        self._save(pruned)
        kept = {key.kid for key in pruned}
        for key in rotated:
            if key.kid not in kept:
                for suffix in (".key.pem", ".crt.pem"):
                    (self._keys / f"{key.kid}{suffix}").unlink(missing_ok=True)
        return pruned

    def _new_key(self, kind: KeyKind, now: dt.datetime) -> ProviderKey:
        private, certificate = new_provider_key(kind, now)
        key = ProviderKey.from_private_key(private, certificate)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(self._keys / f"{key.kid}.key.pem", pem)
        (self._keys / f"{key.kid}.crt.pem").write_bytes(
            certificate.public_bytes(serialization.Encoding.PEM)
        )
        return key

    def _key(self, kid: str) -> ProviderKey:
        if not isinstance(kid, str) or not kid or "/" in kid or kid.startswith("."):
            raise MalformedInput("a key id is not a file name", source=str(self._manifest))
        key = ProviderKey.from_pem(
            self._keys / f"{kid}.key.pem", certificate=self._keys / f"{kid}.crt.pem"
        )
        if key.kid != kid:
            raise SsoKeyError(f"the key file {kid}.key.pem holds another key")
        return key

    def _save(self, keys: KeySet) -> None:
        manifest = {
            "active": keys.active.kid,
            "next": keys.next.kid if keys.next else None,
            "passive": [
                {"kid": r.key.kid, "retired_at": r.retired_at.isoformat()} for r in keys.passive
            ],
        }
        _write_atomic(self._manifest, json.dumps(manifest, indent=2).encode())
