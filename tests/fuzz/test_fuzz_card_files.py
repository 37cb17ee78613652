"""Property tests of the card-file parsers: TLV, identity, address, RRN signatures, photo."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eid.tokens.belpic import decode_tlv, encode_tlv
from fuzz import checks, material
from tests.fuzz.bounds import within
from tests.fuzz.strategies import edited, examples, inputs

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


@given(st.integers(0, 255), inputs("card").map(lambda data: data[1:]))
def test_a_changed_card_file_never_reads_as_signed(head: int, data: bytes) -> None:
    checks.check_card(bytes([head]) + data)


@given(inputs("rrn_certificate"))
def test_rrn_certificates_load_or_raise_eid_errors(data: bytes) -> None:
    checks.check_rrn_certificate(data)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
@examples(0.3)
@given(st.integers(0, 5), st.data())
def test_every_signed_card_file_is_covered(kind: str, index: int, data: st.DataObject) -> None:
    """Edits of each real file in turn (not random bytes): the signatures catch them all."""
    files = material.card_files(kind)  # type: ignore[arg-type]
    changed = data.draw(edited(files[sorted(files)[index]]))
    checks.check_card(bytes([index | (0x80 if kind == "ec" else 0)]) + changed)


@examples(0.1)
@given(st.integers(10, 23), st.sampled_from([b"\x01\x01A", b"\x01\xff", b"\x00"]))
def test_huge_card_files_are_refused_in_bounded_time(bits: int, unit: bytes) -> None:
    data = unit * ((1 << bits) // len(unit))
    with within(seconds=5, mebibytes=64):
        checks.check_identity(data)
        checks.check_tlv(data)
