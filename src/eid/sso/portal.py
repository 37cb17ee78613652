"""The portal side: what a portal calls to import what the identity provider sent it.

`import_id_token` for OpenID Connect; the keys come from the provider's JWKS
(`VerificationKeys` given, or `RemoteKeys` fetched and cached), never from the token.
`import_saml_response` for SAML 2.0; the keys come from the provider's metadata or a pinned
certificate (`SamlIdentityProvider`, `idp_from_metadata`, or `RemoteMetadata` fetched and
cached), never from the message.
"""

from eid.sso.id_token import DEFAULT_LEEWAY, import_id_token
from eid.sso.imported import Imported
from eid.sso.jwks import VerificationKeys
from eid.sso.remote import CacheRules, RemoteKeys, RemoteMetadata
from eid.sso.saml_import import SamlIdentityProvider, import_saml_response
from eid.sso.saml_metadata import idp_from_metadata

__all__ = [
    "DEFAULT_LEEWAY",
    "CacheRules",
    "Imported",
    "RemoteKeys",
    "RemoteMetadata",
    "SamlIdentityProvider",
    "VerificationKeys",
    "idp_from_metadata",
    "import_id_token",
    "import_saml_response",
]
