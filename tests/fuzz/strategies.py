"""Inputs for the property tests: random bytes and edits of real (signed) inputs."""

from __future__ import annotations

import math

from hypothesis import settings
from hypothesis import strategies as st

from fuzz.seeds import seeds

_EDITS = ("flip", "insert", "delete", "truncate", "replace", "repeat")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=16),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
"""Any small JSON value."""


def field_or_json(known: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """A JSON member's value: a ``known`` (meaningful) one, or any JSON value."""
    return st.one_of(known, json_values)


def examples(share: float) -> settings:
    """Settings running ``share`` of the active profile's examples (at least 10)."""
    return settings(max_examples=max(10, math.ceil(settings().max_examples * share)))


def _apply(seed: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    data = bytearray(seed)
    for kind, where, payload in edits:
        at = where % (len(data) + 1)
        if kind == "flip" and at < len(data):
            data[at] ^= payload[0] or 0x80
        elif kind == "insert":
            data[at:at] = payload
        elif kind == "delete":
            del data[at : at + len(payload)]
        elif kind == "truncate":
            del data[at:]
        elif kind == "replace":
            data[at : at + len(payload)] = payload
        elif kind == "repeat":
            data[at:at] = bytes(data[at : at + len(payload) * 8]) * 4
    return bytes(data)


def edited(seed: bytes) -> st.SearchStrategy[bytes]:
    """``seed`` with one to four edits (bit flips, insertions, deletions, truncation...)."""
    edit = st.tuples(
        st.sampled_from(_EDITS),
        st.integers(0, max(len(seed), 1) * 2),
        st.binary(min_size=1, max_size=24),
    )
    return st.lists(edit, min_size=1, max_size=4).map(lambda edits: _apply(seed, edits))


def inputs(target: str, *, max_size: int = 4096) -> st.SearchStrategy[bytes]:
    """Random bytes, a seed of ``target`` as it is, or a seed edited."""
    known = st.deferred(lambda: st.sampled_from(seeds(target)))  # material is made on first use
    return st.one_of(st.binary(max_size=max_size), known, known.flatmap(edited))
