"""ASiC-S (ETSI EN 319 162-1): one file and its detached CAdES signature in a ZIP container."""

from __future__ import annotations

import zipfile
from pathlib import Path

from eid.sign.atomic import atomic_output, check_distinct
from eid.sign.cades import check_cms_level, cms_signature, hash_algorithm
from eid.sign.container import ASIC_S, META_INF, add_file, entry_name, write_mimetype
from eid.sign.options import SignatureOptions, SignedFile
from eid.sign.signers import EidSigner
from eid.sign.timestamping import run_signing, timestamper_for

__all__ = ["SIGNATURE_ENTRY", "sign_asics"]

SIGNATURE_ENTRY = f"{META_INF}signature.p7s"
"""Where an ASiC-S container keeps its CAdES signature."""


def sign_asics(
    input: Path | str,
    output: Path | str,
    signer: EidSigner,
    options: SignatureOptions | None = None,
) -> SignedFile:
    """Put ``input`` into a new ASiC-S container with a CAdES signature over it."""
    options = options or SignatureOptions()
    check_cms_level(options)
    source, target = Path(input), Path(output)
    check_distinct(target, source)
    name = entry_name(source)
    digest = options.digest or signer.default_digest()
    with atomic_output(target) as out:
        with zipfile.ZipFile(out, "w") as archive:
            write_mimetype(archive, ASIC_S)
            data_digest = add_file(archive, name, source, hash_algorithm(digest))
            signature = run_signing(
                cms_signature(signer, data_digest, digest, options, timestamper_for(options)),
                options.tsa_url,
            )
            archive.writestr(
                zipfile.ZipInfo(SIGNATURE_ENTRY),
                signature.dump(),
                compress_type=zipfile.ZIP_DEFLATED,
            )
        size = out.seek(0, 2)
    return SignedFile(
        output=target,
        format="asics",
        level=options.level,
        digest=digest,
        signer=signer.name,
        size=size,
        details={"file": name, "signature": SIGNATURE_ENTRY},
    )
