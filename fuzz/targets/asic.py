"""Fuzz target: eid.sign.verify on an ASiC container: never raises on content; every report form writes."""

from fuzz.driver import main

if __name__ == "__main__":
    main("asic")
