"""Fuzz target: VerificationKeys.from_jwks, discovered_jwks_uri and cache_lifetime on any bytes."""

from fuzz.driver import main

if __name__ == "__main__":
    main("jwks")
