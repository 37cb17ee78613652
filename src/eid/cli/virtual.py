"""`eid virtual-card create`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from eid.cli.output import Output, json_option, shown
from eid.tokens import PIN_ENV
from eid.tokens.virtual import DEFAULT_PIN, VirtualCard, VirtualCardSpec, create_virtual_card

__all__ = ["virtual_card"]


@click.group("virtual-card")
def virtual_card() -> None:
    """The virtual eID: a SoftHSM2 token that looks like a Belgian eID card."""


@virtual_card.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the card lives (default: $EID_HOME/virtual-card, else the user's data directory).",
)
@click.option("--given-names", default=VirtualCardSpec.given_names, show_default=True)
@click.option("--surname", default=VirtualCardSpec.surname, show_default=True)
@click.option("--national-number", default=VirtualCardSpec.national_number, show_default=True)
@click.option(
    "--street",
    default=VirtualCardSpec.street_and_number,
    show_default=True,
    help="Street and number.",
)
@click.option("--zip", "zip_code", default=VirtualCardSpec.zip_code, show_default=True)
@click.option("--municipality", default=VirtualCardSpec.municipality, show_default=True)
@click.option(
    "--key-type",
    type=click.Choice(["rsa", "ec"]),
    default="rsa",
    show_default=True,
    help="rsa: RSA-2048 like applet 1.7 cards; ec: EC P-384 like applet 1.8 cards.",
)
@click.option("--replace", is_flag=True, help="Replace an existing virtual card in that directory.")
@json_option
def create(
    directory: Path | None,
    given_names: str,
    surname: str,
    national_number: str,
    street: str,
    zip_code: str,
    municipality: str,
    key_type: str,
    replace: bool,
    as_json: bool,
) -> None:
    """Provision the virtual card (idempotent). Its PIN is $EID_PIN, else the test PIN 1234."""
    out = Output(as_json)
    with out.errors_to_exit_codes():
        spec = VirtualCardSpec(
            given_names=given_names,
            surname=surname,
            national_number=national_number,
            street_and_number=street,
            zip_code=zip_code,
            municipality=municipality,
            key_kind="ec" if key_type == "ec" else "rsa",
            pin=os.environ.get(PIN_ENV) or DEFAULT_PIN,
        )
        card, made = create_virtual_card(directory, spec, replace=replace)
        out.emit({**card.to_dict(), "created_now": made}, lambda: print_created(out, card, made))


def print_created(out: Output, card: VirtualCard, made: bool) -> None:
    """Say where the card lives and whether it was made now."""
    verb = "created" if made else "already exists"
    out.console.print(
        f"virtual eID of [bold]{shown(card.holder)}[/bold] {verb} "
        f"({shown(card.key_kind.upper())} keys)"
    )
    out.console.print(f"  lives in {shown(card.directory)}")
    out.console.print(f"  SOFTHSM2_CONF={shown(card.config)}")
