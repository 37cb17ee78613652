"""Single sign-on: the identity provider's statements (OIDC ID tokens, SAML) and their import.

The core model shared by both protocols lives in small modules: `levels` (assurance table),
`subjects` (pairwise, national-number and transient identifiers), `attributes` (profiles and
release), `mandates` (acting for an enterprise), `portals` (the registry), `statement`
(what is said about one login to one portal), `algorithms` and `keys` (signers and the key
set with rollover), `replay` (one-time use) and `imported` (what a portal holds after import).
OpenID Connect: `provider` (`IdentityProvider`), `oidc` (claims, signing, discovery), `jws`
(strict compact JWS), `jwks` (`VerificationKeys`), `remote` (`RemoteKeys`, `RemoteMetadata`:
fetched and cached) and `id_token` (`import_id_token`); the
portal side is gathered in `eid.sso.portal`.
"""

from eid.sso.algorithms import ALGORITHMS, PublicKey, SignatureAlgorithm, signature_algorithm
from eid.sso.attributes import BELGIAN, EIDAS, OIDC, PROFILES, AttributeProfile, AttributeValue
from eid.sso.id_token import import_id_token
from eid.sso.imported import Imported
from eid.sso.jwks import VerificationKeys
from eid.sso.keys import KeySet, ProviderKey, RetiredKey, Signer, software_signer, token_signer
from eid.sso.levels import LOA_URIS, AssuranceTable, Level, LoginKind, login_kind, require_level
from eid.sso.mandates import FileMandateSource, Mandate, MandateSource, choose_mandate
from eid.sso.portals import Portal, PortalRegistry, load_portals
from eid.sso.provider import IdentityProvider
from eid.sso.remote import CacheRules, RemoteKeys, RemoteMetadata
from eid.sso.replay import MemoryReplayStore, RedisReplayStore, ReplayStore
from eid.sso.statement import Statement, make_statement
from eid.sso.subjects import Subject, SubjectKind, SubjectMinter

__all__ = [
    "ALGORITHMS",
    "BELGIAN",
    "EIDAS",
    "LOA_URIS",
    "OIDC",
    "PROFILES",
    "AssuranceTable",
    "AttributeProfile",
    "AttributeValue",
    "CacheRules",
    "FileMandateSource",
    "IdentityProvider",
    "Imported",
    "KeySet",
    "Level",
    "LoginKind",
    "Mandate",
    "MandateSource",
    "MemoryReplayStore",
    "Portal",
    "PortalRegistry",
    "ProviderKey",
    "PublicKey",
    "RedisReplayStore",
    "RemoteKeys",
    "RemoteMetadata",
    "ReplayStore",
    "RetiredKey",
    "SignatureAlgorithm",
    "Signer",
    "Statement",
    "Subject",
    "SubjectKind",
    "SubjectMinter",
    "VerificationKeys",
    "choose_mandate",
    "import_id_token",
    "load_portals",
    "login_kind",
    "make_statement",
    "require_level",
    "signature_algorithm",
    "software_signer",
    "token_signer",
]
