"""Fuzz target: The --at parser (eid.cli.trust.parse_time), then verification and reports at that time."""

from fuzz.driver import main

if __name__ == "__main__":
    main("time")
