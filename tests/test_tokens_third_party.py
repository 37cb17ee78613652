"""eid.tokens on SoftHSM2 tokens laid out by other tools, as other vendors' tokens are.

Objects are made by OpenSC's ``pkcs11-tool`` (key pairs generated on the token,
certificates written beside them), ``softhsm2-util --import`` (PKCS#8 keys) and
python-pkcs11 directly for attributes those tools do not set: certificates paired
with keys by CKA_ID only, labels absent or not UTF-8, orphan and expired
certificates, private certificates, keys restricted by CKA_ALLOWED_MECHANISMS or
CKA_ALWAYS_AUTHENTICATE, a token whose user PIN was never set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass
from pkcs11.attributes import AttributeMapper, handle_ulong

from eid.errors import KeyNotFound, MechanismUnsupported, TokenError
from eid.sign.signers import TokenSigner
from eid.sso import ProviderKey
from eid.sso.algorithms import ALGORITHMS, verify
from eid.tokens import PinRequest, Role, Token, load_module, open_token
from eid.tokens.attributes import ATTRIBUTE_MAPPER
from eid.tokens.token import _classify, _load_certificate, readable_name

from .cli_support import eid

pytestmark = pytest.mark.token

PIN = "975310"
SO_PIN = "86420864"
NOW = dt.datetime.now(dt.UTC)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@dataclass
class Issuer:
    """A CA that certifies keys whose private half lives on a token."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def __post_init__(self) -> None:
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name("Third-party test CA"))
            .issuer_name(_name("Third-party test CA"))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def issue(
        self,
        public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
        common_name: str,
        *,
        usage: str | None = "signature",
        days: tuple[int, int] = (-1, 365),
    ) -> x509.Certificate:
        """A certificate for ``public``: key usage nonRepudiation ("signature"),
        digitalSignature ("authentication"), both ("both") or none at all (None)."""
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.certificate.subject)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW + dt.timedelta(days=days[0]))
            .not_valid_after(NOW + dt.timedelta(days=days[1]))
        )
        if usage is not None:
            digital = usage in ("authentication", "both")
            commitment = usage in ("signature", "both")
            builder = builder.add_extension(
                x509.KeyUsage(digital, commitment, False, False, False, False, False, False, False),
                critical=True,
            )
        return builder.sign(self.key, hashes.SHA256())


class ThirdPartyHsm:
    """A SoftHSM2 directory whose tokens are filled by pkcs11-tool and softhsm2-util."""

    def __init__(self, directory: Path, softhsm: Path) -> None:
        self.directory = directory
        self.softhsm = softhsm
        (directory / "tokens").mkdir(parents=True)
        config = directory / "softhsm2.conf"
        config.write_text(f"directories.tokendir = {directory / 'tokens'}\nlog.level = ERROR\n")
        self.environment = {"SOFTHSM2_CONF": str(config)}
        self.issuer = Issuer()

    def run(self, *args: str | bytes) -> None:
        result = subprocess.run(
            args, env={**os.environ, **self.environment}, capture_output=True, check=False
        )
        assert result.returncode == 0, result.stderr.decode(errors="replace")

    def init(self, label: str) -> str:
        self.run(
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            SO_PIN,
            "--pin",
            PIN,
        )
        return label

    def tool(self, label: str, *args: str | bytes) -> None:
        """pkcs11-tool on the token ``label``, logged in."""
        self.run(
            "pkcs11-tool", "--module", str(self.softhsm), "--token-label", label,
            "--login", "--pin", PIN, *args,
        )  # fmt: skip

    def generate(self, label: str, key_type: str, key_id: str, *args: str | bytes) -> None:
        """A key pair generated on the token by pkcs11-tool (certified later, in `certify`)."""
        self.tool(
            label, "--keypairgen", "--key-type", key_type, "--id", key_id, "--usage-sign", *args
        )

    def import_key(
        self,
        label: str,
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        key_id: str,
        key_label: str,
    ) -> None:
        """A PKCS#8 key imported by softhsm2-util."""
        path = self.directory / "key.pem"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.run(
            "softhsm2-util", "--import", str(path), "--token", label, "--id", key_id,
            "--label", key_label, "--pin", PIN,
        )  # fmt: skip
        path.unlink()

    def write_certificate(
        self,
        label: str,
        certificate: x509.Certificate,
        cert_id: str | None,
        cert_label: bytes | str | None,
    ) -> None:
        """A certificate written by pkcs11-tool (a bytes label goes to it as it is)."""
        path = self.directory / "certificate.der"
        path.write_bytes(certificate.public_bytes(serialization.Encoding.DER))
        args: list[str | bytes] = ["--write-object", str(path), "--type", "cert"]
        if cert_id is not None:
            args += ["--id", cert_id]
        if cert_label is not None:
            args += ["--label", cert_label]
        self.tool(label, *args)

    def public_key(
        self, label: str, key_id: str, *, by: str = "--id"
    ) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
        """The public half of a key pair pkcs11-tool made (found ``by`` CKA_ID or label)."""
        path = self.directory / "public.der"
        self.tool(label, "--read-object", "--type", "pubkey", by, key_id, "-o", str(path))
        public = serialization.load_der_public_key(path.read_bytes())
        assert isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
        return public

    def certify(
        self,
        label: str,
        key_id: str,
        common_name: str,
        cert_label: bytes | str | None,
        *,
        usage: str | None = "signature",
    ) -> None:
        """A certificate for a key pkcs11-tool made, written beside it (same CKA_ID)."""
        certificate = self.issuer.issue(self.public_key(label, key_id), common_name, usage=usage)
        self.write_certificate(label, certificate, key_id, cert_label)

    def open(self, label: str, pin_provider: Pins | None = None) -> Token:
        module = load_module(self.softhsm, environment=self.environment)
        return open_token(module, label=label, pin_provider=pin_provider or Pins())

    def cli(self, *args: str, home: Path, pin: str = PIN) -> subprocess.CompletedProcess[str]:
        return eid(
            *args,
            home=home,
            env={**self.environment, "EID_PKCS11_MODULE": str(self.softhsm), "EID_PIN": pin},
        )


class Pins:
    """A PIN provider that counts what it was asked."""

    def __init__(self) -> None:
        self.requests: list[PinRequest] = []

    def __call__(self, request: PinRequest, /) -> str:
        self.requests.append(request)
        return PIN


def _create(hsm: ThirdPartyHsm, label: str, *templates: dict[Attribute, object]) -> None:
    """Objects made with python-pkcs11 directly (CKA_CERTIFICATE_CATEGORY needs its own handler)."""
    mapper = AttributeMapper()
    mapper.register_handler(Attribute.CERTIFICATE_CATEGORY, *handle_ulong)
    module = load_module(hsm.softhsm, environment=hsm.environment)
    slot = next(s for s in module.slots(token_present=True) if s.get_token().label.strip() == label)
    with slot.get_token().open(rw=True, user_pin=PIN, attribute_mapper=mapper) as session:
        for template in templates:
            session.create_object(template)


def _certificate_object(
    certificate: x509.Certificate | bytes, cert_id: bytes, label: str, **extra: object
) -> dict[Attribute, object]:
    der = (
        certificate
        if isinstance(certificate, bytes)
        else certificate.public_bytes(serialization.Encoding.DER)
    )
    template: dict[Attribute, object] = {
        Attribute.CLASS: ObjectClass.CERTIFICATE,
        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True,
        Attribute.ID: cert_id,
        Attribute.LABEL: label,
        Attribute.SUBJECT: b"\x30\x00",
        Attribute.VALUE: der,
    }
    template.update({Attribute[name.upper()]: value for name, value in extra.items()})
    return template


def _twice_extended(certificate: x509.Certificate) -> bytes:
    """``certificate`` with its first extension repeated (DER that parses; extensions that do not)."""
    parsed = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    tbs = parsed["tbs_certificate"]
    extensions = list(tbs["extensions"])
    tbs["extensions"] = asn1_x509.Extensions([*extensions, extensions[0]])
    return bytes(
        asn1_x509.Certificate(
            {
                "tbs_certificate": tbs,
                "signature_algorithm": parsed["signature_algorithm"],
                "signature_value": parsed["signature_value"],
            }
        ).dump(force=True)
    )


@pytest.fixture(scope="module")
def hsm(tmp_path_factory: pytest.TempPathFactory, softhsm: Path) -> ThirdPartyHsm:
    hsm = ThirdPartyHsm(tmp_path_factory.mktemp("third-party"), softhsm)
    issuer = hsm.issuer
    # Other processes first; this process loads the module only for the last steps.
    # The security officer initialises the token but never sets the user PIN.
    hsm.run(
        "pkcs11-tool", "--module", str(softhsm), "--init-token", "--label", "No user PIN",
        "--so-pin", SO_PIN, "--slot-index", "0",
    )  # fmt: skip

    hsm.init("Vendor")  # keys made on the token; certificates paired by CKA_ID, other labels
    hsm.generate("Vendor", "rsa:2048", "01", "--label", "Signing key")
    hsm.certify("Vendor", "01", "Vendor Signer", "Signing certificate")
    hsm.generate("Vendor", "EC:prime256v1", "02", "--label", "Authentication key")
    hsm.certify(
        "Vendor", "02", "Vendor Login", "Authentication certificate", usage="authentication"
    )

    sizes = {
        "rsa-3072": rsa.generate_private_key(65537, 3072),
        "rsa-4096": rsa.generate_private_key(65537, 4096),
        "ec-p384": ec.generate_private_key(ec.SECP384R1()),
        "ec-p521": ec.generate_private_key(ec.SECP521R1()),
    }
    for label, key in sizes.items():
        hsm.init(label)
        hsm.import_key(label, key, "a0b1", "imported key")
        hsm.write_certificate(
            label, issuer.issue(key.public_key(), label), "a0b1", "imported certificate"
        )

    restricted = {
        "Hash-and-sign only": ("--allowed-mechanisms", "SHA256-RSA-PKCS,SHA384-RSA-PKCS"),
        "Raw only": ("--allowed-mechanisms", "RSA-PKCS"),
        "Always authenticate": ("--always-auth",),
    }
    for label, args in restricted.items():
        hsm.init(label)
        hsm.generate(label, "rsa:2048", "01", *args)
        hsm.certify(label, "01", label, "certificate")

    hsm.init("Orphan")  # someone else's certificate, without a key, sorts first
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
    hsm.write_certificate("Orphan", issuer.issue(stranger, "Stranger"), "01", "Stranger")
    hsm.generate("Orphan", "EC:prime256v1", "05", "--label", "mine")
    hsm.certify("Orphan", "05", "Mine", "mine")

    hsm.init("Renewed")  # the old key stays beside its expired certificate
    old = ec.generate_private_key(ec.SECP256R1())
    hsm.import_key("Renewed", old, "01", "2024 key")
    hsm.write_certificate(
        "Renewed", issuer.issue(old.public_key(), "Old", days=(-800, -70)), "01", "Signature"
    )
    hsm.generate("Renewed", "EC:prime256v1", "02", "--label", "2026 key")
    hsm.certify("Renewed", "02", "New", "Signature")
    hsm.init("Key only")
    hsm.generate("Key only", "EC:prime256v1", "01", "--label", "no certificate")

    hsm.init("No key usage")
    hsm.generate("No key usage", "EC:prime256v1", "01")
    hsm.certify("No key usage", "01", "No key usage", "certificate", usage=None)
    hsm.init("All purpose")
    hsm.generate("All purpose", "rsa:2048", "01")
    hsm.certify("All purpose", "01", "All purpose", "certificate", usage="both")
    hsm.init("Authentication only")
    hsm.generate("Authentication only", "EC:prime256v1", "01")
    hsm.certify("Authentication only", "01", "Login", "certificate", usage="authentication")
    hsm.init("No IDs")  # pkcs11-tool without --id: keys and certificate paired by nothing
    for name in ("first", "second"):
        hsm.tool("No IDs", "--keypairgen", "--key-type", "EC:prime256v1", "--label", name)
    second = issuer.issue(hsm.public_key("No IDs", "second", by="--label"), "Second")
    hsm.write_certificate("No IDs", second, None, "second")
    hsm.init("Not its key")  # a certificate without ID beside another key without ID
    hsm.tool("Not its key", "--keypairgen", "--key-type", "EC:prime256v1", "--label", "k")
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
    hsm.write_certificate("Not its key", issuer.issue(stranger, "Stranger"), None, "c")
    hsm.init("No labels")
    hsm.generate("No labels", "rsa:2048", "c0ffee")
    hsm.certify("No labels", "c0ffee", "No labels", None)
    hsm.init("Latin-1 labels")  # a label in Latin-1, not UTF-8, as some tools write them
    hsm.generate("Latin-1 labels", "EC:prime256v1", "01", "--label", b"Cl\xe9 sign\xe9e")
    hsm.certify("Latin-1 labels", "01", "Latin-1", b"Certificat sign\xe9")
    hsm.init("Clé ✓ token")
    hsm.generate("Clé ✓ token", "EC:prime256v1", "01", "--label", "Clé de signature ✓")
    hsm.certify("Clé ✓ token", "01", "Zoë Ünïcode", "Certificat qualifié ✓")
    hsm.init("Same labels")
    hsm.generate("Same labels", "EC:prime256v1", "01", "--label", "key")
    hsm.generate("Same labels", "EC:prime256v1", "02", "--label", "key")
    hsm.certify("Same labels", "02", "Same labels", "key")

    hsm.init("Private certificates")
    hsm.generate("Private certificates", "EC:prime256v1", "01")
    private = issuer.issue(hsm.public_key("Private certificates", "01"), "Private")
    hsm.init("Public and private")  # a public certificate, and a private one that sorts first
    hsm.generate("Public and private", "EC:prime256v1", "05")
    hsm.certify("Public and private", "05", "Public", "public")
    hsm.generate("Public and private", "EC:prime256v1", "01")
    hidden = issuer.issue(hsm.public_key("Public and private", "01"), "Hidden")
    hsm.init("Broken certificate")
    hsm.generate("Broken certificate", "EC:prime256v1", "02")
    hsm.certify("Broken certificate", "02", "Intact", "intact")
    hsm.init("Cannot sign")
    decrypting = ec.generate_private_key(ec.SECP256R1())

    # python-pkcs11 for what the tools do not set.
    _create(
        hsm, "Private certificates", _certificate_object(private, b"\x01", "private", private=True)
    )
    _create(
        hsm,
        "Public and private",
        _certificate_object(hidden, b"\x01", "hidden", private=True),
    )
    _create(
        hsm,
        "Broken certificate",
        _certificate_object(b"not a certificate", b"\x01", "broken"),
        _certificate_object(_twice_extended(issuer.certificate), b"\x03", "extension twice"),
    )
    _create(
        hsm,
        "Vendor",
        _certificate_object(issuer.certificate, b"", "CA", certificate_category=2),
    )
    _create(
        hsm,
        "Cannot sign",
        {
            Attribute.CLASS: ObjectClass.PRIVATE_KEY,
            Attribute.KEY_TYPE: KeyType.EC,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.SIGN: False,
            Attribute.DERIVE: True,
            Attribute.ID: b"\x01",
            Attribute.EC_PARAMS: bytes.fromhex("06082a8648ce3d030107"),
            Attribute.VALUE: decrypting.private_numbers().private_value.to_bytes(32, "big"),
        },
        _certificate_object(issuer.issue(decrypting.public_key(), "Decrypt only"), b"\x01", "c"),
    )
    return hsm


def _check(certificate: x509.Certificate, signature: bytes, data: bytes, digest: str) -> None:
    """Raise unless ``signature`` over ``data`` verifies with ``certificate`` (cryptography)."""
    algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[
        digest
    ]
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, data, padding.PKCS1v15(), algorithm)
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, data, ec.ECDSA(algorithm))


def _sign_and_check(token: Token, role: Role = Role.SIGNATURE, digest: str = "sha256") -> None:
    signature = token.sign(b"third-party data", key=role, hash=digest)  # type: ignore[arg-type]
    _check(token.certificate(role).certificate, signature, b"third-party data", digest)


def test_every_token_and_its_certificates_are_listed(hsm: ThirdPartyHsm, tmp_path: Path) -> None:
    result = hsm.cli("tokens", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    slots = json.loads(result.stdout)["modules"][0]["slots"]
    tokens = {slot["token"]["label"]: slot["token"] for slot in slots if slot["token"]}
    assert tokens["No user PIN"]["pin_state"] == "not_initialized"
    assert tokens["Clé ✓ token"]["pin_state"] == "ok"
    assert [slot["problem"] for slot in slots if slot["token"] is None] == ["not_initialized"]
    for label in tokens:
        with hsm.open(label) as token:
            for cert in token.certificates():
                assert cert.to_dict()["sha256"]


def test_labels_that_are_not_utf8_are_read_with_replacement_characters(
    hsm: ThirdPartyHsm, tmp_path: Path
) -> None:
    with hsm.open("Latin-1 labels") as token:
        assert [c.label for c in token.certificates()] == ["Certificat sign\ufffd"]
        _sign_and_check(token)
    result = hsm.cli("certs", "--label", "Latin-1 labels", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["certificates"][0]["label"] == "Certificat sign\ufffd"


def test_a_certificate_object_that_is_not_a_certificate_is_left_out(
    hsm: ThirdPartyHsm, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with hsm.open("Broken certificate") as token:
        assert [c.label for c in token.certificates()] == ["intact"]
        assert sorted(label for label, _ in token.unreadable_certificates()) == [
            "broken",
            "extension twice",
        ]
        _sign_and_check(token)
    result = hsm.cli("certs", "--label", "Broken certificate", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert [c["label"] for c in shown["certificates"]] == ["intact"]
    assert {p["label"] for p in shown["unreadable"]} == {"broken", "extension twice"}
    text = hsm.cli("certs", "--label", "Broken certificate", home=tmp_path).stdout
    assert "left out broken: not a DER certificate" in " ".join(text.split())
    assert "'broken' on 'Broken certificate': not a DER certificate" in caplog.text
    assert "'extension twice' on 'Broken certificate': not a certificate that can" in caplog.text


@pytest.mark.parametrize(
    ("label", "digest"),
    [("rsa-3072", "sha256"), ("rsa-4096", "sha512"), ("ec-p384", "sha384"), ("ec-p521", "sha512")],
)
def test_imported_keys_of_every_size_sign(hsm: ThirdPartyHsm, label: str, digest: str) -> None:
    with hsm.open(label) as token:
        _sign_and_check(token, digest=digest)
        provider = ProviderKey.from_token(token, "signature")  # a single-sign-on provider key
        for name in provider.algorithms:
            signature = provider.sign(b"statement", name)
            assert verify(provider.public_key, ALGORITHMS[name], signature, b"statement"), name


def test_pdf_signed_with_each_key_of_a_vendor_token_verifies(
    hsm: ThirdPartyHsm, tmp_path: Path
) -> None:
    trust = tmp_path / "ca.pem"
    trust.write_bytes(hsm.issuer.certificate.public_bytes(serialization.Encoding.PEM))
    document = FIXTURES / "interop" / "cades" / "document.pdf"
    with hsm.open("Vendor") as token:
        roles = {c.label: c.role for c in token.certificates()}
    assert roles == {
        "Signing certificate": Role.SIGNATURE,
        "Authentication certificate": Role.AUTHENTICATION,
        "CA": Role.ROOT,
    }
    for key in ("signature", "authentication"):
        signed = tmp_path / f"{key}.pdf"
        result = hsm.cli(
            "sign", str(document), "--label", "Vendor", "--key", key, "-o", str(signed),
            home=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        check = hsm.cli(
            "verify", str(signed), "--trust", str(trust), "--no-revocation", "--json",
            home=tmp_path,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout
        assert json.loads(check.stdout)["indication"] == "TOTAL_PASSED"


def test_a_key_that_allows_only_hash_and_sign_mechanisms_signs(
    hsm: ThirdPartyHsm, tmp_path: Path
) -> None:
    with hsm.open("Hash-and-sign only") as token:
        _sign_and_check(token)
        _sign_and_check(token, digest="sha384")
        with pytest.raises(MechanismUnsupported, match="SHA512_RSA_PKCS"):
            token.sign(b"data", key=Role.SIGNATURE, hash="sha512")
        with pytest.raises(MechanismUnsupported, match="digest made elsewhere"):
            token.sign_digest(bytes(32), key=Role.SIGNATURE)
        provider = ProviderKey.from_token(token, "signature")
        assert verify(
            provider.public_key, ALGORITHMS["RS256"], provider.sign(b"jws", "RS256"), b"jws"
        )
    data = tmp_path / "data.txt"
    data.write_bytes(b"signed on a hash-and-sign key")
    result = hsm.cli("sign", str(data), "--label", "Hash-and-sign only", home=tmp_path)
    assert result.returncode == 0, result.stderr
    check = hsm.cli(
        "verify", str(data.with_name("data.txt.p7s")), "--detached", str(data),
        "--trust", str(_ca_file(hsm, tmp_path)), "--no-revocation", "--json", home=tmp_path,
    )  # fmt: skip
    assert json.loads(check.stdout)["indication"] == "TOTAL_PASSED", check.stdout


def _ca_file(hsm: ThirdPartyHsm, directory: Path) -> Path:
    path = directory / "ca.pem"
    path.write_bytes(hsm.issuer.certificate.public_bytes(serialization.Encoding.PEM))
    return path


def test_a_key_that_allows_only_the_raw_mechanism_signs_digests(hsm: ThirdPartyHsm) -> None:
    with hsm.open("Raw only") as token:
        _sign_and_check(token)
        digest = hashes.Hash(hashes.SHA256())
        digest.update(b"third-party data")
        signature = token.sign_digest(digest.finalize(), key=Role.SIGNATURE)
        _check(
            token.certificate(Role.SIGNATURE).certificate, signature, b"third-party data", "sha256"
        )
        with pytest.raises(MechanismUnsupported):
            token.sign(b"data", key=Role.SIGNATURE, padding="pss")


def test_a_key_that_always_authenticates_asks_the_pin_for_each_signature(
    hsm: ThirdPartyHsm,
) -> None:
    pins = Pins()
    with hsm.open("Always authenticate", pins) as token:
        _sign_and_check(token)
        assert len(pins.requests) == 1  # the PIN typed to log in also allows the first signature
        _sign_and_check(token)
        assert [r.purpose for r in pins.requests] == ["login", "a signature with the signature key"]


def test_a_certificate_without_its_key_is_passed_over(hsm: ThirdPartyHsm) -> None:
    with hsm.open("Orphan") as token:
        assert [c.label for c in token.certificates()] == ["Stranger", "mine"]
        assert token.certificate(Role.SIGNATURE).label == "mine"
        _sign_and_check(token)


def test_the_valid_certificate_of_a_renewed_key_is_chosen(
    hsm: ThirdPartyHsm, tmp_path: Path
) -> None:
    with hsm.open("Renewed") as token:
        chosen = token.certificate(Role.SIGNATURE).certificate
        assert chosen.subject == _name("New")
        _sign_and_check(token)
    exported = tmp_path / "exported"
    result = hsm.cli("certs", "--label", "Renewed", "--export", str(exported), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in exported.iterdir()) == ["Signature-2.pem", "Signature.pem"]


def test_a_certificate_without_key_usage_serves_either_key(hsm: ThirdPartyHsm) -> None:
    with hsm.open("No key usage") as token:
        assert [c.role for c in token.certificates()] == [Role.OTHER]
        _sign_and_check(token, Role.SIGNATURE)
        _sign_and_check(token, Role.AUTHENTICATION)


def test_a_certificate_for_signatures_and_logins_serves_both_keys(hsm: ThirdPartyHsm) -> None:
    with hsm.open("All purpose") as token:
        assert [c.role for c in token.certificates()] == [Role.SIGNATURE]
        _sign_and_check(token, Role.SIGNATURE)
        _sign_and_check(token, Role.AUTHENTICATION)
    with hsm.open("Orphan") as token, pytest.raises(KeyNotFound, match="no authentication"):
        token.certificate(Role.AUTHENTICATION)  # nonRepudiation alone is not for logins
    # Never the authentication key for a signature (on an eID: not the qualified key).
    with hsm.open("Authentication only") as token:
        _sign_and_check(token, Role.AUTHENTICATION)
        with pytest.raises(KeyNotFound, match="no signature"):
            token.certificate(Role.SIGNATURE)


@pytest.mark.parametrize("label", ["No labels", "Same labels", "Clé ✓ token"])
def test_keys_paired_by_id_whatever_their_labels(hsm: ThirdPartyHsm, label: str) -> None:
    with hsm.open(label) as token:
        _sign_and_check(token)


def test_private_certificates_are_found_after_login(hsm: ThirdPartyHsm, tmp_path: Path) -> None:
    pins = Pins()
    with hsm.open("Private certificates", pins) as token:
        assert token.certificates() == []
        assert token.certificate(Role.SIGNATURE).label == "private"
        assert len(pins.requests) == 1
        _sign_and_check(token)
    for args, count in (((), 0), (("--login",), 1)):
        result = hsm.cli("certs", "--label", "Private certificates", "--json", *args, home=tmp_path)
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)["certificates"]) == count


def test_the_key_that_signs_is_the_one_of_the_certificate_chosen_before_login(
    hsm: ThirdPartyHsm,
) -> None:
    with hsm.open("Public and private") as token:
        signer = TokenSigner(token, Role.SIGNATURE)  # before login: only the public certificate
        assert signer.certificate.subject == _name("Public")
        signature = token.sign(b"third-party data", key=Role.SIGNATURE)
        _check(signer.certificate, signature, b"third-party data", "sha256")
        assert {c.label for c in token.certificates()} == {"public", "hidden"}


def test_without_ids_the_key_labelled_like_the_certificate_signs(hsm: ThirdPartyHsm) -> None:
    with hsm.open("No IDs") as token:
        assert [(c.label, c.id) for c in token.certificates()] == [("second", b"")]
        for _ in range(2):
            _sign_and_check(token)


def test_a_key_that_is_not_the_certificates_own_gives_no_signature(hsm: ThirdPartyHsm) -> None:
    with hsm.open("Not its key") as token:
        for _ in range(2):  # refused each time, never a signature that would not verify
            with pytest.raises(KeyNotFound, match="not the certificate's own"):
                token.sign(b"x", key=Role.SIGNATURE)


def test_a_token_whose_user_pin_was_never_set(hsm: ThirdPartyHsm, tmp_path: Path) -> None:
    pins = Pins()
    with hsm.open("No user PIN", pins) as token, pytest.raises(TokenError, match="not initialised"):
        token.login()
    assert pins.requests == []  # no PIN asked for a login that cannot work


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("Cannot sign", "cannot sign"),
        ("Key only", "holds no signature certificate"),
        ("No user PIN", "not initialised"),
    ],
)
def test_what_cannot_sign_is_exit_3(
    hsm: ThirdPartyHsm, tmp_path: Path, label: str, message: str
) -> None:
    data = tmp_path / "data.txt"
    data.write_bytes(b"x")
    result = hsm.cli("sign", str(data), "--label", label, home=tmp_path)
    assert result.returncode == 3, result.stderr
    assert message in result.stderr
    assert not data.with_name("data.txt.p7s").exists()
    with hsm.open(label) as token, pytest.raises(TokenError, match=message):
        token.sign(b"x", key=Role.SIGNATURE)


def test_identity_from_a_token_that_is_no_eid_is_exit_3(hsm: ThirdPartyHsm, tmp_path: Path) -> None:
    result = hsm.cli("identity", "--label", "Vendor", "--json", home=tmp_path)
    assert result.returncode == 3, result.stdout
    assert json.loads(result.stdout)["error"]["code"] == "unknown_card"
    assert "not a Belgian eID" in json.loads(result.stdout)["error"]["message"]


@pytest.mark.parametrize("pin", [PIN, "13572468"])
def test_no_pin_in_any_output(hsm: ThirdPartyHsm, tmp_path: Path, pin: str) -> None:
    data = tmp_path / "data.txt"
    data.write_bytes(b"x")
    result = hsm.cli("--debug", "sign", str(data), "--label", "Vendor", home=tmp_path, pin=pin)
    assert result.returncode == (0 if pin == PIN else 3), result.stderr
    assert pin not in result.stdout + result.stderr


# -- what a token hands over, as bytes ------------------------------------------------------

_SEED_CERTIFICATE = Issuer().certificate.public_bytes(serialization.Encoding.DER)


@example(_SEED_CERTIFICATE.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x01", 1))  # a v2
@settings(max_examples=300, deadline=1000)
@given(
    st.one_of(
        st.binary(max_size=600),
        st.tuples(st.integers(0, len(_SEED_CERTIFICATE) - 1), st.integers(0, 255)).map(
            lambda change: (
                _SEED_CERTIFICATE[: change[0]]
                + bytes([change[1]])
                + _SEED_CERTIFICATE[change[0] + 1 :]
            )
        ),
        st.integers(0, len(_SEED_CERTIFICATE)).map(lambda size: _SEED_CERTIFICATE[:size]),
    )
)
def test_a_certificate_value_is_read_whole_or_refused_with_value_error(der: bytes) -> None:
    try:
        certificate = _load_certificate(der)
    except ValueError:
        return
    # Whatever was read can be classified and shown without another exception.
    _classify("", certificate, belpic=False)
    readable_name(certificate.subject)


@settings(max_examples=300, deadline=1000)
@given(st.binary(max_size=80))
def test_labels_and_mechanism_lists_of_any_bytes_are_read(data: bytes) -> None:
    label = ATTRIBUTE_MAPPER.unpack_attributes(Attribute.LABEL, data)
    assert isinstance(label, str)
    if data.isascii():
        assert label == data.decode("ascii")
    mechanisms = ATTRIBUTE_MAPPER.unpack_attributes(Attribute.ALLOWED_MECHANISMS, data)
    assert len(mechanisms) <= len(data) // struct.calcsize("L")
