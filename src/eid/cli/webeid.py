"""`eid webeid verify` and `eid webeid create`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from eid.auth.result import AuthResult
from eid.auth.webeid import create_token, validate
from eid.cli.options import open_cli_token, token_options
from eid.cli.output import Output, json_option, shown
from eid.cli.trust import (
    parse_time,
    revocation_options,
    revocation_settings,
    trust_option,
    trust_store,
)
from eid.errors import UsageError

__all__ = ["print_auth_result", "webeid"]


@click.group()
def webeid() -> None:
    """Web eID authentication tokens, as the Web eID browser extension makes them."""


@webeid.command()
@click.argument("token_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--origin", required=True, help="The portal's origin: https://host[:port].")
@click.option(
    "--challenge", required=True, help="The challenge nonce the portal issued (base64 text)."
)
@trust_option
@click.option("--at", "at_time", metavar="ISO-TIME", help="Validate at this time instead of now.")
@revocation_options
@json_option
def verify(
    token_file: Path,
    origin: str,
    challenge: str,
    trust: tuple[str, ...],
    at_time: str | None,
    revocation: str,
    no_revocation: bool,
    as_json: bool,
) -> None:
    """Validate a Web eID token (JSON file, or - for standard input) and print who it names."""
    out = Output(as_json)
    with out.errors_to_exit_codes():
        text = _read(token_file)
        result = validate(
            text,
            origin=origin,
            challenge=challenge,
            trust=trust_store(trust),
            at=parse_time(at_time),
            revocation=revocation_settings(revocation, no_revocation),
        )
        out.emit(result.to_dict(), lambda: print_auth_result(out, result))


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None


@webeid.command()
@token_options
@click.option("--origin", required=True, help="The portal's origin: https://host[:port].")
@click.option(
    "--challenge",
    required=True,
    help="The challenge nonce to sign (base64 text, 44-128 characters).",
)
@click.option(
    "--signing-certificate",
    is_flag=True,
    help="Include the signature certificate (format web-eid:1.1).",
)
def create(
    module: Path | None, label: str | None, origin: str, challenge: str, signing_certificate: bool
) -> None:
    """Sign a challenge with the card's authentication key and print the Web eID token."""
    out = Output(as_json=True)
    with out.errors_to_exit_codes(), open_cli_token(module, label) as token:
        click.echo(
            create_token(
                token,
                origin=origin,
                challenge=challenge,
                include_signing_certificate=signing_certificate,
            )
        )


def print_auth_result(out: Output, result: AuthResult) -> None:
    """Say who authenticated, how, and with what reservations."""
    identity = result.validated.identity
    name = " ".join(part for part in (identity.given_names, identity.surname) if part)
    number = (
        identity.national_number.formatted if identity.national_number else identity.serial_number
    )
    out.console.print(f"[green]authenticated[/green] [bold]{shown(name)}[/bold] ({shown(number)})")
    out.console.print(
        f"  by {shown(result.method.replace('_', ' '))}, level of assurance "
        f"{shown(result.assurance_level or 'not established')}"
    )
    revocation = result.validated.revocation
    out.console.print(
        f"  revocation: {shown(revocation.status)}"
        + (f" ({shown(revocation.source)})" if revocation.source else "")
    )
    for warning in result.warnings:
        out.console.print(f"  [yellow]warning[/yellow]: {shown(warning)}")
