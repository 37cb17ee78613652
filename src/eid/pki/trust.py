"""Trust stores: the bundled Belgian roots, or anchors from files and folders."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path

from eid.pki.certificates import (
    CertificateInput,
    LoadedCertificate,
    check_public_key,
    load_certificate,
    load_certificates,
    load_certificates_from_path,
)

__all__ = ["TrustStore"]


class TrustStore:
    """Trust anchors plus intermediate certificates that help build paths.

    An anchor may be any certificate, an issuing CA included (Web eID deployments trust the
    issuing CAs directly); intermediates are never trusted by themselves.
    """

    def __init__(
        self,
        anchors: Iterable[CertificateInput] = (),
        intermediates: Iterable[CertificateInput] = (),
    ) -> None:
        """Make a store of ``anchors`` and ``intermediates`` (DER/PEM bytes or certificates)."""
        self._anchors: dict[bytes, LoadedCertificate] = {}
        self._intermediates: dict[bytes, LoadedCertificate] = {}
        self._token: bytes | None = None
        for cert in anchors:
            self.add(cert)
        for cert in intermediates:
            self.add(cert, anchor=False)

    @classmethod
    def belgium(cls) -> TrustStore:
        """The bundled production Belgian eID roots and issuing CAs (see ``roots/ORIGINS.md``)."""
        anchors, intermediates = _bundled()
        return cls(anchors, intermediates)

    @classmethod
    def from_paths(
        cls, paths: Iterable[Path | str], *, intermediates: Iterable[Path | str] = ()
    ) -> TrustStore:
        """Trust every certificate in ``paths`` (files or folders, PEM or DER).

        ``intermediates`` (files or folders) only help to build paths.
        """
        store = cls()
        for path in paths:
            for cert in load_certificates_from_path(path):
                store.add(cert, source=str(path))
        for path in intermediates:
            for cert in load_certificates_from_path(path):
                store.add(cert, anchor=False, source=str(path))
        return store

    def add(
        self, cert: CertificateInput, *, anchor: bool = True, source: str | None = None
    ) -> LoadedCertificate:
        """Add a trust anchor (or, with ``anchor=False``, an intermediate); return it loaded.

        Raises `MalformedInput` (naming ``source``) for what is no certificate, or one whose
        public key cannot verify signatures (an unknown algorithm or curve, unreadable key).
        """
        loaded = load_certificate(cert, source=source)
        check_public_key(loaded, source=source or ("trust anchor" if anchor else "intermediate"))
        target = self._anchors if anchor else self._intermediates
        target[loaded.fingerprint] = loaded
        self._token = None
        return loaded

    @property
    def anchors(self) -> tuple[LoadedCertificate, ...]:
        """The trust anchors."""
        return tuple(self._anchors.values())

    @property
    def intermediates(self) -> tuple[LoadedCertificate, ...]:
        """The intermediate certificates (not trusted by themselves)."""
        return tuple(self._intermediates.values())

    @property
    def token(self) -> bytes:
        """A digest of the store's content: equal stores have equal tokens (cache keys)."""
        if self._token is None:
            digest = hashlib.sha256()
            for fingerprint in sorted(self._anchors):
                digest.update(b"A" + fingerprint)
            for fingerprint in sorted(self._intermediates):
                digest.update(b"I" + fingerprint)
            self._token = digest.digest()
        return self._token

    def is_anchor(self, cert: LoadedCertificate) -> bool:
        """Whether ``cert`` is one of the anchors (byte for byte)."""
        return cert.fingerprint in self._anchors

    def __len__(self) -> int:
        """The number of anchors."""
        return len(self._anchors)

    def __repr__(self) -> str:
        """Give the counts."""
        return f"TrustStore({len(self._anchors)} anchors, {len(self._intermediates)} intermediates)"


@cache
def _bundled() -> tuple[tuple[LoadedCertificate, ...], tuple[LoadedCertificate, ...]]:
    base = resources.files("eid.pki") / "roots"
    found: list[tuple[LoadedCertificate, ...]] = []
    for folder in ("anchors", "intermediates"):
        certs: list[LoadedCertificate] = []
        for entry in sorted((base / folder).iterdir(), key=lambda item: item.name):
            if entry.is_file():
                certs.extend(
                    load_certificates(
                        entry.read_bytes(), source=f"eid.pki/roots/{folder}/{entry.name}"
                    )
                )
        found.append(tuple(certs))
    return found[0], found[1]
