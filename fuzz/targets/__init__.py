"""One fuzz target per entry point: ``python -m fuzz.targets.NAME CORPUS_DIR``."""
