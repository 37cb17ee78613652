"""Fuzz target: eid.auth.webeid.validate: only the signed token (or the same meaning) is accepted."""

from fuzz.driver import main

if __name__ == "__main__":
    main("webeid_validate")
