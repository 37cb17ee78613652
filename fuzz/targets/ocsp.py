"""Fuzz target: eid.pki.ocsp.verify_response: refuses, or accepts the signed response only."""

from fuzz.driver import main

if __name__ == "__main__":
    main("ocsp")
