"""Fuzz target: idp_from_metadata (unsigned, and signed with signer=) and portal_from_sp_metadata."""

from fuzz.driver import main

if __name__ == "__main__":
    main("saml_metadata")
