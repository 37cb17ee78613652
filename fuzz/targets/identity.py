"""Fuzz target: eid.tokens.belpic.parse_identity and parse_address on any bytes."""

from fuzz.driver import main

if __name__ == "__main__":
    main("identity")
