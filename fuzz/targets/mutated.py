"""Fuzz target: Real signed documents of every format, mutated in their signed bytes, never pass."""

from fuzz.driver import main

if __name__ == "__main__":
    main("mutated")
