"""Example portals that delegate login to the `eid.web` provider, shipped with the package.

`my_enterprise` is an OIDC client and `tax_on_web` a SAML service provider; each builds a
Starlette app with ``create_portal`` and uses only the portal side of `eid.sso`.
``eid serve --dev --with-examples`` runs both beside the provider, from any installation.
"""

__all__ = ["my_enterprise", "tax_on_web"]
