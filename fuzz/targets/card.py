"""Fuzz target: eid.tokens.belpic.read_card_files with one card file replaced.

Signed files never read as valid once changed.
"""

from fuzz.driver import main

if __name__ == "__main__":
    main("card")
