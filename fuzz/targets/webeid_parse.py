"""Fuzz target: eid.auth.webeid_format.parse_token on any token text."""

from fuzz.driver import main

if __name__ == "__main__":
    main("webeid_parse")
