"""`eid tokens`, `eid certs` and `eid identity`."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from rich.table import Table

from eid.cli.options import open_cli_token, token_options
from eid.cli.output import Output, json_option, shown
from eid.cli.testpki import card_trust, virtual_card_of
from eid.cli.trust import trust_option, trust_store
from eid.errors import EidError, NoModule, UsageError
from eid.pki import TrustStore, ValidatedCertificate
from eid.tokens import MODULE_ENV, candidate_modules, list_slots, load_module
from eid.tokens.belpic import CardData, read_card_files
from eid.tokens.belpic.labels import FILE_OBJECT_IDS
from eid.tokens.belpic.rrn_trust import validate_rrn_certificate
from eid.tokens.virtual import find_virtual_card

__all__ = ["certs", "identity", "tokens"]


def _module_entry(path: Path, *, virtual: bool = False) -> dict[str, object]:
    entry: dict[str, object] = {"path": str(path), "virtual_card": virtual}
    card = find_virtual_card() if virtual else None
    try:
        module = card.module() if card else load_module(path)
        entry["description"] = module.description
        slots = list_slots(module)
        if card:
            slots = [s for s in slots if s.token is not None and s.token.label == card.label]
        entry["slots"] = [s.to_dict() for s in slots]
    except EidError as error:
        entry["error"] = error.to_dict()
    return entry


@click.command()
@click.option(
    "--module", type=click.Path(dir_okay=False, path_type=Path), help="Only this PKCS#11 module."
)
@json_option
def tokens(module: Path | None, as_json: bool) -> None:
    """List PKCS#11 modules, readers, tokens and their PIN state."""
    out = Output(as_json)
    with out.errors_to_exit_codes():
        explicit = module or (Path(os.environ[MODULE_ENV]) if os.environ.get(MODULE_ENV) else None)
        if explicit:
            list_slots(load_module(explicit))  # raises NoModule / NoReader for this module
            entries = [_module_entry(explicit)]
        else:
            entries = [_module_entry(path) for path in candidate_modules()]
            card = find_virtual_card()
            if card is not None:
                entries.append(_module_entry(card.config, virtual=True))
            if not entries:
                raise NoModule(
                    "no PKCS#11 module found: install the Belgian eID middleware, pass --module, "
                    "or create the virtual card with `eid virtual-card create`"
                )
        out.emit({"modules": entries}, lambda: _print_modules(out, entries))


def _print_modules(out: Output, entries: list[dict[str, object]]) -> None:
    for entry in entries:
        title = "virtual eID (SoftHSM2)" if entry["virtual_card"] else str(entry["path"])
        out.console.print(f"[bold]{shown(title)}[/bold]  {shown(entry.get('description', ''))}")
        if "error" in entry:
            error = entry["error"]
            assert isinstance(error, dict)
            out.console.print(f"  [red]{shown(error['code'])}[/red]: {shown(error['message'])}")
            continue
        slots = entry["slots"]
        assert isinstance(slots, list)
        if not slots:
            out.console.print("  no reader")
        for slot in slots:
            token = slot["token"]
            if token is None:
                out.console.print(
                    f"  slot {shown(slot['slot_id'])} {shown(slot['description'])}: "
                    f"{shown(slot['problem'] or 'no card')}"
                )
            else:
                out.console.print(
                    f"  slot {shown(slot['slot_id'])} {shown(slot['description'])}: "
                    f"[green]{shown(token['label'])}[/green] serial {shown(token['serial'])}, "
                    f"PIN {shown(token['pin_state'])}" + (", pinpad" if token["pinpad"] else "")
                )


@click.command()
@token_options
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write every certificate to this directory as <label>.pem.",
)
@click.option(
    "--login",
    is_flag=True,
    help="Log in first (asks the PIN): some tokens show private certificates only then.",
)
@json_option
def certs(
    module: Path | None, label: str | None, export_dir: Path | None, login: bool, as_json: bool
) -> None:
    """Show the certificates on the token."""
    out = Output(as_json)
    with out.errors_to_exit_codes(), open_cli_token(module, label) as token:
        if login:
            token.login()
        found = token.certificates()
        entries = [c.to_dict() for c in found]
        unreadable = [
            {"label": name, "problem": why} for name, why in token.unreadable_certificates()
        ]
        if export_dir is not None:
            export_dir.mkdir(parents=True, exist_ok=True)
            names = _file_names([cert.label for cert in found])
            for cert, entry, name in zip(found, entries, names, strict=True):
                target = export_dir / f"{name}.pem"
                target.write_bytes(cert.certificate.public_bytes(serialization.Encoding.PEM))
                entry["exported"] = str(target)

        def text() -> None:
            table = Table(
                "role",
                "label",
                "subject",
                "valid until",
                title=f"certificates on {shown(token.label)}",
            )
            for entry in entries:
                table.add_row(
                    *(shown(entry[key]) for key in ("role", "label", "subject", "not_after"))
                )
            out.console.print(table)
            for left_out in unreadable:
                out.console.print(
                    f"[yellow]left out[/yellow] {shown(left_out['label'])}: "
                    f"{shown(left_out['problem'])}"
                )
            if export_dir is not None:
                out.console.print(f"exported {len(entries)} certificate(s) to {shown(export_dir)}")

        out.emit({"token": token.label, "certificates": entries, "unreadable": unreadable}, text)


def _file_names(labels: list[str]) -> list[str]:
    """A distinct file name for each label (tokens may repeat labels or leave them empty)."""
    names: list[str] = []
    for label in labels:
        base = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label) or "certificate"
        name, number = base, 1
        while name in names:
            number += 1
            name = f"{base}-{number}"
        names.append(name)
    return names


def read_files_dir(directory: Path) -> dict[str, bytes]:
    """Card files in ``directory``, named by their middleware labels with or without an extension."""
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory")
    files: dict[str, bytes] = {}
    for path in sorted(directory.iterdir()):
        name = path.name.split(".", 1)[0].upper()
        if path.is_file() and name in FILE_OBJECT_IDS:
            if name in files:
                raise UsageError(f"{directory} holds {name} twice")
            files[name] = path.read_bytes()
    if "DATA_FILE" not in files:
        raise UsageError(f"{directory} holds no DATA_FILE (the identity file)")
    return files


@click.command()
@token_options
@click.option(
    "--files",
    "files_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Read card files from this directory (DATA_FILE, ADDRESS_FILE, SIGN_DATA_FILE, ...) instead of a token.",
)
@click.option(
    "--photo", type=click.Path(dir_okay=False, path_type=Path), help="Write the photo (JPEG) here."
)
@trust_option
@json_option
def identity(
    module: Path | None,
    label: str | None,
    files_dir: Path | None,
    photo: Path | None,
    trust: tuple[str, ...],
    as_json: bool,
) -> None:
    """Read identity and address, with the national register's (RRN) signatures checked.

    The signature files and the RRN certificate must be there (exit 1 naming what is
    missing), and that certificate must be issued by a root in --trust (default: the
    Belgian roots; for the virtual card, its test root).
    """
    out = Output(as_json)
    with out.errors_to_exit_codes():
        default: Callable[[], TrustStore] = TrustStore.belgium
        if files_dir is not None:
            card = read_card_files(read_files_dir(files_dir), require_signatures=True)
        else:
            with open_cli_token(module, label) as token:
                card = token.read_card()
                virtual = virtual_card_of(token)
            if virtual is not None:
                default = partial(card_trust, virtual)
        rrn = validate_rrn_certificate(card, trust_store(trust, default=default))
        data = card.to_dict()
        data["rrn_certificate_trusted_by"] = rrn.chain[-1].subject
        data["rrn_certificate_algorithm_rules"] = list(rrn.algorithm_rules)
        if photo is not None:
            if card.photo is None:
                raise UsageError("there is no photo to write")
            photo.write_bytes(card.photo)
            data["photo_written"] = str(photo)
        out.emit(data, lambda: print_card(out, card, rrn))


def print_card(out: Output, card: CardData, rrn: ValidatedCertificate) -> None:
    """Print identity, address and the checks for a person (``rrn``: the checked RRN certificate)."""
    person = card.identity
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("Name", f"{person.given_names} {person.surname}".strip()),
        ("National number", person.national_number.formatted),
        ("Born", f"{person.birth_date} in {person.birth_place}"),
        ("Sex", person.sex),
        ("Nationality", person.nationality),
        (
            "Card",
            f"{person.card_number.formatted}, valid {person.validity_begin} to {person.validity_end}",
        ),
    ]
    if card.address is not None:
        address = card.address
        rows.append(
            ("Address", f"{address.street_and_number}, {address.zip_code} {address.municipality}")
        )
    for key, value in rows:
        table.add_row(key, shown(value))
    out.console.print(table)
    for line in card.checks.describe():
        out.console.print(shown(line))
    out.console.print(f"RRN certificate: trusted, issued by {shown(rrn.chain[-1].subject)}")
    if rrn.algorithm_rules:
        rules = "; ".join(rrn.algorithm_rules)
        out.console.print(f"RRN certificate algorithms, as of the card's issuance: {shown(rules)}")
