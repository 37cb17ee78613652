"""CAdES: CMS signatures over any file, detached (``.p7s``) or enveloping (``.p7m``).

The input is hashed as a stream (constant memory, any size); the signature has
the CAdES signed attributes (content type, message digest, signing time,
signing-certificate-v2) and, from B-T up, a signature timestamp. B-LT adds the
certificate paths and revocation data (`eid.sign.validation_data`); B-LTA then
an archive-time-stamp-v3 over it all (`eid.sign.archive`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import TimeStamper

from eid.hashing import SIGNING_DIGESTS
from eid.hashing import hash_algorithm as shared_hash_algorithm
from eid.sign.archive import add_archive_timestamp
from eid.sign.atomic import atomic_output, check_distinct, open_input
from eid.sign.enveloping import CHUNK, write_enveloping
from eid.sign.options import Level, SignatureOptions, SignedFile
from eid.sign.signers import EidSigner
from eid.sign.timestamping import run_signing, timestamper_for
from eid.sign.validation_data import embed_validation_data

__all__ = ["cms_signature", "digest_stream", "hash_algorithm", "sign_cades"]


def hash_algorithm(digest: str) -> hashes.HashAlgorithm:
    """The `cryptography` hash for a signing digest name (sha256, sha384, sha512)."""
    return shared_hash_algorithm(digest, SIGNING_DIGESTS)


def digest_stream(stream: BinaryIO, digest: str) -> tuple[bytes, int]:
    """Hash ``stream`` to its end a chunk at a time; returns the digest and the byte count."""
    hasher = hashes.Hash(hash_algorithm(digest))
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    size = 0
    while read := stream.readinto(view):  # type: ignore[attr-defined]
        hasher.update(view[:read])
        size += read
    return hasher.finalize(), size


def check_cms_level(options: SignatureOptions) -> None:
    """Refuse the levels CMS signatures do not offer (none now: B-B to B-LTA all are)."""
    del options


async def cms_signature(
    signer: EidSigner,
    data_digest: bytes,
    digest: str,
    options: SignatureOptions,
    timestamper: TimeStamper | None,
) -> cms.ContentInfo:
    """A detached CAdES signature over content whose ``digest`` is ``data_digest``."""
    signature = await signer.async_sign(
        data_digest,
        digest,
        use_pades=True,  # the CAdES signed attributes (for CMS, not PDF, as is_pdf_sig says)
        is_pdf_sig=False,
        timestamper=timestamper,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now(UTC)),
    )
    if options.level.long_term:
        assert options.validation_context is not None
        await embed_validation_data(signature["content"], options.validation_context)
    if options.level is Level.B_LTA:
        assert timestamper is not None
        await add_archive_timestamp(signature["content"], data_digest, digest, timestamper)
    return signature


def sign_cades(
    input: Path | str,
    output: Path | str,
    signer: EidSigner,
    options: SignatureOptions | None = None,
    *,
    detached: bool = True,
) -> SignedFile:
    """Sign any file with CAdES: ``detached`` writes a ``.p7s``, else an enveloping ``.p7m``.

    The output appears only when signing succeeded; the input is only read.
    """
    options = options or SignatureOptions()
    check_cms_level(options)
    source, target = Path(input), Path(output)
    check_distinct(target, source)
    digest = options.digest or signer.default_digest()
    handle = open_input(source)
    with handle:
        data_digest, size = digest_stream(handle, digest)
        signature = run_signing(
            cms_signature(signer, data_digest, digest, options, timestamper_for(options)),
            options.tsa_url,
        )
        with atomic_output(target) as out:
            if detached:
                written = out.write(signature.dump())
            else:
                handle.seek(0)
                written = write_enveloping(signature, handle, size, out)
    return SignedFile(
        output=target,
        format="cades-detached" if detached else "cades-enveloping",
        level=options.level,
        digest=digest,
        signer=signer.name,
        size=written,
        details={"content_size": size},
    )
