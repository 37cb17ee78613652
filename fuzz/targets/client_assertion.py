"""Fuzz target: a private_key_jwt client assertion read and verified as the token endpoint does."""

from fuzz.driver import main

if __name__ == "__main__":
    main("client_assertion")
