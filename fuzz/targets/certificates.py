"""Fuzz target: eid.pki.load_certificates (lenient DER/PEM), then those certificates as trust anchors."""

from fuzz.driver import main

if __name__ == "__main__":
    main("certificates")
