"""Fuzz target: the SAML binding decoders, request readers and verify_request of eid.web.

A request whose required signature verifies means what the signed one means.
"""

from fuzz.driver import main

if __name__ == "__main__":
    main("saml_request")
