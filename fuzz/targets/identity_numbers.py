"""Fuzz target: national, enterprise and card numbers and birth dates (eid.identity) from text."""

from fuzz.driver import main

if __name__ == "__main__":
    main("identity_numbers")
