"""`eid demo`: the whole path on the virtual eID, step by step."""

from __future__ import annotations

from pathlib import Path

import click

from eid.auth import Authenticator, respond
from eid.cli.output import Output, json_option, shown
from eid.cli.testpki import card_trust, test_pki_services
from eid.cli.tokens import print_card
from eid.cli.virtual import print_created
from eid.cli.webeid import print_auth_result
from eid.errors import UsageError
from eid.sign import Level, SignatureOptions, TokenSigner, sign_pdf, verify
from eid.sign.report_text import report_lines
from eid.tokens import list_slots
from eid.tokens.belpic.rrn_trust import validate_rrn_certificate
from eid.tokens.token import readable_name
from eid.tokens.virtual import create_virtual_card

__all__ = ["demo", "demo_pdf"]


def demo_pdf(path: Path, text: str = "A letter for the eid demo") -> Path:
    """Write a one-page A4 PDF showing ``text`` (ASCII) in Helvetica; made here, no template."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = f"BT /F1 18 Tf 72 760 Td ({escaped}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


@click.command()
@json_option
def demo(as_json: bool) -> None:
    """Create the virtual eID, read its identity, log in, sign a PDF and verify the signature."""
    out = Output(as_json)
    with out.errors_to_exit_codes():
        out.section("1. the virtual eID")
        try:
            card, made = create_virtual_card()
        except UsageError as error:
            # An unreadable card (made by another version): it is test material, make it anew.
            out.say(f"[yellow]{shown(error.message)}[/yellow]; making it anew")
            card, made = create_virtual_card(replace=True)
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
                f"slot {slot.slot_id}: {shown(slot.token.label)}, serial "
                f"{shown(slot.token.serial)}, PIN {shown(slot.token.pin_state)}"
            )
        with card.open() as token:
            certificates = token.certificates()
            for cert in certificates:
                out.say(f"  {cert.role.value:15} {shown(readable_name(cert.certificate.subject))}")

            out.section("3. identity and address, read and verified")
            data = token.read_card()
            trust = card_trust(card)
            rrn = validate_rrn_certificate(data, trust)
            if not as_json:
                print_card(out, data, rrn)

            # The card's test PKI, built once and served on loopback for steps 4 to 6.
            pki = card.pki()
            with test_pki_services(pki) as services:
                out.section("4. login: challenge, the card's answer, verification with OCSP")
                portal = Authenticator(origin="https://portal.localhost", trust=trust)
                challenge = portal.new_challenge()
                out.say(f"the portal's challenge: {shown(challenge.nonce)}")
                login = portal.verify(respond(token, challenge), challenge=challenge.nonce)
                if not as_json:
                    print_auth_result(out, login)

                out.section("5. sign a PDF (PAdES B-T) with the card")
                folder = card.directory.parent / "demo"
                folder.mkdir(parents=True, exist_ok=True)
                letter = demo_pdf(folder / "letter.pdf")
                out.say(f"timestamps from the test PKI's TSA at {shown(services.tsa_url)}")
                options = SignatureOptions(level=Level.B_T, tsa_url=services.tsa_url)
                signed = sign_pdf(letter, folder / "letter.signed.pdf", TokenSigner(token), options)
                out.say(
                    f"signed {shown(letter)} -> [bold]{shown(signed.output)}[/bold] "
                    f"({signed.size} bytes, {signed.level.value}, by {shown(signed.signer)})"
                )

                out.section("6. verify the signed PDF (ETSI EN 319 102-1, OCSP required)")
                report = verify(signed.output, trust=trust)
            if not as_json:
                for line in report_lines(report):
                    out.say(shown(line))
        if as_json:
            out.json(
                {
                    "virtual_card": card.to_dict(),
                    "slots": [s.to_dict() for s in slots],
                    "certificates": [c.to_dict() for c in certificates],
                    "identity": {
                        **data.to_dict(),
                        "rrn_certificate_trusted_by": rrn.chain[-1].subject,
                    },
                    "login": login.to_dict(),
                    "signed": str(signed.output),
                    "signing": signed.to_dict(),
                    "verification": report.to_dict(),
                }
            )
