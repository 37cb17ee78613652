"""Fuzz target: eid.tokens.belpic.decode_tlv: refuses with MalformedInput or splits the bytes exactly."""

from fuzz.driver import main

if __name__ == "__main__":
    main("tlv")
