"""Enterprise mandates: a person acting for an enterprise (KBO/BCE number, name, role).

The mandates a person holds come from a `MandateSource`. The default, `FileMandateSource`,
reads a TOML or JSON file that maps national numbers to mandates::

    [[85073003328]]
    enterprise = "0203.201.340"
    name = "Example NV"
    role = "director"

(JSON: ``{"85073003328": [{"enterprise": "0203.201.340", "name": ..., "role": ...}]}``).
`choose_mandate` refuses an enterprise the person holds no mandate for.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from eid.errors import MalformedInput, MandateNotHeld
from eid.identity import EnterpriseNumber, NationalNumber

__all__ = ["FileMandateSource", "Mandate", "MandateSource", "choose_mandate", "parse_mandates"]


@dataclass(frozen=True)
class Mandate:
    """The right to act for an enterprise, in a role (such as ``director``)."""

    enterprise: EnterpriseNumber
    name: str
    role: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form (the enterprise number as 10 digits)."""
        return {"enterprise": str(self.enterprise), "name": self.name, "role": self.role}


class MandateSource(Protocol):
    """Where the mandates of a person are looked up."""

    def mandates_of(self, national_number: NationalNumber) -> Sequence[Mandate]:
        """Every mandate the person with ``national_number`` holds."""
        ...


def _mandate(entry: object, *, source: str, field: str) -> Mandate:
    if not isinstance(entry, Mapping):
        raise MalformedInput("a mandate must be a table", source=source, field=field)
    enterprise, name, role = entry.get("enterprise"), entry.get("name"), entry.get("role")
    if not (
        isinstance(enterprise, str)
        and enterprise
        and isinstance(name, str)
        and name
        and isinstance(role, str)
        and role
    ):
        raise MalformedInput(
            "a mandate needs 'enterprise', 'name' and 'role' (non-empty text)",
            source=source,
            field=field,
        )
    try:
        number = EnterpriseNumber.parse(enterprise)
    except MalformedInput as error:
        raise MalformedInput(error.message, source=source, field=field) from None
    return Mandate(number, name, role)


def parse_mandates(data: object, *, source: str) -> dict[str, tuple[Mandate, ...]]:
    """Check a decoded mandate file: national number -> list of mandates."""
    if not isinstance(data, Mapping):
        raise MalformedInput("the mandate file must map national numbers to lists", source=source)
    table: dict[str, tuple[Mandate, ...]] = {}
    for key, entries in data.items():
        try:
            national = NationalNumber.parse(str(key))
        except MalformedInput:
            raise MalformedInput(
                "a key is not a valid national number", source=source, field="key"
            ) from None
        if not isinstance(entries, list):
            raise MalformedInput("mandates must be a list", source=source, field=national.formatted)
        table[str(national)] = tuple(
            _mandate(entry, source=source, field=f"{national.formatted}[{i}]")
            for i, entry in enumerate(entries)
        )
    return table


class FileMandateSource:
    """Mandates read once from a TOML (``.toml``) or JSON file."""

    def __init__(self, path: Path) -> None:
        """Read and check ``path``; a malformed file raises `MalformedInput` naming it."""
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise MalformedInput(
                f"cannot read the mandate file ({error.strerror})", source=str(path)
            ) from None
        try:
            data: object = (
                tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
            )
        except (ValueError, UnicodeDecodeError) as error:
            raise MalformedInput(f"not valid TOML/JSON: {error}", source=str(path)) from None
        self._table = parse_mandates(data, source=str(path))

    def mandates_of(self, national_number: NationalNumber) -> Sequence[Mandate]:
        """Every mandate the person with ``national_number`` holds."""
        return self._table.get(str(national_number), ())


def choose_mandate(
    source: MandateSource, national_number: NationalNumber | None, enterprise: str
) -> Mandate:
    """The person's mandate for ``enterprise`` (any usual KBO/BCE form); `MandateNotHeld` if none."""
    number = EnterpriseNumber.parse(enterprise)
    if national_number is not None:
        for mandate in source.mandates_of(national_number):
            if mandate.enterprise == number:
                return mandate
    raise MandateNotHeld(f"the person holds no mandate to act for enterprise {number.formatted}")
