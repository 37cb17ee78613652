"""Fuzz target: eid.pki.TrustStore.from_paths on any file."""

from fuzz.driver import main

if __name__ == "__main__":
    main("trust_file")
