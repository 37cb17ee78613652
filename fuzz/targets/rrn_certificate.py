"""Fuzz target: eid.tokens.belpic.load_rrn_certificate and the RRN signature check with any certificate."""

from fuzz.driver import main

if __name__ == "__main__":
    main("rrn_certificate")
