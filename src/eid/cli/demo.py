"""`eid demo`: the whole path on the virtual eID, step by step."""

from __future__ import annotations

import click

from eid.auth import Authenticator, respond
from eid.cli.auth import login_trust
from eid.cli.output import Output, json_option
from eid.cli.tokens import print_card
from eid.cli.virtual import print_created
from eid.cli.webeid import print_auth_result
from eid.tokens import list_slots
from eid.tokens.token import readable_name
from eid.tokens.virtual import create_virtual_card

__all__ = ["demo"]


@click.command()
@json_option
def demo(as_json: bool) -> None:
    """Create the virtual eID, read and verify its identity like a real card, and log in with it."""
    out = Output(as_json)
    with out.errors_to_exit_codes():
        out.section("1. the virtual eID")
        card, made = create_virtual_card()
        if not as_json:
            print_created(out, card, made)

        out.section("2. the token, as PKCS#11 shows it")
        slots = [
            s
            for s in list_slots(card.module())
            if s.token is not None and s.token.label == card.label
        ]
        for slot in slots:
            assert slot.token is not None
            out.say(
                f"slot {slot.slot_id}: {slot.token.label}, serial {slot.token.serial}, PIN {slot.token.pin_state}"
            )
        with card.open() as token:
            certificates = token.certificates()
            for cert in certificates:
                out.say(f"  {cert.role.value:15} {readable_name(cert.certificate.subject)}")

            out.section("3. identity and address, read and verified")
            data = token.read_card()
            if not as_json:
                print_card(out, data)

            out.section("4. login: challenge, the card's answer, verification with OCSP")
            with login_trust(token, ()) as trust:
                portal = Authenticator(origin="https://portal.localhost", trust=trust)
                challenge = portal.new_challenge()
                out.say(f"the portal's challenge: {challenge.nonce}")
                login = portal.verify(respond(token, challenge), challenge=challenge.nonce)
            if not as_json:
                print_auth_result(out, login)
        if as_json:
            out.json(
                {
                    "virtual_card": card.to_dict(),
                    "slots": [s.to_dict() for s in slots],
                    "certificates": [c.to_dict() for c in certificates],
                    "identity": data.to_dict(),
                    "login": login.to_dict(),
                }
            )
