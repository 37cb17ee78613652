"""The portal side: what a portal calls to import what the identity provider sent it.

`import_id_token` for OpenID Connect; the keys come from the provider's JWKS
(`VerificationKeys`), never from the token.
"""

from eid.sso.id_token import DEFAULT_LEEWAY, import_id_token
from eid.sso.imported import Imported
from eid.sso.jwks import VerificationKeys

__all__ = ["DEFAULT_LEEWAY", "Imported", "VerificationKeys", "import_id_token"]
