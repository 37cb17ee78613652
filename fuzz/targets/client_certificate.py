"""Fuzz target: eid.auth.tls.authenticate_client_certificate: only the issued certificate logs in."""

from fuzz.driver import main

if __name__ == "__main__":
    main("client_certificate")
