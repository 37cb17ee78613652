"""CAdES B-LTA: the archive-time-stamp-v3 attribute (ETSI EN 319 122-1, 5.5.2 and 5.5.3).

The archive timestamp is an unsigned attribute of the signer info. Its message
imprint is a hash of the concatenation of

1. the DER ``eContentType`` of ``encapContentInfo``;
2. the hash of the signed content (the file, or an ASiC-E manifest);
3. the DER ``version``, ``sid``, ``digestAlgorithm``, ``signedAttrs``,
   ``signatureAlgorithm`` and ``signature`` of the signer info, as they stand;
4. the DER ``ATSHashIndexV3`` value,

all hashed with the timestamp's own algorithm (here: the signature's digest).
``ATSHashIndexV3`` lists a hash of every ``CertificateChoices`` in
``SignedData.certificates``, of every ``RevocationInfoChoice`` in
``SignedData.crls`` and, for every unsigned attribute, of its DER ``attrType``
followed by each DER value; it travels as the ``ats-hash-index-v3`` unsigned
attribute of the timestamp token's own signer info.
"""

from __future__ import annotations

from asn1crypto import algos, cms, core
from cryptography.hazmat.primitives import hashes
from pyhanko.sign.timestamps import TimeStamper

from eid.errors import MalformedInput
from eid.hashing import SIGNING_DIGESTS, hash_algorithm

__all__ = [
    "ARCHIVE_TIME_STAMP_V3",
    "ATS_HASH_INDEX_V3",
    "add_archive_timestamp",
    "archive_imprint_input",
    "ats_hash_index_v3",
    "index_gaps",
    "stored_hash_index",
]

ARCHIVE_TIME_STAMP_V3 = "0.4.0.1733.2.4"
"""id-aa-ets-archiveTimestampV3."""

ATS_HASH_INDEX_V3 = "0.4.0.19122.1.5"
"""id-aa-ATSHashIndex-v3."""


class _HashIndex(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        # DEFAULT sha256 (EN 319 122-1); read as optional, so that it is written when given.
        ("hash_ind_algorithm", algos.DigestAlgorithm, {"optional": True}),
        ("certificates_hash_index", core.SequenceOf, {"spec": core.OctetString}),
        ("crls_hash_index", core.SequenceOf, {"spec": core.OctetString}),
        ("unsigned_attr_values_hash_index", core.SequenceOf, {"spec": core.OctetString}),
    ]


def _hash(digest: str, *parts: bytes) -> bytes:
    hasher = hashes.Hash(hash_algorithm(digest, SIGNING_DIGESTS))
    for part in parts:
        hasher.update(part)
    return hasher.finalize()


def _members(value: core.Asn1Value) -> list[core.Asn1Value]:
    """The members of an optional SET OF, without parsing them (absent: none)."""
    return [] if isinstance(value, core.Void) else list(value)


def _unsigned(signer_info: cms.SignerInfo) -> list[cms.CMSAttribute]:
    return _members(signer_info["unsigned_attrs"])


def ats_hash_index_v3(
    signed_data: cms.SignedData, signer_info: cms.SignerInfo, digest: str
) -> bytes:
    """The DER ``ATSHashIndexV3`` of ``signer_info`` in ``signed_data`` as it stands now."""
    attribute_hashes = []
    for attribute in _unsigned(signer_info):
        kind = attribute["type"].dump()
        for value in attribute["values"]:
            attribute_hashes.append(_hash(digest, kind, value.dump()))
    index = _HashIndex(
        {
            # The algorithm is written even when it is the default (SHA-256), as DSS does.
            "hash_ind_algorithm": algos.DigestAlgorithm({"algorithm": digest}),
            "certificates_hash_index": [
                _hash(digest, c.dump()) for c in _members(signed_data["certificates"])
            ],
            "crls_hash_index": [_hash(digest, c.dump()) for c in _members(signed_data["crls"])],
            "unsigned_attr_values_hash_index": attribute_hashes,
        }
    )
    return bytes(index.dump())


def stored_hash_index(token: cms.ContentInfo) -> bytes:
    """The DER ``ATSHashIndexV3`` an archive timestamp token carries (`MalformedInput` if none)."""
    (token_signer,) = token["content"]["signer_infos"]
    values = [
        value
        for attribute in _unsigned(token_signer)
        if attribute["type"].dotted == ATS_HASH_INDEX_V3
        for value in attribute["values"]
    ]
    if len(values) != 1:
        raise MalformedInput("the archive timestamp needs exactly one ats-hash-index-v3")
    raw = bytes(values[0].dump())
    _HashIndex.load(raw).native  # noqa: B018 - parsed now: a broken index is unreadable
    return raw


def index_gaps(signed_data: cms.SignedData, signer_info: cms.SignerInfo, index: bytes) -> list[str]:
    """What the hash ``index`` lists that ``signer_info`` in ``signed_data`` no longer holds.

    An archive timestamp protects the certificates, revocation data and unsigned
    attributes its index names; each of them must still be there to be used.
    """
    parsed = _HashIndex.load(index)
    algorithm = parsed["hash_ind_algorithm"]
    digest = "sha256" if isinstance(algorithm, core.Void) else str(algorithm["algorithm"].native)
    present = {
        "certificates_hash_index": {
            _hash(digest, c.dump()) for c in _members(signed_data["certificates"])
        },
        "crls_hash_index": {_hash(digest, c.dump()) for c in _members(signed_data["crls"])},
        "unsigned_attr_values_hash_index": {
            _hash(digest, attribute["type"].dump(), value.dump())
            for attribute in _unsigned(signer_info)
            for value in attribute["values"]
        },
    }
    return [
        f"{name.removesuffix('_hash_index').replace('_', ' ')} listed by the archive index are missing"
        for name, found in present.items()
        if not set(parsed[name].native) <= found
    ]


def archive_imprint_input(
    signed_data: cms.SignedData, signer_info: cms.SignerInfo, content_digest: bytes, index: bytes
) -> bytes:
    """What the archive timestamp's message imprint is the hash of (see the module text)."""
    fields = (
        "version",
        "sid",
        "digest_algorithm",
        "signed_attrs",
        "signature_algorithm",
        "signature",
    )
    return b"".join(
        [
            signed_data["encap_content_info"]["content_type"].dump(),
            content_digest,
            *(signer_info[name].dump() for name in fields),
            index,
        ]
    )


async def add_archive_timestamp(
    signed_data: cms.SignedData, content_digest: bytes, digest: str, timestamper: TimeStamper
) -> None:
    """Add an archive-time-stamp-v3 to the first signer info of ``signed_data``.

    ``content_digest`` is the hash of the signed content with ``digest``, which is
    also the timestamp's algorithm. Call it on a B-LT signature: the validation
    data must be in place, as the index fixes what was there when stamped.
    """
    # Read back as it will be written: DER puts SET OF members (certificates, CRLs,
    # attributes) in order when encoding, and the index follows the written order.
    written = cms.SignedData.load(signed_data.untag().dump())
    written_signer = written["signer_infos"][0]
    index = ats_hash_index_v3(written, written_signer, digest)
    imprint = _hash(digest, archive_imprint_input(written, written_signer, content_digest, index))
    signer_info = signed_data["signer_infos"][0]
    token = await timestamper.async_timestamp(imprint, digest)
    token_signer = token["content"]["signer_infos"][0]
    token_attributes = _unsigned(token_signer)
    token_attributes.append(
        cms.CMSAttribute({"type": ATS_HASH_INDEX_V3, "values": [core.Any.load(index)]})
    )
    token_signer["unsigned_attrs"] = token_attributes
    attributes = _unsigned(signer_info)
    attributes.append(
        cms.CMSAttribute({"type": ARCHIVE_TIME_STAMP_V3, "values": [core.Any.load(token.dump())]})
    )
    signer_info["unsigned_attrs"] = attributes
