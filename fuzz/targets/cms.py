"""Fuzz target: eid.sign.verify on a .p7s/.p7m: never raises on content; passes only the signed CMS."""

from fuzz.driver import main

if __name__ == "__main__":
    main("cms")
