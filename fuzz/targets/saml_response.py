"""Fuzz target: eid.sso.saml_import.import_saml_response on any bytes (XML or POST form).

An imported response, plain or encrypted, says what the issued one says.
"""

from fuzz.driver import main

if __name__ == "__main__":
    main("saml_response")
