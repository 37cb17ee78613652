"""Fuzz target: eid.sso.import_id_token (and eid.sso.jws.parse_compact) on any token text.

An imported token says what the issued one says.
"""

from fuzz.driver import main

if __name__ == "__main__":
    main("id_token")
