"""`eid sso`: issue and import single-sign-on statements, publish the JWKS, rotate keys.

Each format (``oidc``, ``saml``) registers an issuer and an importer in
`ISSUERS` and `IMPORTERS`; the commands parse the shared options into an `IssueRequest` or
`ImportRequest` and hand them over. The provider's keys and subject secret live in a
`KeyStore` (``$EID_HOME/sso`` unless ``--store`` says otherwise), made on first use.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import click
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from eid.auth import AuthResult
from eid.cli.auth import card_login, login_trust
from eid.cli.options import open_cli_token, token_options
from eid.cli.output import Output, json_option
from eid.cli.trust import (
    parse_time,
    revocation_options,
    revocation_settings,
    trust_option,
    trust_store,
)
from eid.errors import MalformedInput, UsageError
from eid.identity import Address, Identity
from eid.pki import RevocationSettings, TrustStore
from eid.sso import (
    FileMandateSource,
    IdentityProvider,
    Imported,
    Portal,
    PortalRegistry,
    VerificationKeys,
    import_id_token,
    load_portals,
)
from eid.sso.attributes import BELGIAN, EIDAS, LEGAL_PERSON_ATTRIBUTES, OIDC
from eid.sso.jwks import KeySource
from eid.sso.keystore import KeyKind, KeyStore, default_sso_directory
from eid.sso.portal import (
    RemoteKeys,
    RemoteMetadata,
    SamlIdentityProvider,
    idp_from_metadata,
    import_saml_response,
)
from eid.sso.portals import PortalKind
from eid.sso.replay import MemoryReplayStore

__all__ = [
    "DEFAULT_ATTRIBUTES",
    "DEFAULT_ISSUER",
    "IMPORTERS",
    "ISSUERS",
    "SP_KEY_ENV",
    "ImportRequest",
    "IssueRequest",
    "demo_sso",
    "print_imported",
    "provider_for",
    "sso",
]

DEFAULT_ISSUER = "https://eid.localhost"
"""The issuer the command line's provider calls itself unless ``--issuer`` says otherwise."""

DEFAULT_ATTRIBUTES = frozenset({"given_name", "family_name", "birthdate", "gender"})
"""What a portal given only by its audience receives."""


@dataclass(frozen=True)
class IssueRequest:
    """What `eid sso issue` was asked for."""

    audience: str
    recipient: str | None = None
    nonce: str | None = None
    in_response_to: str | None = None
    acting_for: str | None = None
    access_token: str | None = None
    identity: Identity | None = None
    address: Address | None = None


@dataclass(frozen=True)
class ImportRequest:
    """What `eid sso verify` was asked to check; each format reads the options it needs."""

    text: str
    source: str
    audience: str
    issuer: str | None = None
    jwks: str | None = None
    nonce: str | None = None
    access_token: str | None = None
    recipient: str | None = None
    in_response_to: str | None = None
    idp_cert: Path | None = None
    idp_metadata: str | None = None
    allow_sha1: bool = False
    at: dt.datetime | None = None
    metadata_cert: Path | None = None
    idp_trust: TrustStore | None = None
    idp_revocation: RevocationSettings | None = None
    allow_unsigned_assertion: bool = False
    sp_keys: tuple[Path, ...] = ()
    allow_cbc: bool = False


SP_KEY_ENV = "EID_SP_KEY_PASSWORD"
"""The environment variable that holds the password of encrypted ``--sp-key`` files."""


def _issue_oidc(provider: IdentityProvider, auth: AuthResult, request: IssueRequest) -> str:
    return provider.issue_id_token(
        auth,
        request.audience,
        nonce=request.nonce,
        access_token=request.access_token,
        acting_for=request.acting_for,
        identity=request.identity,
        address=request.address,
    )


def _import_oidc(request: ImportRequest) -> Imported:
    if request.issuer is None or request.jwks is None:
        raise UsageError("--format oidc needs --issuer and --jwks")
    return import_id_token(
        request.text.strip(),
        issuer=request.issuer,
        audience=request.audience,
        keys=_keys(request.jwks),
        nonce=request.nonce,
        access_token=request.access_token,
        at=request.at,
    )


def _keys(jwks: str) -> KeySource:
    """``--jwks``: a JWKS file, or the URL of the provider's JWKS (fetched)."""
    if jwks.startswith(("https://", "http://")):
        return RemoteKeys(jwks)
    return VerificationKeys.from_file(Path(jwks))


def _issue_saml(provider: IdentityProvider, auth: AuthResult, request: IssueRequest) -> str:
    return provider.issue_saml_response(
        auth,
        request.audience,
        recipient=request.recipient,
        in_response_to=request.in_response_to,
        acting_for=request.acting_for,
        identity=request.identity,
        address=request.address,
    ).decode()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise MalformedInput(f"cannot read ({error})", source=str(path)) from None


def _pem_certificates(path: Path) -> tuple[x509.Certificate, ...]:
    try:
        return tuple(x509.load_pem_x509_certificates(_read_bytes(path)))
    except ValueError:
        raise MalformedInput("not a PEM certificate", source=str(path)) from None


def _decryption_key(path: Path) -> rsa.RSAPrivateKey:
    """``--sp-key``: a PEM private key, encrypted with the password in `SP_KEY_ENV`."""
    data = _read_bytes(path)
    password = os.environ.get(SP_KEY_ENV)
    try:
        try:
            key = load_pem_private_key(data, None)
        except TypeError:  # encrypted
            if not password:
                raise UsageError(
                    f"{path}: the key is encrypted; give its password in {SP_KEY_ENV}"
                ) from None
            key = load_pem_private_key(data, password.encode())
    except ValueError:
        raise MalformedInput(
            f"not a PEM private key, or not the password in {SP_KEY_ENV}", source=str(path)
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UsageError(f"{path}: XML decryption needs an RSA key")
    return key


def _saml_idp(request: ImportRequest) -> SamlIdentityProvider:
    """The IdP of ``--idp-cert`` or ``--idp-metadata``, with PKIX validation when asked.

    ``--metadata-cert`` requires the metadata to be signed with that certificate's key.
    """
    if (request.idp_cert is None) == (request.idp_metadata is None):
        raise UsageError("--format saml needs one of --idp-cert and --idp-metadata")
    if request.idp_metadata is not None:
        signer = None
        if request.metadata_cert is not None:
            signers = _pem_certificates(request.metadata_cert)
            if len(signers) != 1:
                raise UsageError("--metadata-cert must hold exactly one certificate")
            signer = signers[0]
        provider = _metadata_idp(request.idp_metadata, signer, request)
    else:
        if request.metadata_cert is not None:
            raise UsageError("--metadata-cert checks the signature of --idp-metadata")
        assert request.idp_cert is not None
        provider = SamlIdentityProvider(
            request.issuer, _pem_certificates(request.idp_cert), allow_sha1=request.allow_sha1
        )
    return replace(
        provider,
        require_signed_assertion=not request.allow_unsigned_assertion,
        allow_cbc=request.allow_cbc,
        trust=request.idp_trust,
        revocation=request.idp_revocation if request.idp_trust is not None else None,
    )


def _metadata_idp(
    metadata: str, signer: x509.Certificate | None, request: ImportRequest
) -> SamlIdentityProvider:
    """``--idp-metadata``: a file, or the URL of the provider's metadata (fetched)."""
    at = request.at or dt.datetime.now(dt.UTC)
    if metadata.startswith(("https://", "http://")):
        remote = RemoteMetadata(
            metadata, signer=signer, allow_sha1=request.allow_sha1, clock=lambda: at
        )
        return remote.idp()
    return idp_from_metadata(
        _read_bytes(Path(metadata)), signer=signer, allow_sha1=request.allow_sha1, at=at
    )


def _import_saml(request: ImportRequest) -> Imported:
    if request.recipient is None:
        raise UsageError("--format saml needs --recipient (this portal's ACS URL)")
    return import_saml_response(
        request.text.encode(),
        idp=_saml_idp(request),
        audience=request.audience,
        recipient=request.recipient,
        in_response_to=request.in_response_to,
        at=request.at,
        replay=MemoryReplayStore(),
        decryption_keys=[_decryption_key(path) for path in request.sp_keys],
    )


ISSUERS: dict[str, Callable[[IdentityProvider, AuthResult, IssueRequest], str]] = {
    "oidc": _issue_oidc,
    "saml": _issue_saml,
}
"""How each format issues a statement."""

IMPORTERS: dict[str, Callable[[ImportRequest], Imported]] = {
    "oidc": _import_oidc,
    "saml": _import_saml,
}
"""How each format imports what it received."""

_FORMATS = click.Choice(["oidc", "saml"])


def _handler(table: dict[str, Any], name: str) -> Any:
    handler = table.get(name)
    if handler is None:
        raise UsageError(f"--format {name} is not available in this version")
    return handler


def provider_for(
    store: KeyStore,
    *,
    issuer: str,
    portals: PortalRegistry,
    mandates: Path | None = None,
) -> IdentityProvider:
    """The command line's identity provider: the store's keys and secret, these portals."""
    return IdentityProvider(
        issuer,
        store.load(),
        portals,
        subjects=store.subjects(),
        mandates=FileMandateSource(mandates) if mandates else None,
    )


def _portals(
    config: Path | None, kind: PortalKind, audience: str, recipient: str | None, acting: bool
) -> PortalRegistry:
    if config is not None:
        return load_portals(config)
    attributes = DEFAULT_ATTRIBUTES | (LEGAL_PERSON_ATTRIBUTES if acting else frozenset())
    portal = Portal(
        id=audience,
        kind=kind,
        endpoints=(recipient,) if recipient else (),
        attributes=attributes,
        profile=BELGIAN if kind == "saml" else OIDC,
        may_receive_mandates=acting,
    )
    return PortalRegistry([portal])


def _store(path: Path | None) -> KeyStore:
    return KeyStore(path or default_sso_directory())


store_option = click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    help="The provider's key store (default: $EID_HOME/sso).",
)


@click.group()
def sso() -> None:
    """Single sign-on: issue and import ID tokens, publish the JWKS, rotate the provider's keys."""


@sso.command()
@click.option("--format", "form", type=_FORMATS, default="oidc", show_default=True)
@click.option("--audience", required=True, help="The portal: OIDC client ID or SAML entity ID.")
@click.option("--recipient", metavar="ACS_URL", help="Where the SAML response goes.")
@click.option(
    "--portal-config",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Registered portals (TOML/JSON); without it the audience alone is enough.",
)
@click.option("--nonce", help="The nonce of the portal's request (OIDC).")
@click.option("--in-response-to", metavar="ID", help="The ID of the SAML request answered.")
@click.option("--access-token", help="An access token issued with the ID token (sets at_hash).")
@click.option("--acting-for", metavar="KBO", help="Act for this enterprise (needs --mandates).")
@click.option(
    "--mandates",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Mandates by national number (TOML/JSON).",
)
@click.option("--issuer", default=DEFAULT_ISSUER, show_default=True, help="The provider's URL.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@store_option
@token_options
@trust_option
@json_option
def issue(
    form: str,
    audience: str,
    recipient: str | None,
    portal_config: Path | None,
    nonce: str | None,
    in_response_to: str | None,
    access_token: str | None,
    acting_for: str | None,
    mandates: Path | None,
    issuer: str,
    output: Path | None,
    store: Path | None,
    module: Path | None,
    label: str | None,
    trust: tuple[str, ...],
    as_json: bool,
) -> None:
    """Log in with the card (the virtual card by default) and issue a signed statement."""
    out = Output(as_json)
    with out.errors_to_exit_codes():
        handler = _handler(ISSUERS, form)
        kind = cast(PortalKind, form)
        registry = _portals(portal_config, kind, audience, recipient, acting_for is not None)
        portal = registry.get(audience)  # before the card: a usage error costs no PIN
        if portal.kind != form:
            raise UsageError(f"portal {audience} is registered for {portal.kind}, not {form}")
        provider = provider_for(_store(store), issuer=issuer, portals=registry, mandates=mandates)
        request = IssueRequest(audience, recipient, nonce, in_response_to, acting_for, access_token)
        quiet = Output(as_json=True)  # progress would mix with the token on standard output
        with open_cli_token(module, label) as token, login_trust(token, trust) as store_:
            auth = card_login(token, store_, quiet, origin=issuer)
        text = handler(provider, auth, request)
        if output is not None:
            output.write_text(text + "\n", encoding="utf-8")
        result = {"format": form, "audience": audience, "kid": provider.keys.active.kid}
        if as_json:
            out.json({**result, "output": str(output) if output else None, "token": text})
        elif output is not None:
            out.say(f"issued a {form} statement for {audience} -> [bold]{output}[/bold]")
        else:
            click.echo(text)


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MalformedInput(f"cannot read ({error})", source=str(path)) from None


@sso.command(name="verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "form", type=_FORMATS, default="oidc", show_default=True)
@click.option("--audience", required=True, help="This portal's client ID or entity ID.")
@click.option("--issuer", help="The provider's issuer URL (OIDC).")
@click.option(
    "--jwks",
    metavar="FILE|URL",
    help="The provider's JWKS: a file, or its https URL (fetched; http on loopback only).",
)
@click.option("--nonce", help="The nonce this portal sent (OIDC).")
@click.option("--access-token", help="The access token that came with the ID token (OIDC).")
@click.option("--recipient", metavar="ACS_URL", help="This portal's assertion consumer URL (SAML).")
@click.option("--in-response-to", metavar="ID", help="The ID of this portal's request (SAML).")
@click.option(
    "--idp-cert", type=click.Path(dir_okay=False, path_type=Path), help="IdP certificate (SAML)."
)
@click.option(
    "--idp-metadata",
    metavar="FILE|URL",
    help="IdP metadata (SAML): a file, or its https URL (fetched; http on loopback only).",
)
@click.option(
    "--metadata-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PEM",
    help="Require --idp-metadata to be signed with this certificate's key (SAML).",
)
@click.option("--allow-sha1", is_flag=True, help="Accept SHA-1 signatures from this IdP (SAML).")
@click.option(
    "--allow-unsigned-assertion",
    is_flag=True,
    help="Accept an unsigned assertion in a signed Response, which then covers it (SAML; "
    "Keycloak and Shibboleth IdP defaults).",
)
@click.option(
    "--sp-key",
    "sp_keys",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PEM",
    help="This portal's RSA key to decrypt an encrypted assertion (SAML); repeat it during "
    f"a key rollover. An encrypted PEM takes its password from ${SP_KEY_ENV}.",
)
@click.option(
    "--allow-cbc",
    is_flag=True,
    help="Decrypt AES-CBC assertions that no verified Response signature covers (ADFS, Azure "
    "AD; SAML): CBC has no integrity, so the portal's decryption becomes a padding oracle.",
)
@click.option(
    "--idp-pkix",
    is_flag=True,
    help="Validate the IdP certificate to --trust (default: belgium) and its revocation (SAML).",
)
@trust_option
@revocation_options
@click.option("--at", "at_time", metavar="ISO-TIME", help="Check at this time instead of now.")
@json_option
def verify_command(
    file: Path,
    form: str,
    audience: str,
    issuer: str | None,
    jwks: str | None,
    nonce: str | None,
    access_token: str | None,
    recipient: str | None,
    in_response_to: str | None,
    idp_cert: Path | None,
    idp_metadata: str | None,
    metadata_cert: Path | None,
    allow_sha1: bool,
    allow_unsigned_assertion: bool,
    sp_keys: tuple[Path, ...],
    allow_cbc: bool,
    idp_pkix: bool,
    trust: tuple[str, ...],
    revocation: str,
    no_revocation: bool,
    at_time: str | None,
    as_json: bool,
) -> None:
    """Import FILE (or - for standard input) as a portal would, with every check.

    A SAML IdP certificate (--idp-cert, or from --idp-metadata) is a pinned key whose dates
    are not enforced, unless --idp-pkix asks for path validation, validity and revocation.
    """
    out = Output(as_json)
    with out.errors_to_exit_codes():
        handler = _handler(IMPORTERS, form)
        if trust and not idp_pkix:
            raise UsageError("--trust names the anchors of --idp-pkix")
        request = ImportRequest(
            _read(file), str(file), audience, issuer, jwks, nonce, access_token, recipient,
            in_response_to, idp_cert, idp_metadata, allow_sha1, parse_time(at_time),
            metadata_cert, trust_store(trust) if idp_pkix else None,
            revocation_settings(revocation, no_revocation),
            allow_unsigned_assertion=allow_unsigned_assertion, sp_keys=sp_keys,
            allow_cbc=allow_cbc,
        )  # fmt: skip
        imported = handler(request)
        out.emit(imported.to_dict(), lambda: print_imported(out, imported))


def print_imported(out: Output, imported: Imported) -> None:
    """Say what was imported: subject, level, attributes, mandate."""
    out.console.print(f"[green]imported[/green] {imported.format} statement from {imported.issuer}")
    out.console.print(f"  subject {imported.subject}, level {imported.level or imported.level_uri}")
    out.console.print(f"  valid until {imported.expires_at.isoformat()}")
    for name, value in imported.attributes.items():
        out.console.print(f"  {name}: {value if isinstance(value, str) else dict(value)}")
    if imported.mandate is not None:
        mandate = imported.mandate
        out.console.print(
            f"  acting for {mandate.name} ({mandate.enterprise.formatted}) as {mandate.role}"
        )


@sso.command()
@store_option
def jwks(store: Path | None) -> None:
    """Print the provider's JWKS (active, next and passive keys)."""
    out = Output(as_json=True)
    with out.errors_to_exit_codes():
        out.json(_store(store).load().jwks())


@sso.command()
@click.option("--issuer", default=DEFAULT_ISSUER, show_default=True, help="The provider's URL.")
@click.option("--sso-url", help="The SAML single sign-on endpoint (default: issuer + /saml/sso).")
@click.option("--slo-url", help="The SAML single logout endpoint (default: none published).")
@store_option
def metadata(issuer: str, sso_url: str | None, slo_url: str | None, store: Path | None) -> None:
    """Print the provider's signed SAML IdP metadata (every published key, NameID formats)."""
    out = Output(as_json=True)
    with out.errors_to_exit_codes():
        provider = provider_for(_store(store), issuer=issuer, portals=PortalRegistry())
        click.echo(provider.saml_metadata(sso_url=sso_url, slo_url=slo_url).decode())


@sso.group()
def keys() -> None:
    """The provider's signing keys."""


def _key_state(store: KeyStore) -> dict[str, Any]:
    keyset = store.load()
    return {
        "active": keyset.active.kid,
        "next": keyset.next.kid if keyset.next else None,
        "passive": [
            {"kid": r.key.kid, "retired_at": r.retired_at.isoformat()} for r in keyset.passive
        ],
    }


def _print_state(out: Output, state: dict[str, Any]) -> None:
    out.console.print(f"active  {state['active']}")
    out.console.print(f"next    {state['next']}")
    for passive in state["passive"]:
        out.console.print(f"passive {passive['kid']} (retired {passive['retired_at']})")


@keys.command(name="list")
@store_option
@json_option
def list_keys(store: Path | None, as_json: bool) -> None:
    """Show the active, next and passive keys."""
    out = Output(as_json)
    with out.errors_to_exit_codes():
        state = _key_state(_store(store))
        out.emit(state, lambda: _print_state(out, state))


@keys.command()
@click.option("--key-type", type=click.Choice(["ec", "rsa"]), default="ec", show_default=True)
@click.option(
    "--retention-minutes",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How long a retired key keeps verifying (at least the ID token lifetime).",
)
@store_option
@json_option
def rotate(key_type: str, retention_minutes: int, store: Path | None, as_json: bool) -> None:
    """The published next key starts signing; a new next key is published."""
    out = Output(as_json)
    with out.errors_to_exit_codes():
        keystore = _store(store)
        retention = dt.timedelta(minutes=retention_minutes)
        keystore.rotate(kind=cast(KeyKind, key_type), retention=retention)
        state = _key_state(keystore)
        out.emit(state, lambda: _print_state(out, state))


def demo_sso(
    out: Output, auth: AuthResult, identity: Identity, address: Address | None, home: Path
) -> dict[str, object]:
    """The demo's single-sign-on step: an ID token and a SAML response, each imported."""
    portal = Portal(
        id="demo-portal",
        kind="oidc",
        endpoints=("https://portal.localhost/callback",),
        attributes=DEFAULT_ATTRIBUTES | {"address", "nationality"},
    )
    saml_portal = Portal(
        id="https://saml-portal.localhost/metadata",
        kind="saml",
        endpoints=("https://saml-portal.localhost/acs",),
        attributes=frozenset({"person_identifier", "given_name", "family_name", "birthdate"}),
        profile=EIDAS,
    )
    provider = provider_for(
        KeyStore(home), issuer=DEFAULT_ISSUER, portals=PortalRegistry([portal, saml_portal])
    )
    token = provider.issue_id_token(
        auth, portal.id, nonce="demo-nonce", identity=identity, address=address
    )
    out.say(f"ID token ({len(token)} characters), signed by key {provider.keys.active.kid}")
    imported = import_id_token(
        token,
        issuer=DEFAULT_ISSUER,
        audience=portal.id,
        keys=VerificationKeys.from_jwks(provider.jwks()),
        nonce="demo-nonce",
    )
    if not out.as_json:
        print_imported(out, imported)
    response = provider.issue_saml_response(
        auth, saml_portal.id, in_response_to="_demo-request", identity=identity, address=address
    )
    out.say(f"SAML response ({len(response)} bytes), assertion signed by the same key")
    imported_saml = import_saml_response(
        response,
        idp=idp_from_metadata(provider.saml_metadata()),
        audience=saml_portal.id,
        recipient=saml_portal.endpoints[0],
        in_response_to="_demo-request",
        replay=MemoryReplayStore(),
    )
    if not out.as_json:
        print_imported(out, imported_saml)
    return {
        "oidc": {"id_token": token, "imported": imported.to_dict()},
        "saml": {"response": response.decode(), "imported": imported_saml.to_dict()},
    }
