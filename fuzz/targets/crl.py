"""Fuzz target: The CRL check of eid.pki.crl: refuses, or accepts the signed CRL only."""

from fuzz.driver import main

if __name__ == "__main__":
    main("crl")
