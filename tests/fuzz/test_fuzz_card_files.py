"""Property tests of the card-file parsers: TLV, identity, address, RRN signatures, photo."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from eid.tokens.belpic import decode_tlv, encode_tlv
from fuzz import checks, material
from tests.fuzz.strategies import examples, inputs

tlv_fields = st.lists(st.tuples(st.integers(1, 0xFF), st.binary(max_size=600)), max_size=12)


@given(inputs("tlv"))
def test_tlv_decoding_refuses_or_splits_exactly(data: bytes) -> None:
    checks.check_tlv(data)


@given(tlv_fields, st.integers(0, 64))
def test_tlv_encoding_round_trips_with_zero_padding(
    fields: list[tuple[int, bytes]], pad: int
) -> None:
    encoded = encode_tlv(fields)
    decoded = decode_tlv(encoded + b"\x00" * pad)
    assert [(e.tag, e.value) for e in decoded] == fields


@given(st.one_of(inputs("identity"), tlv_fields.map(encode_tlv)))
def test_identity_and_address_parsers_raise_only_eid_errors(data: bytes) -> None:
    checks.check_identity(data)


@given(st.integers(0, 5), inputs("card").map(lambda data: data[1:]))
def test_a_changed_card_file_never_reads_as_signed(index: int, data: bytes) -> None:
    checks.check_card(bytes([index]) + data)


@given(inputs("rrn_certificate"))
def test_rrn_certificates_load_or_raise_eid_errors(data: bytes) -> None:
    checks.check_rrn_certificate(data)


@examples(0.3)
@given(st.sampled_from(sorted(material.card_files())), st.data())
def test_every_signed_card_file_is_covered(label: str, data: st.DataObject) -> None:
    """Edits of each real file in turn (not random bytes): the signatures catch them all."""
    index = sorted(material.card_files()).index(label)
    from tests.fuzz.strategies import edited

    changed = data.draw(edited(material.card_files()[label]))
    checks.check_card(bytes([index]) + changed)
