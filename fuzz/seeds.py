"""Seed inputs for every fuzz target, from ``fixtures/``, the interop corpus and made material.

The interop corpus (real signed documents of other projects, with their origins in its
README) is read from ``$EID_INTEROP_DIR``, by default ``../shared/data/interop`` beside the
repository; when it is not there the seeds come from ``fixtures/`` and `fuzz.material` only.
Seeds are written at fuzzing time, never checked in: ``python -m fuzz.seeds OUT`` writes
``OUT/<target>/<sha256 prefix>``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from fuzz import material, sso_material
from fuzz.mutation import Op, signed_cases

__all__ = ["interop_dir", "seeds", "write_corpus"]

MAX_SEED = 128 << 10
"""Interop files larger than this (bytes) are left out: they slow every run down."""

_INTEROP = {
    "cms": ("cades/*.p7s", "cades/*.p7m", "cades/*.pkcs7", "cades/*.csig"),
    "pdf": ("pades/*.pdf", "pyhanko/*.pdf"),
    "asic": ("asic-cades/*", "asic-xades/*"),
    "certificates": ("trust/*.pem",),
    "trust_file": ("trust/*.pem",),
}
SSO_TARGETS = (
    "id_token",
    "jwks",
    "saml_response",
    "saml_metadata",
    "saml_request",
    "client_assertion",
)
"""The single sign-on targets, whose seeds are `fuzz.sso_material`'s."""
_TIMES = (
    "2026-11-01T12:05:00Z",
    "2026-11-01T12:05:00+01:00",
    "2026-11-01",
    "2026-11-01 12:05:00.123456",
    "9999-12-31T23:59:59-14:00",
)


def interop_dir() -> Path | None:
    """The interop corpus folder, when it exists."""
    folder = Path(
        os.environ.get("EID_INTEROP_DIR", material.ROOT.parent / "shared" / "data" / "interop")
    )
    return folder if folder.is_dir() else None


def _interop(target: str) -> Iterator[bytes]:
    folder = interop_dir()
    if folder is None:
        return
    for pattern in _INTEROP.get(target, ()):
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and path.stat().st_size <= MAX_SEED:
                yield path.read_bytes()


_CACHE_CONTROL = (b"max-age=300", b'public, max-age="86400"', b"no-cache", b"no-store, max-age=5")


def _sso(target: str) -> Iterator[bytes]:
    if target == "id_token":
        yield sso_material.id_token().encode()
    elif target == "jwks":
        yield json.dumps(sso_material.provider().jwks()).encode()
        yield json.dumps(sso_material.client_jwks()).encode()
        yield sso_material.discovery()
        yield from _CACHE_CONTROL
    elif target == "saml_response":
        yield from sso_material.saml_responses().values()
    elif target == "saml_metadata":
        yield from (sso_material.idp_metadata(), sso_material.sp_metadata())
    elif target == "saml_request":
        for tag in ("AuthnRequest", "LogoutRequest"):
            yield b"\x00" + sso_material.redirect_query(tag).encode()
            yield b"\x01" + sso_material.post_value(tag).encode()
    elif target == "client_assertion":
        yield sso_material.client_assertion().encode()


def _made(target: str) -> Iterator[bytes]:
    if target in SSO_TARGETS:
        yield from _sso(target)
        return
    vectors = sorted(material.VECTORS.glob("*.tlv"))
    docs = material.documents()
    if target in ("tlv", "identity"):
        yield from (path.read_bytes() for path in vectors)
    elif target == "card":
        for key_bit, kind in ((0, "rsa"), (0x80, "ec")):
            files = material.card_files(kind)
            for index, label in enumerate(sorted(files)):
                yield bytes([key_bit | index]) + files[label]
    elif target == "identity_numbers":
        yield from (b"85.07.30-034.27", b"BE 0203.201.340", b"591-1234567-89", b"30 JUL 1985")
    elif target == "client_certificate":
        yield material.authentication().cert_der()
        yield material.authentication().cert_pem()
    elif target == "rrn_certificate":
        yield from material.certificates().values()
    elif target in ("certificates", "trust_file"):
        yield from material.certificates().values()
        yield material.pem_bundle()
    elif target in ("webeid_parse", "webeid_validate"):
        yield material.webeid_token().encode()
    elif target == "ocsp":
        yield material.ocsp_response()
    elif target == "crl":
        yield material.crl()
    elif target == "cms":
        yield from (docs.p7s.read_bytes(), docs.p7m.read_bytes(), docs.countersigned.read_bytes())
    elif target == "pdf":
        yield docs.pdf.read_bytes()
    elif target == "asic":
        yield from (docs.asice.read_bytes(), docs.asics.read_bytes())
    elif target == "time":
        yield from (text.encode() for text in _TIMES)
    elif target == "mutated":
        for case in range(len(signed_cases())):
            for op in range(len(Op)):
                yield bytes([case, op, 0, 0, 0, 0, 40, 0x41])


def seeds(target: str) -> list[bytes]:
    """The seed inputs of ``target`` (made material first, then the interop corpus)."""
    return [*_made(target), *_interop(target)]


def write_corpus(target: str, folder: Path) -> int:
    """Write the seeds of ``target`` into ``folder`` (named by content); return how many."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for seed in seeds(target):
        path = folder / material.digest(seed)
        if not path.exists():
            path.write_bytes(seed)
            written += 1
    return written


if __name__ == "__main__":
    from fuzz.checks import CHECKS

    out = Path(sys.argv[1])
    for name in CHECKS:
        print(name, write_corpus(name, out / name))
