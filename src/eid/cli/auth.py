"""`eid auth`: challenge, respond with the card, verify - a whole login in one command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from eid.auth import Authenticator, respond
from eid.cli.options import open_cli_token, token_options
from eid.cli.output import Output, json_option, shown
from eid.cli.testpki import card_trust, test_pki_services, virtual_card_of
from eid.cli.trust import revocation_options, revocation_settings, trust_option, trust_store
from eid.cli.webeid import print_auth_result
from eid.pki import TrustStore
from eid.tokens import Token

__all__ = ["auth"]


@contextmanager
def login_trust(token: Token, values: tuple[str, ...]) -> Iterator[TrustStore]:
    """The trust for a login: ``--trust`` when given; for the virtual card its test PKI, served on loopback."""
    card = virtual_card_of(token)
    if card is None:
        yield trust_store(values)
        return
    pki = card.pki()
    with test_pki_services(pki):
        yield trust_store(values, default=lambda: card_trust(card))


@click.command()
@token_options
@click.option(
    "--origin", default="https://eid.localhost", show_default=True, help="The portal's origin."
)
@trust_option
@revocation_options
@click.option(
    "--signing-certificate",
    is_flag=True,
    help="Also hand over the signature certificate (web-eid:1.1).",
)
@json_option
def auth(
    module: Path | None,
    label: str | None,
    origin: str,
    trust: tuple[str, ...],
    revocation: str,
    no_revocation: bool,
    signing_certificate: bool,
    as_json: bool,
) -> None:
    """Log in with the card: the portal issues a challenge, the card signs it, the portal verifies."""
    out = Output(as_json)
    with (
        out.errors_to_exit_codes(),
        open_cli_token(module, label) as token,
        login_trust(token, trust) as store,
    ):
        portal = Authenticator(
            origin=origin, trust=store, revocation=revocation_settings(revocation, no_revocation)
        )
        challenge = portal.new_challenge()
        out.say(f"challenge for {shown(challenge.origin)}: {shown(challenge.nonce)}")
        answer = respond(token, challenge, include_signing_certificate=signing_certificate)
        out.say(f"the card answered with a Web eID token of {len(answer)} characters")
        result = portal.verify(answer, challenge=challenge.nonce)
        out.emit(result.to_dict(), lambda: print_auth_result(out, result))
